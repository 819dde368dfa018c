"""Partnership effects (METHODS.md §5) on panels written here, with planted effects.

Expected values come from the planted truth (each design's interval must cover it) and from statsmodels called
directly with the METHODS.md formulas (rel 1e-6), never from tryghed's own output.
"""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from tryghed import effects
from tryghed.errors import ConfigError

Z = 1.959963984540054
LEVEL, SLOPE = 0.80, math.exp(-0.004)      # planted ITS level change and slope change per month
DID = 0.85                                  # planted DiD rate ratio


def _months(n, first=2014):
    return [f"{first + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


@pytest.fixture(scope="module")
def its_panel():
    """96 months of one area, start 2018-01 (month 49): seasonality, a trend, gamma-Poisson noise (overdispersed)."""
    rng = np.random.default_rng(20170101)
    n, t0 = 96, 49
    time = np.arange(1, n + 1)
    month = (time - 1) % 12 + 1
    post = (time >= t0).astype(float)
    tsince = (time - t0) * post
    exposure = 60000 + 40 * time
    mu = exposure / 1000 * 8.0 * np.exp(-0.002 * time + 0.15 * np.sin(2 * np.pi * month / 12)
                                        + math.log(LEVEL) * post + math.log(SLOPE) * tsince)
    y = rng.poisson(mu * rng.gamma(40, 1 / 40, n))
    return pd.DataFrame({"area_id": "N", "period": _months(n), "count": y, "exposure": exposure.astype(float)})


def _direct_its(df, cov=None):
    """METHODS.md §5.1 by hand: smf.glm(y ~ time + post + tsince + C(month)), offset log(pop), quasi when φ > 1."""
    d = df.copy()
    d["time"] = np.arange(1, len(d) + 1)
    d["month"] = (d["time"] - 1) % 12 + 1
    d["post"] = (d["time"] >= 49).astype(float)
    d["tsince"] = (d["time"] - 49) * d["post"]
    model = smf.glm("count ~ time + post + tsince + C(month)", d, family=sm.families.Poisson(),
                    offset=np.log(d["exposure"]))
    res = model.fit()
    phi = res.pearson_chi2 / res.df_resid
    if cov == "HAC":
        return model.fit(cov_type="HAC", cov_kwds={"maxlags": 12}), phi, d
    return (model.fit(scale="X2") if phi > 1 else res), phi, d


def test_its_recovers_planted_level_and_slope_change(its_panel):
    r = effects.its(panel=its_panel, treated=["N"], start="2018-01", hac=False)
    assert r.withheld is None and not r.descriptive and (r.n_pre, r.n_post) == (48, 48)
    assert r.level_ci[0] < LEVEL < r.level_ci[1]
    assert r.slope_ci[0] < SLOPE < r.slope_ci[1]
    k = 47
    assert r.k == k and r.effect_ci[0] < LEVEL * SLOPE ** k < r.effect_ci[1]
    assert r.relative_change[1] < LEVEL * SLOPE ** k - 1 < r.relative_change[2]


def test_its_equals_direct_statsmodels_fit(its_panel):
    r = effects.its(panel=its_panel, treated=["N"], start="2018-01", k=12, hac=False)
    res, phi, d = _direct_its(its_panel)
    assert phi > 1 and r.scale == "quasi-poisson" and r.dispersion == pytest.approx(phi, rel=1e-6)
    b, se = res.params, res.bse
    assert r.level_change == pytest.approx(math.exp(b["post"]), rel=1e-6)
    assert r.level_ci[0] == pytest.approx(math.exp(b["post"] - Z * se["post"]), rel=1e-6)
    assert r.slope_change == pytest.approx(math.exp(b["tsince"]), rel=1e-6)
    assert r.slope_ci[1] == pytest.approx(math.exp(b["tsince"] + Z * se["tsince"]), rel=1e-6)
    # delta method by hand: var(β2 + kβ3) = V22 + k²V33 + 2kV23
    v = res.cov_params()
    lin = b["post"] + 12 * b["tsince"]
    s = math.sqrt(v.loc["post", "post"] + 144 * v.loc["tsince", "tsince"] + 24 * v.loc["post", "tsince"])
    assert r.effect == pytest.approx(math.exp(lin), rel=1e-6)
    assert r.effect_ci == pytest.approx((math.exp(lin - Z * s), math.exp(lin + Z * s)), rel=1e-6)
    # the counterfactual: the fitted model with post = tsince = 0, per 1000 exposure
    season = np.array([b.get(f"C(month)[T.{m}]", 0.0) for m in d["month"]])
    cf = np.exp(b["Intercept"] + b["time"] * d["time"] + season) * 1000
    assert r.series["counterfactual"].to_numpy() == pytest.approx(cf.to_numpy(), rel=1e-6)
    assert (r.series["cf_low"] < r.series["counterfactual"]).all()


def test_its_newey_west_equals_direct_hac_fit(its_panel):
    r = effects.its(panel=its_panel, treated=["N"], start="2018-01", hac=True)
    res, _, _ = _direct_its(its_panel, cov="HAC")
    assert r.cov_type == "HAC" and r.hac_maxlags == 12
    assert r.level_ci[1] == pytest.approx(math.exp(res.params["post"] + Z * res.bse["post"]), rel=1e-6)
    assert r.slope_ci[0] == pytest.approx(math.exp(res.params["tsince"] - Z * res.bse["tsince"]), rel=1e-6)


def test_its_diagnostics_equal_statsmodels(its_panel):
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.stats.stattools import durbin_watson

    r = effects.its(panel=its_panel, treated=["N"], start="2018-01")
    res, _, _ = _direct_its(its_panel)
    resid = np.asarray(res.resid_pearson)
    assert r.ljung_box_lag == 12
    assert r.ljung_box_p == pytest.approx(acorr_ljungbox(resid, lags=[12])["lb_pvalue"].iloc[0], rel=1e-6)
    assert r.durbin_watson == pytest.approx(durbin_watson(resid), rel=1e-6)
    assert r.autocorrelation == (r.ljung_box_p < 0.05 or r.durbin_watson < 1.5)


def test_newey_west_never_narrows_the_interval():
    """Independent Poisson months: where the checks flag autocorrelation by chance, Newey-West (12 lags on 96
    months) would give a narrower interval; the automatic choice keeps the model's."""
    rng = np.random.default_rng(1)
    flagged = 0
    for _ in range(15):
        q = pd.DataFrame({"area_id": "a", "period": _months(96), "count": rng.poisson(300, 96), "exposure": 5e4})
        auto = effects.its(panel=q, treated=["a"], start="2018-01")
        model = effects.its(panel=q, treated=["a"], start="2018-01", hac=False)
        forced = effects.its(panel=q, treated=["a"], start="2018-01", hac=True)
        width = {n: r.effect_ci[1] / r.effect_ci[0] for n, r in (("auto", auto), ("model", model), ("nw", forced))}
        assert width["auto"] == pytest.approx(max(width["model"], width["nw"]) if auto.autocorrelation
                                              else width["model"], rel=1e-9)
        flagged += auto.autocorrelation
    assert flagged >= 1


def test_its_fourier_seasonality_is_an_option(its_panel):
    r = effects.its(panel=its_panel, treated=["N"], start="2018-01", seasonality="fourier", hac=False)
    assert "sin1" in r.formula and "C(month)" not in r.formula
    assert r.level_ci[0] < LEVEL < r.level_ci[1]


@pytest.fixture(scope="module")
def did_panel():
    """10 areas × 48 months, area A0 treated from 2016-01 (month 25) with rate ratio 0.85; common shocks."""
    rng = np.random.default_rng(7)
    periods = _months(48)
    shock = rng.normal(0, 0.05, 48)
    rows = []
    for a in range(10):
        level = 5 + a
        for i, p in enumerate(periods):
            mu = 40 * level * math.exp(shock[i] + (math.log(DID) if a == 0 and i >= 24 else 0))
            rows.append({"area_id": f"A{a}", "period": p, "count": rng.poisson(mu), "exposure": 40000.0 + 500 * a})
    return pd.DataFrame(rows)


def test_did_recovers_planted_effect_and_equals_direct_fit(did_panel):
    r = effects.did(panel=did_panel, treated=["A0"], start="2016-01")
    assert r.ci_low < DID < r.ci_high
    d = did_panel.assign(treated=(did_panel["area_id"] == "A0").astype(float),
                         post=(did_panel["period"] >= "2016-01").astype(float))
    model = smf.glm("count ~ treated:post + C(area_id) + C(period)", d, family=sm.families.Poisson(),
                    offset=np.log(d["exposure"]))
    res = model.fit()
    phi = res.pearson_chi2 / res.df_resid
    res = model.fit(scale="X2") if phi > 1 else res
    b, se = res.params["treated:post"], res.bse["treated:post"]
    assert r.estimate == pytest.approx(math.exp(b), rel=1e-6)
    assert (r.ci_low, r.ci_high) == pytest.approx((math.exp(b - Z * se), math.exp(b + Z * se)), rel=1e-6)
    assert r.dispersion == pytest.approx(phi, rel=1e-6)


def test_event_study_leads_and_joint_pre_trend_test(did_panel):
    annual = did_panel.assign(period=did_panel["period"].str[:4].astype(int)).groupby(
        ["area_id", "period"], as_index=False)[["count", "exposure"]].sum()
    r = effects.event_study(panel=annual, treated=["A0"], start=2016)
    assert list(r.table["rel_time"]) == [-2, -1, 0, 1]
    d = annual.assign(tr=(annual["area_id"] == "A0").astype(float))
    for y in (2014, 2016, 2017):
        d[f"y{y}"] = d["tr"] * (d["period"] == y)
    res = smf.glm("count ~ y2014 + y2016 + y2017 + C(area_id) + C(period)", d, family=sm.families.Poisson(),
                  offset=np.log(d["exposure"])).fit()
    if res.pearson_chi2 / res.df_resid > 1:
        res = smf.glm("count ~ y2014 + y2016 + y2017 + C(area_id) + C(period)", d, family=sm.families.Poisson(),
                      offset=np.log(d["exposure"])).fit(scale="X2")
    row = r.table.set_index("rel_time")
    assert row.loc[0, "estimate"] == pytest.approx(math.exp(res.params["y2016"]), rel=1e-6)
    assert row.loc[0, "ci_low"] < DID < row.loc[0, "ci_high"]
    # one lead: the Wald chi² is (b/se)² with 1 df
    from scipy.stats import chi2
    stat = (res.params["y2014"] / res.bse["y2014"]) ** 2
    assert r.pre_trend_df == 1 and r.pre_trend_stat == pytest.approx(stat, rel=1e-6)
    assert r.pre_trend_p == pytest.approx(chi2.sf(stat, 1), rel=1e-6)


def _panel_10x10(effect=0.7, seed=3):
    """10 areas × 10 years; area A0 treated from 2015 with a rate ratio far from every placebo's."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(10):
        for y in range(2010, 2020):
            mu = 800 * (1 + 0.1 * a) * math.exp(-0.02 * (y - 2010)) * (effect if a == 0 and y >= 2015 else 1)
            rows.append({"area_id": f"A{a}", "period": y, "count": rng.poisson(mu), "exposure": 50000.0})
    return pd.DataFrame(rows)


def test_placebo_in_space_gives_one_in_ten_when_the_treated_effect_is_largest():
    r = effects.placebo_in_space(panel=_panel_10x10(), treated=["A0"], start=2015)
    assert r.n_placebo == 10 and r.smallest_p == pytest.approx(0.1) and r.p == pytest.approx(1 / 10)
    assert "never reach p < 0.05" in r.smallest_p_text.replace("\u00a0", " ")


def test_placebo_p_is_the_hand_counted_rank_of_direct_fits():
    panel = _panel_10x10(effect=1.0, seed=11)       # no effect: the treated ranks somewhere in the middle
    r = effects.placebo_in_space(panel=panel, treated=["A0"], start=2015)
    deltas = {}
    for a in [f"A{i}" for i in range(10)]:
        d = panel if a == "A0" else panel[panel["area_id"] != "A0"]
        d = d.assign(D=((d["area_id"] == a) & (d["period"] >= 2015)).astype(float))
        deltas[a] = smf.glm("count ~ D + C(area_id) + C(period)", d, family=sm.families.Poisson(),
                            offset=np.log(d["exposure"])).fit().params["D"]
    assert r.table.set_index("area_id")["log_estimate"].to_dict() == pytest.approx(deltas, rel=1e-6)
    hand = sum(abs(v) >= abs(deltas["A0"]) for v in deltas.values()) / 10
    assert r.p == pytest.approx(hand) and 0.1 < r.p


def test_placebo_in_time_uses_fake_starts_before_the_real_one():
    r = effects.placebo_in_time(panel=_panel_10x10(), treated=["A0"], start=2015)
    assert list(r.table["fake_start"]) == ["2012", "2013", "2014"]
    assert r.n_fake == 3 and r.p_rank == pytest.approx(1 / 4)   # the real effect is larger than every fake one
    assert (r.table["ci_low"] < 1).all() and (r.table["ci_high"] > 1).all()


def _synth_panel(treated_rate):
    """Rates per 1000 of 6 donors (distinct trends, fixed wiggles) and a treated area given by ``treated_rate``."""
    years = range(2008, 2020)
    rates = {f"D{j}": [20 + 3 * j + (0.8 - 0.3 * j) * (y - 2008) + 0.3 * math.sin(j * y) for y in years]
             for j in range(6)}
    rates["T"] = [treated_rate(rates, i, y) for i, y in enumerate(years)]
    return pd.DataFrame([{"area_id": a, "period": y, "count": r * 100.0, "exposure": 100000.0}
                         for a, rs in rates.items() for y, r in zip(years, rs)])


def test_synthetic_control_recovers_weights_and_effect():
    panel = _synth_panel(lambda r, i, y: (0.5 * r["D1"][i] + 0.5 * r["D4"][i]) * (0.8 if y >= 2016 else 1))
    r = effects.synthetic_control(panel=panel, treated=["T"], start=2016)
    assert r.withheld is None
    assert r.weights["D1"] == pytest.approx(0.5, abs=0.05) and r.weights["D4"] == pytest.approx(0.5, abs=0.05)
    assert r.estimate == pytest.approx(0.8, abs=0.02)
    assert r.n_placebo == 7 and r.p == pytest.approx(1 / 7)
    gap = r.series["rate"] - r.series["synthetic"]
    pre = r.series["post"] == 0
    assert r.pre_rmspe == pytest.approx(float(np.sqrt((gap[pre] ** 2).mean())), rel=1e-9)


def test_synthetic_control_withheld_when_pre_fit_is_poor():
    panel = _synth_panel(lambda r, i, y: 60 + 2 * math.cos(y))       # far outside the donors' range
    r = effects.synthetic_control(panel=panel, treated=["T"], start=2016)
    assert r.withheld and "median placebo" in r.withheld


# ------------------------------------------------------------------------------------------- evaluation and rows

def test_evaluate_rows_have_the_columns_and_the_did_row_carries_the_placebo_p():
    rows = effects.evaluate({"indicator": "crime", "treated": ["Nørrebro"], "start": 2015},
                            _panel_10x10().assign(indicator_id="crime"), {"A0": {"da": "Nørrebro", "en": "Norrebro"}})
    table = effects.effects_table(rows)
    assert list(table.columns) == list(effects.COLUMNS)
    assert list(table["design"]) == ["its", "did", "event_study", "placebo", "synthetic"]
    did = table.set_index("design").loc["did"]
    assert did["area_id"] == "A0" and did["p_placebo"] == pytest.approx(0.1) and did["n_placebo"] == 10
    assert "parallel trends" in did["notes"] and "spill-over" in did["notes"]
    its = table.set_index("design").loc["its"]
    assert its["notes"].startswith("descriptive") and np.isfinite(its["level_change"])   # 5 annual pre-periods


def test_too_few_periods_withholds_the_design_with_the_reason():
    panel = _panel_10x10()
    panel = panel[panel["period"] >= 2013]                     # 2 years before the start
    rows = effects.evaluate({"indicator": "x", "treated": ["A0"], "start": 2015, "designs": ["its"]}, panel)
    assert len(rows) == 1 and math.isnan(rows[0]["estimate"]) and rows[0]["notes"].startswith("withheld: too few")


@pytest.mark.parametrize(("entry", "key"), [
    ({"indicator": "x", "treated": ["Vesterbro"], "start": 2015}, "effects[0].treated"),
    ({"indicator": "x", "treated": ["A0"], "start": 2010}, "effects[0].start"),
    ({"indicator": "x", "treated": ["A0"], "start": 2031}, "effects[0].start"),
    ({"indicator": "x", "treated": ["A0"], "start": "2015-03"}, "effects[0].start"),
    ({"indicator": "x", "treated": ["A0"], "start": 2015, "comparison": ["A0", "A1"]}, "effects[0].comparison"),
    ({"indicator": "x", "treated": ["A0"], "start": 2015, "comparison": ["A1", "Vesterbro"]},
     "effects[0].comparison"),
    ({"indicator": "x", "treated": ["A0"], "start": 2015, "design": ["its"]}, "effects[0].design"),
    ({"indicator": "x", "treated": ["A0"], "start": 2015, "designs": ["rdd"]}, "effects[0].designs"),
    ({"indicator": "x", "treated": [], "start": 2015}, "effects[0].treated"),
    ({"indicator": "x", "treated": ["A0"], "start": "spring"}, "effects[0].start"),
])
def test_bad_evaluations_name_the_key(entry, key):
    panel = _panel_10x10()
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        effects.evaluate(entry, panel, where="effects[0]")


def test_parse_evaluations_accepts_a_yaml_block():
    evs = effects.parse_evaluations([{"indicator": "crime", "treated": "norrebro", "start": "2017-01",
                                      "designs": ["its", "did"]}])
    assert evs[0].treated == ("norrebro",) and evs[0].start == "2017-01" and evs[0].comparison is None
    assert effects.parse_evaluations([{"indicator": "c", "treated": ["a"], "start": "2017"}])[0].start == 2017
    import yaml
    block = yaml.safe_load("- {indicator: c, treated: a, start: 2017-01-01}\n"
                           "- {indicator: c, treated: a, start: 2017K1}")
    assert [e.start for e in effects.parse_evaluations(block)] == ["2017-01", "2017K1"]


def test_effects_csv_uses_the_danish_convention(tmp_path):
    table = effects.effects_table([{"design": "did", "indicator_id": "x", "area_id": "A0", "start": "2015",
                                    "estimate": 0.123456789012345, "notes": "a; b"}])
    effects.write_effects_csv(table, tmp_path / "da.csv", lang="da")
    back = pd.read_csv(tmp_path / "da.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert back.loc[0, "estimate"] == 0.123456789012345 and back.loc[0, "notes"] == "a; b"
    effects.write_effects_csv(table, tmp_path / "en.csv", lang="en")
    assert pd.read_csv(tmp_path / "en.csv", encoding="utf-8-sig").loc[0, "estimate"] == 0.123456789012345


def test_effect_figures_draw_the_results(its_panel):
    import matplotlib.pyplot as plt

    from tryghed import figures

    r = effects.its(panel=its_panel, treated=["N"], start="2018-01", hac=False)
    fig, ax = plt.subplots()
    assert figures.counterfactual_chart(r.series, ax, title="t", ylabel="per 1000") is fig
    band = [c for c in ax.collections if c.get_label() == "95% CI"][0]
    assert band.get_paths()[0].vertices[:, 1].max() == pytest.approx(r.series["cf_high"][r.series["post"] == 1].max())
    plt.close(fig)
    pl = effects.placebo_in_space(panel=_panel_10x10(), treated=["A0"], start=2015)
    fig, ax = plt.subplots()
    figures.placebo_chart(pl.table, ax, title="t", names={"A0": "Nørrebro"})
    marked = [c for c in ax.collections if c.get_label() == "treated"][0]
    assert marked.get_offsets()[0][0] == pytest.approx(math.exp(pl.treated_log_estimate))
    assert "Nørrebro" in [t.get_text() for t in ax.get_yticklabels()]
    plt.close(fig)
    es = effects.event_study(panel=_panel_10x10(), treated=["A0"], start=2015)
    fig, ax = plt.subplots()
    figures.event_study_chart(es.table, ax, title="t")
    assert len(ax.containers) == 2       # leads and lags, each with its error bars
    plt.close(fig)


def test_monthly_periods_may_be_pandas_periods_and_a_year_start_means_january(did_panel):
    as_periods = did_panel.assign(period=pd.PeriodIndex(did_panel["period"], freq="M"))
    a = effects.did(panel=as_periods, treated=["A0"], start=2016)
    b = effects.did(panel=did_panel, treated=["A0"], start="2016-01")
    assert a.start == "2016-01" and a.estimate == pytest.approx(b.estimate, rel=1e-12)


def test_quarterly_its_uses_quarter_effects_and_statbank_labels():
    rng = np.random.default_rng(5)
    n = 40                                                  # 2010Q1-2019Q4, start 2015K1 (quarter 21)
    time = np.arange(1, n + 1)
    quarter = (time - 1) % 4 + 1
    post = (time >= 21).astype(float)
    y = rng.poisson(3000 * np.exp(0.1 * (quarter == 3) - 0.3 * post))
    panel = pd.DataFrame({"area_id": "K", "period": [f"{2010 + i // 4}K{i % 4 + 1}" for i in range(n)],
                          "count": y, "exposure": 500000.0})
    r = effects.its(panel=panel, treated=["K"], start="2015K1", hac=False)
    d = pd.DataFrame({"count": y, "exposure": 500000.0, "time": time, "quarter": quarter, "post": post,
                      "tsince": (time - 21) * post})
    model = smf.glm("count ~ time + post + tsince + C(quarter)", d, family=sm.families.Poisson(),
                    offset=np.log(d["exposure"]))
    res = model.fit()
    if res.pearson_chi2 / res.df_resid > 1:
        res = model.fit(scale="X2")
    assert r.start == "2015Q1" and r.freq == "quarter" and "C(quarter)" in r.formula
    assert r.level_change == pytest.approx(math.exp(res.params["post"]), rel=1e-6)
    assert r.level_ci[1] == pytest.approx(math.exp(res.params["post"] + Z * res.bse["post"]), rel=1e-6)
    assert r.level_ci[0] < math.exp(-0.3) < r.level_ci[1]


def test_facts_give_the_effect_its_interval_and_the_checks():
    res = effects.evaluate_results({"indicator": "x", "treated": ["A0"], "start": 2015}, _panel_10x10())
    f = res.facts()
    assert f["did"]["ci"] == [res.did.ci_low, res.did.ci_high]
    assert f["placebo"] == {**f["placebo"], "p": pytest.approx(0.1), "can_reach_05": False, "most_extreme": True}
    checks = {(a["assumption"], a["check"]) for a in f["assumptions"]}
    assert ("parallel trends", "pre-trend test") in checks and ("no spill-over", None) in checks
    assert f["its"]["descriptive"] is True


def test_monthly_event_study_steps_in_years_from_the_start(did_panel):
    r = effects.event_study(panel=did_panel, treated=["A0"], start="2016-01")
    assert r.unit == "year" and list(r.table["rel_time"]) == [-2, -1, 0, 1]
    d = did_panel.assign(tr=(did_panel["area_id"] == "A0").astype(float), yr=did_panel["period"].str[:4].astype(int))
    for y in (2014, 2016, 2017):
        d[f"y{y}"] = d["tr"] * (d["yr"] == y)
    model = smf.glm("count ~ y2014 + y2016 + y2017 + C(area_id) + C(period)", d, family=sm.families.Poisson(),
                    offset=np.log(d["exposure"]))
    res = model.fit()
    res = model.fit(scale="X2") if res.pearson_chi2 / res.df_resid > 1 else res
    assert r.table.set_index("rel_time").loc[1, "estimate"] == pytest.approx(math.exp(res.params["y2017"]), rel=1e-6)
    by_month = effects.event_study(panel=did_panel, treated=["A0"], start="2016-01", steps="period")
    assert by_month.unit == "month" and by_month.pre_trend_df == 23
