"""Statistics against METHODS.md's reference values (statsmodels 0.15.0 / scipy 1.17.1) and independent forms."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from tryghed import stats

REL_CLOSED = 1e-6
# METHODS.md prints most reference values to 6 significant digits; compare at the printed precision.
PRINTED = 5e-6


def test_kish_effective_n_reference():
    # METHODS.md §1.2: weights 400x0.5, 400x1.0, 200x2.0 -> n_eff = 769.2308, deff = 1.3
    w = np.r_[np.full(400, 0.5), np.full(400, 1.0), np.full(200, 2.0)]
    n_eff = stats.kish_effective_n(weights=w)
    assert n_eff == pytest.approx(769.2308, abs=5e-5)
    assert 1000 / n_eff == pytest.approx(1.3, rel=REL_CLOSED)


def test_wilson_175_of_1000_reference_and_scipy():
    ci = stats.share_confint(share=0.175, n_effective=1000)
    assert ci.method.startswith("Wilson")
    assert (ci.ci_low, ci.ci_high) == pytest.approx((0.152706, 0.199782), abs=PRINTED)
    # scipy: binomtest(175, 1000).proportion_ci(method="wilson")
    ref = sps.binomtest(175, 1000).proportion_ci(method="wilson")
    assert (ci.ci_low, ci.ci_high) == pytest.approx((ref.low, ref.high), rel=REL_CLOSED)


def test_wilson_on_effective_n_reference():
    ci = stats.share_confint(share=0.175, n_effective=769.2308)
    assert (ci.ci_low, ci.ci_high) == pytest.approx((0.149782, 0.203448), abs=PRINTED)


def test_clopper_pearson_switch_small_counts():
    # 3/40: x* < 10 -> Clopper-Pearson (beta) (0.015742, 0.203865)
    ci = stats.share_confint(share=3 / 40, n_effective=40)
    assert ci.method.startswith("Clopper")
    assert (ci.ci_low, ci.ci_high) == pytest.approx((0.015742, 0.203865), abs=PRINTED)
    ref = sps.binomtest(3, 40).proportion_ci(method="exact")
    assert (ci.ci_low, ci.ci_high) == pytest.approx((ref.low, ref.high), rel=REL_CLOSED)


def test_zero_and_all_events():
    ci = stats.share_confint(share=0.0, n_effective=25)
    assert ci.ci_low == 0.0
    assert ci.ci_high == pytest.approx(0.137185, abs=PRINTED)
    full = stats.share_confint(share=1.0, n_effective=25)
    assert full.ci_high == 1.0
    assert full.ci_low == pytest.approx(1 - 0.137185, abs=PRINTED)


def test_weighted_share_hajek_excludes_missing_by_hand():
    y = np.array([1, 0, 1, np.nan, 0, 0])
    w = np.array([2.0, 1.0, 1.0, 5.0, 1.0, 3.0])
    est = stats.weighted_share(y=y, weights=w)
    # by hand: (2 + 1) / (2 + 1 + 1 + 1 + 3) = 3/8; n_eff = 8^2 / (4+1+1+1+9) = 64/16 = 4
    assert est.estimate == pytest.approx(3 / 8, rel=REL_CLOSED)
    assert est.n_unweighted == 5
    assert est.n_effective == pytest.approx(4.0, rel=REL_CLOSED)
    assert est.method.startswith("Clopper")  # n_eff < 100


def test_change_design_adjusted_reference():
    # METHODS.md §1.4: 17 % vs 14 %, n_eff = 769.23 each: SE_d = 0.018438, z = -1.627098, p = 0.103716,
    # CI (-0.066137, 0.006137)
    c = stats.compare_shares(share1=0.17, n_eff1=769.23, share2=0.14, n_eff2=769.23)
    assert c.estimate == pytest.approx(-0.03, rel=REL_CLOSED)
    assert c.statistic == pytest.approx(-1.627098, abs=5e-6)
    assert c.pvalue == pytest.approx(0.103716, abs=5e-6)
    assert (c.ci_low, c.ci_high) == pytest.approx((-0.066137, 0.006137), abs=PRINTED)


def test_change_unpooled_srs_matches_hand_formula():
    c = stats.compare_shares(share1=0.14, n_eff1=1000, share2=0.17, n_eff2=1000)
    se = math.sqrt(0.17 * 0.83 / 1000 + 0.14 * 0.86 / 1000)
    assert c.statistic == pytest.approx(0.03 / se, rel=REL_CLOSED)
    assert c.statistic == pytest.approx(1.855177, abs=5e-6)  # = test_proportions_2indep(method="wald")
    assert c.pvalue == pytest.approx(0.063571, abs=5e-6)


def test_change_small_cells_uses_score_and_newcombe():
    c = stats.compare_shares(share1=5 / 140, n_eff1=140, share2=12 / 150, n_eff2=150)
    assert "Newcombe" in c.method
    assert c.pvalue == pytest.approx(0.1093, abs=5e-5)  # METHODS.md §1.4 small-cell table, score


def test_rate_exact_poisson_reference():
    r = stats.rate_confint(count=3550, exposure=76500, per=1000)
    assert r.estimate == pytest.approx(46.4052, abs=5e-5)
    assert (r.ci_low, r.ci_high) == pytest.approx((44.8911, 47.9574), abs=5e-5)
    # Garwood closed form with chi-square quantiles
    lo = sps.chi2.ppf(0.025, 2 * 3550) / 2 / 76.5
    hi = sps.chi2.ppf(0.975, 2 * 3551) / 2 / 76.5
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), rel=REL_CLOSED)


def test_compare_rates_exact_conditional_reference():
    c = stats.compare_rates(count1=640, exposure1=1, count2=580, exposure2=1)
    assert c.pvalue == pytest.approx(0.091147, abs=5e-6)
    assert c.pvalue == pytest.approx(sps.binomtest(580, 1220, 0.5).pvalue, rel=REL_CLOSED)
    assert (c.ci_low, c.ci_high) == pytest.approx((0.809981, 1.013961), abs=PRINTED)
    scaled = stats.compare_rates(count1=640, exposure1=10000, count2=580, exposure2=10000)
    assert scaled.pvalue == pytest.approx(c.pvalue, rel=REL_CLOSED)


def test_compare_rates_realistic_ratio():
    c = stats.compare_rates(count1=3600, exposure1=75800, count2=3550, exposure2=76500)
    assert c.estimate == pytest.approx(0.977088, abs=5e-6)
    assert (c.ci_low, c.ci_high) == pytest.approx((0.932829, 1.023447), abs=PRINTED)


def test_target_rules_worked_example():
    # METHODS.md §3.1: y0 17.5 (2013), target 13.0 (2017), observed 15.9 (2015)
    a = stats.assess_target(base_value=17.5, base_year=2013, value=15.9, year=2015, target_value=13.0,
                            target_year=2017)
    assert a.cagr_observed == pytest.approx(-0.046810, abs=5e-7)
    assert a.cagr_required == pytest.approx(-0.071619, abs=5e-7)
    assert a.ratio_cagr == pytest.approx(0.653597, abs=5e-7)
    assert a.ratio_linear == pytest.approx(0.7111, abs=5e-5)
    assert a.required_per_year == pytest.approx(-1.125, rel=REL_CLOSED)
    assert a.category_linear == a.category_cagr == "acceleration_needed"


def test_target_closure_days_required_cagr():
    a = stats.assess_target(base_value=283, base_year=2013, value=250, year=2014, target_value=283 * 0.67,
                            target_year=2017)
    assert 283 * 0.67 == pytest.approx(189.61, rel=REL_CLOSED)
    assert a.cagr_required == pytest.approx(-0.095271, abs=5e-7)


def test_target_already_met_and_moving_away():
    met = stats.assess_target(base_value=17.5, base_year=2013, value=12.0, year=2015, target_value=13.0,
                              target_year=2017)
    assert met.category_linear == "achieved" and met.achieved
    away = stats.assess_target(base_value=17.5, base_year=2013, value=18.5, year=2015, target_value=13.0,
                               target_year=2017)
    assert away.category_linear == "moving_away"


def test_weighted_trend_reference_series():
    # METHODS.md §1.5: p = 17.5, 16.8, 15.9, 15.2, 15.0 %, n_eff = 2400 each
    p = np.array([17.5, 16.8, 15.9, 15.2, 15.0]) / 100
    se = np.sqrt(p * (1 - p) / 2400)
    t = stats.weighted_trend(years=np.arange(2013, 2018), values=p, se=se)
    assert 100 * t.slope == pytest.approx(-0.656661, abs=5e-6)
    assert 100 * t.se == pytest.approx(0.237561, abs=5e-6)
    assert t.chi2 == pytest.approx(7.640657, abs=5e-6)
    # printed to 4 decimals; slope + 1.959964*SE = -0.191049, so the printed -0.1911 is off by one in the last digit
    assert (100 * t.ci_low, 100 * t.ci_high) == pytest.approx((-1.1223, -0.1911), abs=1.5e-4)
    assert 100 * t.ci_high == pytest.approx(100 * (t.slope + 1.959964 * t.se), rel=1e-6)


def test_multiple_testing_reference():
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205, 0.212, 0.216]
    q = stats.adjust_pvalues(pvalues=p, method="fdr_bh")
    assert q == pytest.approx([0.01, 0.04, 0.084, 0.084, 0.084, 0.1, 0.105714, 0.216, 0.216, 0.216], abs=5e-7)
    # scipy's independent implementation
    assert q == pytest.approx(sps.false_discovery_control(p, method="bh"), rel=REL_CLOSED)
    holm = stats.adjust_pvalues(pvalues=p, method="holm")
    assert holm[:3] == pytest.approx([0.01, 0.072, 0.312], abs=5e-7)
    assert (holm < 0.05).sum() == 1
    assert np.isnan(stats.adjust_pvalues(pvalues=[0.01, np.nan], method="holm")[1])
