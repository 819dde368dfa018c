"""Indicator kinds: one module each, and missing is never zero (counts by hand on tables built here)."""

import inspect
import numpy as np
import pandas as pd
import pytest

from tryghed import clean, config, indicators, kinds

@pytest.fixture(scope="module")
def pipeline():
    return config.load_pipeline("sikker-by")


def _gang_log(pipeline, drop):
    """10 persons in every survey district in every quarter of 2016 and 2017, except the rows in ``drop``."""
    rows = [dict(area_id=a.id, year=y, quarter=q, period=f"{y}K{q}", area_name=a.name["da"], count=10 + q)
            for a in pipeline.areas_at("survey_district") for y in (2016, 2017) for q in (1, 2, 3, 4)
            if (a.id, y, q) not in drop]
    return pd.DataFrame(rows)


def _gang_rows(pipeline, staged):
    ind = pipeline.indicator("gang_members")
    cleaned = clean.year_end_stock(staged)
    out = indicators.compute_indicator(ind, pipeline, {"gang_log": cleaned})
    return out.set_index(["area_id", "period"])


def test_complete_gang_log_sums_the_fourth_quarters(pipeline):
    out = _gang_rows(pipeline, _gang_log(pipeline, drop=set()))
    n = len(pipeline.areas_at("survey_district"))
    assert n == 13
    assert out.loc[("kbh", 2017), "estimate"] == 13 * 14  # every district's Q4 count, 10 + 4
    assert out.loc[("s-valby", 2017), "estimate"] == 14
    assert out.loc[("kbh", 2017), "flags"] == ""


def test_missing_register_row_is_missing_not_zero(pipeline):
    drop = {("s-valby", 2017, q) for q in (1, 2, 3, 4)}
    out = _gang_rows(pipeline, _gang_log(pipeline, drop))
    valby = out.loc[("s-valby", 2017)]
    assert np.isnan(valby["estimate"]) and valby["flags"] == "missing"
    city = out.loc[("kbh", 2017)]
    # never a silent sum over the 12 districts that reported (12 * 14 = 168)
    assert np.isnan(city["estimate"])
    assert city["flags"].startswith("incomplete:") and "Valby" in city["flags"]
    assert out.loc[("kbh", 2016), "estimate"] == 13 * 14


def test_year_end_from_an_earlier_quarter_is_used_and_flagged(pipeline):
    drop = {("s-indre-noerrebro", 2017, 4)}
    out = _gang_rows(pipeline, _gang_log(pipeline, drop))
    inner = out.loc[("s-indre-noerrebro", 2017)]
    assert inner["estimate"] == 13 and inner["flags"] == "year_end_from_Q3"  # its Q3 count, 10 + 3
    city = out.loc[("kbh", 2017)]
    assert city["estimate"] == 12 * 14 + 13
    assert "year_end_from_Q3" in city["flags"]


def test_year_end_is_taken_per_area_not_per_year(pipeline):
    """One area's late Q4 row must not make every other area's Q3 the year end (or drop them)."""
    drop = {(a.id, 2017, 4) for a in pipeline.areas_at("survey_district") if a.id != "s-valby"}
    cleaned = clean.year_end_stock(_gang_log(pipeline, drop))
    last = cleaned[cleaned["year"] == 2017].set_index("area_id")["quarter"]
    assert last["s-valby"] == 4 and (last.drop("s-valby") == 3).all() and len(last) == 13


def test_missing_register_count_makes_the_share_missing(pipeline):
    ind = pipeline.indicator("youth_charged")
    leaves = pipeline.areas_at("survey_district")
    counts = pd.DataFrame([dict(area_id=a.id, year=2017, area_name=a.name["da"], count=20) for a in leaves
                           if a.id != "s-valby"])
    pop = pd.DataFrame([dict(area_id=a.id, year=2017, area_name=a.name["da"], age_band="15-25", population=1000)
                        for a in leaves])
    out = indicators.compute_indicator(ind, pipeline, {"youth_charged": counts, "population": pop})
    out = out.set_index(["area_id", "period"])
    # the totals over Valby are missing and name it (as a count's are), so the page can say why
    valby_name = pipeline.area("s-valby").name["da"]
    assert np.isnan(out.loc[("kbh", 2017), "estimate"])
    assert out.loc[("kbh", 2017), "flags"] == f"incomplete:{valby_name}"
    assert np.isnan(out.loc[("valby", 2017), "estimate"])
    assert out.loc[("valby", 2017), "flags"] == f"incomplete:{valby_name}"
    from tryghed import i18n

    assert i18n.missing_value(out.loc[("kbh", 2017), "flags"], 2017, "da") == \
        f"mangler: ingen tal for {valby_name} i 2017"
    assert i18n.missing_value("missing", 2017, "en") == "missing in the data"
    # an English page names the area as the rest of it does
    assert i18n.missing_value("incomplete:Indre Nørrebro, Valby", 2017, "en", {"Indre Nørrebro": "Inner Nørrebro"}) \
        == "missing: no figure for Inner Nørrebro, Valby in 2017"
    # a district whose areas all reported: 20 / 1000 for Nørrebro's two survey districts = 2 %
    assert out.loc[("noerrebro", 2017), "estimate"] == pytest.approx(100 * 40 / 2000, rel=1e-12)


def test_every_kind_module_declares_its_options():
    assert set(kinds.REGISTRY) == {"survey_share", "person_share", "unit_share", "rate", "stock_count",
                                   "clustered_count", "published_share", "published_rate", "count", "police_rate",
                                   "quarterly_stock", "coverage", "ssp_count", "activity_goal", "context_value"}
    for name, kind in kinds.REGISTRY.items():
        assert kind.name == name
        assert kind.Options.model_config.get("extra") == "forbid"
        assert kind.note["da"] and kind.note["en"] and kind.note["da"] != kind.note["en"]
        # the change step calls every kind the same way (one alpha for the pipeline)
        assert {"units", "dispersion", "alpha"} <= set(inspect.signature(kind.compare).parameters), name
        assert "alpha" in inspect.signature(kind.trend).parameters, name


def test_reopening_plan_counts_danish_public_holidays():
    """Easter 2017: Skærtorsdag 13, Langfredag 14 and 2. påskedag 17 April are Danish public holidays."""
    from tryghed.kinds.unit_share import closures_by_episode

    df = pd.DataFrame({"start": pd.to_datetime(["2017-04-12", "2017-03-01"]),
                       "plan_date": pd.to_datetime(["2017-04-21", "2017-03-07"])})
    out = closures_by_episode(df, plan_within_working_days=3)
    # 12 April to 21 April: working days 12, 18, 19, 20 (13, 14 and 17 April are holidays) = 4 > 3 -> late;
    # numpy's own count without holidays would be 7. 1 March (Wed) to 7 March (Tue): 1, 2, 3, 6 = 4 -> late too.
    assert np.busday_count("2017-04-12", "2017-04-21") == 7
    assert out["plan_in_time"].tolist() == [False, False]
    out = closures_by_episode(df.assign(plan_date=pd.to_datetime(["2017-04-20", "2017-03-06"])),
                              plan_within_working_days=3)
    assert out["plan_in_time"].tolist() == [True, True]


def test_persons_counted_where_the_population_is_zero_is_an_input_error(pipeline):
    """72 charged out of a population of 0 cannot be: an error naming the population file, the area and the year,
    never a share quietly left out. 0 counted out of 0 is no error (an empty area has no share)."""
    from tryghed.errors import InputError

    ind = pipeline.indicator("youth_charged")
    leaves = pipeline.areas_at("survey_district")
    counts = pd.DataFrame([dict(area_id=a.id, year=2017, area_name=a.name["da"], count=72) for a in leaves])
    pop = pd.DataFrame([dict(area_id=a.id, year=2017, area_name=a.name["da"], age_band="15-25",
                             population=0 if a.id == "s-valby" else 1000) for a in leaves])
    with pytest.raises(InputError) as e:
        indicators.compute_indicator(ind, pipeline, {"youth_charged": counts, "population": pop})
    msg = str(e.value)
    assert pipeline.sources["population"].file in msg and "Valby, 2017" in msg and "72" in msg
    counts.loc[counts["area_id"] == "s-valby", "count"] = 0
    out = indicators.compute_indicator(ind, pipeline, {"youth_charged": counts, "population": pop})
    assert not ((out["area_id"] == "s-valby") & (out["period"] == 2017)).any()   # no share of nobody
