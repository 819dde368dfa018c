"""Estimators, intervals, change tests, trends and target rules for the indicator kinds (../shared/METHODS.md).

Every public function is pure, takes keyword arguments and returns a frozen dataclass with named fields. Bad
arguments (negative counts or exposures, shares or p-values outside [0, 1], NaN, duplicated periods, an unknown
``direction``) raise ``ValueError`` naming the argument. Whether a result is significant is decided in one place,
:func:`verdict`, at one ``alpha`` (default :data:`ALPHA`); a result that could not be tested carries
``tested=False`` and a ``reason`` and stays out of any multiple-testing family.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps
from scipy.special import bdtr, bdtrc, gammaln, xlog1py, xlogy
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)
from statsmodels.stats.rates import confint_poisson

from .significance import ALPHA  # noqa: F401  (stats.ALPHA, the level of every test)

Z95 = 1.959963984540054
#: Below this effective n, or with fewer than this many effective events / non-events, Clopper-Pearson replaces
#: Wilson and the Newcombe interval replaces the Wald difference (METHODS.md §1.3, §1.4).
SMALL_N_EFF = 100
SMALL_COUNT = 10
#: Cells of a 2×2 comparison with an expected count under this are not tested (METHODS.md §1.4).
MIN_EXPECTED = 5
#: A bootstrap over institutions gives no significance verdict with fewer units than this in either period.
MIN_UNITS = 5
#: A Poisson trend needs at least this many events in total and events in at least ``MIN_TREND_PERIODS_WITH_EVENTS``
#: periods (see :func:`poisson_trend`).
MIN_TREND_EVENTS = 10
MIN_TREND_PERIODS_WITH_EVENTS = 2
#: φ̂ is estimated only with at least this many residual degrees of freedom: a single area's trend model needs 6
#: points (METHODS.md §2.2 revised), i.e. 4 residual df, and a panel is held to the same 4 df.
MIN_DISPERSION_DF = 4
MIN_DISPERSION_POINTS = 6
DIRECTIONS = ("decrease", "increase")
VERDICT_CODES = ("significant_increase", "significant_decrease", "no_significant_change", "not_tested")

_NAN = float("nan")


# --------------------------------------------------------------------------------------------------------------------
# Argument checks: every public function calls these, so a bad argument fails loudly and names itself
# --------------------------------------------------------------------------------------------------------------------

def _array(name: str, values, *, allow_nan: bool = False) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers; got {values!r}") from exc
    if a.ndim > 1:
        raise ValueError(f"{name} must be one number or a flat sequence of numbers")
    bad = np.isinf(a) if allow_nan else ~np.isfinite(a)
    if bad.any():
        raise ValueError(f"{name} must be finite numbers (no NaN or infinity); got {a[bad][0]!r} at position "
                         f"{int(np.flatnonzero(np.atleast_1d(bad))[0])}")
    return a


def _nonneg(name: str, values, *, positive: bool = False, allow_nan: bool = False) -> np.ndarray:
    a = _array(name, values, allow_nan=allow_nan)
    bad = (a <= 0) if positive else (a < 0)
    if np.any(bad):
        what = "greater than 0" if positive else "0 or more"
        raise ValueError(f"{name} must be {what}; got {np.atleast_1d(a)[np.atleast_1d(bad)][0]!r}")
    return a


def _unit(name: str, values, *, allow_nan: bool = False) -> np.ndarray:
    a = _array(name, values, allow_nan=allow_nan)
    with np.errstate(invalid="ignore"):
        bad = (a < 0) | (a > 1)
    if np.any(bad):
        raise ValueError(f"{name} must lie in [0, 1]; got {np.atleast_1d(a)[np.atleast_1d(bad)][0]!r}")
    return a


def _scalar(name: str, value) -> float:
    if np.ndim(value) != 0:
        raise ValueError(f"{name} must be a single number; got {value!r}")
    return float(_array(name, value))


def _level(name: str, value) -> float:
    a = _scalar(name, value)
    if not 0 < a < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1; got {a!r}")
    return a


def _direction(direction) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}; got {direction!r}")
    return direction


def _periods(name: str, values) -> np.ndarray:
    t = _array(name, values)
    if np.unique(t).size != t.size:
        dup = sorted({x for x in t.tolist() if (t == x).sum() > 1})
        raise ValueError(f"{name} must not repeat a period; {dup} occur more than once")
    return t


def _same_length(**arrays) -> None:
    sizes = {k: np.atleast_1d(v).size for k, v in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"{', '.join(sizes)} must have the same length; got {sizes}")


def _whole(name: str, value: float) -> int:
    if abs(value - round(value)) > 1e-6:
        raise ValueError(f"{name} must be a whole number of events; got {value!r}")
    return int(round(value))


def _z(alpha: float) -> float:
    return Z95 if alpha == 0.05 else float(sps.norm.isf(alpha / 2))


# --------------------------------------------------------------------------------------------------------------------
# One verdict, one place
# --------------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """The significance verdict of one test.

    ``code`` is one of ``significant_increase``, ``significant_decrease``, ``no_significant_change`` or
    ``not_tested``; ``reason`` says why in words a method note can quote (the p-value and α, or why no test ran).
    """

    code: str
    reason: str
    pvalue: float
    alpha: float

    @property
    def significant(self) -> bool:
        return self.code in ("significant_increase", "significant_decrease")

    @property
    def tested(self) -> bool:
        return self.code != "not_tested"


def verdict(*, estimate: float, pvalue: float, alpha: float = ALPHA, tested: bool = True, null: float = 0.0,
            reason: str = "") -> Verdict:
    """Decide significant increase / decrease, no significant change, or not tested: the single rule for every kind.

    Parameters
    ----------
    estimate : the change (a difference or a slope, ``null=0``; a ratio, ``null=1``); its side of ``null`` gives
        the direction. May be ±inf (a ratio from zero events).
    pvalue : the two-sided p-value that drives the verdict (the adjusted p or a q-value where one applies).
        NaN means no test was run and gives ``not_tested``.
    alpha : the significance level (METHODS.md §0), strictly between 0 and 1.
    tested : False for a result that was not tested (no events, too small, a series break); ``reason`` says why.
    null : the value of ``estimate`` under no change.
    reason : why it was not tested; for a tested result, a note appended to the p-value statement (e.g. the
        overdispersion adjustment).

    Notes
    -----
    Significant when ``pvalue < alpha`` (METHODS.md §0: never from overlapping intervals). A significant result
    whose estimate equals ``null`` has no direction and is reported as no significant change.
    """
    alpha = _level("alpha", alpha)
    null = _scalar("null", null)
    p = float(_unit("pvalue", pvalue, allow_nan=True))
    if not tested or math.isnan(p):
        return Verdict("not_tested", reason or "no test was run", p, alpha)
    try:
        est = float(estimate)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"estimate must be a number; got {estimate!r}") from exc
    if math.isnan(est):
        raise ValueError("estimate must be a number when pvalue is given; got NaN")
    note = f"; {reason}" if reason else ""
    if p < alpha and est != null:
        code = "significant_increase" if est > null else "significant_decrease"
        return Verdict(code, f"p = {p:.3g} < α = {alpha:g}{note}", p, alpha)
    why = f"p = {p:.3g} ≥ α = {alpha:g}" if p >= alpha else f"p = {p:.3g} < α = {alpha:g} but the estimate is the null"
    return Verdict("no_significant_change", why + note, p, alpha)


def _not_tested(reason: str, alpha: float) -> Verdict:
    return verdict(estimate=_NAN, pvalue=_NAN, alpha=alpha, tested=False, reason=reason)


# --------------------------------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """A point estimate with its interval and the method that produced it."""

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
    """A change between two periods: the difference (or ratio), its interval and the test of no change.

    ``pvalue`` is the p that drives the verdict; for rates ``p_exact`` is the exact conditional p and
    ``p_adjusted`` the overdispersion-adjusted p (NaN when φ̂ ≤ 1). ``tested=False`` (with ``reason``) marks a
    change that was not tested: it has ``pvalue`` NaN and belongs to no multiple-testing family.
    """

    estimate: float
    ci_low: float
    ci_high: float
    statistic: float
    pvalue: float
    scale: str   # "difference" or "ratio"
    method: str
    p_exact: float = _NAN
    p_adjusted: float = _NAN
    dispersion: float = 1.0
    z_score: float = _NAN
    tested: bool = True
    reason: str = ""
    verdict: Verdict | None = None


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
    """A weighted least-squares slope per year with its standard error and interval; ``n_points`` = points used."""

    slope: float
    se: float
    ci_low: float
    ci_high: float
    chi2: float
    pvalue: float
    n_points: int
    tested: bool = True
    reason: str = ""
    verdict: Verdict | None = None


@dataclass(frozen=True)
class Dispersion:
    """φ̂ of a family of rate series: Pearson χ²/df of a Poisson GLM, or 1 with the reason it was not estimated.

    ``phi`` is the estimate as computed (it may be below 1; only φ̂ > 1 changes a test); ``estimated`` is False when
    ``phi`` is the default 1. ``n_areas`` and ``n_points`` count the areas and (area, period) cells the model used
    (areas and periods without any event are left out).
    """

    phi: float
    pearson_chi2: float
    df_resid: int
    n_areas: int
    n_points: int
    estimated: bool
    model: str
    reason: str


def kish_effective_n(*, weights) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` (METHODS.md §1.2); weights must be finite and 0 or more."""
    w = _nonneg("weights", weights)
    if w.size == 0 or not (w > 0).any():
        return 0.0
    return float(w.sum() ** 2 / np.square(w).sum())


def share_confint(*, share: float, n_effective: float, alpha: float = ALPHA) -> Interval:
    """Interval for a share from effective counts: Wilson, or Clopper-Pearson when counts are small.

    Notes
    -----
    Wilson score interval on ``x* = p·n_eff``, ``n* = n_eff``; switches to the Clopper-Pearson (Korn-Graubard)
    interval when ``n_eff < 100``, ``x* < 10`` or ``n_eff - x* < 10`` (METHODS.md §1.3). ``n_effective = 0`` gives
    a NaN interval.
    """
    share = float(_unit("share", share))
    n_effective = float(_nonneg("n_effective", n_effective))
    alpha = _level("alpha", alpha)
    if n_effective <= 0:
        return Interval(_NAN, _NAN, _NAN, "none")
    x = share * n_effective
    small = n_effective < SMALL_N_EFF or x < SMALL_COUNT or n_effective - x < SMALL_COUNT
    if small:
        # Clopper-Pearson with fractional counts via Beta quantiles; exact ends at 0 and n.
        lo = 0.0 if x <= 0 else float(sps.beta.ppf(alpha / 2, x, n_effective - x + 1))
        hi = 1.0 if x >= n_effective else float(sps.beta.ppf(1 - alpha / 2, x + 1, n_effective - x))
    else:
        lo, hi = proportion_confint(x, n_effective, alpha=alpha, method="wilson")
    name = "Clopper-Pearson (effective counts)" if small else "Wilson (effective counts)"
    return Interval(float(share), float(lo), float(hi), name)


def share_se(*, share, n_effective) -> np.ndarray | float:
    """Standard error of a share on effective n, kept above 0 at shares of 0 and 1.

    Notes
    -----
    ``sqrt(p(1−p)/n_eff)`` (METHODS.md §1.4), except at ``p = 0`` or ``p = 1``, where that is 0 and would give the
    point infinite weight: there ``p̃ = (x* + ½)/(n_eff + 1)`` replaces p, the half-count correction for a zero
    cell (Haldane 1956, Biometrika 43:11; Cochrane Handbook §10.4.4.2 adds ½ to zero cells in the same way).
    Interior shares keep the plain SE, so the METHODS.md reference values are unchanged.
    """
    p = _unit("share", share)
    n = _nonneg("n_effective", n_effective, positive=True)
    p, n = np.broadcast_arrays(p, n)
    edge = (p == 0) | (p == 1)
    q = np.where(edge, (p * n + 0.5) / (n + 1), p)
    out = np.sqrt(q * (1 - q) / n)
    return float(out) if out.ndim == 0 else out


def weighted_share(*, y, weights) -> ShareEstimate:
    """Hájek weighted share of ``y ∈ {0, 1}`` with Kish's effective n and its 95 % interval.

    Rows with a missing ``y`` (NaN) are excluded from both sums (METHODS.md §1.1); any other value than 0, 1 or
    NaN in ``y`` is an error, as is a negative or missing weight.
    """
    y = _array("y", y, allow_nan=True)
    w = _nonneg("weights", weights)
    _same_length(y=y, weights=w)
    if np.any(~np.isnan(y) & (y != 0) & (y != 1)):
        raise ValueError("y must hold 0, 1 or NaN (a missing answer)")
    keep = ~np.isnan(y)
    y, w = y[keep], w[keep]
    if y.size == 0 or w.sum() <= 0:
        return ShareEstimate(_NAN, _NAN, _NAN, int(y.size), 0.0, 0.0, "none")
    p = float((w * y).sum() / w.sum())
    n_eff = kish_effective_n(weights=w)
    ci = share_confint(share=p, n_effective=n_eff)
    return ShareEstimate(p, ci.ci_low, ci.ci_high, int(y.size), n_eff, p * n_eff, ci.method)


def person_share(*, count: int, population: int) -> Interval:
    """Share of a register population (a census): Wilson interval read as random variation (METHODS.md §2.1).

    A population of 0 gives a NaN interval; a count above the population is an error.
    """
    count = float(_nonneg("count", count))
    population = float(_nonneg("population", population))
    if count > population:
        raise ValueError(f"count must not exceed population; got count {count:g} > population {population:g}")
    if population <= 0:
        return Interval(_NAN, _NAN, _NAN, "none")
    return share_confint(share=count / population, n_effective=population)


def rate_confint(*, count: float, exposure: float, per: float = 1000.0, dispersion: float = 1.0,
                 alpha: float = ALPHA) -> Interval:
    """Events per ``per`` units of exposure with the exact (Garwood) Poisson interval (METHODS.md §2.1).

    Notes
    -----
    ``confint_poisson(count, exposure/per, method="exact-c")``. With overdispersion (``dispersion`` = φ̂ > 1, from
    :func:`family_dispersion`) the interval is widened as the change tests are (METHODS.md §2.2 revised): its
    log-scale distances from the estimate are multiplied by √φ̂. A count of 0 has no log scale: its exact upper
    bound is taken on the effective count, ``φ̂·χ²_{2,1−α/2}/2 / exposure`` (the quasi-Poisson information of
    ``y/φ̂`` events). An exposure of 0 gives a NaN interval.
    """
    count = float(_nonneg("count", count))
    exposure = float(_nonneg("exposure", exposure))
    per = float(_nonneg("per", per, positive=True))
    phi = float(_nonneg("dispersion", dispersion, positive=True))
    alpha = _level("alpha", alpha)
    if exposure <= 0:
        return Interval(_NAN, _NAN, _NAN, "none")
    lo, hi = confint_poisson(count, exposure / per, method="exact-c", alpha=alpha)
    est = count * per / exposure
    method = "exact Poisson (Garwood)"
    if phi > 1:
        w = math.sqrt(phi)
        if count > 0:
            lo, hi = est * (lo / est) ** w, est * (hi / est) ** w
        else:
            hi = phi * float(sps.chi2.isf(alpha / 2, 2)) / 2 / (exposure / per)
        method = f"exact Poisson (Garwood), widened for overdispersion (φ = {phi:.2f})"
    return Interval(float(est), float(lo), float(hi), method)


def compare_shares(*, share1: float, n_eff1: float, share2: float, n_eff2: float, alpha: float = ALPHA) -> Change:
    """Test the change ``share2 - share1`` between two independent cross-sections.

    H0: the two population shares are equal; H1: they differ (two-sided).

    Notes
    -----
    Unpooled z on Kish effective sizes, ``SE = sqrt(p1(1-p1)/n1 + p2(1-p2)/n2)`` (METHODS.md §1.4). When an
    effective count is below 10 or an effective n below 100, the Newcombe hybrid-score interval and the score test
    on effective counts are used instead. When a cell of the 2×2 table has an expected count under 5
    (``n_i·p̄`` or ``n_i·(1−p̄)`` with the pooled ``p̄``), the change is not tested (METHODS.md §1.4: "report
    descriptively"): estimate only, ``pvalue`` and interval NaN, ``tested=False``.
    """
    share1, share2 = float(_unit("share1", share1)), float(_unit("share2", share2))
    n_eff1, n_eff2 = float(_nonneg("n_eff1", n_eff1)), float(_nonneg("n_eff2", n_eff2))
    alpha = _level("alpha", alpha)
    d = share2 - share1
    x1, x2 = share1 * n_eff1, share2 * n_eff2
    n = n_eff1 + n_eff2
    pbar = (x1 + x2) / n if n > 0 else _NAN
    expected = min(n_eff1 * pbar, n_eff2 * pbar, n_eff1 * (1 - pbar), n_eff2 * (1 - pbar)) if n > 0 else 0.0
    if expected < MIN_EXPECTED:
        reason = (f"too small to test: smallest expected count {expected:.1f} is under {MIN_EXPECTED} "
                  "(METHODS.md §1.4)")
        return Change(d, _NAN, _NAN, _NAN, _NAN, "difference", "not tested (expected count under 5)",
                      tested=False, reason=reason, verdict=_not_tested(reason, alpha))
    small = min(x1, x2, n_eff1 - x1, n_eff2 - x2) < SMALL_COUNT or min(n_eff1, n_eff2) < SMALL_N_EFF
    if small:
        lo, hi = confint_proportions_2indep(x2, n_eff2, x1, n_eff1, method="newcomb", alpha=alpha)
        with np.errstate(divide="ignore", invalid="ignore"):   # statsmodels also forms an odds ratio we do not use
            res = test_proportions_2indep(x2, n_eff2, x1, n_eff1, method="score")
        z, p = float(res.statistic), float(res.pvalue)
        method = "score test, Newcombe interval (effective counts)"
    else:
        se = math.sqrt(share1 * (1 - share1) / n_eff1 + share2 * (1 - share2) / n_eff2)
        z = d / se
        p = float(2 * sps.norm.sf(abs(z)))
        lo, hi = d - _z(alpha) * se, d + _z(alpha) * se
        method = "unpooled z (Kish effective n)"
    return Change(d, float(lo), float(hi), z, p, "difference", method, p_exact=_NAN, z_score=z,
                  verdict=verdict(estimate=d, pvalue=p, alpha=alpha))


def _binom_logpmf(x, n: int, p: float):
    return (gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1) + xlogy(x, p) + xlog1py(n - x, -p))


def _binom_two_sided(k: int, n: int, p: float) -> float:
    """Two-sided exact binomial p by the 'minlike' rule of ``scipy.stats.binomtest`` (same result, faster).

    The other tail holds the outcomes no more likely than ``k`` (with scipy's relative tolerance 1e-7); only a
    window of ±40 SD around the mean is searched, beyond which the probabilities underflow.
    """
    if n == 0:
        return 1.0
    m = n * p
    if k == m:
        return 1.0
    rerr = 1 + 1e-7
    log_d = float(_binom_logpmf(k, n, p)) + math.log(rerr)
    sd = math.sqrt(n * p * (1 - p))
    if k < m:
        x = np.arange(math.ceil(m), min(n, math.ceil(m + 40 * sd + 40)) + 1)
        hit = np.flatnonzero(_binom_logpmf(x, n, p) <= log_d)
        y = int(x[hit[0]]) if hit.size else n + 1
        pval = bdtr(k, n, p) + (bdtrc(y - 1, n, p) if y <= n else 0.0)
    else:
        x = np.arange(max(0, math.floor(m - 40 * sd - 40)), math.floor(m) + 1)
        hit = np.flatnonzero(_binom_logpmf(x, n, p) <= log_d)
        y = int(x[hit[-1]]) if hit.size else -1
        pval = (bdtr(y, n, p) if y >= 0 else 0.0) + bdtrc(k - 1, n, p)
    return float(min(1.0, pval))


def _wilson(x: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval (METHODS.md §1.3 formula)."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _ratio_interval(y1: int, e1: float, y2: int, e2: float, alpha: float, phi: float) -> tuple[float, float, str]:
    """Interval for ``(y2/e2)/(y1/e1)`` on the conditional binomial ``π = y2/(y1+y2)`` scale."""
    n = y1 + y2
    to_ratio = e1 / e2
    if y1 > 0 and y2 > 0:
        # the score interval for the ratio (confint_poisson_2indep method="score") is the Wilson interval of π
        # mapped by π/(1−π)·E1/E2; widened by √φ on the log scale around the estimate
        lo, hi = _wilson(y2, n, _z(alpha))
        lo, hi = lo / (1 - lo) * to_ratio, hi / (1 - hi) * to_ratio
        if phi > 1:
            r = y2 / e2 / (y1 / e1)
            w = math.sqrt(phi)
            lo, hi = r * (lo / r) ** w, r * (hi / r) ** w
        return float(lo), float(hi), "score interval"
    # one zero count: Clopper-Pearson on π (on effective counts n/φ when overdispersed), then to the ratio scale
    ne = n / phi if phi > 1 else n
    if y2 == 0:
        pi_hi = float(sps.beta.ppf(1 - alpha / 2, 1, ne))
        return 0.0, pi_hi / (1 - pi_hi) * to_ratio, "exact conditional (Clopper-Pearson) interval"
    pi_lo = float(sps.beta.ppf(alpha / 2, ne, 1))
    return pi_lo / (1 - pi_lo) * to_ratio, math.inf, "exact conditional (Clopper-Pearson) interval"


def compare_rates(*, count1: float, exposure1: float, count2: float, exposure2: float,
                  dispersion: float = 1.0, alpha: float = ALPHA) -> Change:
    """Test the rate ratio ``(count2/exposure2) / (count1/exposure1)``.

    H0: the two Poisson rates are equal; H1: they differ (two-sided).

    Parameters
    ----------
    count1, count2 : whole numbers of events (0 or more), earlier and later period.
    exposure1, exposure2 : exposures (> 0).
    dispersion : φ̂ of the family (:func:`family_dispersion`); values ≤ 1 leave the exact test alone.
    alpha : significance level of the verdict and 1 − level of the interval.

    Notes
    -----
    ``p_exact``: the exact conditional test, ``y2 | y1+y2 ~ Bin(y1+y2, E2/(E1+E2))`` (METHODS.md §2.2;
    ``test_poisson_2indep(method="exact-cond")``, the two-sided rule of ``scipy.stats.binomtest``). ``z_score`` is
    the score statistic ``(y2 − nπ₀)/sqrt(nπ₀(1−π₀))`` (``test_poisson_2indep(method="score")``). When φ̂ > 1,
    ``p_adjusted = max(p_exact, 2Φ(−|z_score|/√φ̂))`` and ``statistic = z_score/√φ̂``: the adjustment can make a
    change less certain, never more (METHODS.md §2.2 revised). ``pvalue`` is ``p_adjusted`` when φ̂ > 1, else
    ``p_exact``.

    Interval: the score interval for the ratio (closed form: the Wilson interval of π = y2/(y1+y2) mapped by
    ``π/(1−π)·E1/E2``, identical to ``confint_poisson_2indep(method="score")``), widened by √φ̂ on the log scale.
    With one zero count it is the exact Clopper-Pearson interval of π mapped the same way (on effective counts
    ``n/φ̂`` when overdispersed): 0 → n gives estimate +inf and upper bound +inf, n → 0 gives estimate 0 and lower
    bound 0. 0 → 0 is "no events": no test (``tested=False``), estimate and p NaN.
    """
    c1 = _whole("count1", float(_nonneg("count1", count1)))
    c2 = _whole("count2", float(_nonneg("count2", count2)))
    e1 = float(_nonneg("exposure1", exposure1, positive=True))
    e2 = float(_nonneg("exposure2", exposure2, positive=True))
    phi = float(_nonneg("dispersion", dispersion, positive=True))
    alpha = _level("alpha", alpha)
    if c1 + c2 == 0:
        reason = "no events in either period: nothing to test"
        return Change(_NAN, _NAN, _NAN, _NAN, _NAN, "ratio", "no events", dispersion=phi, tested=False,
                      reason=reason, verdict=_not_tested(reason, alpha))
    n = c1 + c2
    ratio = (c2 / e2) / (c1 / e1) if c1 > 0 else math.inf
    pi0 = e2 / (e1 + e2)
    p_exact = _binom_two_sided(c2, n, pi0)
    z = (c2 - n * pi0) / math.sqrt(n * pi0 * (1 - pi0))
    lo, hi, ci_name = _ratio_interval(c1, e1, c2, e2, alpha, phi)
    if phi > 1:
        stat = z / math.sqrt(phi)
        p_adj = max(p_exact, float(2 * sps.norm.sf(abs(stat))))
        p = p_adj
        method = (f"exact conditional Poisson test, adjusted for overdispersion (φ = {phi:.2f}: "
                  f"p = max(exact p, p of z/√φ)), {ci_name} widened by √φ")
        reason = f"φ̂ = {phi:.2f} > 1: the p of the score z/√φ̂ is used where larger than the exact p"
    else:
        stat, p_adj, p = _NAN, _NAN, p_exact
        method = f"exact conditional Poisson test, {ci_name}"
        reason = ""
    return Change(float(ratio), lo, hi, stat, p, "ratio", method, p_exact=p_exact, p_adjusted=p_adj,
                  dispersion=phi, z_score=float(z), tested=True, reason=reason,
                  verdict=verdict(estimate=ratio, pvalue=p, alpha=alpha, null=1.0, reason=reason))


def family_dispersion(*, areas, periods, counts, exposure) -> Dispersion:
    """φ̂ of one family of rate series (one indicator at one area level): Pearson χ²/df of a Poisson GLM.

    Notes
    -----
    Several areas: ``y ~ C(area) + C(period)`` with offset ``log(exposure)`` over the series segment, φ̂ = Pearson
    χ²/df (METHODS.md §2.2 revised; area and year effects, so a trend is not mistaken for overdispersion). Areas or
    periods with no events at all are left out (their effects are −∞ and carry no information on φ). A single area:
    the §2.3 trend model ``y ~ t``, only with at least 6 points. With fewer than 4 residual degrees of freedom, or
    fewer events than :func:`poisson_trend` needs, φ̂ is not estimated: ``phi = 1``, ``estimated=False`` and
    ``reason`` says why. A (area, period) pair may occur only once.
    """
    import statsmodels.api as sm

    t = _array("periods", periods)
    y = _nonneg("counts", counts)
    e = _nonneg("exposure", exposure, positive=True)
    a = np.asarray(areas, dtype=object).ravel()
    _same_length(areas=a, periods=t, counts=y, exposure=e)
    keys = list(zip(a.tolist(), t.tolist()))
    if len(set(keys)) != len(keys):
        raise ValueError("periods must not repeat within an area; an (area, period) pair occurs more than once")
    labels = list(dict.fromkeys(a.tolist()))

    def no(reason: str, model: str = "none", chi2=_NAN, df=0) -> Dispersion:
        return Dispersion(1.0, chi2, int(df), len(set(a.tolist())), int(y.size), False, model, reason)

    if len(labels) == 1:
        model = "Poisson GLM y ~ t (single-area trend model, METHODS.md §2.3)"
        if y.size < MIN_DISPERSION_POINTS:
            return no(f"single area with {y.size} points: φ̂ needs at least {MIN_DISPERSION_POINTS}", model)
        if y.sum() < MIN_TREND_EVENTS or (y > 0).sum() < MIN_TREND_PERIODS_WITH_EVENTS:
            return no("too few events to estimate φ̂", model)
        X = sm.add_constant(t - t.min())
    else:
        model = "Poisson GLM y ~ C(area) + C(period), log-exposure offset"
        tot_a = {lab: y[a == lab].sum() for lab in labels}
        tot_t = {p: y[t == p].sum() for p in np.unique(t)}
        keep = np.array([tot_a[ai] > 0 and tot_t[ti] > 0 for ai, ti in zip(a.tolist(), t.tolist())], dtype=bool)
        a, t, y, e = a[keep], t[keep], y[keep], e[keep]
        la, lt = list(dict.fromkeys(a.tolist())), sorted(set(t.tolist()))
        if len(la) < 2 or len(lt) < 2:
            return no("fewer than 2 areas and 2 periods with events", model)
        X = np.column_stack([np.ones(y.size)]
                            + [(a == lab).astype(float) for lab in la[1:]]
                            + [(t == p).astype(float) for p in lt[1:]])
    fit = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(e)).fit()
    df = int(round(fit.df_resid))
    chi2 = float(fit.pearson_chi2)
    if df < MIN_DISPERSION_DF:
        return no(f"{df} residual degrees of freedom: φ̂ needs at least {MIN_DISPERSION_DF}", model, chi2, df)
    return Dispersion(chi2 / df, chi2, df, len(set(a.tolist())), int(y.size), True, model, "")


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
    base_value, value = _scalar("base_value", base_value), _scalar("value", value)
    target_value = _scalar("target_value", target_value)
    base_year, year, target_year = (_scalar("base_year", base_year), _scalar("year", year),
                                    _scalar("target_year", target_year))
    direction = _direction(direction)
    met = value <= target_value if direction == "decrease" else value >= target_value
    nan = _NAN
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


def weighted_trend(*, years, values, se=None, n_effective=None, alpha: float = ALPHA) -> Trend:
    """Slope per year of a series of estimates with known standard errors (inverse-variance WLS, fixed scale).

    H0: slope = 0; H1: slope ≠ 0.

    Parameters
    ----------
    years, values : the series; every point is used (``n_points`` counts them).
    se : standard errors (> 0) of the values. Give either ``se`` or ``n_effective``.
    n_effective : for a share series (values in [0, 1]): the effective n of each point; the SEs are then
        :func:`share_se`, which stays above 0 at shares of 0 % and 100 %, so such points keep a finite weight.
    alpha : level of the verdict and 1 − level of the interval.

    Notes
    -----
    Closed form of ``sm.WLS(y, [1, t], weights=1/se²).fit(cov_type="fixed scale")``: PHE's weighted regression
    trend (METHODS.md §1.5 (i)). Fewer than 2 points: no trend (``tested=False``).
    """
    t = _periods("years", years)
    y = _array("values", values)
    alpha = _level("alpha", alpha)
    if (se is None) == (n_effective is None):
        raise ValueError("give exactly one of se and n_effective")
    if se is not None:
        s = _nonneg("se", se)
        _same_length(years=t, values=y, se=s)
        if (s == 0).any():
            raise ValueError("se must be greater than 0 (a share of 0 or 1 has SE 0: pass n_effective instead, "
                             "which uses the half-count correction)")
    else:
        y = _unit("values", values)
        n = _nonneg("n_effective", n_effective, positive=True)
        _same_length(years=t, values=y, n_effective=n)
        s = np.atleast_1d(share_se(share=y, n_effective=n))
    t, y, s = np.atleast_1d(t), np.atleast_1d(y), np.atleast_1d(s)
    if t.size < 2:
        reason = f"{t.size} point(s): a trend needs at least 2"
        return Trend(_NAN, _NAN, _NAN, _NAN, _NAN, _NAN, int(t.size), False, reason, _not_tested(reason, alpha))
    w = 1 / np.square(s)
    sw, swt, swy, swt2, swyt = w.sum(), (w * t).sum(), (w * y).sum(), (w * t * t).sum(), (w * y * t).sum()
    den = sw * swt2 - swt**2
    beta = (sw * swyt - swt * swy) / den
    var = sw / den
    se_b = math.sqrt(var)
    chi2 = beta**2 / var
    p = float(sps.chi2.sf(chi2, 1))
    z = _z(alpha)
    return Trend(float(beta), se_b, float(beta - z * se_b), float(beta + z * se_b), float(chi2), p, int(t.size),
                 True, "", verdict(estimate=beta, pvalue=p, alpha=alpha))


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
    −1 pp/yr; its reference p = 0.074 is this upper tail). ``ci_meets_target`` is true when the whole interval
    of the slope lies beyond the target pace. A trend without a slope gives NaN.
    """
    target_slope = _scalar("target_slope", target_slope)
    direction = _direction(direction)
    if not np.isfinite(trend.slope) or not np.isfinite(trend.se) or trend.se <= 0:
        return SlopeTest(_NAN, _NAN, False)
    z = (trend.slope - target_slope) / trend.se
    if direction == "decrease":
        return SlopeTest(float(z), float(sps.norm.sf(z)), bool(trend.ci_high < target_slope))
    return SlopeTest(float(z), float(sps.norm.cdf(z)), bool(trend.ci_low > target_slope))


ADJUST_METHODS = ("holm", "fdr_bh", "none")


def adjust_pvalues(*, pvalues, method: str) -> np.ndarray:
    """Adjusted p-values (q-values) for a family: ``holm``, ``fdr_bh`` or ``none`` (METHODS.md §4).

    NaN marks an untested row: it passes through as NaN and does not count in the family size.
    """
    if method not in ADJUST_METHODS:
        raise ValueError(f"method must be one of {ADJUST_METHODS}; got {method!r}")
    p = _unit("pvalues", pvalues, allow_nan=True)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if method == "none":
        return p.copy()
    if ok.any():
        out[ok] = _holm(p[ok]) if method == "holm" else multipletests(p[ok], alpha=0.05, method=method)[1]
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values: the running maximum of (m − j) p_(j) over the sorted p, capped at 1
    (Holm 1979). Written out because statsmodels' ``multipletests(method="holm")`` runs a full garbage collection
    on every call (seconds in a run of a thousand families); tests/test_stats.py holds it against statsmodels."""
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


# --------------------------------------------------------------------------------------------------------------------
# Trends (METHODS.md §1.5 (ii), §2.3), clustered counts (§2.1), projection (§3.2), detectability (§1.4)
# --------------------------------------------------------------------------------------------------------------------

#: Fingertips' screening threshold: the χ²₁ quantile at 99.8 % (METHODS.md §1.5 (ii)).
FINGERTIPS_ALPHA = 0.002
FINGERTIPS_CHI2 = float(sps.chi2.ppf(1 - FINGERTIPS_ALPHA, 1))
FINGERTIPS_POINTS = 5
#: Overdispersion cut-offs for the Poisson trend (METHODS.md §2.3 step 3).
DISPERSION_LIMIT = 1.5


@dataclass(frozen=True)
class TrendMarker:
    """The chi-square test for trend in a proportion with the Fingertips marker rules.

    ``marker`` is one of ``increasing``, ``decreasing``, ``no_significant_change``, ``outlier`` (dropping one point
    flips the direction), ``too_few_points`` or ``not_tested`` (no events, or every unit an event).
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
    tested: bool = True
    reason: str = ""
    verdict: Verdict | None = None


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
    tested: bool = True
    reason: str = ""
    total_events: float = _NAN
    verdict: Verdict | None = None


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
    units1: int = 0
    units2: int = 0
    tested: bool = True
    reason: str = ""
    verdict: Verdict | None = None


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
    sampling_se: float = 0.0


@dataclass(frozen=True)
class Detectability:
    """What a comparison of two shares can detect: the standard error, the smallest significant change and the
    minimum detectable difference at the given power (all in proportion units)."""

    se: float
    significant_from: float
    mdd: float
    power: float


def _empirical_logit_slope(t: np.ndarray, c: np.ndarray, d: np.ndarray) -> float:
    # Cox's empirical logit log((c + ½)/(d − c + ½)): finite at 0 % and 100 % (Cox 1970, The Analysis of Binary Data)
    return float(np.polyfit(t, np.log((c + 0.5) / (d - c + 0.5)), 1)[0])


def chi2_trend(*, periods, counts, totals, points: int = FINGERTIPS_POINTS) -> TrendMarker:
    """Chi-square test for a linear trend in a proportion over the latest ``points`` periods (Fingertips marker).

    H0: the proportion does not change linearly with time; H1: it does (two-sided).

    Notes
    -----
    ``X² = D(DΣcᵢtᵢ − CΣdᵢtᵢ)² / [C(D−C)(DΣdᵢtᵢ² − (Σdᵢtᵢ)²)]`` on (effective) counts ``cᵢ`` of totals ``dᵢ``
    (Cochran–Armitage; PHEindicatormethods). Fingertips rules (METHODS.md §1.5 (ii)): the latest 5 points, at least
    5 needed; direction from the OLS slope of logit(p) on t; significant when X² > 9.5495 (99.8 %); if dropping any
    single point flips the direction, the marker is "outlier" (no significant change). Every point of the latest
    five is used, 0 % and 100 % included: the logit is Cox's empirical logit ``log((c+½)/(d−c+½))``. With no
    events (or only events) in all points there is no test. The verdict uses α = 0.002.
    """
    t = _periods("periods", periods)
    c = _nonneg("counts", counts)
    d = _nonneg("totals", totals, positive=True)
    _same_length(periods=t, counts=c, totals=d)
    if (c > d * (1 + 1e-12)).any():
        raise ValueError("counts must not exceed totals")
    if int(points) < 2:
        raise ValueError(f"points must be 2 or more; got {points!r}")
    order = np.argsort(t)
    t, c, d = t[order][-points:], c[order][-points:], d[order][-points:]
    nan = _NAN
    if t.size < points:
        first, last = (int(t[0]), int(t[-1])) if t.size else (0, 0)
        reason = f"{t.size} points: the Fingertips marker needs {points}"
        return TrendMarker(nan, nan, nan, False, False, "too_few_points", first, last, int(t.size), False, reason,
                           _not_tested(reason, FINGERTIPS_ALPHA))
    D, C = d.sum(), c.sum()
    slope = _empirical_logit_slope(t, c, d)
    if C <= 0 or C >= D:
        reason = "no events in any period" if C <= 0 else "every unit an event in every period"
        return TrendMarker(nan, nan, slope, False, False, "not_tested", int(t[0]), int(t[-1]), int(t.size), False,
                           reason, _not_tested(reason, FINGERTIPS_ALPHA))
    num = D * (D * (c * t).sum() - C * (d * t).sum()) ** 2
    den = C * (D - C) * (D * (d * t * t).sum() - (d * t).sum() ** 2)
    chi2 = float(num / den)
    pval = float(sps.chi2.sf(chi2, 1))
    flips = any(np.sign(_empirical_logit_slope(np.delete(t, i), np.delete(c, i), np.delete(d, i))) != np.sign(slope)
                for i in range(t.size))
    significant = bool(chi2 > FINGERTIPS_CHI2)
    if significant and flips:
        marker = "outlier"
        # Fingertips' outlier rule overrides the direction: the marker's verdict is no significant change
        v = Verdict("no_significant_change", f"X² = {chi2:.3g} > {FINGERTIPS_CHI2:.4f}, but dropping one point flips "
                    "the direction (Fingertips outlier rule)", pval, FINGERTIPS_ALPHA)
    else:
        marker = ("increasing" if slope > 0 else "decreasing") if significant else "no_significant_change"
        v = verdict(estimate=slope, pvalue=pval, alpha=FINGERTIPS_ALPHA)
    return TrendMarker(chi2, pval, slope, significant, bool(flips), marker, int(t[0]), int(t[-1]), int(t.size),
                       True, "", v)


def poisson_trend(*, periods, counts, exposure, alpha: float = ALPHA) -> RateTrend:
    """Log-linear trend in a rate: Poisson GLM with a log-exposure offset, checked for overdispersion.

    H0: the rate ratio per period is 1; H1: it differs from 1 (two-sided).

    Notes
    -----
    ``glm(y ~ t, Poisson, offset=log(P))``; dispersion ``φ̂ = Pearson χ²/df`` and the Cameron–Trivedi nb2 test
    (``statsmodels`` ``PoissonDiagnostic.test_dispersion``). When ``φ̂ > 1.5`` or the test shows overdispersion at
    5 %, the quasi-Poisson fit (``scale="X2"``) is reported instead. Kendall's τ of the rate on time is the
    non-parametric sensitivity check (METHODS.md §2.3).

    Too few events for a trend: fewer than 3 periods, fewer than ``MIN_TREND_EVENTS`` = 10 events in total, or
    events in fewer than ``MIN_TREND_PERIODS_WITH_EVENTS`` = 2 periods give no fit (``tested=False``, slope NaN,
    ``reason``). With events in one period only (0, 0, 0, 5) the maximum-likelihood slope is infinite (the fit
    "converges" to rate ratios of 10⁸ a year); with a handful of events the Wald test of a log-linear slope is
    unreliable. Ten events per estimated effect is the usual floor for a Poisson or logistic slope (Peduzzi et al.
    1996, J Clin Epidemiol 49:1373, "events per variable").
    """
    import warnings

    import statsmodels.api as sm

    t = _periods("periods", periods)
    y = _nonneg("counts", counts)
    e = _nonneg("exposure", exposure, positive=True)
    _same_length(periods=t, counts=y, exposure=e)
    alpha = _level("alpha", alpha)
    t, y, e = np.atleast_1d(t), np.atleast_1d(y), np.atleast_1d(e)
    total = float(y.sum())
    nan = _NAN

    def none(reason: str) -> RateTrend:
        return RateTrend(nan, nan, nan, nan, nan, nan, nan, nan, nan, "none", nan, nan, int(t.size), False, reason,
                         total, _not_tested(reason, alpha))

    if t.size < 3:
        return none(f"{t.size} periods: a trend needs at least 3")
    if total < MIN_TREND_EVENTS or (y > 0).sum() < MIN_TREND_PERIODS_WITH_EVENTS:
        return none(f"too few events for a trend ({total:g} events in {(y > 0).sum()} of {t.size} periods; "
                    f"at least {MIN_TREND_EVENTS} events in at least {MIN_TREND_PERIODS_WITH_EVENTS} periods needed)")
    X = sm.add_constant(t - t.min())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(e)).fit()
        phi = float(fit.pearson_chi2 / fit.df_resid) if fit.df_resid > 0 else nan
        try:
            disp = sm.Poisson(y, X, offset=np.log(e)).fit(disp=0).get_diagnostic().test_dispersion()
            i = list(disp.method).index("CT nb2")
            dstat, dp = float(disp.statistic[i]), float(disp.pvalue[i])
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            dstat, dp = nan, nan
        over = (np.isfinite(phi) and phi > DISPERSION_LIMIT) or (np.isfinite(dp) and dstat > 0 and dp < 0.05)
        model = "Poisson GLM"
        if over:
            fit = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(e)).fit(scale="X2")
            model = "quasi-Poisson GLM (overdispersion)"
    b, se = float(fit.params[1]), float(fit.bse[1])
    if not (np.isfinite(b) and np.isfinite(se)):
        return none("the Poisson fit did not give a finite slope")
    p = float(fit.pvalues[1])
    tau = sps.kendalltau(t, y / e)
    z = _z(alpha)
    return RateTrend(math.exp(b), math.exp(b - z * se), math.exp(b + z * se), b, se, p, phi, dstat, dp, model,
                     float(tau.statistic), float(tau.pvalue), int(t.size), True, "", total,
                     verdict(estimate=b, pvalue=p, alpha=alpha))


def bootstrap_change(*, values1, values2, n_boot: int = 4000, seed: int = 20140101,
                     alpha: float = ALPHA) -> BootstrapChange:
    """Change in a total summed over units (e.g. closure days over institutions), by a bootstrap over the units.

    H0: the expected total is the same in both periods; H1: it differs (two-sided).

    Notes
    -----
    ``values1[i]`` and ``values2[i]`` belong to the same unit (0 where it had none in a period). Units are resampled
    with replacement as pairs, keeping the clustering of days within institutions (METHODS.md §2.1: no Poisson test
    on a day total). Percentile intervals; the p-value is the two-sided percentile p,
    ``2·min(P*(Δ ≤ 0), P*(Δ ≥ 0))``, at least ``1/n_boot``. The seed is fixed so a rerun gives the same numbers.
    A unit counts for a period when its value there is above 0 (the unit table holds no rows for zero); with fewer
    than ``MIN_UNITS`` = 5 units in either period there is no bootstrap and no verdict (``tested=False``): a
    percentile bootstrap over a handful of clusters understates the spread.
    """
    a = _nonneg("values1", values1)
    b = _nonneg("values2", values2)
    _same_length(values1=a, values2=b)
    a, b = np.atleast_1d(a), np.atleast_1d(b)
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be 1 or more; got {n_boot!r}")
    alpha = _level("alpha", alpha)
    n = a.size
    nan = _NAN
    t1, t2 = float(a.sum()), float(b.sum())
    u1, u2 = int((a > 0).sum()), int((b > 0).sum())
    ratio0 = t2 / t1 if t1 > 0 else nan
    if min(u1, u2) < MIN_UNITS:
        reason = (f"too few institutions to test ({u1} and {u2} with a value; at least {MIN_UNITS} needed in each "
                  "period)")
        return BootstrapChange(t1, t2, t2 - t1, nan, nan, ratio0, nan, nan, nan, nan, int(n), 0, u1, u2, False,
                               reason, _not_tested(reason, alpha))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(int(n_boot), n))
    s1, s2 = a[idx].sum(axis=1), b[idx].sum(axis=1)
    diff = s2 - s1
    lo, hi = np.quantile(diff, [alpha / 2, 1 - alpha / 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = s2 / s1
    ratio = ratio[np.isfinite(ratio)]
    rlo, rhi = np.quantile(ratio, [alpha / 2, 1 - alpha / 2]) if ratio.size else (nan, nan)
    p = float(min(max(2 * min((diff <= 0).mean(), (diff >= 0).mean()), 1 / n_boot), 1.0))
    return BootstrapChange(t1, t2, t2 - t1, float(lo), float(hi), ratio0, float(rlo), float(rhi),
                           float(diff.std(ddof=1)), p, int(n), int(n_boot), u1, u2, True, "",
                           verdict(estimate=t2 - t1, pvalue=p, alpha=alpha))


def project_to_target(*, periods, values, target_period: int, target_value: float,
                      direction: str = "decrease", min_points: int = 4, se=None,
                      alpha: float = ALPHA) -> Projection:
    """Project a straight line through the series to the target period and classify it by its prediction interval.

    Parameters
    ----------
    se : optional standard errors of the values (sampling error of each year's estimate, same length). When given,
        the latest year's sampling variance is added to the prediction variance.

    Notes
    -----
    OLS of the value on the period; ``get_prediction(...).summary_frame(alpha)``, whose ``obs_ci_*`` columns are
    the prediction interval ``ŷ ± t_{n−2}·sqrt(s²(1 + 1/n + (x₀−x̄)²/Sxx))``. With ``se``, the target year's
    estimate will carry its own sampling error, which the residual variance s² of a smooth series need not show:
    the interval becomes ``ŷ ± t_{n−2}·sqrt(s²(1 + 1/n + (x₀−x̄)²/Sxx) + se_latest²)``. As ``t_{n−2} > z``, it is
    never narrower than the latest year's ``±z·se`` interval. For a decrease: upper PI ≤ target is
    "on_track_confident", lower PI > target "off_track_confident", otherwise "uncertain"; fewer than ``min_points``
    (4) points are not classified (METHODS.md §3.2). Also gives the required remaining change per period
    ``(target − y_latest)/(T − t_latest)``.
    """
    import statsmodels.api as sm

    t = _periods("periods", periods)
    y = _array("values", values)
    _same_length(periods=t, values=y)
    target_period = _scalar("target_period", target_period)
    target_value = _scalar("target_value", target_value)
    direction = _direction(direction)
    alpha = _level("alpha", alpha)
    t, y = np.atleast_1d(t), np.atleast_1d(y)
    s = None
    if se is not None:
        s = np.atleast_1d(_nonneg("se", se))
        _same_length(periods=t, se=s)
    nan = _NAN
    if t.size == 0 or target_period <= t.max():
        return Projection(nan, nan, nan, nan, nan, nan, nan, "not_classified", nan, int(t.size))
    last = int(np.argmax(t))
    required = (target_value - y[last]) / (target_period - t[last])
    s_last = float(s[last]) if s is not None else 0.0
    if t.size < max(int(min_points), 3):
        return Projection(nan, nan, nan, nan, nan, nan, nan, "not_classified", float(required), int(t.size), s_last)
    t0 = t.min()
    fit = sm.OLS(y, sm.add_constant(t - t0)).fit()
    frame = fit.get_prediction(np.array([[1.0, target_period - t0]])).summary_frame(alpha=alpha).iloc[0]
    lo, hi = float(frame["obs_ci_lower"]), float(frame["obs_ci_upper"])
    if s is not None:
        # statsmodels' obs_ci variance is mean_se² + s²; the target year's own sampling variance is added to it
        pred_var = float(frame["mean_se"]) ** 2 + float(fit.scale) + s_last**2
        half = float(sps.t.isf(alpha / 2, fit.df_resid)) * math.sqrt(pred_var)
        lo, hi = float(frame["mean"]) - half, float(frame["mean"]) + half
    if direction == "decrease":
        category = "on_track_confident" if hi <= target_value else ("off_track_confident" if lo > target_value
                                                                    else "uncertain")
    else:
        category = "on_track_confident" if lo >= target_value else ("off_track_confident" if hi < target_value
                                                                    else "uncertain")
    return Projection(float(fit.params[1]), float(fit.bse[1]), float(frame["mean"]), float(frame["mean_ci_lower"]),
                      float(frame["mean_ci_upper"]), lo, hi, category, float(required), int(t.size), s_last)


def detectable_change(*, share: float, n_eff1: float, n_eff2: float, alpha: float = ALPHA,
                      power: float = 0.80) -> Detectability:
    """The smallest change between two independent survey shares that the test can show, from the actual sizes.

    Notes
    -----
    ``SE_d = sqrt(p(1−p)(1/n₁ + 1/n₂))`` on Kish effective sizes; a change is significant from ``z_{1−α/2}·SE_d``;
    the minimum detectable difference at the given power is ``(z_{1−α/2} + z_{power})·SE_d`` (METHODS.md §1.4,
    "power reality check"). An effective n of 0 gives NaN.
    """
    share = float(_unit("share", share))
    n_eff1, n_eff2 = float(_nonneg("n_eff1", n_eff1)), float(_nonneg("n_eff2", n_eff2))
    alpha, power = _level("alpha", alpha), _level("power", power)
    if min(n_eff1, n_eff2) <= 0:
        return Detectability(_NAN, _NAN, _NAN, power)
    se = math.sqrt(share * (1 - share) * (1 / n_eff1 + 1 / n_eff2))
    za = float(sps.norm.isf(alpha / 2))
    return Detectability(se, za * se, (za + float(sps.norm.ppf(power))) * se, power)
