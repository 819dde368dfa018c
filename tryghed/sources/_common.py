"""Shared reading and validation helpers for the source adapters."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ..errors import InputError


def read_text_table(path: Path) -> pd.DataFrame:
    """Read a delimited text file (``;``, ``,`` or tab) as strings, with a clear error for the wrong encoding."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "the file does not exist", "Put the file there or fix 'file' in the pipeline YAML.")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "the file is empty", "Export the table again; an empty file has no header row.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(path, f"the file is not UTF-8 (byte {data[exc.start]:#x})",
                         "Save it as UTF-8 (in Excel: 'CSV UTF-8'), or convert it with iconv -f latin1 -t utf-8.",
                         where=f"line {line}") from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=";,\t")
        sep = dialect.delimiter
    except csv.Error:
        sep = ";"
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise InputError(path, f"the rows do not split into the header's columns ({exc})",
                         "Check the separator and quoting; every row needs as many fields as the header.") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


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
                f"the file has: {', '.join(df.columns)}", "Rename the column in the file or export it again.",
                where="header")
        mapping[found] = canonical
    return df.rename(columns=mapping)


def to_number(df: pd.DataFrame, column: str, path: Path, *, integer: bool = False, minimum: float | None = None,
              maximum: float | None = None, header_rows: int = 1) -> pd.Series:
    """Parse a column of numbers (decimal comma or point); error naming the first bad row."""
    raw = df[column].astype(str).str.strip()
    cleaned = raw.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    has_comma = cleaned.str.contains(",", regex=False)
    cleaned = cleaned.where(~has_comma, cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    values = pd.to_numeric(cleaned, errors="coerce")
    bad = values.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(path, f"column '{column}' holds {raw.iloc[i]!r}, which is not a number",
                         "Fill in a number (missing values are not allowed in this column).",
                         where=f"row {i + 1 + header_rows}")
    if integer:
        frac = values % 1 != 0
        if frac.any():
            i = int(frac.to_numpy().nonzero()[0][0])
            raise InputError(path, f"column '{column}' holds {raw.iloc[i]!r}; a whole number was expected",
                             "Counts must be whole numbers.", where=f"row {i + 1 + header_rows}")
        values = values.astype("int64")
    for limit, op, word in ((minimum, values.lt, "below"), (maximum, values.gt, "above")):
        if limit is not None:
            out = op(limit)
            if out.any():
                i = int(out.to_numpy().nonzero()[0][0])
                raise InputError(path, f"column '{column}' holds {raw.iloc[i]}, {word} the allowed {limit}",
                                 "Correct the value at its source.", where=f"row {i + 1 + header_rows}")
    return values


def check_unique(df: pd.DataFrame, keys: list[str], path: Path, header_rows: int = 1) -> None:
    dup = df.duplicated(keys, keep="first")
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        key = ", ".join(f"{k}={df[k].iloc[i]}" for k in keys)
        raise InputError(path, f"the key ({key}) appears more than once",
                         "Remove the duplicated row or aggregate the rows before export.",
                         where=f"row {i + 1 + header_rows}")
