"""The yearly safety index (Tryghedsindeks): each local area's action category per edition.

Each edition reports the previous year's data: edition Y (``udgave``) describes data year Y−1 (the 2014 edition
describes 2013). A file with an edition column is mapped to data years here; a file whose year column already holds
the data year (``data_aar``, ``data_year``) is read as it is. The indicator table is keyed by data year.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ._common import check_unique, column_name, keep_row_numbers, read_text_table, rename_columns, to_number, where_row

CATEGORIES = ("minimal", "reduceret", "ordinær", "intensiveret", "markant")
#: An edition describes the data of this many years before it (edition 2014 -> 2013).
EDITION_LAG = 1
ALIASES = {
    "local_area_id": ("distrikt_nr", "local_area_no"),
    "local_area": ("distrikt", "lokalomraade", "local_area_name"),
    "area_name": ("bydel", "district"),
    "category": ("kategori", "indsats", "action_category"),
}
#: The edition (publication year) column: mapped to the data year by :func:`data_year`.
EDITION = ("udgave", "edition", "aar", "år", "year")
#: A column that already holds the data year (the year the edition describes).
DATA_YEAR = ("data_aar", "data_år", "data_year", "dataaar")


def data_year(edition: int | pd.Series) -> int | pd.Series:
    """The data year an edition describes: edition Y reports year Y−1 (:data:`EDITION_LAG`)."""
    return edition - EDITION_LAG


def read_safety_index(path: Path) -> pd.DataFrame:
    """Read the classification into ``year, edition, local_area_id, local_area, area_name, category``.

    ``year`` is the data year (the edition's year minus one, unless the file has a data-year column); ``edition`` is
    the edition the row comes from.
    """
    path = Path(path)
    raw = read_text_table(path)
    lower = {c.lower() for c in raw.columns}
    has_data_year = any(n in lower for n in DATA_YEAR)
    aliases = {**ALIASES, **({"year": DATA_YEAR} if has_data_year else {"edition": EDITION})}
    df = rename_columns(raw, path, aliases)
    if has_data_year:
        year = to_number(df, "year", path, integer=True, minimum=1990, maximum=2100)
        edition = year + EDITION_LAG
    else:
        edition = to_number(df, "edition", path, integer=True, minimum=1990, maximum=2100)
        year = data_year(edition)
    out = pd.DataFrame({
        "year": year,
        "edition": edition,
        "local_area_id": df["local_area_id"].astype(str).str.strip(),
        "local_area": df["local_area"].astype(str).str.strip(),
        "area_name": df["area_name"].astype(str).str.strip(),
        "category": df["category"].astype(str).str.strip().str.lower(),
    })
    bad = ~out["category"].isin(CATEGORIES)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(path, f"column '{column_name(df, 'category')}' holds {df['category'].iloc[i]!r}, which is "
                         f"not one of {', '.join(CATEGORIES)}", "Use the index's five action categories.",
                         where=where_row(df, i))
    out.attrs = dict(df.attrs)
    check_unique(out, ["year", "local_area_id"], path)
    return keep_row_numbers(out).reset_index(drop=True)
