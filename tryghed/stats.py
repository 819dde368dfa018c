"""Estimators, intervals, change tests, trends and target rules for the indicator kinds (../shared/METHODS.md).

Every public function is pure, takes keyword arguments and returns a frozen dataclass with named fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)
from statsmodels.stats.rates import confint_poisson, confint_poisson_2indep, test_poisson_2indep

Z95 = 1.959963984540054
#: Below this effective n, or with fewer than this many effective events / non-events, Clopper-Pearson replaces
#: Wilson and the Newcombe interval replaces the Wald difference (METHODS.md §1.3, §1.4).
SMALL_N_EFF = 100
SMALL_COUNT = 10


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95 % interval and the method that produced it."""

    estimate: float
    ci_low: float
    ci_high: float
    method: str


@dataclass(frozen=True)
class ShareEstimate:
    """A weighted share (Hájek) with Kish's effective n and its interval."""

    estimate: float
    ci_low: float
    ci_high: float
    n_unweighted: int
    n_effective: float
    weighted_count: float
    method: str


@dataclass(frozen=True)
class Change:
    """A change between two periods: the difference (or ratio), its interval and the test of no change."""

    estimate: float
    ci_low: float
    ci_high: float
    statistic: float
    pvalue: float
    scale: str   # "difference" or "ratio"
    method: str


@dataclass(frozen=True)
class TargetAssessment:
    """Progress towards a point target by the linear (percentage-point) and growth-rate (CAGR) ratio rules."""

    required_per_year: float
    observed_per_year: float
    ratio_linear: float
    category_linear: str
    cagr_required: float
    cagr_observed: float
    ratio_cagr: float
    category_cagr: str
    un_projection: float
    ratio_un: float
    category_un: str
    achieved: bool


@dataclass(frozen=True)
class Trend:
    """A weighted least-squares slope per year with its standard error and 95 % interval."""

    slope: float
    se: float
    ci_low: float
    ci_high: float
    chi2: float
    pvalue: float
    n_points: int


def kish_effective_n(*, weights) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` (METHODS.md §1.2)."""
    w = np.asarray(weights, dtype=float)
    if w.size == 0:
        return 0.0
    return float(w.sum() ** 2 / np.square(w).sum())


def share_confint(*, share: float, n_effective: float, alpha: float = 0.05) -> Interval:
    """95 % interval for a share from effective counts: Wilson, or Clopper-Pearson when counts are small.

    Notes
    -----
    Wilson score interval on ``x* = p·n_eff``, ``n* = n_eff``; switches to the Clopper-Pearson (Korn-Graubard)
    interval when ``n_eff < 100``, ``x* < 10`` or ``n_eff - x* < 10`` (METHODS.md §1.3).
    """
    if n_effective <= 0 or not np.isfinite(share):
        return Interval(float("nan"), float("nan"), float("nan"), "none")
    x = share * n_effective
    small = n_effective < SMALL_N_EFF or x < SMALL_COUNT or n_effective - x < SMALL_COUNT
    method = "beta" if small else "wilson"
    if method == "beta":
        # Clopper-Pearson with fractional counts via Beta quantiles; exact ends at 0 and n.
        lo = 0.0 if x <= 0 else float(sps.beta.ppf(alpha / 2, x, n_effective - x + 1))
        hi = 1.0 if x >= n_effective else float(sps.beta.ppf(1 - alpha / 2, x + 1, n_effective - x))
    else:
        lo, hi = proportion_confint(x, n_effective, alpha=alpha, method="wilson")
    name = "Clopper-Pearson (effective counts)" if method == "beta" else "Wilson (effective counts)"
    return Interval(float(share), float(lo), float(hi), name)


def weighted_share(*, y, weights) -> ShareEstimate:
    """Hájek weighted share of ``y ∈ {0, 1}`` with Kish's effective n and its 95 % interval.

    Rows with a missing ``y`` (NaN) are excluded from both sums (METHODS.md §1.1).
    """
    y = np.asarray(y, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = ~np.isnan(y)
    y, w = y[keep], w[keep]
    if y.size == 0 or w.sum() <= 0:
        return ShareEstimate(float("nan"), float("nan"), float("nan"), int(y.size), 0.0, 0.0, "none")
    p = float((w * y).sum() / w.sum())
    n_eff = kish_effective_n(weights=w)
    ci = share_confint(share=p, n_effective=n_eff)
    return ShareEstimate(p, ci.ci_low, ci.ci_high, int(y.size), n_eff, p * n_eff, ci.method)


def person_share(*, count: int, population: int) -> Interval:
    """Share of a register population (a census): Wilson interval read as random variation (METHODS.md §2.1)."""
    if population <= 0:
        return Interval(float("nan"), float("nan"), float("nan"), "none")
    return share_confint(share=count / population, n_effective=float(population))


def rate_confint(*, count: float, exposure: float, per: float = 1000.0) -> Interval:
    """Events per ``per`` units of exposure with the exact (Garwood) Poisson interval (METHODS.md §2.1)."""
    if exposure <= 0:
        return Interval(float("nan"), float("nan"), float("nan"), "none")
    lo, hi = confint_poisson(count, exposure / per, method="exact-c")
    return Interval(float(count * per / exposure), float(lo), float(hi), "exact Poisson (Garwood)")


def compare_shares(*, share1: float, n_eff1: float, share2: float, n_eff2: float) -> Change:
    """Test the change ``share2 - share1`` between two independent cross-sections.

    H0: the two population shares are equal; H1: they differ (two-sided).

    Notes
    -----
    Unpooled z on Kish effective sizes, ``SE = sqrt(p1(1-p1)/n1 + p2(1-p2)/n2)`` (METHODS.md §1.4). When an
    effective count is below 10 or an effective n below 100, the Newcombe hybrid-score interval and the score test
    on effective counts are used instead.
    """
    d = share2 - share1
    x1, x2 = share1 * n_eff1, share2 * n_eff2
    small = min(x1, x2, n_eff1 - x1, n_eff2 - x2) < SMALL_COUNT or min(n_eff1, n_eff2) < SMALL_N_EFF
    if small:
        if min(n_eff1, n_eff2) <= 0:
            return Change(d, float("nan"), float("nan"), float("nan"), float("nan"), "difference", "none")
        lo, hi = confint_proportions_2indep(x2, n_eff2, x1, n_eff1, method="newcomb")
        res = test_proportions_2indep(x2, n_eff2, x1, n_eff1, method="score")
        return Change(d, float(lo), float(hi), float(res.statistic), float(res.pvalue), "difference",
                      "score test, Newcombe interval (effective counts)")
    se = math.sqrt(share1 * (1 - share1) / n_eff1 + share2 * (1 - share2) / n_eff2)
    if se == 0:
        return Change(d, d, d, float("nan"), float("nan"), "difference", "none")
    z = d / se
    p = 2 * sps.norm.sf(abs(z))
    return Change(d, d - Z95 * se, d + Z95 * se, z, float(p), "difference", "unpooled z (Kish effective n)")


def compare_rates(*, count1: float, exposure1: float, count2: float, exposure2: float,
                  dispersion: float = 1.0) -> Change:
    """Test the rate ratio ``(count2/exposure2) / (count1/exposure1)``.

    H0: the two Poisson rates are equal; H1: they differ (two-sided).

    Notes
    -----
    Exact conditional test ``y2 | y1+y2 ~ Bin(y1+y2, E2/(E1+E2))`` with the score interval for the ratio
    (``statsmodels.stats.rates``; METHODS.md §2.2). With overdispersion (``dispersion`` = φ̂ > 1 from the
    multi-year Poisson GLM) the score statistic is divided by √φ̂ (quasi-Poisson) and the interval's log-scale
    half-widths are multiplied by √φ̂.
    """
    # the exact test needs whole counts; the indicator table stores them as floats
    count1, count2 = int(round(float(count1))), int(round(float(count2)))
    if count1 + count2 == 0:
        return Change(float("nan"), float("nan"), float("nan"), float("nan"), 1.0, "ratio",
                      "exact conditional (no events)")
    lo, hi = confint_poisson_2indep(count2, exposure2, count1, exposure1, method="score", compare="ratio")
    ratio = (count2 / exposure2) / (count1 / exposure1) if count1 > 0 else float("inf")
    if dispersion > 1 and count1 > 0 and count2 > 0:
        # quasi-Poisson: the score z divided by √φ̂, and the interval widened by √φ̂ on the log scale (§2.2)
        score = test_poisson_2indep(count2, exposure2, count1, exposure1, method="score", compare="ratio")
        z = float(score.statistic) / math.sqrt(dispersion)
        w = math.sqrt(dispersion)
        lo, hi = ratio * (lo / ratio) ** w, ratio * (hi / ratio) ** w
        return Change(float(ratio), float(lo), float(hi), z, float(2 * sps.norm.sf(abs(z))), "ratio",
                      f"score test adjusted for overdispersion (z/√φ, φ = {dispersion:.2f}), widened score interval")
    res = test_poisson_2indep(count2, exposure2, count1, exposure1, method="exact-cond", compare="ratio")
    return Change(float(ratio), float(lo), float(hi), float("nan"), float(res.pvalue), "ratio",
                  "exact conditional Poisson test, score interval")


#: Category bands (lower bound, category) from the top: Eurostat/Open SDG for the growth-rate and linear rules, and
#: the UN Progress Chart (METHODS.md §3.1). Below the last bound: the last category.
BANDS = ((0.95, "on_track"), (0.60, "acceleration_needed"), (0.0, "insufficient_progress"), (None, "moving_away"))
UN_BANDS = ((0.95, "on_track"), (0.10, "acceleration_needed"), (None, "stagnation_or_regression"))


def _band(ratio: float, bands=BANDS) -> str:
    if not np.isfinite(ratio):
        return "not_assessable"
    return next(category for bound, category in bands if bound is None or ratio >= bound)


def assess_target(*, base_value: float, base_year: int, value: float, year: int, target_value: float,
                  target_year: int, direction: str = "decrease") -> TargetAssessment:
    """Place progress towards a point target in the Eurostat / Open SDG categories.

    Notes
    -----
    Linear rule ``R_lin = Δ_obs / Δ_req`` with ``Δ = (y − y0)/(t − t0)``, and the growth-rate rule
    ``R = CAGR_obs / CAGR_req``; bands 0.95 / 0.60 / 0; a target already met is "achieved" (METHODS.md §3.1,
    source open-sdg/sdg-build ``ProgressMeasure.py``; a target of 0 is replaced by 0.001). The UN Progress Chart
    variant extrapolates the observed CAGR to the target year, ``v_e = v_t(1+CAGR)^(T−t)``, and bands the ratio
    ``(v_e − v_b)/(v_T − v_b)`` at 0.95 / 0.10.
    """
    met = value <= target_value if direction == "decrease" else value >= target_value
    nan = float("nan")
    if year <= base_year or target_year <= base_year:
        na = "achieved" if met else "not_assessable"
        return TargetAssessment(nan, nan, nan, na, nan, nan, nan, na, nan, nan, na, bool(met))
    req = (target_value - base_value) / (target_year - base_year)
    obs = (value - base_value) / (year - base_year)
    r_lin = obs / req if req != 0 else nan
    tv = target_value if target_value != 0 else 0.001
    if base_value > 0 and value > 0 and tv > 0:
        cagr_req = (tv / base_value) ** (1 / (target_year - base_year)) - 1
        cagr_obs = (value / base_value) ** (1 / (year - base_year)) - 1
        r_cagr = cagr_obs / cagr_req if cagr_req != 0 else nan
    else:
        cagr_req = cagr_obs = r_cagr = nan
    v_e = value * (1 + cagr_obs) ** (target_year - year) if np.isfinite(cagr_obs) else nan
    r_un = (v_e - base_value) / (tv - base_value) if tv != base_value else nan
    return TargetAssessment(
        required_per_year=req, observed_per_year=obs, ratio_linear=r_lin,
        category_linear="achieved" if met else _band(r_lin),
        cagr_required=cagr_req, cagr_observed=cagr_obs, ratio_cagr=r_cagr,
        category_cagr="achieved" if met else _band(r_cagr), un_projection=v_e, ratio_un=r_un,
        category_un="achieved" if met else _band(r_un, UN_BANDS), achieved=bool(met),
    )


def weighted_trend(*, years, values, se) -> Trend:
    """Slope per year of a series of estimates with known standard errors (inverse-variance WLS, fixed scale).

    H0: slope = 0; H1: slope ≠ 0.

    Notes
    -----
    Closed form of ``sm.WLS(y, [1, t], weights=1/se²).fit(cov_type="fixed scale")``: PHE's weighted regression
    trend (METHODS.md §1.5 (i)).
    """
    t = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    w = 1 / np.square(np.asarray(se, dtype=float))
    keep = np.isfinite(t) & np.isfinite(y) & np.isfinite(w)
    t, y, w = t[keep], y[keep], w[keep]
    if t.size < 2:
        nan = float("nan")
        return Trend(nan, nan, nan, nan, nan, nan, int(t.size))
    sw, swt, swy, swt2, swyt = w.sum(), (w * t).sum(), (w * y).sum(), (w * t * t).sum(), (w * y * t).sum()
    den = sw * swt2 - swt**2
    beta = (sw * swyt - swt * swy) / den
    var = sw / den
    se_b = math.sqrt(var)
    chi2 = beta**2 / var
    return Trend(float(beta), se_b, float(beta - Z95 * se_b), float(beta + Z95 * se_b), float(chi2),
                 float(sps.chi2.sf(chi2, 1)), int(t.size))


@dataclass(frozen=True)
class SlopeTest:
    """A slope held against a target slope: the one-sided z and p, and whether the whole 95 % CI meets the pace."""

    z: float
    pvalue: float
    ci_meets_target: bool


def compare_slope(*, trend: Trend, target_slope: float, direction: str = "decrease") -> SlopeTest:
    """One-sided test of an estimated slope against the slope a target requires (e.g. −1 pp a year).

    H0: the series moves at least at the target pace (slope ≤ target for a decrease);
    H1: it moves more slowly (slope > target).

    Notes
    -----
    ``z = (β̂ − target)/SE`` and ``p = 1 − Φ(z)`` for a decrease (METHODS.md §1.5 (i): z = (β̂ + 0.01)/SE against
    −1 pp/yr; its reference p = 0.074 is this upper tail). ``ci_meets_target`` is true when the whole 95 % interval
    of the slope lies beyond the target pace.
    """
    if not np.isfinite(trend.slope) or not np.isfinite(trend.se) or trend.se <= 0:
        return SlopeTest(float("nan"), float("nan"), False)
    z = (trend.slope - target_slope) / trend.se
    if direction == "decrease":
        return SlopeTest(float(z), float(sps.norm.sf(z)), bool(trend.ci_high < target_slope))
    return SlopeTest(float(z), float(sps.norm.cdf(z)), bool(trend.ci_low > target_slope))


def adjust_pvalues(*, pvalues, method: str) -> np.ndarray:
    """Adjusted p-values (q-values) for a family: ``holm`` or ``fdr_bh`` (METHODS.md §4); NaNs pass through."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any() and method != "none":
        out[ok] = multipletests(p[ok], alpha=0.05, method=method)[1]
    elif method == "none":
        out = p.copy()
    return out


# --------------------------------------------------------------------------------------------------------------------
# Trends (METHODS.md §1.5 (ii), §2.3), clustered counts (§2.1), projection (§3.2), detectability (§1.4)
# --------------------------------------------------------------------------------------------------------------------

#: Fingertips' screening threshold: the χ²₁ quantile at 99.8 % (METHODS.md §1.5 (ii)).
FINGERTIPS_CHI2 = float(sps.chi2.ppf(0.998, 1))
FINGERTIPS_POINTS = 5
#: Overdispersion cut-offs for the Poisson trend (METHODS.md §2.3 step 3).
DISPERSION_LIMIT = 1.5


@dataclass(frozen=True)
class TrendMarker:
    """The chi-square test for trend in a proportion with the Fingertips marker rules.

    ``marker`` is one of ``increasing``, ``decreasing``, ``no_significant_change``, ``outlier`` (dropping one point
    flips the direction) or ``too_few_points``.
    """

    chi2: float
    pvalue: float
    logit_slope: float
    significant_998: bool
    outlier: bool
    marker: str
    first_period: int
    last_period: int
    n_points: int


@dataclass(frozen=True)
class RateTrend:
    """A Poisson log-linear trend in a rate: the rate ratio per year, the dispersion check and the model used."""

    rate_ratio: float
    ci_low: float
    ci_high: float
    slope: float
    se: float
    pvalue: float
    dispersion: float
    dispersion_stat: float
    dispersion_pvalue: float
    model: str
    kendall_tau: float
    kendall_pvalue: float
    n_points: int


@dataclass(frozen=True)
class BootstrapChange:
    """A change in a total that clusters within units (institutions), with a bootstrap over the units."""

    total1: float
    total2: float
    difference: float
    ci_low: float
    ci_high: float
    ratio: float
    ratio_ci_low: float
    ratio_ci_high: float
    se: float
    pvalue: float
    n_units: int
    n_boot: int


@dataclass(frozen=True)
class Projection:
    """A straight-line projection to the target year with its prediction interval and the §3.2 category."""

    slope: float
    slope_se: float
    projection: float
    mean_ci_low: float
    mean_ci_high: float
    pi_low: float
    pi_high: float
    category: str
    required_per_year: float
    n_points: int


@dataclass(frozen=True)
class Detectability:
    """What a comparison of two shares can detect: the standard error, the smallest significant change and the
    minimum detectable difference at the given power (all in proportion units)."""

    se: float
    significant_from: float
    mdd: float
    power: float


def _logit_slope(t: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(np.polyfit(t, np.log(p / (1 - p)), 1)[0])


def chi2_trend(*, periods, counts, totals, points: int = FINGERTIPS_POINTS) -> TrendMarker:
    """Chi-square test for a linear trend in a proportion over the latest ``points`` periods (Fingertips marker).

    H0: the proportion does not change linearly with time; H1: it does (two-sided).

    Notes
    -----
    ``X² = D(DΣcᵢtᵢ − CΣdᵢtᵢ)² / [C(D−C)(DΣdᵢtᵢ² − (Σdᵢtᵢ)²)]`` on (effective) counts ``cᵢ`` of totals ``dᵢ``
    (Cochran–Armitage; PHEindicatormethods). Fingertips rules (METHODS.md §1.5 (ii)): the latest 5 points, at least
    5 needed; direction from the OLS slope of logit(p) on t; significant when X² > 9.5495 (99.8 %); if dropping any
    single point flips the direction, the marker is "outlier" (no significant change).
    """
    t = np.asarray(periods, dtype=float)
    c = np.asarray(counts, dtype=float)
    d = np.asarray(totals, dtype=float)
    keep = np.isfinite(t) & np.isfinite(c) & np.isfinite(d) & (d > 0)
    t, c, d = t[keep], c[keep], d[keep]
    order = np.argsort(t)
    t, c, d = t[order][-points:], c[order][-points:], d[order][-points:]
    nan = float("nan")
    if t.size < points:
        first, last = (int(t[0]), int(t[-1])) if t.size else (0, 0)
        return TrendMarker(nan, nan, nan, False, False, "too_few_points", first, last, int(t.size))
    D, C = d.sum(), c.sum()
    num = D * (D * (c * t).sum() - C * (d * t).sum()) ** 2
    den = C * (D - C) * (D * (d * t * t).sum() - (d * t).sum() ** 2)
    chi2 = float(num / den) if den > 0 else nan
    pval = float(sps.chi2.sf(chi2, 1)) if np.isfinite(chi2) else nan
    slope = _logit_slope(t, c / d)
    flips = any(np.sign(_logit_slope(np.delete(t, i), np.delete(c / d, i))) != np.sign(slope) for i in range(t.size))
    significant = bool(np.isfinite(chi2) and chi2 > FINGERTIPS_CHI2)
    if significant and flips:
        marker = "outlier"
    elif significant:
        marker = "increasing" if slope > 0 else "decreasing"
    else:
        marker = "no_significant_change"
    return TrendMarker(chi2, pval, slope, significant, bool(flips), marker, int(t[0]), int(t[-1]), int(t.size))


def poisson_trend(*, periods, counts, exposure) -> RateTrend:
    """Log-linear trend in a rate: Poisson GLM with a log-exposure offset, checked for overdispersion.

    H0: the rate ratio per period is 1; H1: it differs from 1 (two-sided).

    Notes
    -----
    ``glm(y ~ t, Poisson, offset=log(P))``; dispersion ``φ̂ = Pearson χ²/df`` and the Cameron–Trivedi nb2 test
    (``statsmodels`` ``PoissonDiagnostic.test_dispersion``). When ``φ̂ > 1.5`` or the test shows overdispersion at
    5 %, the quasi-Poisson fit (``scale="X2"``) is reported instead. Kendall's τ of the rate on time is the
    non-parametric sensitivity check (METHODS.md §2.3).
    """
    import statsmodels.api as sm

    t = np.asarray(periods, dtype=float)
    y = np.asarray(counts, dtype=float)
    e = np.asarray(exposure, dtype=float)
    keep = np.isfinite(t) & np.isfinite(y) & np.isfinite(e) & (e > 0)
    t, y, e = t[keep], y[keep], e[keep]
    nan = float("nan")
    if t.size < 3 or y.sum() == 0:
        return RateTrend(nan, nan, nan, nan, nan, nan, nan, nan, nan, "none", nan, nan, int(t.size))
    X = sm.add_constant(t - t.min())
    fit = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(e)).fit()
    phi = float(fit.pearson_chi2 / fit.df_resid) if fit.df_resid > 0 else nan
    disp = sm.Poisson(y, X, offset=np.log(e)).fit(disp=0).get_diagnostic().test_dispersion()
    i = list(disp.method).index("CT nb2")
    dstat, dp = float(disp.statistic[i]), float(disp.pvalue[i])
    over = (np.isfinite(phi) and phi > DISPERSION_LIMIT) or (dstat > 0 and dp < 0.05)
    model = "Poisson GLM"
    if over:
        fit = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(e)).fit(scale="X2")
        model = "quasi-Poisson GLM (overdispersion)"
    b, se = float(fit.params[1]), float(fit.bse[1])
    tau = sps.kendalltau(t, y / e)
    return RateTrend(math.exp(b), math.exp(b - Z95 * se), math.exp(b + Z95 * se), b, se, float(fit.pvalues[1]),
                     phi, dstat, dp, model, float(tau.statistic), float(tau.pvalue), int(t.size))


def bootstrap_change(*, values1, values2, n_boot: int = 4000, seed: int = 20140101) -> BootstrapChange:
    """Change in a total summed over units (e.g. closure days over institutions), by a bootstrap over the units.

    H0: the expected total is the same in both periods; H1: it differs (two-sided).

    Notes
    -----
    ``values1[i]`` and ``values2[i]`` belong to the same unit (0 where it had none in a period). Units are resampled
    with replacement as pairs, keeping the clustering of days within institutions (METHODS.md §2.1: no Poisson test
    on a day total). Percentile intervals; the p-value is the two-sided percentile p,
    ``2·min(P*(Δ ≤ 0), P*(Δ ≥ 0))``, at least ``1/n_boot``. The seed is fixed so a rerun gives the same numbers.
    """
    a = np.asarray(values1, dtype=float)
    b = np.asarray(values2, dtype=float)
    n = a.size
    nan = float("nan")
    t1, t2 = float(a.sum()), float(b.sum())
    if n < 2:
        return BootstrapChange(t1, t2, t2 - t1, nan, nan, nan, nan, nan, nan, nan, int(n), 0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    s1, s2 = a[idx].sum(axis=1), b[idx].sum(axis=1)
    diff = s2 - s1
    lo, hi = np.quantile(diff, [0.025, 0.975])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = s2 / s1
    ratio = ratio[np.isfinite(ratio)]
    rlo, rhi = np.quantile(ratio, [0.025, 0.975]) if ratio.size else (nan, nan)
    p = max(2 * min((diff <= 0).mean(), (diff >= 0).mean()), 1 / n_boot)
    return BootstrapChange(t1, t2, t2 - t1, float(lo), float(hi), t2 / t1 if t1 > 0 else nan, float(rlo),
                           float(rhi), float(diff.std(ddof=1)), float(min(p, 1.0)), int(n), int(n_boot))


def project_to_target(*, periods, values, target_period: int, target_value: float,
                      direction: str = "decrease", min_points: int = 4) -> Projection:
    """Project a straight line through the series to the target period and classify it by its prediction interval.

    Notes
    -----
    OLS of the value on the period; ``get_prediction(...).summary_frame(alpha=0.05)``, whose ``obs_ci_*`` columns are
    the 95 % prediction interval. For a decrease: upper PI ≤ target is "on_track_confident", lower PI > target
    "off_track_confident", otherwise "uncertain"; fewer than 4 points are not classified (METHODS.md §3.2). Also gives
    the required remaining change per period ``(target − y_latest)/(T − t_latest)``.
    """
    import statsmodels.api as sm

    t = np.asarray(periods, dtype=float)
    y = np.asarray(values, dtype=float)
    keep = np.isfinite(t) & np.isfinite(y)
    t, y = t[keep], y[keep]
    nan = float("nan")
    if t.size == 0 or target_period <= t.max():
        return Projection(nan, nan, nan, nan, nan, nan, nan, "not_classified", nan, int(t.size))
    last = int(np.argmax(t))
    required = (target_value - y[last]) / (target_period - t[last])
    if t.size < min_points:
        return Projection(nan, nan, nan, nan, nan, nan, nan, "not_classified", float(required), int(t.size))
    t0 = t.min()
    fit = sm.OLS(y, sm.add_constant(t - t0)).fit()
    frame = fit.get_prediction(np.array([[1.0, target_period - t0]])).summary_frame(alpha=0.05).iloc[0]
    lo, hi = float(frame["obs_ci_lower"]), float(frame["obs_ci_upper"])
    if direction == "decrease":
        category = "on_track_confident" if hi <= target_value else ("off_track_confident" if lo > target_value
                                                                    else "uncertain")
    else:
        category = "on_track_confident" if lo >= target_value else ("off_track_confident" if hi < target_value
                                                                    else "uncertain")
    return Projection(float(fit.params[1]), float(fit.bse[1]), float(frame["mean"]), float(frame["mean_ci_lower"]),
                      float(frame["mean_ci_upper"]), lo, hi, category, float(required), int(t.size))


def detectable_change(*, share: float, n_eff1: float, n_eff2: float, alpha: float = 0.05,
                      power: float = 0.80) -> Detectability:
    """The smallest change between two independent survey shares that the test can show, from the actual sizes.

    Notes
    -----
    ``SE_d = sqrt(p(1−p)(1/n₁ + 1/n₂))`` on Kish effective sizes; a change is significant from ``z_{1−α/2}·SE_d``;
    the minimum detectable difference at the given power is ``(z_{1−α/2} + z_{power})·SE_d`` (METHODS.md §1.4,
    "power reality check").
    """
    if min(n_eff1, n_eff2) <= 0 or not np.isfinite(share):
        nan = float("nan")
        return Detectability(nan, nan, nan, power)
    se = math.sqrt(share * (1 - share) * (1 / n_eff1 + 1 / n_eff2))
    za = float(sps.norm.isf(alpha / 2))
    return Detectability(se, za * se, (za + float(sps.norm.ppf(power))) * se, power)
