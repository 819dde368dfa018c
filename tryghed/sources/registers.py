"""Register count tables: persons charged, the police gang log and population by district, year and age band."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ._common import check_unique, column_name, keep_row_numbers, read_text_table, rename_columns, to_number, where_row

YEAR = ("aar", "år", "year")
AREA = ("bydel", "district", "area")


AGE_BAND = ("aldersgruppe", "alder", "age_band", "age")
OFFENCE = ("kriminalitet", "lovovertraedelse", "lovovertrædelse", "offence", "offence_type", "forbrydelse")


def read_register_counts(path: Path) -> pd.DataFrame:
    """Read yearly person counts per area into ``year, area_name, count`` (plus ``age_band`` and ``offence``).

    The count column may have any name (``sigtede_15_25``, ``personer``, ...): it is the one column besides year,
    district and the optional age band (``aldersgruppe``, e.g. ``14-17``) and offence type (``kriminalitet``, e.g.
    ``vold``) columns, which split a count into the cells an indicator selects.
    """
    path = Path(path)
    df = rename_columns(read_text_table(path), path, {"year": YEAR, "area_name": AREA, "age_band": AGE_BAND,
                                                       "offence": OFFENCE}, optional=("age_band", "offence"))
    keys = [c for c in ("year", "area_name", "age_band", "offence") if c in df.columns]
    value_cols = [c for c in df.columns if c not in keys]
    if len(value_cols) != 1:
        split = "".join(f";{df.attrs['columns'].get(c, c)}" for c in ("age_band", "offence") if c in keys)
        raise InputError(path, f"expected one count column besides year and district, found "
                         f"{', '.join(value_cols) or 'none'}",
                         f"Keep the columns aar;bydel{split};<count> (remove the extra columns or add the count).",
                         where="header")
    df = rename_columns(df, path, {"count": (value_cols[0],)})
    out = pd.DataFrame({
        "year": to_number(df, "year", path, integer=True, minimum=1990, maximum=2100),
        "area_name": df["area_name"].str.strip(),
        "count": to_number(df, "count", path, integer=True, minimum=0),
    })
    for col in ("age_band", "offence"):
        if col in df.columns:
            out[col] = df[col].astype(str).str.strip().str.lower() if col == "offence" else \
                df[col].astype(str).str.strip()
    out.attrs = dict(df.attrs)
    check_unique(out, keys, path)
    return keep_row_numbers(out).reset_index(drop=True)


_QUARTER = re.compile(r"^(\d{4})[KQ]([1-4])$")


def read_gang_log(path: Path) -> pd.DataFrame:
    """Read quarterly gang-log stocks into ``period, year, quarter, area_name, count``."""
    path = Path(path)
    df = rename_columns(read_text_table(path), path,
                        {"period": ("kvartal", "quarter", "tid"), "area_name": AREA, "count": ("personer", "persons")})
    parts = df["period"].str.strip().str.extract(_QUARTER)
    bad = parts[0].isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(path, f"column '{column_name(df, 'period')}' holds {df['period'].iloc[i]!r}, which is not "
                         "a quarter", "Write quarters as 2017K1.", where=where_row(df, i))
    out = pd.DataFrame({
        "period": df["period"].str.strip(),
        "year": parts[0].astype(int),
        "quarter": parts[1].astype(int),
        "area_name": df["area_name"].str.strip(),
        "count": to_number(df, "count", path, integer=True, minimum=0),
    })
    out.attrs = dict(df.attrs)
    check_unique(out, ["period", "area_name"], path)
    return keep_row_numbers(out).reset_index(drop=True)


def read_population(path: Path) -> pd.DataFrame:
    """Read population into ``year, area_name, age_band, population``."""
    path = Path(path)
    df = rename_columns(read_text_table(path), path, {
        "year": YEAR, "area_name": AREA, "age_band": ("aldersgruppe", "alder", "age"),
        "population": ("antal", "befolkning", "persons"),
    })
    out = pd.DataFrame({
        "year": to_number(df, "year", path, integer=True, minimum=1990, maximum=2100),
        "area_name": df["area_name"].str.strip(),
        "age_band": df["age_band"].str.strip(),
        "population": to_number(df, "population", path, integer=True, minimum=0),
    })
    out.attrs = dict(df.attrs)
    check_unique(out, ["year", "area_name", "age_band"], path)
    return keep_row_numbers(out).reset_index(drop=True)
