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


def compare_rates(*, count1: float, exposure1: float, count2: float, exposure2: float) -> Change:
    """Test the rate ratio ``(count2/exposure2) / (count1/exposure1)``.

    H0: the two Poisson rates are equal; H1: they differ (two-sided).

    Notes
    -----
    Exact conditional test ``y2 | y1+y2 ~ Bin(y1+y2, E2/(E1+E2))`` with the score interval for the ratio
    (``statsmodels.stats.rates``; METHODS.md §2.2).
    """
    if count1 + count2 == 0:
        return Change(float("nan"), float("nan"), float("nan"), float("nan"), 1.0, "ratio",
                      "exact conditional (no events)")
    res = test_poisson_2indep(count2, exposure2, count1, exposure1, method="exact-cond", compare="ratio")
    lo, hi = confint_poisson_2indep(count2, exposure2, count1, exposure1, method="score", compare="ratio")
    ratio = (count2 / exposure2) / (count1 / exposure1) if count1 > 0 else float("inf")
    return Change(float(ratio), float(lo), float(hi), float("nan"), float(res.pvalue), "ratio",
                  "exact conditional Poisson test, score interval")


def _band(ratio: float) -> str:
    if not np.isfinite(ratio):
        return "not_assessable"
    if ratio >= 0.95:
        return "on_track"
    if ratio >= 0.60:
        return "acceleration_needed"
    if ratio >= 0:
        return "insufficient_progress"
    return "moving_away"


def assess_target(*, base_value: float, base_year: int, value: float, year: int, target_value: float,
                  target_year: int, direction: str = "decrease") -> TargetAssessment:
    """Place progress towards a point target in the Eurostat / Open SDG categories.

    Notes
    -----
    Linear rule ``R_lin = Δ_obs / Δ_req`` with ``Δ = (y − y0)/(t − t0)``, and the growth-rate rule
    ``R = CAGR_obs / CAGR_req``; bands 0.95 / 0.60 / 0; a target already met is "achieved" (METHODS.md §3.1,
    source open-sdg/sdg-build ``ProgressMeasure.py``; a target of 0 is replaced by 0.001).
    """
    met = value <= target_value if direction == "decrease" else value >= target_value
    nan = float("nan")
    if year <= base_year or target_year <= base_year:
        return TargetAssessment(nan, nan, nan, "achieved" if met else "not_assessable",
                                nan, nan, nan, "achieved" if met else "not_assessable", bool(met))
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
    return TargetAssessment(
        required_per_year=req, observed_per_year=obs, ratio_linear=r_lin,
        category_linear="achieved" if met else _band(r_lin),
        cagr_required=cagr_req, cagr_observed=cagr_obs, ratio_cagr=r_cagr,
        category_cagr="achieved" if met else _band(r_cagr), achieved=bool(met),
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
