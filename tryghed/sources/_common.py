"""Shared reading and validation helpers for the source adapters.

Row numbers in messages are the rows a person sees when opening the file (in a spreadsheet): the helpers read them
from the table's index, which counts data rows from 0 and keeps its labels when blank rows are dropped, plus
``header_rows``, the number of rows above the first data row. A table read from a worksheet carries the sheet's name
in ``df.attrs["sheet"]``; :func:`rename_columns` records the file's own column names in ``df.attrs["columns"]`` so
that messages name the column as the file spells it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

#: How far down a worksheet the header row is looked for (title and unit rows may sit above it).
HEADER_SCAN_ROWS = 15

_MISSING_FIX = "Put the file there or fix 'file' in the pipeline YAML."
_GROUPED = re.compile(r"[+-]?\d{1,3}([.,])\d{3}(?:\1\d{3})*")


#: Every character ``str.isspace()`` is true for (Python 3.11): what ``str.strip()`` removes.
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


_SHARED = threading.local()


@contextmanager
def split_once():
    """Within the block, :func:`split_fields` splits a given text at a given separator once (and turns the fields into
    a table once): the identifier scan and the reader of one file share the work (``tryghed.sources.read_source``).
    Nothing is kept after it."""
    outer = getattr(_SHARED, "memo", None)
    _SHARED.memo = {} if outer is None else outer
    try:
        yield
    finally:
        _SHARED.memo = outer


def read_excel(path: Path, **kwargs):
    """``pd.read_excel(path, **kwargs)``, read with python-calamine (a Rust reader: no openpyxl to import, a sheet
    parsed in milliseconds). pandas makes it give what openpyxl gives (whole numbers as int, dates as datetime, blank
    cells missing, an error cell missing). When calamine cannot read the file, pandas' default engine (openpyxl)
    reads it, so a damaged workbook fails with the message it always had."""
    try:
        return pd.read_excel(path, engine="calamine", **kwargs)
    except Exception:  # noqa: BLE001 - openpyxl reads it, or names the problem as it always did
        return pd.read_excel(path, engine="openpyxl", **kwargs)


def excel_file(path: Path) -> pd.ExcelFile:
    """``pd.ExcelFile(path)`` read with python-calamine, or with openpyxl when calamine cannot open it (see
    :func:`read_excel`)."""
    try:
        return pd.ExcelFile(path, engine="calamine")
    except Exception:  # noqa: BLE001 - openpyxl opens it, or names the problem as it always did
        return pd.ExcelFile(path, engine="openpyxl")


def sheet_cells(path: Path) -> list[list]:
    """The cells of a workbook's first worksheet, row by row from A1, as openpyxl's read-only
    ``iter_rows(values_only=True)`` gives them: None for a blank cell, int for a whole number (below 10**15), float,
    str, bool, datetime for a date, time; every row as wide as the widest. Read with python-calamine; raises
    whatever it raises on a workbook it cannot read (the caller then opens it with openpyxl). Unlike openpyxl it
    reads a cell holding an Excel error (``#N/A``) as blank."""
    import datetime

    from python_calamine import CalamineWorkbook, SheetTypeEnum

    book = CalamineWorkbook.from_path(str(path))
    try:
        first = next(m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet)
        rows = book.get_sheet_by_name(first).to_python(skip_empty_area=False)
    finally:
        book.close()

    def cell(v):
        if isinstance(v, str) and not v:
            return None
        if type(v) is float and v.is_integer() and abs(v) < 1e15:
            return int(v)
        if type(v) is datetime.date:
            return datetime.datetime(v.year, v.month, v.day)
        return v

    return [[cell(v) for v in row] for row in rows]


def split_fields(text: str, sep: str, *, strip: bool = False) -> pd.DataFrame | None:
    """Split delimited text into fields in one vectorised pass (pyarrow), or None when the csv module must do it.

    Returns a table of strings with integer columns ``0..w-1`` (``w`` = the number of fields of the first line) and
    one row per physical line (index = line number - 1; a blank line is a row of empty strings); ``strip`` strips
    every field as ``str.strip()`` does.
    Quoting is the csv module's default (``"`` with doubled quotes). None when any line has another number of fields,
    a quoted field spans lines, a line ends in a lone carriage return or the text is empty: the callers then split with
    :mod:`csv` and report the problem with its line number, so every error message stays as it was.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    memo = getattr(_SHARED, "memo", None)
    hit = memo.get(sep) if memo is not None else None
    if hit is not None and (hit[0] is text or hit[0] == text):
        table, frame = hit[1], hit[2]
    else:
        table, frame = _split_table(text, sep), None
        if memo is not None:
            memo[sep] = [text, table, None]
    if table is None:
        return None
    names = table.column_names
    stripped = False
    if strip:
        ws = pa.array(list(PY_WHITESPACE))
        columns = []
        for col in table.columns:
            if _may_have_edge_space(col):  # else no value starts or ends with white space: nothing to strip
                ends = pc.or_(pc.is_in(pc.utf8_slice_codeunits(col, 0, 1), value_set=ws),
                              pc.is_in(pc.utf8_slice_codeunits(col, -1, 1 << 30), value_set=ws))
                if pc.any(ends).as_py():  # rare: strip in Python, once per distinct value
                    col = pa.array(strip_unique(col.to_pandas()).to_numpy(dtype=object), type=pa.string())
                    stripped = True
            columns.append(col)
        if stripped:
            table = pa.table(columns, names=names)
    if frame is None or stripped:
        frame = table.to_pandas()
        frame.columns = range(len(names))
        if memo is not None and not stripped:
            memo[sep][2] = frame  # the fields as split: the next caller of the block gets the same table
    return frame.copy(deep=False)


def _arrow_strings(col: pd.Series):
    """The Arrow array behind a text column as read (pandas' ``str`` dtype), or None for any other column."""
    return col.array.__arrow_array__() if col.dtype == "str" and hasattr(col.array, "__arrow_array__") else None


def nonblank_rows(df: pd.DataFrame) -> np.ndarray:
    """``(df != "").any(axis=1)`` as a boolean array: whether each row has a cell that is not the empty string (a
    missing cell counts as filled), judged from the Arrow lengths of string columns."""
    import pyarrow.compute as pc

    filled = np.zeros(len(df), dtype=bool)
    for _, col in df.items():
        if (strings := _arrow_strings(col)) is not None:
            lengths = pc.binary_length(strings)
            filled |= pc.fill_null(pc.greater(lengths, 0), True).to_numpy(zero_copy_only=False)
        else:
            filled |= (col != "").to_numpy(dtype=bool)
    return filled


def _split_table(text: str, sep: str):
    """The fields of :func:`split_fields` as an Arrow table of strings (columns ``f0..``), or None."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not text or text.count("\r") != text.count("\r\n"):
        return None
    first = text.split("\n", 1)[0].rstrip("\r")
    try:
        width = len(next(csv.reader([first], delimiter=sep)))
    except (csv.Error, StopIteration):
        return None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    invalid = []

    def reject(row) -> str:
        invalid.append(row)
        return "skip"

    names = [f"f{j}" for j in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 26),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=False, ignore_empty_lines=False,
                                             invalid_row_handler=reject),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeEncodeError):
        return None
    if invalid or table.num_rows != lines:
        return None
    return table


def _edge_bytes() -> tuple[np.ndarray, np.ndarray]:
    """Which first and which last UTF-8 bytes of a value can belong to a white-space character (:data:`PY_WHITESPACE`):
    its first and its last byte, as two 256-entry tables."""
    first, last = np.zeros(256, dtype=bool), np.zeros(256, dtype=bool)
    for ch in PY_WHITESPACE:
        b = ch.encode("utf-8")
        first[b[0]] = last[b[-1]] = True
    return first, last


_FIRST_BYTE, _LAST_BYTE = _edge_bytes()


def _may_have_edge_space(column) -> bool:
    """Whether any value of an Arrow string column may start or end with white space, judged from its first and
    last bytes only (a superset of the values that do; no value is copied)."""
    import pyarrow as pa

    for chunk in column.chunks:
        if len(chunk) == 0:
            continue
        if chunk.null_count or not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return True
        _, offsets, data = chunk.buffers()
        if data is None:  # every value empty
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        bounds = np.frombuffer(offsets, dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
        filled = bounds[1:] > bounds[:-1]
        data = np.frombuffer(data, dtype=np.uint8)
        if _FIRST_BYTE[data[bounds[:-1][filled]]].any() or _LAST_BYTE[data[bounds[1:][filled] - 1]].any():
            return True
    return False


def strip_unique(column: pd.Series) -> pd.Series:
    """``str.strip()`` of every cell (Python's notion of white space), computed once per distinct value."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    stripped = np.array([str(u).strip() for u in uniques], dtype=object)
    return pd.Series(stripped[codes], index=column.index, dtype=object)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def row_number(df: pd.DataFrame, i: int, header_rows: int = 1) -> int:
    """The row a person sees for the ``i``-th (positional) row of ``df``."""
    label = df.index[i]
    pos = int(label) if hasattr(label, "__index__") else i
    return pos + 1 + header_rows


def where_row(df: pd.DataFrame, i: int, header_rows: int = 1) -> str:
    """``row N`` (with the sheet's name for a worksheet) for the ``i``-th row of ``df``."""
    sheet = df.attrs.get("sheet")
    row = f"row {row_number(df, i, header_rows)}"
    return f"sheet '{sheet}', {row}" if sheet else row


class KeptRows:
    """The row numbers a person sees, one per row of a reader's output (read-only). pandas deep-copies ``attrs`` on
    every operation: this object copies as itself, where a list of a million numbers would be copied each time."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.int64)
        self.values.flags.writeable = False

    def __deepcopy__(self, memo) -> KeptRows:
        return self

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i: int) -> int:
        return int(self.values[i])


def keep_row_numbers(out: pd.DataFrame, header_rows: int = 1) -> pd.DataFrame:
    """Record in ``out.attrs["rows"]`` (:class:`KeptRows`) the row a person sees for each row of a reader's output, so
    that later checks (an unknown area, say) name the right row after the index is reset."""
    if pd.api.types.is_integer_dtype(out.index.dtype):
        rows = out.index.to_numpy(dtype=np.int64) + 1 + header_rows
    else:
        rows = [row_number(out, i, header_rows) for i in range(len(out))]
    out.attrs["rows"] = KeptRows(rows)
    return out


def kept_row_numbers(df: pd.DataFrame) -> np.ndarray:
    """The row numbers :func:`keep_row_numbers` recorded, as an array (for a ``row`` column)."""
    return np.asarray(df.attrs["rows"].values)


def where_kept_row(df: pd.DataFrame, i: int) -> str:
    """``row N`` (with the sheet's name) for the ``i``-th row of a reader's output, from :func:`keep_row_numbers`."""
    rows = df.attrs.get("rows")
    row = f"row {rows[i]}" if rows is not None and i < len(rows) else f"row {i + 2}"
    sheet = df.attrs.get("sheet")
    return f"sheet '{sheet}', {row}" if sheet else row


def column_name(df: pd.DataFrame, column: str) -> str:
    """The column's name as the file spells it (before :func:`rename_columns`)."""
    return df.attrs.get("columns", {}).get(column, column)


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise InputError(path, "the file is an Excel workbook (xlsx), not a text table",
                         "Export the sheet as 'CSV UTF-8', or give the file its .xlsx name if the source reads xlsx.",
                         where="whole file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(path, "the file is UTF-16 text (Excel's 'Unicode Text')",
                         "Save it as 'CSV UTF-8' instead, or convert it with iconv -f utf-16 -t utf-8.",
                         where="line 1")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(path, f"the file is not UTF-8 (byte {data[exc.start]:#x})",
                         "Save it as UTF-8 (in Excel: 'CSV UTF-8'), or convert it with iconv -f latin1 -t utf-8.",
                         where=f"line {line}") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(path, "the file holds binary data (a NUL byte), not text",
                         "Export the table again as 'CSV UTF-8'.", where=f"line {line}")
    return text


def read_text_table(path: Path) -> pd.DataFrame:
    """Read a delimited text file (``;``, ``,`` or tab) as strings, with a clear error for each way it can break.

    Blank rows are dropped (the index keeps counting them, so row numbers stay right); a row with fewer fields than
    the header, or with extra non-empty fields, is an error, and so is a file cut off in the middle of a row.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "the file does not exist", _MISSING_FIX)
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "the file is empty", "Export the table again; an empty file has no header row.",
                         where="line 1")
    text = _decode(path, data)
    first = text.split("\n", 1)[0]
    try:
        sep = csv.Sniffer().sniff(first, delimiters=";,\t").delimiter
    except csv.Error:
        sep = ";"
    if '"' not in text:  # no quoting: the fields are the separators' pieces, split at once when the table is plain
        plain = _plain_text_table(text, sep)
        if plain is not None:
            return plain
    shown = "tab" if sep == "\t" else f"'{sep}'"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise InputError(path, f"the file cannot be split into fields ({_one_line(exc)})",
                         "Check the quotes: every field that opens a '\"' must close it. If the file was cut off, "
                         "copy or export it again.", where=f"line {reader.line_num}") from None
    header = [h.strip() for h in records[0]] if records else []
    while header and not header[-1]:
        header.pop()
    if not header:
        raise InputError(path, "the first row is empty; the header must be the first row",
                         "Delete the empty rows above the header.", where="row 1")
    seen = set()
    for j, name in enumerate(header):
        if not name:
            header[j] = name = f"unnamed {j + 1}"
        if name.lower() in seen:
            raise InputError(path, f"column '{name}' appears twice in the header",
                             "Give every column its own name.", where="header")
        seen.add(name.lower())
    width = len(header)
    rows, labels = [], []
    for n, rec in enumerate(records[1:], start=2):
        if len(rec) == width and "".join(rec).strip():
            rows.append(rec)
            labels.append(n - 2)
            continue
        if not "".join(rec).strip():
            continue
        if len(rec) < width:
            if n == len(records) and not text.endswith(("\n", "\r")):
                raise InputError(path, f"the file ends in the middle of this row ({len(rec)} of {width} fields)",
                                 "The file looks cut off: copy or export the whole file again.", where=f"row {n}")
            raise InputError(path, f"the row has {len(rec)} fields but the header has {width}",
                             f"Fill in the missing fields (separator {shown}), or export the file again.",
                             where=f"row {n}")
        if any(f.strip() for f in rec[width:]):
            raise InputError(path, f"the row has {len(rec)} fields but the header has {width}",
                             f"Quote fields that contain the separator {shown} (a decimal comma in a comma-separated "
                             "file splits a number in two), or export the file with ';' as separator.",
                             where=f"row {n}")
        rows.append(rec[:width])
        labels.append(n - 2)
    if not rows:
        raise InputError(path, "the file has a header but no data rows",
                         "Export the table again with its rows.", where="row 2")
    return pd.DataFrame(rows, columns=header, index=labels, dtype=str)


def _plain_text_table(text: str, sep: str) -> pd.DataFrame | None:
    """:func:`read_text_table`'s table of a text without quotes, from :func:`split_fields` (one vectorised split, shared
    with the identifier scan of the same file), or None when the text is not plain: a line with another number of
    fields than the header, or a header with an empty or repeated name. The strict reader then reads it, or names the
    problem and its row."""
    import pyarrow.compute as pc

    fields = split_fields(text, sep)
    if fields is None or len(fields) < 2:
        return None
    header = [str(h).strip() for h in fields.iloc[0]]
    if not all(header) or len({h.lower() for h in header}) != len(header):
        return None
    body = fields.iloc[1:]
    columns = [_arrow_strings(col) for _, col in body.items()]
    if any(strings is None for strings in columns):
        return None
    # a row is blank when every field is empty once white space (what str.strip() removes) is trimmed
    kept = np.zeros(len(body), dtype=bool)
    for strings in columns:
        trimmed = pc.utf8_trim(strings, characters=PY_WHITESPACE)
        kept |= pc.greater(pc.binary_length(trimmed), 0).to_numpy(zero_copy_only=False)
    if not kept.any():
        return None
    out = body if kept.all() else body[kept]
    out = out.set_axis(header, axis=1)
    out.index = pd.Index(np.arange(len(body), dtype=np.int64)[kept])  # data rows counted from 0, blank rows too
    return out


def read_sheet_table(path: Path, header_names: tuple[str, ...], fix: str) -> tuple[pd.DataFrame, int]:
    """Read the first worksheet of an xlsx as a table whose header is the first row naming one of ``header_names``.

    Title and unit rows above the header (up to :data:`HEADER_SCAN_ROWS` rows) are skipped; fully blank rows are
    dropped. Returns the table (cell values as read, index counting data rows from 0) and ``header_rows``, the number
    of sheet rows above the first data row. ``fix`` tells the user what the header row must hold.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "the file does not exist", _MISSING_FIX)
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty", "Save the workbook again from Excel.", where="whole file")
    try:
        with excel_file(path) as book:
            sheet = book.sheet_names[0]
            grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
    except Exception as exc:  # any failure to open the workbook is a broken file, whatever the library raised
        raise InputError(path, f"the file is not a readable xlsx workbook ({type(exc).__name__}: {_one_line(exc)})",
                         "The file is damaged or cut off: save it again from Excel as 'Excel Workbook (.xlsx)' and "
                         "copy the whole file.", where="whole file") from None
    wanted = {n.lower() for n in header_names}
    header = next((int(i) for i, row in grid.head(HEADER_SCAN_ROWS).iterrows()
                   if {str(c).strip().lower() for c in row if isinstance(c, str)} & wanted), None)
    if header is None:
        last = max(1, min(HEADER_SCAN_ROWS, len(grid)))
        raise InputError(path, f"no header row naming the '{header_names[0]}' column among the first {last} rows",
                         fix, where=f"sheet '{sheet}', rows 1–{last}")
    names = [str(c).strip() if isinstance(c, str) or not pd.isna(c) else "" for c in grid.iloc[header]]
    keep = [j for j, name in enumerate(names) if name]
    df = grid.iloc[header + 1:, keep].copy()
    df.columns = [names[j] for j in keep]
    df.index = pd.RangeIndex(len(df))
    df = df[~df.isna().all(axis=1)]
    if df.empty:
        raise InputError(path, "the sheet has a header but no data rows", "Fill in the rows below the header.",
                         where=f"sheet '{sheet}', row {header + 2}")
    df.attrs["sheet"] = sheet
    df.attrs["header_where"] = f"sheet '{sheet}', header row {header + 1}"
    return df, header + 1


def rename_columns(df: pd.DataFrame, path: Path, aliases: dict[str, tuple[str, ...]],
                   optional: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rename known column aliases (case-insensitive) to canonical names; error naming what is missing."""
    lower = {c.lower(): c for c in df.columns}
    mapping = {}
    for canonical, names in aliases.items():
        found = next((lower[n.lower()] for n in (canonical, *names) if n.lower() in lower), None)
        if found is None:
            if canonical in optional:
                continue
            raise InputError(
                path, f"column '{canonical}' is missing (accepted names: {', '.join((canonical, *names))}); "
                f"the file has: {', '.join(df.columns)}",
                "Rename the column in the file to one of the accepted names, or export it again.",
                where=df.attrs.get("header_where", "header"))
        mapping[found] = canonical
    out = df.rename(columns=mapping)
    out.attrs["columns"] = {**df.attrs.get("columns", {}), **{c: f for f, c in mapping.items()}}
    return out


def _show(value) -> str:
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    return str(value)


def _first(mask: pd.Series) -> int:
    return int(mask.to_numpy().nonzero()[0][0])


def to_number(df: pd.DataFrame, column: str, path: Path, *, integer: bool = False, minimum: float | None = None,
              maximum: float | None = None, header_rows: int = 1) -> pd.Series:
    """Parse a column of numbers (decimal comma or point); error naming the first bad row.

    Spaces inside a number are read as thousands separators; a ``.`` or ``,`` used as one is an error, because
    ``12.345`` means twelve thousand in Danish and twelve in English. A column that mixes decimal commas and
    decimal points is an error for the same reason.
    """
    name = column_name(df, column)
    cells = df[column]
    values = _plain_numbers(cells, integer)
    if values is not None:
        return _in_range(values, cells, df, name, path, minimum, maximum, header_rows)
    raw = cells.astype(object).where(cells.notna(), "").astype(str).str.strip()
    cleaned = raw.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)

    def fail(mask, problem, fix):
        i = _first(mask)
        raise InputError(path, f"column '{name}' " + problem.format(value=repr(raw.iloc[i]), plain=raw.iloc[i]), fix,
                         where=where_row(df, i, header_rows))

    no_separators = f"Write the numbers in '{name}' without thousands separators (12345, not 12.345 or 12,345)."
    empty = cleaned.eq("") | cleaned.str.lower().isin(["nan", "none", "nat"])
    if empty.any():
        fail(empty, "is empty", f"Fill in a number: '{name}' cannot have missing values.")
    comma = cleaned.str.contains(",", regex=False)
    point = cleaned.str.contains(".", regex=False)
    if (comma & point).any():
        fail(comma & point, "holds {value}, a number with a thousands separator", no_separators)
    if integer:
        marked = comma | point
        grouped = pd.Series(False, index=cleaned.index)
        grouped[marked] = cleaned[marked].str.fullmatch(_GROUPED).to_numpy(dtype=bool)
        if grouped.any():
            fail(grouped, "holds {value}, which looks like a number with a thousands separator", no_separators)
    if comma.any() and point.any():
        later = point if _first(comma) < _first(point) else comma
        fail(later, "holds {value}, but the column mixes decimal commas and decimal points",
             f"Use one decimal mark in '{name}' (export the file again with one number format).")
    values = pd.to_numeric(cleaned.str.replace(",", ".", regex=False), errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=float))
    if bad.any():
        fail(pd.Series(bad), "holds {value}, which is not a number", f"Fill in a number in '{name}'.")
    if integer:
        frac = values % 1 != 0
        if frac.any():
            fail(frac, "holds {value}; a whole number was expected",
                 f"Write '{name}' as a whole number, without decimals or thousands separators.")
        values = values.astype("int64")
    return _in_range(values, cells, df, name, path, minimum, maximum, header_rows)


#: Cells :func:`to_number` reads without a question: digits, or digits with one decimal comma or point.
_PLAIN_INTEGER, _PLAIN_COMMA, _PLAIN_POINT = r"^[0-9]+$", r"^[0-9]+(?:,[0-9]+)?$", r"^[0-9]+(?:\.[0-9]+)?$"


def _plain_numbers(cells: pd.Series, integer: bool) -> pd.Series | None:
    """:func:`to_number`'s values when every cell of a text column is plainly a number (one regular-expression pass
    over the Arrow strings): digits only for a whole number, else digits with at most one decimal mark, the same mark
    in the whole column. Such cells pass every check of :func:`to_number` but its range, and are converted as it
    converts them. None otherwise: :func:`to_number` then judges each cell and names the first bad one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = _arrow_strings(cells)
    if arrow is None or arrow.null_count:
        return None
    for pattern in (_PLAIN_INTEGER,) if integer else (_PLAIN_POINT, _PLAIN_COMMA):
        if pc.all(pc.match_substring_regex(arrow, pattern)).as_py():
            break
    else:
        return None
    if integer:  # digits: Arrow's cast is exact, and says when a number is too long for int64
        try:
            return pd.Series(pc.cast(arrow, pa.int64()).to_numpy(), index=cells.index, name=cells.name)
        except pa.ArrowInvalid:
            return None  # the long way names the cell
    text = cells.str.replace(",", ".", regex=False) if pattern == _PLAIN_COMMA else cells
    values = pd.to_numeric(text, errors="coerce")  # as the long way converts them
    if values.dtype.kind not in "if" or not np.isfinite(values.to_numpy(dtype=float)).all():
        return None  # no rows, or a number too large for a float: the long way says so
    return values


def _in_range(values: pd.Series, cells: pd.Series, df: pd.DataFrame, name: str, path: Path, minimum, maximum,
              header_rows: int) -> pd.Series:
    """``values``, or an error naming the first row whose value lies outside ``minimum``..``maximum``."""
    allowed = (f"from {minimum} to {maximum}" if minimum is not None and maximum is not None
               else f"at least {minimum}" if minimum is not None else f"at most {maximum}")
    for limit, op, word in ((minimum, values.lt, "below"), (maximum, values.gt, "above")):
        if limit is not None and op(limit).any():
            i = _first(op(limit))
            plain = "" if pd.isna(cells.iloc[i]) else str(cells.iloc[i]).strip()
            raise InputError(path, f"column '{name}' holds {plain}, {word} the allowed {limit}",
                             f"Correct the value at its source: '{name}' must be {allowed}.",
                             where=where_row(df, i, header_rows))
    return values


def check_unique(df: pd.DataFrame, keys: list[str], path: Path, header_rows: int = 1) -> None:
    """Error naming both rows when the ``keys`` columns identify more than one row."""
    dup = df.duplicated(keys, keep="first")
    if dup.any():
        i = _first(dup)
        same = (df[keys] == df[keys].iloc[i]).all(axis=1)
        first = _first(same) if same.any() else i
        key = ", ".join(f"{column_name(df, k)}={_show(df[k].iloc[i])}" for k in keys)
        raise InputError(path, f"the key ({key}) appears more than once (first in row "
                         f"{row_number(df, first, header_rows)})",
                         "Remove the duplicated row or aggregate the rows before export.",
                         where=where_row(df, i, header_rows))
