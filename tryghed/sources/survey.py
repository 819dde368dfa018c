"""Resident survey (Tryghedsundersøgelse) respondent microdata: CSV or xlsx, one row per respondent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._common import (check_unique, keep_row_numbers, read_sheet_table, read_text_table, rename_columns,
                      to_number)

ALIASES = {
    "respondent_id": ("id", "respondent", "løbenr", "cpr", "personnummer"),
    "year": ("aar", "år", "survey_year", "undersøgelsesår"),
    "area_name": ("bydel", "district", "area"),
    "weight": ("vaegt", "vægt", "weight_final"),
}


def read_survey_microdata(path: Path, items: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read survey microdata into ``respondent_id, year, area_name, weight`` plus the answer columns ``items``.

    Answers stay as the vendor's integer codes; recoding to yes/no happens in :mod:`tryghed.clean`. In an xlsx the
    header is the first row naming the respondent id column, so title rows above it are fine.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        names = ("respondent_id", *ALIASES["respondent_id"])
        df, header_rows = read_sheet_table(path, names, "Put the header row (respondent_id, aar, bydel, vaegt and "
                                           "the answer columns) back above the data.")
    else:
        df, header_rows = read_text_table(path), 1
    df = rename_columns(df, path, {**ALIASES, **{i: () for i in items}})
    out = pd.DataFrame({
        "respondent_id": df["respondent_id"].astype(str).str.strip(),
        "year": to_number(df, "year", path, integer=True, minimum=1990, maximum=2100, header_rows=header_rows),
        "area_name": df["area_name"].astype(str).str.strip(),
        "weight": to_number(df, "weight", path, minimum=0, header_rows=header_rows),
    })
    for item in items:
        out[item] = to_number(df, item, path, integer=True, minimum=0, header_rows=header_rows)
    out.attrs = dict(df.attrs)
    check_unique(out, ["year", "respondent_id"], path, header_rows)
    return keep_row_numbers(out, header_rows).reset_index(drop=True)
