"""Change, trend and target tables on small hand-built indicator tables: breaks, gaps, a single area."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from tryghed import changes, config, i18n, indicators


@pytest.fixture(scope="module")
def pipeline():
    return config.load_pipeline("sikker-by")


def _share_rows(values: dict[int, float], n_eff: float = 2400.0, area="kbh", level="city"):
    rows = []
    for year, pct in values.items():
        rows.append(dict(pipeline="sikker-by", indicator_id="unsafe_night", area_id=area, level=level, period=year,
                         numerator=np.nan, denominator=np.nan, estimate=pct, ci_low=np.nan, ci_high=np.nan,
                         n_unweighted=3600, n_effective=n_eff, unit="percent", source="survey", suppressed=False,
                         flags="", method="test"))
    return pd.DataFrame(rows, columns=indicators.COLUMNS)


# METHODS.md §3.2 worked example: 2013-2016 = 17.5, 16.8, 15.9, 15.2 (the sikker-by target is 13 % in 2017)
SERIES = {2013: 17.5, 2014: 16.8, 2015: 15.9, 2016: 15.2}


def test_year_on_year_change_matches_the_unpooled_formula(pipeline):
    ch = changes.change_table(pipeline, _share_rows(SERIES), 2016)
    row = ch[(ch["comparison"] == "previous_year")].iloc[0]
    se = math.sqrt(0.159 * 0.841 / 2400 + 0.152 * 0.848 / 2400)
    assert row["change"] == pytest.approx(-0.7, rel=1e-9)
    assert row["pvalue"] == pytest.approx(2 * sps.norm.sf(0.007 / se), rel=1e-9)
    assert row["significant_from"] == pytest.approx(100 * 1.959964 * math.sqrt(2 * 0.1555 * 0.8445 / 2400), rel=1e-6)
    # the city's headline measures are pooled under Holm by the YAML's explicit choice; alone in it here, q = p
    assert row["family"] == "headline:previous_year" and row["qvalue"] == pytest.approx(row["pvalue"])
    assert row["p_exact"] == row["pvalue"] and row["verdict"] == "no_significant_change"


def test_a_missing_year_gives_no_previous_year_comparison_and_a_trend_over_the_gap(pipeline):
    gap = {y: v for y, v in SERIES.items() if y != 2015}
    ch = changes.change_table(pipeline, _share_rows(gap), 2016)
    assert list(ch["comparison"]) == ["baseline"]
    tr = changes.trend_table(pipeline, _share_rows(gap), 2016).iloc[0]
    assert tr["n_points"] == 3 and (tr["first_period"], tr["last_period"]) == (2013, 2016)
    # statsmodels' WLS with fixed scale on the three years is the independent route
    t = np.array([2013.0, 2014.0, 2016.0])
    p = np.array([0.175, 0.168, 0.152])
    fit = sm.WLS(p, sm.add_constant(t - 2013), weights=2400 / (p * (1 - p))).fit(cov_type="fixed scale",
                                                                                  cov_kwds={"scale": 1.0})
    assert tr["slope"] == pytest.approx(100 * fit.params[1], rel=1e-9)
    assert tr["ci_low"] == pytest.approx(100 * fit.conf_int()[1][0], rel=1e-6)
    assert tr["marker"] == "too_few_points"


def test_projection_and_target_status_for_the_worked_example(pipeline):
    tg = changes.target_table(pipeline, _share_rows(SERIES), 2016)
    level = tg[tg["target_type"] == "level"].iloc[0]
    # METHODS §3.2's prediction interval (13.9697, 14.8303) widened by the 2016 estimate's own sampling variance:
    # ŷ ± t_2 · sqrt(s²(1 + 1/n + (x0 − x̄)²/Sxx) + se_2016²), with se from 15.2 % on n_eff 2400 (closed form here)
    t = np.array([0.0, 1.0, 2.0, 3.0])
    y = np.array(list(SERIES.values()))
    slope, icpt = np.polyfit(t, y, 1)
    s2 = np.sum((y - (icpt + slope * t)) ** 2) / 2
    sxx = np.sum((t - t.mean()) ** 2)
    se16 = 100 * math.sqrt(0.152 * 0.848 / 2400)
    half = sps.t.ppf(0.975, 2) * math.sqrt(s2 * (1 + 1 / 4 + (4 - t.mean()) ** 2 / sxx) + se16**2)
    assert (level["pi_low"], level["pi_high"]) == pytest.approx((icpt + 4 * slope - half, icpt + 4 * slope + half),
                                                                 rel=1e-9)
    assert level["pi_low"] < 13.9697 and level["pi_high"] > 14.8303
    # with its sampling error the interval now holds the 13 % target: the projection cannot tell (METHODS §3.2 table)
    assert level["pi_low"] < 13.0 < level["pi_high"] and level["projection_status"] == "uncertain"
    assert level["required_per_year"] == pytest.approx(-2.2)
    # linear rule: Δ_obs = (15.2 - 17.5)/3, Δ_req = (13 - 17.5)/4 -> R = 0.6815 -> acceleration needed
    assert ((15.2 - 17.5) / 3) / ((13 - 17.5) / 4) == pytest.approx(0.681481, abs=1e-6)
    assert level["status"] == level["status_linear"] == "acceleration_needed"


def test_no_test_across_the_break_and_no_trend_in_a_one_year_segment(pipeline):
    table = _share_rows({**SERIES, 2017: 22.0})
    ch = changes.change_table(pipeline, table, 2017)
    prev = ch[ch["comparison"] == "previous_year"].iloc[0]
    assert prev["flags"] == "series_break" and np.isnan(prev["pvalue"]) and not prev["significant"]
    assert prev["change"] == pytest.approx(6.8)
    tr = changes.trend_table(pipeline, table, 2017).iloc[0]
    assert tr["flags"] == "too_few_periods" and tr["first_period"] == 2017
    text = i18n.limits_statement("survey_share", prev.to_dict(), tr.to_dict(), -1.0, "en")
    assert "series break" in text and "not detectable" in text and "too few comparable years" in text


def test_small_survey_cell_is_not_estimated(pipeline):
    table = _share_rows(SERIES, n_eff=30)
    table.loc[table["period"] == 2016, ["suppressed", "flags"]] = [True, "too_few_answers"]
    ch = changes.change_table(pipeline, table, 2016)
    assert set(ch["flags"]) == {"too_few_answers"} and ch["pvalue"].isna().all()
    assert i18n.change_statement(ch.iloc[0].to_dict(), "percent", "da") == "for få besvarelser til at opgøre"


def test_single_district_and_effective_n_below_100(pipeline):
    # one district only, n_eff 80 each year: the Newcombe/score route, and the district family is BH
    table = _share_rows({2015: 20.0, 2016: 30.0}, n_eff=80, area="s-indre-noerrebro", level="survey_district")
    ch = changes.change_table(pipeline, table, 2016)
    row = ch[ch["comparison"] == "previous_year"].iloc[0]
    assert row["method"].startswith("score test, Newcombe")
    from statsmodels.stats.proportion import test_proportions_2indep
    assert row["pvalue"] == pytest.approx(test_proportions_2indep(24, 80, 16, 80, method="score").pvalue, rel=1e-9)
    # a family is one indicator x one level x one comparison; the declared district family gives its method (BH)
    assert row["family"] == "unsafe_night:survey_district:previous_year"


def test_the_annual_target_is_judged_by_the_size_of_the_fall(pipeline):
    tg = changes.target_table(pipeline, _share_rows({2014: 16.8, 2015: 15.9, 2016: 15.2, 2013: 17.5}), 2016)
    annual = tg[tg["target_type"] == "annual_change"].iloc[0]
    # 15.2 - 15.9 = -0.7: not a fall of at least 1 point
    assert annual["status"] == "not_met_this_year"


def test_limits_of_an_overdispersed_rate_say_the_tests_are_adjusted():
    text = i18n.limits_statement("rate", {"flags": ""}, {"dispersion": 4.62, "flags": ""}, None, "en")
    assert "reporting behaviour" in text and "(φ = 4.6)" in text and "quasi-Poisson" in text
    calm = i18n.limits_statement("rate", {"flags": ""}, {"dispersion": 0.8, "flags": ""}, None, "da")
    assert "φ" not in calm


def test_method_notes_follow_the_pipeline_families_and_targets(pipeline):
    from tryghed import report

    empty = pd.DataFrame(columns=["indicator_id", "pvalue", "method"])
    notes = report.method_notes(pipeline, empty, "en")
    fam = [n for n in notes if n.startswith("Multiple testing")]
    assert fam == ["Multiple testing: the families are declared in the pipeline YAML before the analysis – "
                   "'headline' (city): Holm; 'district_screening' (district, survey district): Benjamini–Hochberg "
                   "(FDR 5 %). Both the raw p and the adjusted q are published (METHODS.md §4)."]
    assert any(n.startswith("Targets:") for n in notes)
    ishoej = config.load_pipeline("ishoej")
    notes = report.method_notes(ishoej, empty, "da")
    assert not any(n.startswith("Mål:") for n in notes)
    assert any("'peers' (kommune, hele landet): Benjamini–Hochberg" in n for n in notes)


def test_change_statements_use_the_methods_wording():
    row = {"flags": "", "change": -2.5, "pvalue": 0.012, "qvalue": 0.012}
    assert i18n.change_statement(row, "percent", "en") == ("statistically significant decrease "
                                                           "(-2.5 percentage points, p = 0.012)")
    assert i18n.change_statement(row, "percent", "da") == ("statistisk signifikant fald "
                                                           "(-2,5 pct.-point, p = 0,012)")
    calm = {**row, "change": 0.4, "pvalue": 0.4, "qvalue": 0.6}
    assert i18n.change_statement(calm, "percent", "en").startswith("no statistically significant change (+0.40")
    assert "no change" not in i18n.change_statement(calm, "percent", "en").replace("significant change", "")
