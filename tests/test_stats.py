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


def test_holm_equals_statsmodels():
    """Holm is written out (statsmodels' runs a garbage collection per call): it must equal statsmodels' Holm,
    ties, ones and a single test included."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(14)
    cases = [rng.uniform(size=n) for n in (1, 2, 7, 50)] + [np.array([0.01, 0.01, 0.04, 0.04, 1.0, 0.5]),
                                                            rng.uniform(0, 0.02, size=20), np.ones(3)]
    for p in cases:
        assert stats.adjust_pvalues(pvalues=p, method="holm") == pytest.approx(
            multipletests(p, method="holm")[1], rel=1e-12, abs=1e-15)


def test_slope_against_target_pace_reference():
    # METHODS.md §1.5 (i): one-sided z vs -1 pp/yr = 1.445 (p = 0.074); the CI (-1.1223, -0.1911) is not wholly
    # below -1 pp/yr
    p = np.array([17.5, 16.8, 15.9, 15.2, 15.0]) / 100
    t = stats.weighted_trend(years=np.arange(2013, 2018), values=p, se=np.sqrt(p * (1 - p) / 2400))
    s = stats.compare_slope(trend=t, target_slope=-0.01)
    assert s.z == pytest.approx(1.445, abs=5e-4)
    assert s.pvalue == pytest.approx(0.074, abs=5e-4)
    assert s.pvalue == pytest.approx(sps.norm.sf((-0.00656661 + 0.01) / 0.00237561), rel=1e-4)
    assert not s.ci_meets_target


def test_chi2_trend_reference_and_fingertips_rules():
    # METHODS.md §1.5 (ii): same series on effective counts -> CA X² = 7.747250 (p = 0.005379): significant at 95 %
    # but not above Fingertips' 9.5495, so "no significant change"
    p = np.array([17.5, 16.8, 15.9, 15.2, 15.0]) / 100
    m = stats.chi2_trend(periods=range(2013, 2018), counts=p * 2400, totals=[2400] * 5)
    assert m.chi2 == pytest.approx(7.747250, abs=5e-6)
    assert m.pvalue == pytest.approx(0.005379, abs=5e-7)
    assert stats.FINGERTIPS_CHI2 == pytest.approx(9.549536, abs=5e-7)
    assert m.marker == "no_significant_change" and not m.significant_998
    # statsmodels' Mantel linear-by-linear statistic differs from CA by the factor (N-1)/N
    from statsmodels.stats.contingency_tables import Table
    c = p * 2400
    mantel = Table(np.c_[c, 2400 - c]).test_ordinal_association().zscore ** 2
    assert mantel == pytest.approx(7.746605, abs=5e-6)
    assert m.chi2 == pytest.approx(mantel * 12000 / (12000 - 1), rel=1e-6)


def test_chi2_trend_needs_five_points_uses_latest_five_and_flags_outliers():
    few = stats.chi2_trend(periods=[2014, 2015, 2016, 2017], counts=[10, 20, 30, 40], totals=[100] * 4)
    assert few.marker == "too_few_points" and np.isnan(few.chi2)
    # a steady climb 10 %, 20 %, ..., 70 % of 1000: the marker is "increasing"; only 2013-2017 enter
    rising = stats.chi2_trend(periods=range(2011, 2018), counts=[100, 200, 300, 400, 500, 600, 700],
                              totals=[1000] * 7)
    assert rising.marker == "increasing" and (rising.first_period, rising.last_period) == (2013, 2017)
    # one huge point drives the slope: dropping it flips the direction -> "outlier"
    spike = stats.chi2_trend(periods=range(2013, 2018), counts=[300, 290, 280, 270, 900], totals=[1000] * 5)
    assert spike.significant_998 and spike.outlier and spike.marker == "outlier"


def test_poisson_trend_reference_series():
    # METHODS.md §2.3 reference series
    pop = [70000, 70800, 71500, 72300, 73000, 73900, 74500, 75200, 75800, 76500]
    y = [4410, 4350, 4120, 4180, 3990, 3900, 3720, 3810, 3600, 3550]
    r = stats.poisson_trend(periods=range(2010, 2020), counts=y, exposure=pop)
    assert r.slope == pytest.approx(-0.034423, abs=5e-7)
    assert r.rate_ratio == pytest.approx(0.966163, abs=5e-7)
    assert r.se == pytest.approx(0.001753, abs=5e-7)
    assert r.dispersion == pytest.approx(1.0347, abs=5e-5)
    assert (r.dispersion_stat, r.dispersion_pvalue) == pytest.approx((-0.5961, 0.5511), abs=5e-5)
    assert r.model == "Poisson GLM"
    assert r.kendall_tau == pytest.approx(-0.911111, abs=5e-7)
    assert r.kendall_pvalue == pytest.approx(2.98e-5, abs=5e-8)
    assert r.rate_ratio == pytest.approx(math.exp(r.slope), rel=REL_CLOSED)


def test_poisson_trend_falls_back_to_quasi_poisson_when_overdispersed():
    # alternate the counts far beyond Poisson noise around a flat rate: φ̂ >> 1.5
    y = [400, 600, 400, 600, 400, 600, 400, 600]
    r = stats.poisson_trend(periods=range(2010, 2018), counts=y, exposure=[10000] * 8)
    assert r.dispersion > 1.5 and r.model.startswith("quasi-Poisson")
    # quasi-Poisson SE = Poisson SE * sqrt(φ̂) (closed form of scale="X2")
    import statsmodels.api as sm
    X = sm.add_constant(np.arange(8.0))
    pois = sm.GLM(np.array(y, float), X, family=sm.families.Poisson(), offset=np.log(np.full(8, 1e4))).fit()
    assert r.se == pytest.approx(pois.bse[1] * math.sqrt(r.dispersion), rel=1e-6)


def test_bootstrap_change_over_institutions():
    # the bootstrap SE of a sum of n paired draws is sqrt(n * mean((d - mean d)^2)) in expectation
    a = np.array([30, 40, 20, 50, 10, 60, 33, 25, 15], float)
    b = np.array([20, 30, 25, 30, 5, 40, 20, 10, 10], float)
    r = stats.bootstrap_change(values1=a, values2=b, n_boot=20000, seed=1)
    d = b - a
    assert r.difference == d.sum() == -93
    assert r.se == pytest.approx(math.sqrt(d.size * np.mean((d - d.mean()) ** 2)), rel=0.03)
    assert r.ci_low < -93 < r.ci_high < 0 and r.pvalue < 0.01
    assert r.ratio == pytest.approx(b.sum() / a.sum(), rel=REL_CLOSED)
    # same seed -> same numbers; a single institution cannot be bootstrapped
    assert stats.bootstrap_change(values1=a, values2=b, n_boot=20000, seed=1) == r
    one = stats.bootstrap_change(values1=[5], values2=[3])
    assert one.n_boot == 0 and np.isnan(one.ci_low)


def test_projection_worked_example():
    # METHODS.md §3.2: 2013-2016 = 17.5, 16.8, 15.9, 15.2 -> slope -0.78 (SE 0.0283), 2017 projection 14.40,
    # mean CI (14.0667, 14.7333), PI (13.9697, 14.8303): off track (confident); required change -2.2 pp
    p = stats.project_to_target(periods=[2013, 2014, 2015, 2016], values=[17.5, 16.8, 15.9, 15.2],
                                target_period=2017, target_value=13.0)
    assert p.slope == pytest.approx(-0.78, rel=REL_CLOSED)
    assert p.slope_se == pytest.approx(0.0283, abs=5e-5)
    assert p.projection == pytest.approx(14.40, rel=REL_CLOSED)
    assert (p.mean_ci_low, p.mean_ci_high) == pytest.approx((14.0667, 14.7333), abs=5e-5)
    assert (p.pi_low, p.pi_high) == pytest.approx((13.9697, 14.8303), abs=5e-5)
    assert p.category == "off_track_confident"
    assert p.required_per_year == pytest.approx(-2.2, rel=REL_CLOSED)
    # closed form of the prediction interval: ŷ ± t(n-2) s sqrt(1 + 1/n + (x0 - x̄)²/Sxx)
    x, y = np.arange(4.0), np.array([17.5, 16.8, 15.9, 15.2])
    res = y - np.polyval(np.polyfit(x, y, 1), x)
    s = math.sqrt((res ** 2).sum() / 2)
    half = sps.t.ppf(0.975, 2) * s * math.sqrt(1 + 1 / 4 + (4 - 1.5) ** 2 / ((x - 1.5) ** 2).sum())
    assert (p.pi_low, p.pi_high) == pytest.approx((14.4 - half, 14.4 + half), rel=REL_CLOSED)


def test_projection_needs_four_points_and_classifies_both_ways():
    few = stats.project_to_target(periods=[2014, 2015, 2016], values=[17, 16, 15], target_period=2017,
                                  target_value=13)
    assert few.category == "not_classified" and few.required_per_year == pytest.approx(-2.0)
    on = stats.project_to_target(periods=range(2010, 2016), values=[20, 18.1, 15.9, 14.0, 12.1, 9.9],
                                 target_period=2017, target_value=9.0)
    assert on.pi_high <= 9.0 and on.category == "on_track_confident"
    unsure = stats.project_to_target(periods=range(2010, 2016), values=[20, 15, 19, 14, 18, 13],
                                     target_period=2017, target_value=13.0)
    assert unsure.category == "uncertain"


def test_un_progress_chart_variant():
    # METHODS.md §3.1: v_e(2017) = 14.446286, ratio = 0.678603 -> fair progress, acceleration needed
    a = stats.assess_target(base_value=17.5, base_year=2013, value=15.9, year=2015, target_value=13.0,
                            target_year=2017)
    assert a.un_projection == pytest.approx(14.446286, abs=5e-7)
    assert a.ratio_un == pytest.approx(0.678603, abs=5e-7)
    assert a.category_un == "acceleration_needed"
    flat = stats.assess_target(base_value=17.5, base_year=2013, value=17.4, year=2015, target_value=13.0,
                               target_year=2017)
    assert flat.category_un == "stagnation_or_regression"


def test_detectable_change_power_reality_check():
    # METHODS.md §1.4: citywide n = 3600, deff 1.5 (n_eff 2400): SE_d = 1.08 pp, significant from 2.1 pp, MDD 3.0 pp
    d = stats.detectable_change(share=0.17, n_eff1=2400, n_eff2=2400)
    assert round(100 * d.se, 2) == 1.08
    assert round(100 * d.significant_from, 1) == 2.1
    assert round(100 * d.mdd, 1) == 3.0
    # closed form: (1.959964 + 0.841621) * SE
    assert d.mdd == pytest.approx((1.959964 + 0.841621) * math.sqrt(2 * 0.17 * 0.83 / 2400), rel=1e-6)
    # per district: n ≈ 300, deff 1.3 -> SE_d ≈ 3.0 pp
    assert 100 * stats.detectable_change(share=0.17, n_eff1=300 / 1.3, n_eff2=300 / 1.3).se == pytest.approx(3.0,
                                                                                                          abs=0.5)


def test_effective_n_below_100_switches_methods():
    # n_eff 80: Clopper-Pearson for the share and the score/Newcombe route for the change
    ci = stats.share_confint(share=0.3, n_effective=80)
    ref = sps.beta.ppf([0.025, 0.975], [24, 25], [57, 56])
    assert ci.method.startswith("Clopper") and (ci.ci_low, ci.ci_high) == pytest.approx(tuple(ref), rel=1e-9)
    c = stats.compare_shares(share1=0.3, n_eff1=80, share2=0.2, n_eff2=80)
    assert c.method.startswith("score")
    from statsmodels.stats.proportion import confint_proportions_2indep
    assert (c.ci_low, c.ci_high) == pytest.approx(confint_proportions_2indep(16, 80, 24, 80, method="newcomb"),
                                                  rel=1e-9)


def test_compare_rates_quasi_poisson_adjustment_reference():
    # METHODS.md §2.2: 3,600/75,800 -> 3,550/76,500, score stat -0.979966 (p 0.327103); with φ̂ = 1.0347 the
    # adjusted z = -0.9634, p = 0.3354
    from statsmodels.stats.rates import test_poisson_2indep
    assert test_poisson_2indep(3550, 76500, 3600, 75800, method="score").statistic == pytest.approx(-0.979966,
                                                                                                      abs=5e-7)
    c = stats.compare_rates(count1=3600, exposure1=75800, count2=3550, exposure2=76500, dispersion=1.0347)
    assert c.statistic == pytest.approx(-0.9634, abs=5e-5)
    assert c.pvalue == pytest.approx(0.3354, abs=1e-4)   # printed to 4 decimals: 0.33535 rounds up
    assert c.estimate == pytest.approx(0.977088, abs=5e-6)
    # the interval is wider than the plain score interval (0.932829, 1.023447) and still holds the ratio
    assert c.ci_low < 0.932829 and c.ci_high > 1.023447
    assert math.log(c.ci_high / c.estimate) == pytest.approx(math.sqrt(1.0347) * math.log(1.023447 / 0.977088),
                                                             rel=1e-4)


def test_bare_count_and_person_share_references():
    # METHODS.md §2.1: a bare count y = 290 (exposure 1) has the exact CI (257.58, 325.37)
    ci = stats.rate_confint(count=290, exposure=1, per=1)
    assert (ci.ci_low, ci.ci_high) == pytest.approx((257.58, 325.37), abs=5e-3)
    # Garwood from chi-square quantiles (independent route)
    assert ci.ci_low == pytest.approx(sps.chi2.ppf(0.025, 2 * 290) / 2, rel=1e-9)
    # METHODS.md §2.1: 1,100 of 100,000 -> 1.100 %, Wilson (1.0372 %, 1.1666 %)
    share = stats.person_share(count=1100, population=100000)
    assert (100 * share.ci_low, 100 * share.ci_high) == pytest.approx((1.0372, 1.1666), abs=5e-5)
    assert share.method.startswith("Wilson")
