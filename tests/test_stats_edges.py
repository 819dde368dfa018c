"""tryghed.stats at the edges (issue 9): zeros, tiny cells, overdispersion, projection with sampling error, verdicts.

Expected values come from scipy / statsmodels called directly, closed forms or hand counts; each is named above
its assertion.
"""

import math

import numpy as np
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats as sps
from statsmodels.stats import rates as smrates

from tryghed import stats

REL = 1e-6


# ---------------------------------------------------------------------------------------------------- zeros in rates

def test_zero_to_seven_has_infinite_estimate_and_exact_interval():
    c = stats.compare_rates(count1=0, exposure1=1000, count2=7, exposure2=1000)
    assert c.estimate == math.inf and c.ci_high == math.inf
    # Clopper-Pearson lower bound of π = 7/7 is (α/2)^(1/7); ratio = π/(1−π) · E1/E2
    pi_lo = 0.025 ** (1 / 7)
    assert c.ci_low == pytest.approx(pi_lo / (1 - pi_lo), rel=REL)
    assert c.ci_low == pytest.approx(sps.beta.ppf(0.025, 7, 1) / (1 - sps.beta.ppf(0.025, 7, 1)), rel=REL)
    assert c.ci_low < c.ci_high  # no zero-width interval
    # exact conditional p: binomtest(7, 7, 0.5) = 2·0.5^7
    assert c.p_exact == pytest.approx(2 * 0.5 ** 7, rel=REL) and c.pvalue == c.p_exact
    assert c.tested and c.verdict.code == "significant_increase"


def test_seven_to_zero_with_unequal_exposure():
    c = stats.compare_rates(count1=7, exposure1=2000, count2=0, exposure2=1000)
    assert c.estimate == 0.0 and c.ci_low == 0.0
    pi_hi = 1 - 0.025 ** (1 / 7)
    assert c.ci_high == pytest.approx(pi_hi / (1 - pi_hi) * 2000 / 1000, rel=REL)
    # H0 π0 = E2/(E1+E2) = 1/3: P(Y=0) = (2/3)^7; the other tail by scipy's two-sided rule
    assert c.p_exact == pytest.approx(sps.binomtest(0, 7, 1 / 3).pvalue, rel=REL)
    assert c.verdict.code in ("significant_decrease", "no_significant_change")


def test_no_events_is_not_tested_and_stays_out_of_the_family():
    c = stats.compare_rates(count1=0, exposure1=500, count2=0, exposure2=520)
    assert not c.tested and math.isnan(c.pvalue) and "no events" in c.reason
    assert c.verdict.code == "not_tested"
    # the family of the other rows is unchanged by the untested row: BH by scipy on the tested p's only
    p = [0.01, 0.03, 0.04]
    q = stats.adjust_pvalues(pvalues=[*p, c.pvalue], method="fdr_bh")
    assert q[:3] == pytest.approx(sps.false_discovery_control(p, method="bh"), rel=REL)
    assert math.isnan(q[3])


@pytest.mark.parametrize("y1,e1,y2,e2", [(580, 1, 640, 1), (3600, 75800, 3550, 76500), (3, 10, 12, 11),
                                         (1, 1000, 40, 900)])
def test_rate_ratio_interval_and_tests_match_statsmodels(y1, e1, y2, e2):
    c = stats.compare_rates(count1=y1, exposure1=e1, count2=y2, exposure2=e2)
    lo, hi = smrates.confint_poisson_2indep(y2, e2, y1, e1, method="score", compare="ratio")
    assert (c.ci_low, c.ci_high) == pytest.approx((lo, hi), rel=1e-6)
    assert c.z_score == pytest.approx(smrates.test_poisson_2indep(y2, e2, y1, e1, method="score").statistic, rel=REL)
    exact = smrates.test_poisson_2indep(y2, e2, y1, e1, method="exact-cond").pvalue
    assert c.p_exact == pytest.approx(exact, rel=REL)
    assert c.p_exact == pytest.approx(sps.binomtest(y2, y1 + y2, e2 / (e1 + e2)).pvalue, rel=REL)


def test_exact_p_agrees_with_scipy_over_many_tables():
    rng = np.random.default_rng(9)
    for _ in range(300):
        n = int(rng.integers(1, 12000))
        e1, e2 = rng.uniform(0.3, 3, 2)
        y2 = int(rng.binomial(n, e2 / (e1 + e2))) if rng.random() < 0.7 else int(rng.integers(0, n + 1))
        ref = sps.binomtest(y2, n, e2 / (e1 + e2)).pvalue
        if ref < 1e-250:
            continue
        c = stats.compare_rates(count1=n - y2, exposure1=e1, count2=y2, exposure2=e2)
        assert c.p_exact == pytest.approx(ref, rel=1e-6)


# ---------------------------------------------------------------------------------------------------- Poisson trend

@pytest.mark.parametrize("counts", [[0, 0, 0, 5], [0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0, 0, 9], [3, 0, 4, 2]])
def test_poisson_trend_too_few_events(counts):
    r = stats.poisson_trend(periods=range(2015, 2015 + len(counts)), counts=counts, exposure=[5000] * len(counts))
    assert not r.tested and math.isnan(r.slope) and math.isnan(r.rate_ratio)
    assert "too few events" in r.reason and r.verdict.code == "not_tested"
    assert r.total_events == sum(counts)


def test_poisson_trend_minimum_is_ten_events_in_two_periods():
    assert stats.MIN_TREND_EVENTS == 10 and stats.MIN_TREND_PERIODS_WITH_EVENTS == 2
    one_period = stats.poisson_trend(periods=range(5), counts=[0, 0, 0, 0, 12], exposure=[100] * 5)
    assert not one_period.tested  # the MLE slope is infinite
    r = stats.poisson_trend(periods=range(5), counts=[0, 0, 3, 3, 4], exposure=[100] * 5)
    assert r.tested and np.isfinite(r.rate_ratio)
    # the fit is the Poisson GLM called directly
    X = sm.add_constant(np.arange(5.0))
    ref = sm.GLM(np.array([0, 0, 3, 3, 4.0]), X, family=sm.families.Poisson(), offset=np.log(np.full(5, 100.0))).fit()
    assert r.slope == pytest.approx(ref.params[1], rel=1e-4)
    short = stats.poisson_trend(periods=[2020, 2021], counts=[40, 50], exposure=[100, 100])
    assert not short.tested and "at least 3" in short.reason


# ---------------------------------------------------------------------------------------------------- dispersion

def _panel_frame():
    # 4 areas × 5 years, counts by hand with extra-Poisson scatter
    y = np.array([[120, 95, 140, 101, 130], [40, 52, 31, 47, 38], [300, 262, 341, 280, 318], [15, 9, 22, 12, 18]])
    pop = np.array([10000, 4000, 25000, 1500])[:, None] * np.array([1.0, 1.01, 1.02, 1.03, 1.04])[None, :]
    areas = np.repeat(["a", "b", "c", "d"], 5)
    years = np.tile(np.arange(2015, 2020), 4)
    return areas, years, y.ravel().astype(float), pop.ravel()


def test_family_dispersion_is_the_area_year_glm_pearson_ratio():
    import pandas as pd
    areas, years, y, pop = _panel_frame()
    d = stats.family_dispersion(areas=areas, periods=years, counts=y, exposure=pop)
    df = pd.DataFrame({"area": areas, "year": years, "y": y, "pop": pop})
    ref = smf.glm("y ~ C(area) + C(year)", df, family=sm.families.Poisson(), offset=np.log(df["pop"])).fit()
    assert d.estimated and d.df_resid == 12 == ref.df_resid
    assert d.phi == pytest.approx(ref.pearson_chi2 / ref.df_resid, rel=1e-4)
    # an area without events carries no information on φ: same φ̂ with it added
    more = stats.family_dispersion(areas=[*areas, *["z"] * 5], periods=[*years, *range(2015, 2020)],
                                   counts=[*y, 0, 0, 0, 0, 0], exposure=[*pop, *[900] * 5])
    assert more.phi == pytest.approx(d.phi, rel=1e-6)


def test_single_area_dispersion_from_the_trend_model_with_six_points():
    # METHODS.md §2.3 reference series: Pearson φ̂ = 1.0347
    pop = [70000, 70800, 71500, 72300, 73000, 73900, 74500, 75200, 75800, 76500]
    y = [4410, 4350, 4120, 4180, 3990, 3900, 3720, 3810, 3600, 3550]
    d = stats.family_dispersion(areas=["city"] * 10, periods=range(2010, 2020), counts=y, exposure=pop)
    assert d.phi == pytest.approx(1.0347, abs=5e-5) and d.estimated
    five = stats.family_dispersion(areas=["city"] * 5, periods=range(2015, 2020), counts=y[5:], exposure=pop[5:])
    assert five.phi == 1.0 and not five.estimated and "6" in five.reason


def test_adjusted_p_is_never_more_certain_and_follows_the_closed_form():
    # METHODS.md §2.2: 3,600/75,800 -> 3,550/76,500, φ̂ = 1.0347: p_adjusted = max(p_exact, 2Φ(−|z|/√φ))
    c = stats.compare_rates(count1=3600, exposure1=75800, count2=3550, exposure2=76500, dispersion=1.0347)
    exact = smrates.test_poisson_2indep(3550, 76500, 3600, 75800, method="exact-cond").pvalue
    z = smrates.test_poisson_2indep(3550, 76500, 3600, 75800, method="score").statistic
    assert c.p_exact == pytest.approx(exact, rel=REL)
    assert c.p_adjusted == pytest.approx(max(exact, 2 * sps.norm.sf(abs(z) / math.sqrt(1.0347))), rel=REL)
    assert c.pvalue == c.p_adjusted
    # small counts: the z route would be MORE certain than the exact test; the exact p is kept
    s = stats.compare_rates(count1=2, exposure1=1, count2=9, exposure2=1, dispersion=1.05)
    z_small = smrates.test_poisson_2indep(9, 1, 2, 1, method="score").statistic
    assert 2 * sps.norm.sf(abs(z_small) / math.sqrt(1.05)) < sps.binomtest(9, 11, 0.5).pvalue
    assert s.pvalue == pytest.approx(sps.binomtest(9, 11, 0.5).pvalue, rel=REL)
    # φ̂ ≤ 1: the exact test alone
    u = stats.compare_rates(count1=100, exposure1=1, count2=130, exposure2=1, dispersion=0.8)
    assert u.pvalue == u.p_exact and math.isnan(u.p_adjusted)


def test_overdispersed_intervals_widen_on_the_log_scale():
    r = stats.rate_confint(count=290, exposure=10000, per=1000, dispersion=2.25)
    plain = stats.rate_confint(count=290, exposure=10000, per=1000)
    assert math.log(r.ci_high / r.estimate) == pytest.approx(1.5 * math.log(plain.ci_high / plain.estimate), rel=REL)
    assert math.log(r.estimate / r.ci_low) == pytest.approx(1.5 * math.log(plain.estimate / plain.ci_low), rel=REL)
    # a zero count: upper bound φ·χ²_{2, 0.975}/2 per exposure = φ·(−ln 0.025)/E
    z0 = stats.rate_confint(count=0, exposure=10000, per=1000, dispersion=2.0)
    assert z0.ci_low == 0 and z0.ci_high == pytest.approx(2 * -math.log(0.025) / 10, rel=REL)
    # one zero count under φ = 2: Clopper-Pearson on the effective count 7/2, π_low = (α/2)^(1/3.5)
    zc = stats.compare_rates(count1=0, exposure1=1, count2=7, exposure2=1, dispersion=2.0)
    pi_lo = 0.025 ** (2 / 7)
    assert zc.ci_low == pytest.approx(pi_lo / (1 - pi_lo), rel=REL) and zc.ci_high == math.inf
    # the level follows alpha: a 90 % rate interval is statsmodels' exact-c at alpha = 0.10
    from statsmodels.stats.rates import confint_poisson
    r90 = stats.rate_confint(count=37, exposure=5000, per=1000, alpha=0.10)
    assert (r90.ci_low, r90.ci_high) == pytest.approx(confint_poisson(37, 5, method="exact-c", alpha=0.10), rel=REL)
    c = stats.compare_rates(count1=200, exposure1=1, count2=260, exposure2=1, dispersion=3.0)
    lo, hi = smrates.confint_poisson_2indep(260, 1, 200, 1, method="score", compare="ratio")
    assert math.log(c.ci_high / c.estimate) == pytest.approx(math.sqrt(3) * math.log(hi / 1.3), rel=1e-6)


def _panel(rng, phi):
    """13 areas × 10 years, means 50–5,000 at a constant rate per area; gamma-Poisson with variance φμ."""
    base = np.geomspace(50, 5000, 13)[:, None]
    pop = rng.uniform(20_000, 80_000, 13)[:, None] * (1 + 0.01 * np.arange(10))[None, :]
    mu = base * pop / pop[:, :1]
    lam = mu if phi == 1 else rng.gamma(mu / (phi - 1), phi - 1)
    return rng.poisson(lam), pop


@pytest.mark.parametrize("phi", [1, 4])
def test_simulated_panels_keep_the_false_positive_share_near_five_percent(phi):
    rng = np.random.default_rng(20261130 + phi)
    areas = np.repeat(np.arange(13), 10)
    years = np.tile(np.arange(2010, 2020), 13)
    hits = hits_exact = n = 0
    phis = []
    for _ in range(30):
        y, pop = _panel(rng, phi)
        d = stats.family_dispersion(areas=areas, periods=years, counts=y.ravel(), exposure=pop.ravel())
        phis.append(d.phi)
        for a in range(13):
            for j in range(1, 10):
                c = stats.compare_rates(count1=y[a, j - 1], exposure1=pop[a, j - 1], count2=y[a, j],
                                        exposure2=pop[a, j], dispersion=d.phi)
                hits += c.pvalue < 0.05
                hits_exact += c.p_exact < 0.05
                n += 1
    assert n == 30 * 13 * 9
    assert np.mean(phis) == pytest.approx(phi, rel=0.1)
    assert 0.02 <= hits / n <= 0.06
    if phi == 4:
        assert hits_exact / n > 0.2  # without the adjustment about a third of the null tests would be "significant"


# ---------------------------------------------------------------------------------------------------- too small

def test_shares_with_an_expected_count_under_five_are_not_tested():
    # 2/60 vs 3/60: pooled 5/120, expected events 60·5/120 = 2.5 < 5 (hand count)
    c = stats.compare_shares(share1=2 / 60, n_eff1=60, share2=3 / 60, n_eff2=60)
    assert not c.tested and math.isnan(c.pvalue) and "expected count 2.5" in c.reason
    assert c.estimate == pytest.approx(1 / 60, rel=REL) and c.verdict.code == "not_tested"
    # 5/100 vs 5/100: expected exactly 5 -> tested
    t = stats.compare_shares(share1=0.05, n_eff1=100, share2=0.05, n_eff2=100)
    assert t.tested and np.isfinite(t.pvalue)
    # the same rule on non-events: 58/60 vs 57/60 has expected non-events 2.5
    assert not stats.compare_shares(share1=58 / 60, n_eff1=60, share2=57 / 60, n_eff2=60).tested


def test_bootstrap_needs_five_institutions_in_each_year():
    four = stats.bootstrap_change(values1=[30, 40, 20, 50, 0], values2=[20, 30, 25, 30, 5])
    assert (four.units1, four.units2) == (4, 5)
    assert not four.tested and math.isnan(four.pvalue) and four.verdict.code == "not_tested"
    assert four.difference == 140 - 170 == -30
    five = stats.bootstrap_change(values1=[30, 40, 20, 50, 1], values2=[20, 30, 25, 30, 5])
    assert five.tested and np.isfinite(five.pvalue)


# ---------------------------------------------------------------------------------------------------- 0 % and 100 %

def test_weighted_trend_uses_zero_and_full_shares():
    years = np.arange(2015, 2020)
    p = np.array([0.0, 0.02, 0.05, 0.04, 1.0])
    n = np.array([50.0, 50, 60, 55, 40])
    t = stats.weighted_trend(years=years, values=p, n_effective=n)
    assert t.n_points == 5 and t.tested
    # SEs: plain inside, (x+½)/(n+1) at 0 and 1 (closed form), then statsmodels WLS with fixed scale
    q = np.where((p == 0) | (p == 1), (p * n + 0.5) / (n + 1), p)
    se = np.sqrt(q * (1 - q) / n)
    assert stats.share_se(share=p, n_effective=n) == pytest.approx(se, rel=REL)
    ref = sm.WLS(p, sm.add_constant(years - 2015.0), weights=1 / se**2).fit(cov_type="fixed scale",
                                                                             cov_kwds={"scale": 1.0})
    assert t.slope == pytest.approx(ref.params[1], rel=REL) and t.se == pytest.approx(ref.bse[1], rel=REL)
    with pytest.raises(ValueError, match="se"):
        stats.weighted_trend(years=years, values=p, se=np.sqrt(p * (1 - p) / n))


def test_chi2_trend_counts_zero_share_points():
    from statsmodels.stats.contingency_tables import Table
    c, d = np.array([0, 3, 5, 9, 14.0]), np.array([200.0] * 5)
    m = stats.chi2_trend(periods=range(2015, 2020), counts=c, totals=d)
    assert m.n_points == 5 and m.tested
    z2 = Table(np.c_[c, d - c], shift_zeros=False).test_ordinal_association().zscore ** 2
    assert m.chi2 == pytest.approx(z2 * 1000 / 999, rel=1e-6)
    # Cox's empirical logit slope by numpy
    assert m.logit_slope == pytest.approx(np.polyfit(np.arange(5.0), np.log((c + 0.5) / (d - c + 0.5)), 1)[0],
                                          rel=REL)
    none = stats.chi2_trend(periods=range(2015, 2020), counts=[0] * 5, totals=[100] * 5)
    assert not none.tested and none.marker == "not_tested" and none.verdict.code == "not_tested"


# ---------------------------------------------------------------------------------------------------- projection

def test_projection_adds_the_latest_sampling_variance_closed_form():
    x, y = np.arange(4.0), np.array([17.5, 16.8, 15.9, 15.2])
    se = np.array([0.8, 0.8, 0.9, 1.0])
    p = stats.project_to_target(periods=[2013, 2014, 2015, 2016], values=y, target_period=2017, target_value=13.0,
                                se=se)
    res = y - np.polyval(np.polyfit(x, y, 1), x)
    s2 = (res**2).sum() / 2
    var = s2 * (1 + 1 / 4 + (4 - 1.5) ** 2 / ((x - 1.5) ** 2).sum()) + 1.0**2
    half = sps.t.ppf(0.975, 2) * math.sqrt(var)
    assert (p.pi_low, p.pi_high) == pytest.approx((14.4 - half, 14.4 + half), rel=REL)
    assert p.sampling_se == 1.0 and p.category == "uncertain"  # PI now reaches below 13.0


def test_projection_interval_never_narrower_than_the_latest_ci():
    rng = np.random.default_rng(3)
    for _ in range(200):
        k = int(rng.integers(4, 10))
        years = np.arange(2010, 2010 + k)
        se = rng.uniform(0.05, 3, k)
        values = 20 - 0.5 * np.arange(k) + rng.normal(0, 0.01, k)  # nearly a straight line: tiny residuals
        p = stats.project_to_target(periods=years, values=values, target_period=2010 + k + int(rng.integers(1, 5)),
                                    target_value=10, se=se)
        assert p.pi_high - p.pi_low >= 2 * 1.959964 * se[-1]


# ---------------------------------------------------------------------------------------------------- verdicts

def test_verdict_codes():
    assert stats.verdict(estimate=-0.03, pvalue=0.01).code == "significant_decrease"
    assert stats.verdict(estimate=1.2, pvalue=0.01, null=1.0).code == "significant_increase"
    assert stats.verdict(estimate=0.8, pvalue=0.01, null=1.0).code == "significant_decrease"
    assert stats.verdict(estimate=math.inf, pvalue=0.01, null=1.0).code == "significant_increase"
    assert stats.verdict(estimate=0.05, pvalue=0.03, alpha=0.01).code == "no_significant_change"
    assert stats.verdict(estimate=0.05, pvalue=0.05).code == "no_significant_change"  # p < α, not ≤
    nt = stats.verdict(estimate=math.nan, pvalue=math.nan, tested=False, reason="series break")
    assert nt.code == "not_tested" and nt.reason == "series break"
    assert stats.verdict(estimate=0.1, pvalue=math.nan).code == "not_tested"
    assert stats.ALPHA == 0.05
    assert set(stats.VERDICT_CODES) == {"significant_increase", "significant_decrease", "no_significant_change",
                                        "not_tested"}


def test_results_carry_the_verdict_of_their_p():
    c = stats.compare_shares(share1=0.17, n_eff1=769.23, share2=0.14, n_eff2=769.23, alpha=0.11)
    assert c.pvalue == pytest.approx(0.103716, abs=5e-6)  # METHODS.md §1.4
    assert c.verdict.code == "significant_decrease"
    assert stats.compare_shares(share1=0.17, n_eff1=769.23, share2=0.14, n_eff2=769.23).verdict.code == \
        "no_significant_change"
    p = np.array([17.5, 16.8, 15.9, 15.2, 15.0]) / 100
    t = stats.weighted_trend(years=np.arange(2013, 2018), values=p, se=np.sqrt(p * (1 - p) / 2400))
    assert t.verdict.code == "significant_decrease"  # X² 7.64, p 0.0057 (METHODS.md §1.5)
    assert stats.chi2_trend(periods=range(2013, 2018), counts=p * 2400, totals=[2400] * 5).verdict.code == \
        "no_significant_change"  # 7.75 < 9.5495 at Fingertips' 99.8 %
    r = stats.compare_rates(count1=100, exposure1=1, count2=150, exposure2=1, dispersion=2.0)
    assert "φ̂ = 2.00" in r.verdict.reason
