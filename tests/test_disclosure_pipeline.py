"""Disclosure control on the sikker-by indicator table in both modes the YAML can choose."""


import numpy as np
import pandas as pd
import pytest

from tryghed import config, disclosure


@pytest.fixture(scope="module")
def table(sikker_by_demo_steps):
    """The sikker-by indicator table of the demo (ingest, clean, compute_all: conftest.sikker_by_demo_steps)."""
    return sikker_by_demo_steps.table()


def test_rounding_mode_rounds_every_person_count(table):
    base = config.load_pipeline("sikker-by")
    pipeline = base.model_copy(update={"disclosure": base.disclosure.model_copy(update={"mode": "rounding"})})
    res = disclosure.protect_pipeline_table(pipeline, table)
    pub = res.table
    persons = pub["indicator_id"].isin([i.id for i in base.indicators if i.persons])   # every person measure
    shown = pub.loc[persons, "numerator"].dropna()
    # every published person count is 0 or a multiple of 5, the city's and the districts' totals included
    assert len(shown) > 0 and (shown % 5 == 0).all() and (pub.loc[persons, "level"] == "city").any()
    # a count shown is its true value rounded to the nearest 5 (half up), totals from the unrounded data
    true = table.loc[shown.index, "numerator"].to_numpy()
    assert np.array_equal(shown.to_numpy(), 5 * np.floor(true / 5 + 0.5))
    # 1-7 is never shown; other indicators pass unchanged
    small = persons & table["numerator"].between(1, 7)
    assert pub.loc[small, "numerator"].isna().all()
    other = ~persons
    assert pub.loc[other, "numerator"].equals(table.loc[other, "numerator"])
    assert res.record.unresolved == 0


@pytest.mark.parametrize("mode", ["DK", "rounding"])
def test_parquet_has_nan_and_a_reason_never_a_star(table, mode, tmp_path):
    # METHODS §6 / issue 9: in parquet a withheld or missing value is NaN with its reason in `flags`; "*" is only
    # for the human-facing exports (count_label).
    base = config.load_pipeline("sikker-by")
    pipeline = base.model_copy(update={"disclosure": base.disclosure.model_copy(update={"mode": mode})})
    t = table.copy()
    gang = (t["indicator_id"] == "gang_members") & (t["level"] != "city")
    years = sorted(t.loc[gang, "period"].unique())
    first = gang & (t["period"] == years[0])
    small, gone = t.index[first][:2]
    city = (t["indicator_id"] == "gang_members") & (t["level"] == "city") & (t["period"] == years[0])
    t.loc[city, ["numerator", "estimate"]] -= float(t.loc[small, "numerator"]) - 3.0
    t.loc[small, ["numerator", "estimate"]] = 3.0  # withheld in both modes (3 < k = 5; 1-7 -> *)
    t.loc[gone, ["numerator", "estimate", "ci_low", "ci_high"]] = np.nan  # a register row that is missing
    t.loc[gone, "flags"] = "missing"
    pub = disclosure.protect_pipeline_table(pipeline, t).table
    path = tmp_path / "published.parquet"
    pub.to_parquet(path, index=False)
    back = pd.read_parquet(path)
    for col in ("numerator", "estimate", "ci_low", "ci_high"):
        assert back[col].dtype == np.float64, col
    for col in back.columns:
        if back[col].dtype == object or pd.api.types.is_string_dtype(back[col]):
            assert not back[col].astype(str).eq(disclosure.SUPPRESSED).any(), col
    withheld = back["suppressed"] & back["flags"].str.split(";").map(lambda f: disclosure.FLAG in f)
    assert withheld.sum() >= 1 and withheld.iloc[small]
    assert back.loc[withheld, ["numerator", "estimate", "ci_low", "ci_high"]].isna().all().all()
    # the missing row stays missing, with its own reason, not relabelled as withheld
    assert np.isnan(back.loc[gone, "numerator"]) and back.loc[gone, "flags"] == "missing"
    # the human-facing label is where "*" appears
    assert disclosure.count_label(back.loc[small, "numerator"]) == disclosure.SUPPRESSED


def test_dk_mode_on_demo_withholds_nothing_but_a_small_cell_and_its_complement(table):
    pipeline = config.load_pipeline("sikker-by")
    pub = disclosure.protect_pipeline_table(pipeline, table)
    assert pub.record.primary == 0 and pub.table["numerator"].equals(table["numerator"])
    small = table.copy()
    key = (small["indicator_id"] == "gang_members") & (small["area_id"] == "s-vanloese") & (small["period"] == 2015)
    small.loc[key, ["numerator", "estimate"]] = 2.0
    city = (small["indicator_id"] == "gang_members") & (small["area_id"] == "kbh") & (small["period"] == 2015)
    small.loc[city, ["numerator", "estimate"]] -= float(table.loc[key, "numerator"].item()) - 2.0
    res = disclosure.protect_pipeline_table(pipeline, small)
    assert res.record.primary == 1 and res.record.complementary >= 1 and res.record.unresolved == 0
    year = res.table[(res.table["indicator_id"] == "gang_members") & (res.table["period"] == 2015)
                     & (res.table["level"] == "survey_district")]
    assert year["numerator"].isna().sum() >= 2 and np.isnan(res.table.loc[key, "numerator"].item())
