"""The yearly safety index (Tryghedsindeks): each local area's action category per edition."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ._common import check_unique, column_name, keep_row_numbers, read_text_table, rename_columns, to_number, where_row

CATEGORIES = ("minimal", "reduceret", "ordinær", "intensiveret", "markant")
ALIASES = {
    "year": ("udgave", "aar", "år", "edition"),
    "local_area_id": ("distrikt_nr", "local_area_no"),
    "local_area": ("distrikt", "lokalomraade", "local_area_name"),
    "area_name": ("bydel", "district"),
    "category": ("kategori", "indsats", "action_category"),
}


def read_safety_index(path: Path) -> pd.DataFrame:
    """Read the classification into ``year, local_area_id, local_area, area_name, category``."""
    path = Path(path)
    df = rename_columns(read_text_table(path), path, ALIASES)
    out = pd.DataFrame({
        "year": to_number(df, "year", path, integer=True, minimum=1990, maximum=2100),
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
