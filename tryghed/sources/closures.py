"""Municipal closure log: unplanned closures of institutions due to unrest (xlsx or CSV)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ._common import (check_unique, column_name, keep_row_numbers, read_sheet_table, read_text_table,
                      rename_columns, to_number, where_row)

ALIASES = {
    "institution": ("navn", "institution_name"),
    "area_name": ("bydel", "district"),
    "start": ("lukket fra", "fra", "from", "closed_from"),
    "end": ("lukket til", "til", "to", "closed_to"),
    "days": ("lukkedage", "dage", "closure_days"),
    "reason": ("årsag", "aarsag", "cause"),
    "plan_date": ("genåbningsplan modtaget", "genaabningsplan", "reopening_plan"),
}
HEADER_FIX = ("Put the log's header row (Institution, Bydel, Lukket fra, Lukket til, Lukkedage, ...) back above "
              "the data.")

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
_DANISH = re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})")


def _date(value) -> pd.Timestamp | None:
    """One cell as a date: an Excel date, ISO ``2017-03-05`` or Danish ``5.3.2017`` / ``05-03-2017`` (day first).

    Anything else, including a bare number (an Excel date without date format), is not a date.
    """
    if isinstance(value, dt.datetime | dt.date):
        return pd.Timestamp(value).normalize()
    if not isinstance(value, str):
        return None
    text = value.strip()
    if m := _ISO.fullmatch(text):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _DANISH.fullmatch(text):
        d, mo, y = (int(g) for g in m.groups())
    else:
        return None
    try:
        return pd.Timestamp(year=y, month=mo, day=d)
    except ValueError:
        return None


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | series.astype(str).str.strip().isin(["", "nan", "NaT", "None"])


def _dates(df: pd.DataFrame, column: str, path: Path, header_rows: int, required: bool = True) -> pd.Series:
    values = pd.to_datetime(pd.Series([_date(v) for v in df[column]], index=df.index, dtype=object))
    blank = _blank(df[column])
    bad = values.isna() & (~blank | required)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        cell = df[column].iloc[i]
        problem = "is empty" if blank.iloc[i] else f"holds {cell!r}, which is not a date"
        raise InputError(path, f"column '{column_name(df, column)}' {problem}",
                         "Write dates as Excel dates, as YYYY-MM-DD or as DD-MM-YYYY.",
                         where=where_row(df, i, header_rows))
    return values


def read_closure_log(path: Path) -> pd.DataFrame:
    """Read the log into ``institution, area_name, start, end, days, reason, plan_date`` (one row per closure).

    In an xlsx the header is the first row naming the institution column, so title rows above it are fine.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        names = ("institution", *ALIASES["institution"])
        df, header_rows = read_sheet_table(path, names, HEADER_FIX)
    else:
        df, header_rows = read_text_table(path), 1
    df = rename_columns(df, path, ALIASES, optional=("reason", "plan_date", "days"))
    no_name = _blank(df["institution"])
    dated = ~_blank(df["start"]) | ~_blank(df["end"])
    if (no_name & dated).any():
        i = int((no_name & dated).to_numpy().nonzero()[0][0])
        raise InputError(path, f"the closure has dates but column '{column_name(df, 'institution')}' is empty",
                         "Fill in the institution's name.", where=where_row(df, i, header_rows))
    df = df[~no_name]
    if df.empty:
        raise InputError(path, "the log has no closures (no row names an institution)",
                         "Fill in the log below its header row.", where=df.attrs.get("header_where", "header"))
    out = pd.DataFrame({
        "institution": df["institution"].astype(str).str.strip(),
        "area_name": df["area_name"].astype(str).str.strip(),
        "start": _dates(df, "start", path, header_rows),
        "end": _dates(df, "end", path, header_rows),
    })
    if "days" in df:
        out["days"] = to_number(df, "days", path, integer=True, minimum=0, header_rows=header_rows)
    else:
        out["days"] = [int(pd.bdate_range(s, e).size) for s, e in zip(out["start"], out["end"])]
    out["reason"] = df["reason"].where(~_blank(df["reason"]), "").astype(str) if "reason" in df else ""
    out["plan_date"] = _dates(df, "plan_date", path, header_rows, required=False) if "plan_date" in df else pd.NaT
    backwards = out["end"] < out["start"]
    if backwards.any():
        i = int(backwards.to_numpy().nonzero()[0][0])
        raise InputError(path, "the closure ends before it starts", "Swap or correct the two dates.",
                         where=where_row(df, i, header_rows))
    out.attrs = dict(df.attrs)
    check_unique(out, ["institution", "start"], path, header_rows)
    return keep_row_numbers(out, header_rows).reset_index(drop=True)
