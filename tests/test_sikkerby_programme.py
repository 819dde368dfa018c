"""Sikker By completion (issue 10): programme figures as checks, relative targets on the programme's baselines, a
biennial series compared with its previous survey, survey districts against the rest of the city, and the reopening
rule as a yearly compliance rule. Small tables written here; expected values by hand or from scipy/statsmodels."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tryghed import config, programme
from tryghed.kinds.survey_share import rest_share, share_against_rest
from tryghed.sources.closures import read_closure_log


@pytest.fixture(scope="module")
def pipeline():
    return config.load_pipeline("sikker-by")


def _row(estimate, lo=math.nan, hi=math.nan, suppressed=False):
    return pd.Series(dict(estimate=estimate, ci_low=lo, ci_high=hi, suppressed=suppressed))


# -- programme checks -------------------------------------------------------------------------------------------------

def test_an_interval_that_excludes_17_5_is_flagged(pipeline):
    ind = pipeline.indicator("unsafe_night")
    c = programme.check_baseline(ind=ind, row=_row(15.2, 14.1, 16.4), area_id="kbh")
    assert c.rule == "interval" and not c.agrees
    en = programme.check_text(c, ind, "en")
    da = programme.check_text(c, ind, "da")
    assert "the programme's baseline 17.5% (2013) lies outside the data's 95% confidence interval" in en
    assert "programmets udgangspunkt 17,5\u00a0% (2013) ligger uden for dataenes 95 %-konfidensinterval" in da


def test_an_interval_that_holds_17_5_or_touches_its_rounding_agrees(pipeline):
    ind = pipeline.indicator("unsafe_night")
    assert programme.check_baseline(ind=ind, row=_row(16.9, 15.6, 18.2), area_id="kbh").agrees
    # 17.5 as published stands for 17.45-17.55: an interval ending at 17.46 still overlaps it
    assert programme.check_baseline(ind=ind, row=_row(16.2, 14.9, 17.46), area_id="kbh").agrees
    assert not programme.check_baseline(ind=ind, row=_row(16.2, 14.9, 17.44), area_id="kbh").agrees


def test_counts_must_equal_the_programme(pipeline):
    days = pipeline.indicator("closure_days")
    assert programme.check_baseline(ind=days, row=_row(283.0), area_id="kbh").agrees
    assert not programme.check_baseline(ind=days, row=_row(284.0), area_id="kbh").agrees
    missing = programme.check_baseline(ind=days, row=None, area_id="kbh")
    assert not missing.checked and missing.agrees
    assert programme.check_baseline(ind=pipeline.indicator("gang_members"), row=_row(1.0), area_id="kbh") is None


def test_relative_targets_use_the_programmes_baselines(pipeline):
    # -33 % of 283 days and of 9 institutions, with the data's own value beside it
    t = programme.relative_target(ind=pipeline.indicator("closure_days"), change=-0.33, data_base_value=270.0)
    assert t.target_value == pytest.approx(283 * 0.67) and t.base_value == 283 and t.base_from == "programme"
    assert t.data_base_value == 270 and t.data_target_value == pytest.approx(270 * 0.67)
    t = programme.relative_target(ind=pipeline.indicator("closed_institutions"), change=-0.33, data_base_value=9.0)
    assert t.target_value == pytest.approx(6.03) and t.data_target_value == pytest.approx(6.03)
    t = programme.relative_target(ind=pipeline.indicator("gang_members"), change=-0.5, data_base_value=300.0)
    assert t.base_from == "data" and t.target_value == 150


# -- a biennial series ------------------------------------------------------------------------------------------------

def _indicator(**extra):
    return config.Indicator.model_validate(dict(id="x", kind="survey_share", source="survey", item="q",
                                                positive_codes=[1], unit="percent", direction="decrease",
                                                name="x", **extra))


def test_a_biennial_series_is_compared_with_its_previous_survey():
    periods = [2011, 2013, 2015, 2017]          # a survey every second year, inferred from the data
    ind = _indicator()
    assert ind.previous_period(2015, periods) == 2013
    assert ind.comparison_name(2015, 2013) == "previous_survey"
    assert ind.previous_period(2011, periods) is None
    annual = list(range(2010, 2018))
    assert ind.previous_period(2015, annual) == 2014
    assert ind.comparison_name(2015, 2014) == "previous_year"


def test_every_declared_in_the_yaml():
    ind = _indicator(every=2)
    # a series that turned biennial: 2010-2014 yearly, then 2016
    assert ind.previous_period(2016, [2010, 2011, 2012, 2013, 2014, 2016]) == 2014
    assert _indicator().previous_period(2016, [2010, 2011, 2012, 2013, 2014, 2016]) is None
    # a gap longer than the declared interval is not bridged
    assert ind.previous_period(2017, [2010, 2014, 2017]) is None
    with pytest.raises(Exception, match="every"):
        _indicator(every=0)


# -- survey districts against the rest of the city -------------------------------------------------------------------

def _microdata(seed=7):
    """Three districts of weighted respondents (0/1 answers)."""
    rng = np.random.default_rng(seed)
    frames = []
    for d, (n, p) in {"a": (400, 0.25), "b": (300, 0.12), "c": (500, 0.10)}.items():
        frames.append(pd.DataFrame({"area": d, "y": (rng.random(n) < p).astype(float),
                                    "w": np.exp(rng.normal(0, 0.4, n))}))
    return pd.concat(frames, ignore_index=True)


def _cells(df):
    out = {}
    for d, g in df.groupby("area"):
        w, y = g["w"].to_numpy(), g["y"].to_numpy()
        out[d] = dict(numerator=float((w * y).sum()), denominator=float(w.sum()),
                      estimate=100 * float((w * y).sum() / w.sum()), n_effective=float(w.sum() ** 2 / (w**2).sum()),
                      suppressed=False)
    return out


def test_rest_share_is_the_pooled_hajek_share():
    df = _microdata()
    cells = _cells(df)
    rest = df[df["area"] != "a"]
    p, neff = rest_share(numerators=[cells[d]["numerator"] for d in "bc"],
                         denominators=[cells[d]["denominator"] for d in "bc"],
                         n_effective=[cells[d]["n_effective"] for d in "bc"])
    assert p == pytest.approx((rest["w"] * rest["y"]).sum() / rest["w"].sum(), rel=1e-12)
    # stratified variance by hand: sum (W_h/W)^2 p_h(1-p_h)/neff_h
    W = cells["b"]["denominator"] + cells["c"]["denominator"]
    var = sum((cells[d]["denominator"] / W) ** 2 * (cells[d]["estimate"] / 100) * (1 - cells[d]["estimate"] / 100)
              / cells[d]["n_effective"] for d in "bc")
    assert neff == pytest.approx(p * (1 - p) / var, rel=1e-12)


class _Areas:
    def __init__(self, ids):
        self.ids = ids
        self.id = "test"

    def areas_at(self, level):
        return self.ids

    def area(self, a):
        return type("A", (), {"name": {"da": a}})()


def test_each_district_against_the_rest_by_the_z_test():
    df = _microdata()
    cells = _cells(df)
    sub = pd.DataFrame([{"area_id": d, "indicator_id": "x", "level": "survey_district", "period": 2015, **c}
                        for d, c in cells.items()])
    rows = {r["area_id"]: r for r in share_against_rest(sub, pipeline=_Areas(list("abc")), indicator_id="x",
                                                         level="survey_district", year=2015)}
    assert set(rows) == set("abc") and all(r["comparison"] == "rest_of_level" for r in rows.values())
    # district a against b and c together, by hand: unpooled z on effective n
    p2, n2 = cells["a"]["estimate"] / 100, cells["a"]["n_effective"]
    p1, n1 = rest_share(numerators=[cells[d]["numerator"] for d in "bc"],
                        denominators=[cells[d]["denominator"] for d in "bc"],
                        n_effective=[cells[d]["n_effective"] for d in "bc"])
    z = (p2 - p1) / math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    a = rows["a"]
    assert a["change"] == pytest.approx(100 * (p2 - p1), rel=1e-12)
    assert a["statistic"] == pytest.approx(z, rel=1e-9)
    assert a["pvalue"] == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-9)
    assert a["ref_estimate"] == pytest.approx(100 * p1, rel=1e-12) and a["_tested"]
    assert a["pvalue"] < 0.001                         # 25 % against about 11 %


def test_an_incomplete_level_is_not_tested():
    cells = _cells(_microdata())
    sub = pd.DataFrame([{"area_id": d, "indicator_id": "x", "level": "survey_district", "period": 2015, **c}
                        for d, c in cells.items() if d != "c"])
    rows = share_against_rest(sub, pipeline=_Areas(list("abc")), indicator_id="x", level="survey_district",
                              year=2015)
    assert [r["flags"] for r in rows] == ["incomplete_rest", "incomplete_rest"]


def test_the_yaml_declares_the_neighbourhood_items(pipeline):
    un = pipeline.indicator("unsafe_neighbourhood")
    safe = pipeline.indicator("safe_neighbourhood")
    assert un.spec.item == safe.spec.item == "tryg_nabolag"
    assert tuple(un.spec.positive_codes) == (4, 5) and tuple(safe.spec.positive_codes) == (1, 2)
    assert pipeline.break_years("unsafe_neighbourhood") == [2017]


# -- the reopening rule -----------------------------------------------------------------------------------------------

def test_reopening_rule_is_a_yearly_compliance_rule(pipeline):
    (t,) = pipeline.indicator("closure_reopening_plan").targets
    assert t.type == "compliance" and t.value == 100 and t.year is None


def test_a_closure_before_easter_read_from_the_log(tmp_path):
    """Closed Wednesday 12 April 2017; plan Tuesday 18 April. Skærtorsdag 13, Langfredag 14 and 2. påskedag 17 April
    are Danish public holidays: one working day (12 April) before the plan, in time; without the holidays 4 (late)."""
    from tryghed.kinds.unit_share import closures_by_episode

    p = tmp_path / "log.csv"
    p.write_text("Institution;Bydel;Lukket fra;Lukket til;Årsag;Genåbningsplan modtaget\n"
                 "Klubben;Nørrebro;12-04-2017;19-04-2017;Uro;18-04-2017\n"
                 "Børnehaven;Valby;2017-03-01;2017-03-02;Uro;2017-03-07\n", encoding="utf-8")
    log = read_closure_log(p)
    assert log["plan_date"].dt.date.tolist() == [dt.date(2017, 4, 18), dt.date(2017, 3, 7)]
    assert np.busday_count("2017-04-12", "2017-04-18") == 4
    out = closures_by_episode(log, plan_within_working_days=3)
    # 1 March (Wed) to 7 March (Tue): 1, 2, 3, 6 March = 4 working days: late
    assert out["plan_in_time"].tolist() == [True, False]
