"""Disclosure control on the sikker-by indicator table in both modes the YAML can choose."""


import numpy as np
import pytest

from tryghed import clean, config, disclosure, indicators, sources


@pytest.fixture(scope="module")
def table(demo_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("disc")
    pipeline = config.load_pipeline("sikker-by")
    sources.ingest(pipeline, demo_dir, d / "staged")
    clean.clean_all(pipeline, d / "staged", d / "clean")
    return indicators.compute_all(pipeline, d / "clean")


def test_rounding_mode_rounds_person_counts_below_city_only(table):
    base = config.load_pipeline("sikker-by")
    pipeline = base.model_copy(update={"disclosure": base.disclosure.model_copy(update={"mode": "rounding"})})
    pub = disclosure.protect_pipeline_table(pipeline, table).table
    persons = pub["indicator_id"].isin(["youth_charged", "gang_members"])
    below = persons & (pub["level"] != "city")
    shown = pub.loc[below, "numerator"].dropna()
    assert len(shown) > 0 and (shown % 5 == 0).all()
    # counts of 8 or more are rounded to the nearest 5 (half away from zero), not suppressed
    true = table.loc[below & table["numerator"].ge(8), "numerator"]
    assert np.array_equal(pub.loc[true.index, "numerator"].to_numpy(), 5 * np.floor(true.to_numpy() / 5 + 0.5))
    # the city is not controlled; other indicators pass unchanged
    city = persons & (pub["level"] == "city")
    assert pub.loc[city, "numerator"].equals(table.loc[city, "numerator"])
    other = ~persons
    assert pub.loc[other, "numerator"].equals(table.loc[other, "numerator"])


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
