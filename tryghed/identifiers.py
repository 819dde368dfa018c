"""Keep direct identifiers out of the pipeline: detect them in raw tables, and pseudonymise with a keyed hash.

:func:`scan_table` / :func:`scan_file` raise :class:`~tryghed.errors.InputError` when a raw table holds a Danish CPR
number, an e-mail address, a Danish phone number in a phone column, or a column named like a direct identifier. The
error names the file, the column and the first row; it never repeats the value.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError, InputError

#: The environment variable that holds the pseudonymisation key (read by the caller, never by this module).
KEY_VARIABLE = "TRYGHED_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
#: Hex characters kept of the HMAC-SHA256 digest: 16 = 64 bits. For a million persons the chance that any two share a
#: pseudonym is about n² / 2⁶⁵ ≈ 3e-8; the truncation keeps the pseudonyms short without weakening the key.
PSEUDONYM_HEX = 16

# DDMMYY-XXXX or DDMMYYXXXX, not inside a longer run of digits. The modulus-11 check is NOT required: since
# 1 October 2007 the CPR office issues numbers that fail it (some birth dates ran out of modulus-11 numbers), so a
# real CPR number can fail the check and requiring it would let real numbers through. The date check alone keeps
# false alarms down (e.g. a phone number with the +45 prefix, 45xxxxxxxx, has day 45).
_CPR = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})-?(\d{4})(?!\d)")
# A whole value of nine digits: a CPR number whose leading zero a spreadsheet dropped (0101901234 -> 101901234).
_CPR_NO_ZERO = re.compile(r"^\s*(\d{9})(?:\.0)?\s*$")
# What every value holding a CPR number contains (a superset, in what Arrow's RE2 and Python's re both mean by it).
_CPR_CANDIDATE = r"[0-9]{6}|[^\x00-\x7f]"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Danish numbers have eight digits, written in groups or not, with an optional +45 / 0045 country code.
_PHONE = re.compile(r"^\s*(?:(?:\+|00)\s?45[\s\-]?)?(?:\d[\s\-]?){7}\d\s*$")

# Column names (lower case, runs of non-letters turned into "_").
_NAME_CPR = re.compile(r"cpr|person_?n(umme)?r|personnummer")
_NAME_PHONE = re.compile(r"telefon|tlf|phone|mobil(?!itet)")
_NAME_EMAIL = re.compile(r"e_?mail|^mail$|mailadresse")
_NAME_ADDRESS = re.compile(r"adresse|address")
_LETTER = re.compile(r"[^\W\d_]")
_NAME_PERSON = re.compile(r"^(navn|name)$|(for|efter|mellem|person|borger|kontakt|fulde|fuldt)_?navn|"
                          r"(first|last|full|sur|given|family)_?name")


def _normalise_name(name) -> str:
    return re.sub(r"[^0-9a-zæøå]+", "_", str(name).strip().lower()).strip("_")


def _century(yy: int, digit7: int) -> int:
    """The birth year from the two-digit year and the first digit of the serial number (CPR office rules)."""
    if digit7 <= 3:
        return 1900 + yy
    if digit7 in (4, 9):
        return 2000 + yy if yy <= 36 else 1900 + yy
    return 2000 + yy if yy <= 57 else 1800 + yy


def is_cpr(dd: int, mm: int, yy: int, serial: str) -> bool:
    """Whether day ``dd``, month ``mm``, two-digit year ``yy`` and a 4-digit serial form a valid birth date."""
    try:
        date(_century(yy, int(serial[0])), mm, dd)
    except ValueError:
        return False
    return True


def contains_cpr(text: str) -> bool:
    """Whether ``text`` holds a CPR number (DDMMYY-XXXX or DDMMYYXXXX with a valid date), anywhere in it."""
    for m in _CPR.finditer(text):
        if is_cpr(int(m[1]), int(m[2]), int(m[3]), m[4]):
            return True
    m = _CPR_NO_ZERO.match(text)
    return bool(m) and contains_cpr("0" + m[1])


@dataclass(frozen=True)
class Finding:
    """A column that holds a direct identifier: its position, name, the first data row (0-based) and the kind."""

    position: int
    column: str
    row: int
    kind: str


def _first_where(text: pd.Series, candidates, test) -> int | None:
    """The first row whose value passes ``test``, trying only the rows in ``candidates`` (a vectorised pre-filter
    that every passing value meets), each distinct value once."""
    rows = np.flatnonzero(np.asarray(candidates, dtype=bool))
    if rows.size == 0:
        return None
    codes, uniques = pd.factorize(text.iloc[rows].to_numpy(dtype=object))
    hit = np.array([bool(test(u)) for u in uniques], dtype=bool)[codes]
    return int(rows[hit.argmax()]) if hit.any() else None


def _plainly_clean(values: pd.Series) -> bool:
    """Whether a text column has no value of 9 or more characters and no "@" (so none that could hold a CPR number
    or an e-mail address), checked on its Arrow data: from the values' byte lengths and bytes where they settle it
    (a value has at least as many bytes as characters, and the byte of "@" is part of no other UTF-8 character),
    else in two passes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        data = values.array.__arrow_array__() if hasattr(values.array, "__arrow_array__") else pa.array(values)
    except (TypeError, pa.ArrowException):
        return False
    if not (pa.types.is_string(data.type) or pa.types.is_large_string(data.type)):
        return False
    chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
    short = True
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        _, offsets, raw = chunk.buffers()
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        bounds = np.frombuffer(offsets, dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
        if raw is not None:
            used = np.frombuffer(raw, dtype=np.uint8)[bounds[0]:bounds[-1]]
            if (used == ord("@")).any():
                return False
        short = short and int(np.diff(bounds).max()) < 9
    if short:
        return True
    longest = pc.max(pc.utf8_length(data)).as_py()
    return longest is None or longest < 9


def _column_finding(values: pd.Series, name: str) -> tuple[int, str] | None:
    """The first row and kind of direct identifier in one column, or None.

    Vectorised: a cheap test on the whole column (a CPR number has at least 9 characters, an e-mail address an
    ``@``) picks the candidate rows, and the exact Python test (:func:`contains_cpr`, the e-mail, phone and letter
    patterns) runs once per distinct candidate value, so the scan finds exactly what a row-by-row scan finds.
    """
    norm = _normalise_name(name)
    by_name = any(p.search(norm) for p in (_NAME_PHONE, _NAME_CPR, _NAME_PERSON, _NAME_ADDRESS, _NAME_EMAIL))
    if values.dtype == "str":  # text as read (no conversion): missing cells are empty
        if not by_name and _plainly_clean(values):
            return None
        text = values.fillna("") if values.hasnans else values
    else:
        text = values.astype(object).where(values.notna(), "").astype(str)
    # a CPR number has at least 9 characters, six ASCII digits in a row among them unless a character is not ASCII
    # (another script's digits); an e-mail address has an "@"
    cpr = text.str.len().to_numpy() >= 9
    if cpr.any():
        cpr &= text.str.contains(_CPR_CANDIDATE, regex=True).to_numpy(dtype=bool)
    email = text.str.contains("@", regex=False).to_numpy(dtype=bool)
    if not (by_name or cpr.any() or email.any()):  # a column of counts, say: nothing the tests below could find
        return None
    everywhere = np.ones(len(text), dtype=bool)
    row = _first_where(text, cpr, contains_cpr)
    if row is not None:
        return row, "a CPR number"
    row = _first_where(text, email, _EMAIL.search)
    if row is not None:
        return row, "an e-mail address"
    if _NAME_PHONE.search(norm):
        row = _first_where(text, everywhere, _PHONE.match)
        if row is not None:
            return row, "a phone number"
    if _NAME_CPR.search(norm):
        row = _first_where(text, everywhere, str.strip)
        return (row, "values in a column named like a CPR number") if row is not None else None
    for pattern, kind in ((_NAME_PERSON, "a person's name"), (_NAME_ADDRESS, "an address"),
                          (_NAME_EMAIL, "an e-mail address")):
        if pattern.search(norm):
            row = _first_where(text, everywhere, _LETTER.search)
            if row is not None:
                return row, f"values in a column named like {kind}"
    return None


def find_identifiers(df: pd.DataFrame, *, skip: Collection[str] = ()) -> list[Finding]:
    """Every column of ``df`` that holds a direct identifier, with the first row where it shows (-1: the header).

    Parameters
    ----------
    df : pandas.DataFrame
        A raw table read as strings.
    skip : collection of str
        Column names (case-insensitive) known to hold no personal data.

    Returns
    -------
    list of Finding
        In column order; empty when the table is clean.
    """
    skipped = {str(s).strip().lower() for s in skip}
    out = []
    for j, (_, values) in enumerate(df.items()):  # by position: names may repeat
        name = str(df.columns[j])
        if name.strip().lower() in skipped:
            continue
        if contains_cpr(name) or _EMAIL.search(name):
            # The header row itself holds an identifier (e.g. a file exported without its header).
            out.append(Finding(position=j, column=name, row=-1, kind="an identifier in the header"))
            continue
        hit = _column_finding(values, name)
        if hit is not None:
            out.append(Finding(position=j, column=name, row=hit[0], kind=hit[1]))
    return out


def _label(f: Finding) -> str:
    # A header that itself looks like an identifier is named by its position, so the error never repeats it.
    if contains_cpr(f.column) or _EMAIL.search(f.column):
        return f"column {f.position + 1}"
    return f"column '{f.column}'"


def scan_table(df: pd.DataFrame, *, path, skip: Collection[str] = (), header_rows: int = 1,
               sheet: str | None = None) -> None:
    """Raise :class:`~tryghed.errors.InputError` if a raw table holds direct identifiers.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read from ``path`` (strings).
    path : str or Path
        The file, for the message.
    skip : collection of str
        Columns to leave out of the scan (case-insensitive names).
    header_rows : int
        Rows above the data, so that the row number in the message is the row in the file.
    sheet : str, optional
        The workbook sheet, for the message.

    Raises
    ------
    InputError
        Naming every offending column and the first row of the first one, never the value.
    """
    found = find_identifiers(df, skip=skip)
    if not found:
        return
    first = found[0]
    where = (f"sheet '{sheet}', " if sheet is not None else "") + f"{_label(first)}, row {first.row + 1 + header_rows}"
    listed = "; ".join(f"{_label(f)} holds {f.kind} (first in row {f.row + 1 + header_rows})" for f in found)
    raise InputError(
        path, f"direct identifiers found: {listed}",
        "Remove these columns before the file goes into the raw folder, or replace them with pseudonyms "
        f"(tryghed.identifiers.pseudonymise with the key in {KEY_VARIABLE}). If a column holds no personal data, "
        "exempt it from the scan with skip.", where=where)


def _sniff(text: str) -> str:
    lines = text[:65536].splitlines()  # the first 20 lines, from a prefix when it holds more than 20
    if len(lines) <= 20 and len(text) > 65536:
        lines = text.splitlines()
    head = "\n".join(lines[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=";,\t|").delimiter
    except csv.Error:
        first = text.split("\n", 1)[0]
        return max(";,\t|", key=first.count) if any(c in first for c in ";,\t|") else ","


def read_as_text(path: Path) -> pd.DataFrame:
    """A delimited text file as strings with its header: any of ``; , tab |``, UTF-8 or else Latin-1."""
    from .sources._common import split_fields  # here: tryghed.sources imports this module

    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    sep = _sniff(text)
    fields = split_fields(text, sep)
    if fields is not None:  # every line has the header's number of fields: one vectorised split
        out = fields.iloc[1:].reset_index(drop=True)
        out.columns = fields.iloc[0].tolist()
        return out
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    if not rows:
        return pd.DataFrame()
    header, body = rows[0], rows[1:]
    width = max([len(header), *map(len, body)])
    columns = [*header, *(f"column {j + 1}" for j in range(len(header), width))]
    return pd.DataFrame([r + [""] * (width - len(r)) for r in body], columns=columns, dtype=str)


def scan_file(path, *, skip: Collection[str] = ()) -> None:
    """Load a raw CSV (any separator, UTF-8 or Latin-1) or xlsx workbook (every sheet) and :func:`scan_table` it.

    Raises
    ------
    InputError
        When the file is missing, empty, an old .xls workbook or a workbook that cannot be opened, or when it
        holds direct identifiers.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "the file does not exist", "Put the file there or fix the path.")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputError(path, "old Excel .xls workbooks cannot be read", "Save the workbook as .xlsx.")
    if suffix in (".xlsx", ".xlsm"):
        if path.stat().st_size == 0:
            raise InputError(path, "the file is empty", "Save the workbook again from Excel.", where="whole file")
        from .sources._common import read_excel  # here: tryghed.sources imports this module

        try:
            sheets = read_excel(path, sheet_name=None, dtype=str, header=0)
        except Exception as exc:  # any failure to open the workbook is a broken file, whatever the library raised
            raise InputError(path, "the file is not a readable xlsx workbook "
                             f"({type(exc).__name__}: {' '.join(str(exc).split())})",
                             "The file is damaged or cut off: save it again from Excel as 'Excel Workbook (.xlsx)' "
                             "and copy the whole file.", where="whole file") from None
        for name, df in sheets.items():
            scan_table(df, path=path, skip=skip, sheet=str(name))
        return
    scan_table(read_as_text(path), path=path, skip=skip)


def _normalise_value(value) -> str:
    text = str(value).strip()
    m = re.fullmatch(r"(\d{6})-(\d{4})", text)
    return m[1] + m[2] if m else text


def pseudonymise(values: Iterable, *, key: bytes) -> pd.Series:
    """Replace identifiers by a keyed hash: the first 16 hex characters of HMAC-SHA256(key, value).

    Parameters
    ----------
    values : iterable
        Identifiers (a Series keeps its index). Each is turned into text and stripped; a CPR number written
        DDMMYY-XXXX is hashed as DDMMYYXXXX, so both spellings give the same pseudonym. Missing and empty
        values stay missing.
    key : bytes
        The secret key (see :func:`key_from_env`); the same key gives the same pseudonyms, so sources and years
        can be linked, and without it a pseudonym cannot be traced back by hashing candidate CPR numbers.

    Returns
    -------
    pandas.Series of str
        :data:`PSEUDONYM_HEX` lower-case hex characters per value (64 bits).
    """
    if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes")
    s = values.copy() if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)

    def one(v):
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA or str(v).strip() == "":
            return None
        text = _normalise_value(v)
        return hmac.new(bytes(key), text.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]

    return s.map(one).astype(object)


def key_from_env(environ: Mapping[str, str], *, path, column: str) -> bytes:
    """The pseudonymisation key from ``environ[TRYGHED_PSEUDONYM_KEY]`` (UTF-8 bytes of the value).

    Raises
    ------
    ConfigError
        When the variable is missing, empty or shorter than 16 bytes; names the file and column that need it and
        how to set it. The message never contains the key.
    """
    raw = environ.get(KEY_VARIABLE, "")
    how = (f"Set {KEY_VARIABLE} to a secret of at least {MIN_KEY_BYTES} bytes, e.g. the output of "
           "`python -c \"import secrets; print(secrets.token_hex(32))\"`; keep it outside the project and use the "
           "same key every year so that pseudonyms stay linkable.")
    if not raw:
        raise ConfigError(f"{path}: column '{column}' must be pseudonymised, but the environment variable "
                          f"{KEY_VARIABLE} is not set. {how}")
    key = raw.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"{path}: column '{column}' must be pseudonymised, but {KEY_VARIABLE} is only {len(key)} "
                          f"bytes long. {how}")
    return key
