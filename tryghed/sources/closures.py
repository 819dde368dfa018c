"""Municipal closure log: unplanned closures of institutions due to unrest (xlsx or CSV)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ._common import read_text_table, rename_columns, to_number

ALIASES = {
    "institution": ("navn", "institution_name"),
    "area_name": ("bydel", "district"),
    "start": ("lukket fra", "fra", "from", "closed_from"),
    "end": ("lukket til", "til", "to", "closed_to"),
    "days": ("lukkedage", "dage", "closure_days"),
    "reason": ("årsag", "aarsag", "cause"),
    "plan_date": ("genåbningsplan modtaget", "genaabningsplan", "reopening_plan"),
}


def _find_header(path: Path) -> int:
    """Row index (0-based) of the header: the first row that names an institution column."""
    probe = pd.read_excel(path, header=None, nrows=15, dtype=str)
    for i, row in probe.iterrows():
        cells = {str(c).strip().lower() for c in row if isinstance(c, str)}
        if cells & {"institution", "navn", "institution_name"}:
            return int(i)
    raise InputError(path, "no header row with an 'Institution' column among the first 15 rows",
                     "Keep the log's header row (Institution, Bydel, Lukket fra, Lukket til, Lukkedage, ...).")


def _dates(df: pd.DataFrame, column: str, path: Path, header_rows: int, required: bool = True) -> pd.Series:
    values = pd.to_datetime(df[column], errors="coerce")
    blank = df[column].isna() | df[column].astype(str).str.strip().isin(["", "nan", "NaT", "None"])
    bad = values.isna() & (~blank | required)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(path, f"column '{column}' holds {df[column].iloc[i]!r}, which is not a date",
                         "Write dates as YYYY-MM-DD (or as Excel dates).", where=f"row {i + 1 + header_rows}")
    return values.dt.normalize()


def read_closure_log(path: Path) -> pd.DataFrame:
    """Read the log into ``institution, area_name, start, end, days, reason, plan_date`` (one row per closure)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if not path.is_file():
            raise InputError(path, "the file does not exist", "Put the file there or fix 'file' in the pipeline YAML.")
        header = _find_header(path)
        df = pd.read_excel(path, header=header, dtype=object)
        df.columns = [str(c).strip() for c in df.columns]
        header_rows = header + 1
    else:
        df = read_text_table(path)
        header_rows = 1
    df = rename_columns(df, path, ALIASES, optional=("reason", "plan_date", "days"))
    df = df[~df["institution"].isna() & (df["institution"].astype(str).str.strip() != "")].reset_index(drop=True)
    out = pd.DataFrame({
        "institution": df["institution"].astype(str).str.strip(),
        "area_name": df["area_name"].astype(str).str.strip(),
        "start": _dates(df, "start", path, header_rows),
        "end": _dates(df, "end", path, header_rows),
    })
    if "days" in df:
        out["days"] = to_number(df.astype({"days": str}), "days", path, integer=True, minimum=0,
                                header_rows=header_rows)
    else:
        out["days"] = [int(pd.bdate_range(s, e).size) for s, e in zip(out["start"], out["end"])]
    out["reason"] = df["reason"].astype(str) if "reason" in df else ""
    out["plan_date"] = _dates(df, "plan_date", path, header_rows, required=False) if "plan_date" in df else pd.NaT
    backwards = out["end"] < out["start"]
    if backwards.any():
        i = int(backwards.to_numpy().nonzero()[0][0])
        raise InputError(path, "the closure ends before it starts", "Swap or correct the two dates.",
                         where=f"row {i + 1 + header_rows}")
    return out
