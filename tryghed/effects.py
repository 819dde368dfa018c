"""Partnership effects on a panel of counts with exposure: interrupted time series, difference-in-differences, an
event study, placebo inference in space and in time, and a synthetic control (../shared/METHODS.md §5).

Every design takes a panel with the columns ``area_id, period, count, exposure``, where ``period`` is a year (an
int, or a ``"YYYY"`` string), a half-year (``"2017H1"``), a quarter (``"2017Q1"``, StatBank's ``"2017K1"``) or a month
(``"2017-01"``); a ``pandas.Period`` or a timestamp (read as its month) works too. It returns a
frozen dataclass. A design that the data cannot carry (too few periods before or after the start, too few comparison
areas) is not raised as an error: its result is *withheld*, with the reason in ``withheld``. Input that cannot be
right (a treated area that is not in the data, a start outside the series, a comparison that includes the treated
area) raises :class:`~tryghed.errors.ConfigError` naming the key.

The results hold the facts an honest sentence needs (the effect with its interval first, the assumptions and their
checks); the wording itself lives in :mod:`tryghed.i18n`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson

from . import i18n
from .effects_spec import _HALF, _MONTH, _QUARTER, _YEAR, DESIGNS, Evaluation, parse_evaluations  # noqa: F401
from .errors import ConfigError, InputError

Z95 = 1.959963984540054
#: Wagner et al. (2002) rule of thumb (METHODS.md §5.1): below this many points before or after the start an
#: interrupted time series is descriptive only.
ITS_MIN_POINTS = 8
#: Periods per year of each frequency; the season column of the ITS model is named after the sub-period.
PER_YEAR = {"year": 1, "half": 2, "quarter": 4, "month": 12}
SEASON = {"half": "half", "quarter": "quarter", "month": "month"}
#: Newey-West lags (METHODS.md §5.1): a year of sub-periods (12 for months), 1 for years.
HAC_LAGS = {"month": 12, "quarter": 4, "half": 2, "year": 1}
#: Ljung-Box lag: a year of sub-periods, or 2 years.
LJUNG_BOX_LAG = {"month": 12, "quarter": 4, "half": 2, "year": 2}
UNIT_WORDS = {"month": "months", "quarter": "quarters", "half": "half-years", "year": "years"}
#: Residual autocorrelation is acted on (Newey-West SEs) when Ljung-Box gives p below this or Durbin-Watson is below
#: DW_LOW (positive autocorrelation, the kind that makes naive intervals too narrow).
AUTOCORR_ALPHA = 0.05
DW_LOW = 1.5
#: Indicator kinds whose numerator and denominator are an event or person count and its exposure (the annual panel).
COUNT_KINDS = ("rate", "person_share")
#: Rows of effects.csv, in this column order.
COLUMNS = ("design", "indicator_id", "area_id", "start", "estimate", "ci_low", "ci_high", "p", "p_placebo",
           "n_placebo", "smallest_p", "level_change", "slope_change", "notes")


# --------------------------------------------------------------------------------------------------------- periods

def _ordinal(value, where: str) -> tuple[int, str]:
    """A period as (ordinal, frequency): a year is its number, a sub-period ``PER_YEAR*year + index - 1``."""
    if isinstance(value, pd.Period):
        if value.freqstr.startswith("M"):
            return 12 * value.year + value.month - 1, "month"
        if value.freqstr.startswith("Q"):
            return 4 * value.year + value.quarter - 1, "quarter"
        if value.freqstr.startswith(("Y", "A")):
            return int(value.year), "year"
    elif isinstance(value, (pd.Timestamp, np.datetime64)):
        value = pd.Timestamp(value)
        return 12 * value.year + value.month - 1, "month"
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), "year"
    elif isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value), "year"
    elif isinstance(value, str):
        if m := _YEAR.match(value):
            return int(m.group(1)), "year"
        if (m := _MONTH.match(value)) and 1 <= int(m.group(2)) <= 12:
            return 12 * int(m.group(1)) + int(m.group(2)) - 1, "month"
        if m := _QUARTER.match(value):
            return 4 * int(m.group(1)) + int(m.group(2)) - 1, "quarter"
        if m := _HALF.match(value):
            return 2 * int(m.group(1)) + int(m.group(2)) - 1, "half"
    raise InputError("panel", f"period {value!r} is not a year, half-year, quarter or month", "Give periods as a year "
                     "(2017), a half-year ('2017H1'), a quarter ('2017Q1') or a month ('2017-01').", where=where)


def _label(ordinal: int, freq: str) -> str:
    y, i = divmod(ordinal, PER_YEAR[freq])
    return {"year": f"{ordinal}", "half": f"{y}H{i + 1}", "quarter": f"{y}Q{i + 1}", "month": f"{y}-{i + 1:02d}"}[freq]


@dataclass(frozen=True)
class Series:
    """A panel in a model's terms: one row per area and period, its ordinal ``t`` and ``season`` (sub-period)."""

    data: pd.DataFrame
    freq: str


def prepare_panel(panel: pd.DataFrame) -> Series:
    """Check a panel and add ``t`` (the period's ordinal), ``label`` (``"2017"``, ``"2017Q1"``, ``"2017-01"``) and
    ``season`` (the sub-period within the year, 1 to 12 for months; 0 for years).

    Rows with a missing count or exposure are dropped (a missing value stays missing, it is not a zero).
    """
    missing = [c for c in ("area_id", "period", "count", "exposure") if c not in panel.columns]
    if missing:
        raise InputError("panel", f"missing column(s) {', '.join(missing)}", "The effects panel needs area_id, "
                         "period, count and exposure.")
    df = panel.dropna(subset=["count", "exposure"]).copy()
    if df.empty:
        raise InputError("panel", "no row has both a count and an exposure", "Check the panel's count and "
                         "exposure columns.")
    parsed = [_ordinal(v, f"row {i}, column period") for i, v in zip(df.index, df["period"])]
    freqs = {f for _, f in parsed}
    if len(freqs) > 1:
        raise InputError("panel", f"periods mix frequencies ({', '.join(sorted(freqs))})", "Give one indicator's "
                         "panel in one frequency.",
                         where="column period")
    freq = freqs.pop()
    bad = df[df["exposure"] <= 0]
    if len(bad):
        raise InputError("panel", f"exposure must be positive, found {bad['exposure'].iloc[0]}", "Drop the row or "
                         "fix its population.", where=f"row {bad.index[0]}, column exposure")
    df["t"] = [o for o, _ in parsed]
    df["label"] = [_label(o, freq) for o in df["t"]]
    df["season"] = df["t"] % PER_YEAR[freq] + 1 if freq != "year" else 0
    df["area_id"] = df["area_id"].astype(str)
    df["count"] = df["count"].astype(float)
    df["exposure"] = df["exposure"].astype(float)
    if df.duplicated(["area_id", "t"]).any():
        dup = df[df.duplicated(["area_id", "t"], keep=False)].iloc[0]
        raise InputError("panel", f"area {dup['area_id']} has more than one row for period {dup['label']}",
                         "Give one row per area and period (one indicator at a time).")
    return Series(df.sort_values(["area_id", "t"]).reset_index(drop=True), freq)


def _start_ordinal(start, freq: str, series: pd.DataFrame, key: str) -> int:
    o, f = _ordinal(start if not isinstance(start, str) else start.strip(), key)
    if f != freq:
        if f == "year":
            o = PER_YEAR[freq] * o          # a year's start on finer data is its first sub-period
        else:
            raise ConfigError(f"{key}: the start {start!r} is a {f} but the data are by {freq}. Give the start as "
                              f"a year (2017) or in the data's periods (e.g. {_label(int(series['t'].max()), freq)}).")
    lo, hi = int(series["t"].min()), int(series["t"].max())
    if not lo < o <= hi:
        raise ConfigError(f"{key}: the start {start!r} is outside the series ({_label(lo, freq)} to "
                          f"{_label(hi, freq)}); it needs at least one period before it and one from it on. Give a "
                          "start inside the series.")
    return o


def _sum_areas(df: pd.DataFrame, areas: Sequence[str]) -> pd.DataFrame:
    """The treated areas added up period by period (one series)."""
    part = df[df["area_id"].isin(areas)]
    return (part.groupby(["t", "label", "season"], as_index=False)[["count", "exposure"]].sum()
            .sort_values("t").reset_index(drop=True))


def _need_areas(series: Series, areas: Sequence[str], key: str) -> None:
    known = set(series.data["area_id"])
    for a in areas:
        if a not in known:
            raise ConfigError(f"{key}: area {a!r} is not in the data (areas: {', '.join(sorted(known))}). Give an "
                              "area id or name of the panel.")


def _why(code: str, **args) -> dict:
    """A withheld design's reason as data (``code`` and ``args``, worded by :func:`tryghed.i18n.effect_reason`)."""
    return {"code": code, "args": args}


def _reason(why: dict) -> str:
    """The English sentence of a reason (the ``withheld`` attribute); facts() keep the reason as data."""
    return i18n.effect_reason(why["code"], "en", **why["args"])


def _fit_poisson(formula: str, data: pd.DataFrame):
    """A Poisson GLM with the log-exposure offset; quasi-Poisson (Pearson χ²/df) when that scale exceeds 1."""
    model = smf.glm(formula, data, family=sm.families.Poisson(), offset=np.log(data["exposure"]))
    res = model.fit()
    phi = float(res.pearson_chi2 / res.df_resid) if res.df_resid > 0 else math.nan
    if np.isfinite(phi) and phi > 1:
        res = model.fit(scale="X2")
    return model, res, phi


def _ratio_ci(res, name: str) -> tuple[float, float, float, float]:
    b, se = float(res.params[name]), float(res.bse[name])
    return math.exp(b), math.exp(b - Z95 * se), math.exp(b + Z95 * se), float(res.pvalues[name])


# ------------------------------------------------------------------------------------------------ interrupted TS

@dataclass(frozen=True)
class ITSResult:
    """A segmented Poisson regression of one (possibly summed) area's series around a start.

    Ratios are rate ratios: ``level_change = exp(β2)`` (the jump at the start), ``slope_change = exp(β3)`` (per
    period), ``effect = exp(β2 + k·β3)`` (``k`` periods after the start; ``effect - 1`` is the relative change).
    ``series`` has per period the observed and fitted rate and the counterfactual (no interruption) with its 95 %
    band, all per ``per`` exposure units. ``withheld`` is the reason when the series cannot carry the model.
    """

    areas: tuple[str, ...]
    start: str
    freq: str
    n_pre: int
    n_post: int
    k: int
    effect: float
    effect_ci: tuple[float, float]
    effect_p: float
    level_change: float
    level_ci: tuple[float, float]
    level_p: float
    slope_change: float
    slope_ci: tuple[float, float]
    slope_p: float
    dispersion: float
    scale: str              # "poisson" or "quasi-poisson"
    cov_type: str           # "nonrobust" or "HAC"
    hac_maxlags: int | None
    autocorrelation: bool   # the residual checks showed it (Ljung-Box p < 0.05 or Durbin-Watson < 1.5)
    ljung_box_lag: int
    ljung_box_p: float
    durbin_watson: float
    descriptive: bool
    seasonality: str
    formula: str
    series: pd.DataFrame = field(repr=False)
    withheld: str | None = None
    why: dict | None = field(default=None, repr=False)

    @property
    def relative_change(self) -> tuple[float, float, float]:
        """The effect ``k`` periods after the start as a relative change ``exp(β2 + k·β3) - 1``, with its interval."""
        return self.effect - 1, self.effect_ci[0] - 1, self.effect_ci[1] - 1


def _nan_its(areas, start, freq, n_pre, n_post, seasonality, why) -> ITSResult:
    nan2 = (math.nan, math.nan)
    return ITSResult(tuple(areas), start, freq, n_pre, n_post, 0, math.nan, nan2, math.nan, math.nan, nan2, math.nan,
                     math.nan, nan2, math.nan, math.nan, "", "", None, False, 0, math.nan, math.nan, True, seasonality,
                     "", pd.DataFrame(), withheld=_reason(why), why=why)


def its_design(data: pd.DataFrame, start_t: int, freq: str, *, seasonality: str = "dummies",
               fourier_order: int = 2) -> tuple[pd.DataFrame, str]:
    """The segmented-regression columns (``time``, ``post``, ``tsince`` and the season terms) and the formula.

    ``time`` counts periods from 1, ``post`` is 1 from the start on, ``tsince = (time - time_start)·post``. Season
    terms (periods finer than a year): ``C(month)`` (or ``C(quarter)``, ``C(half)``) dummies, or ``fourier_order``
    sine/cosine pairs ``sin1, cos1, ...`` of the sub-period.
    """
    d = data.copy()
    d["time"] = d["t"] - d["t"].min() + 1
    t0 = start_t - d["t"].min() + 1
    d["post"] = (d["time"] >= t0).astype(float)
    d["tsince"] = (d["time"] - t0) * d["post"]
    formula = "count ~ time + post + tsince"
    if freq != "year" and seasonality == "dummies":
        d[SEASON[freq]] = d["season"]
        formula += f" + C({SEASON[freq]})"
    elif freq != "year" and seasonality == "fourier":
        for j in range(1, fourier_order + 1):
            d[f"sin{j}"] = np.sin(2 * np.pi * j * d["season"] / PER_YEAR[freq])
            d[f"cos{j}"] = np.cos(2 * np.pi * j * d["season"] / PER_YEAR[freq])
            formula += f" + sin{j} + cos{j}"
    return d, formula


def its(*, panel: pd.DataFrame, treated: Sequence[str], start, k: int | None = None,
        seasonality: Literal["dummies", "fourier", "none"] = "dummies", fourier_order: int = 2,
        hac: bool | None = None, per: float = 1000.0, key: str = "start") -> ITSResult:
    """Interrupted time series: segmented Poisson regression with a log-exposure offset (METHODS.md §5.1).

    ``log E[y_t] = log(exposure_t) + β0 + β1·time + β2·post + β3·tsince + season``, fitted by
    ``smf.glm("count ~ time + post + tsince + C(month)", family=Poisson, offset=log(exposure))``; month effects for
    monthly data by default (quarter or half-year effects for those; ``seasonality="fourier"`` uses
    ``fourier_order`` sine/cosine pairs instead, ``"none"`` no season terms). Annual data have none.

    Parameters
    ----------
    panel : DataFrame
        ``area_id, period, count, exposure``; the ``treated`` areas are added up period by period.
    treated : sequence of str
        Area ids.
    start : int or str
        The first period of the intervention (2017 or ``"2017-01"``).
    k : int, optional
        The effect is reported ``k`` periods after the start (0 = the start); default the last observed period.
    hac : bool, optional
        Newey-West standard errors. None (default) uses them when the residuals show autocorrelation (Ljung-Box
        p < 0.05 or Durbin-Watson < 1.5) and they widen the effect's interval; True always, False never.
    per : float
        Rates in ``series`` are per this many exposure units.

    Returns
    -------
    ITSResult

    Notes
    -----
    H0 for ``level_p``: β2 = 0 (no jump at the start); for ``slope_p``: β3 = 0 (no change of slope); for
    ``effect_p``: β2 + k·β3 = 0. The effect's interval is the delta method on the log scale (``res.t_test``).
    Overdispersion: when Pearson χ²/df > 1 the fit is quasi-Poisson (``scale="X2"``): never narrower than Poisson.
    Autocorrelation: ``acorr_ljungbox`` on the Pearson residuals (lag 12 for months, 4 for quarters, 2 for years)
    and Durbin-Watson; when they show it, ``cov_type="HAC"`` with 12 (months), 4 (quarters) or 1 (years) lags,
    Bartlett kernel, unless that would make the effect at ``k`` more certain than the model's own SE: Newey-West
    with a year of lags on a few years of data is biased towards too-small SEs, and an adjustment for
    autocorrelation may make a result less certain, never more (the rule of METHODS.md §2.2). With fewer than 8
    points before or after the start (Wagner et al. 2002) the result is labelled ``descriptive``. With fewer than 3
    points before or 2 after, or no residual degrees of freedom, it is withheld.

    Lopez Bernal J, Cummins S, Gasparrini A. Interrupted time series regression for the evaluation of public health
    interventions: a tutorial. Int J Epidemiol 2017;46(1):348-355. doi:10.1093/ije/dyw098
    """
    s = prepare_panel(panel)
    treated = [str(a) for a in treated]
    _need_areas(s, treated, "treated")
    data = _sum_areas(s.data, treated)
    t0 = _start_ordinal(start, s.freq, data, key)
    label = _label(t0, s.freq)
    n_pre, n_post = int((data["t"] < t0).sum()), int((data["t"] >= t0).sum())
    if s.freq == "year":
        seasonality = "none"
    d, formula = its_design(data, t0, s.freq, seasonality=seasonality, fourier_order=fourier_order)
    n_season = {"dummies": d["season"].nunique() - 1, "fourier": 2 * fourier_order}.get(seasonality, 0)
    if n_pre < 3 or n_post < 2 or len(d) - 4 - n_season < 1:
        return _nan_its(treated, label, s.freq, n_pre, n_post, seasonality,
                        _why("its_too_few", n_pre=n_pre, n_post=n_post, n_params=4 + n_season))
    model, res, phi = _fit_poisson(formula, d)
    scale = "quasi-poisson" if phi > 1 else "poisson"
    lag = min(LJUNG_BOX_LAG[s.freq], len(d) - 1)
    lb_p = float(acorr_ljungbox(np.asarray(res.resid_pearson), lags=[lag])["lb_pvalue"].iloc[0])
    dw = float(durbin_watson(np.asarray(res.resid_pearson)))
    autocorr = bool(lb_p < AUTOCORR_ALPHA or dw < DW_LOW)
    k = n_post - 1 if k is None else int(k)
    names = list(res.params.index)
    L = np.zeros(len(names))
    L[names.index("post")], L[names.index("tsince")] = 1.0, float(k)
    maxlags = None
    if hac or (hac is None and autocorr):
        res_hac = model.fit(cov_type="HAC", cov_kwds={"maxlags": HAC_LAGS[s.freq]})
        if hac or float(L @ res_hac.cov_params().to_numpy() @ L) > float(L @ res.cov_params().to_numpy() @ L):
            res, maxlags = res_hac, HAC_LAGS[s.freq]
    tt = res.t_test(L)
    eff, eff_se = float(np.squeeze(tt.effect)), float(np.squeeze(tt.sd))
    eff_p = float(np.squeeze(tt.pvalue))
    lvl, lvl_lo, lvl_hi, lvl_p = _ratio_ci(res, "post")
    slp, slp_lo, slp_hi, slp_p = _ratio_ci(res, "tsince")
    cf = d.copy()
    cf["post"], cf["tsince"] = 0.0, 0.0
    pred = res.get_prediction(cf, offset=np.full(len(cf), math.log(per))).summary_frame(alpha=0.05)
    series = pd.DataFrame({
        "period": d["label"], "time": d["time"], "post": d["post"].astype(int), "count": d["count"],
        "exposure": d["exposure"], "rate": d["count"] / d["exposure"] * per,
        "fitted": np.asarray(res.fittedvalues) / d["exposure"] * per,
        "counterfactual": pred["mean"].to_numpy(), "cf_low": pred["mean_ci_lower"].to_numpy(),
        "cf_high": pred["mean_ci_upper"].to_numpy()})
    return ITSResult(
        areas=tuple(treated), start=label, freq=s.freq, n_pre=n_pre, n_post=n_post, k=k,
        effect=math.exp(eff), effect_ci=(math.exp(eff - Z95 * eff_se), math.exp(eff + Z95 * eff_se)), effect_p=eff_p,
        level_change=lvl, level_ci=(lvl_lo, lvl_hi), level_p=lvl_p,
        slope_change=slp, slope_ci=(slp_lo, slp_hi), slope_p=slp_p,
        dispersion=phi, scale=scale, cov_type="HAC" if maxlags else "nonrobust", hac_maxlags=maxlags,
        autocorrelation=autocorr,
        ljung_box_lag=lag, ljung_box_p=lb_p, durbin_watson=dw,
        descriptive=bool(n_pre < ITS_MIN_POINTS or n_post < ITS_MIN_POINTS), seasonality=seasonality,
        formula=formula, series=series)


# --------------------------------------------------------------------------------------------------------- DiD

def _did_data(s: Series, treated: Sequence[str], comparison: Sequence[str] | None, start, key: str):
    treated = [str(a) for a in treated]
    _need_areas(s, treated, "treated")
    if comparison is None:
        comparison = sorted(set(s.data["area_id"]) - set(treated))
    comparison = [str(a) for a in comparison]
    both = sorted(set(treated) & set(comparison))
    if both:
        raise ConfigError(f"comparison: {', '.join(both)} is also treated. A treated area cannot be its own "
                          "comparison: remove it from 'comparison'.")
    _need_areas(s, comparison, "comparison")
    d = s.data[s.data["area_id"].isin([*treated, *comparison])].copy()
    t0 = _start_ordinal(start, s.freq, d, key)
    d["treated"] = d["area_id"].isin(treated).astype(float)
    d["post"] = (d["t"] >= t0).astype(float)
    d["D"] = d["treated"] * d["post"]
    d["period"] = d["label"]
    return d, t0, treated, comparison


@dataclass(frozen=True)
class DiDResult:
    """Difference-in-differences rate ratio ``exp(δ)`` from a Poisson model with area and period effects.

    The assumptions it rests on are parallel trends (checked by :func:`event_study`'s pre-trend test and
    :func:`placebo_in_time`) and no spill-over into the comparison areas (not testable from the panel).
    """

    areas: tuple[str, ...]
    comparison: tuple[str, ...]
    start: str
    n_pre: int
    n_post: int
    estimate: float
    ci_low: float
    ci_high: float
    p: float
    log_estimate: float
    se: float
    dispersion: float
    scale: str
    withheld: str | None = None
    why: dict | None = field(default=None, repr=False)


def did(*, panel: pd.DataFrame, treated: Sequence[str], start, comparison: Sequence[str] | None = None,
        key: str = "start") -> DiDResult:
    """Difference-in-differences: Poisson GLM with area and period effects and a log-exposure offset (§5.2).

    ``count ~ D + C(area_id) + C(period)`` with ``D = treated × post``, i.e. METHODS' ``y ~ treated:post +
    C(district) + C(year)``. The rate ratio is ``exp(δ)``; its interval is quasi-Poisson (scale Pearson χ²/df) when
    that scale exceeds 1 and Poisson otherwise.

    Parameters
    ----------
    panel : DataFrame
        ``area_id, period, count, exposure``.
    treated : sequence of str
    start : int or str
    comparison : sequence of str, optional
        Default every other area of the panel.

    Returns
    -------
    DiDResult

    Notes
    -----
    H0: δ = 0 (the treated areas' rate moved like the comparison's); H1: δ ≠ 0 (Wald z). With one treated area and
    ten-odd comparison areas cluster-robust SEs are unreliable, so the p that carries inference is the placebo rank
    (:func:`placebo_in_space`). Reference: Wing C, Simon K, Bello-Gomez RA. Designing difference in difference
    studies. Annu Rev Public Health 2018;39:453-469.
    """
    s = prepare_panel(panel)
    d, t0, treated, comparison = _did_data(s, treated, comparison, start, key)
    n_pre, n_post = int(d.loc[d["t"] < t0, "t"].nunique()), int(d.loc[d["t"] >= t0, "t"].nunique())
    label = _label(t0, s.freq)
    if not comparison or n_pre < 1 or n_post < 1:
        why = _why("no_comparison" if not comparison else "too_few_periods")
        return DiDResult(tuple(treated), tuple(comparison), label, n_pre, n_post, *[math.nan] * 6, "",
                         withheld=_reason(why), why=why)
    _, res, phi = _fit_poisson("count ~ D + C(area_id) + C(period)", d)
    rr, lo, hi, p = _ratio_ci(res, "D")
    return DiDResult(tuple(treated), tuple(comparison), label, n_pre, n_post, rr, lo, hi, p,
                     float(res.params["D"]), float(res.bse["D"]), phi, "quasi-poisson" if phi > 1 else "poisson")


@dataclass(frozen=True)
class EventStudyResult:
    """Leads and lags of the treated areas relative to the last period (or year) before the start (``rel_time=-1``).

    ``table``: ``rel_time, period, estimate, ci_low, ci_high, p`` (rate ratios vs the reference; ``period`` is the
    first period of each step); ``unit`` is what ``rel_time`` counts (``"year"`` or the data's periods).
    ``pre_trend_p`` is the joint Wald χ² test that every lead (``rel_time < -1``) is zero.
    """

    areas: tuple[str, ...]
    start: str
    unit: str
    table: pd.DataFrame = field(repr=False)
    pre_trend_stat: float
    pre_trend_df: int
    pre_trend_p: float
    dispersion: float
    withheld: str | None = None
    why: dict | None = field(default=None, repr=False)


def event_study(*, panel: pd.DataFrame, treated: Sequence[str], start, comparison: Sequence[str] | None = None,
                steps: Literal["year", "period"] = "year", key: str = "start") -> EventStudyResult:
    """Event study: the DiD model with one treated × time term per step from the start but the one before (§5.2).

    ``count ~ e_m3 + e_m2 + e_0 + e_1 + … + C(area_id) + C(period)`` with the log-exposure offset, quasi-Poisson
    when Pearson χ²/df > 1. With ``steps="year"`` (default) months or quarters are grouped into years counted from
    the start (``rel_time = floor((t - start) / periods per year)``), keeping the period effects at the data's own
    periods; ``steps="period"`` gives one term per period.

    Returns
    -------
    EventStudyResult

    Notes
    -----
    Pre-trend test, H0: every lead coefficient is 0 (parallel trends before the start); H1: at least one is not.
    Joint Wald χ² test (``res.wald_test(..., scalar=True)``) with as many degrees of freedom as leads; withheld when
    there are fewer than 2 steps before the start (no lead to test).
    """
    s = prepare_panel(panel)
    d, t0, treated, comparison = _did_data(s, treated, comparison, start, key)
    label = _label(t0, s.freq)
    width = PER_YEAR[s.freq] if steps == "year" else 1
    unit = "year" if steps == "year" else s.freq
    d["rel"] = (d["t"] - t0) // width
    rel = sorted(d["rel"].unique())
    if not comparison or sum(r < -1 for r in rel) < 1 or max(rel) < 0:
        why = _why("no_comparison") if not comparison else _why("no_lead", unit=unit)
        return EventStudyResult(tuple(treated), label, unit, pd.DataFrame(), math.nan, 0, math.nan, math.nan,
                                withheld=_reason(why), why=why)
    names = {}
    for r in rel:
        if r == -1:
            continue
        nm = f"e_m{-r}" if r < 0 else f"e_{r}"
        names[nm] = (int(r), _label(t0 + int(r) * width, s.freq))
        d[nm] = ((d["rel"] == r) & (d["treated"] == 1)).astype(float)
    _, res, phi = _fit_poisson("count ~ " + " + ".join(names) + " + C(area_id) + C(period)", d)
    rows = [{"rel_time": -1, "period": _label(t0 - width, s.freq), "estimate": 1.0,
             "ci_low": 1.0, "ci_high": 1.0, "p": math.nan}]
    for nm, (r, lab) in names.items():
        rr, lo, hi, p = _ratio_ci(res, nm)
        rows.append({"rel_time": r, "period": lab, "estimate": rr, "ci_low": lo, "ci_high": hi, "p": p})
    table = pd.DataFrame(rows).sort_values("rel_time").reset_index(drop=True)
    leads = [nm for nm, (r, _) in names.items() if r < -1]
    w = res.wald_test(", ".join(f"{nm} = 0" for nm in leads), scalar=True)
    return EventStudyResult(tuple(treated), label, unit, table, float(w.statistic), len(leads), float(w.pvalue),
                            phi)


# ----------------------------------------------------------------------------------------------------- placebos

def _smallest_p_text(j: int) -> str:
    return i18n.effect_smallest_p(j, "en")


@dataclass(frozen=True)
class PlaceboResult:
    """Placebo-in-space (randomisation) inference for the DiD effect.

    ``table``: one row per area (the treated first, flagged), ``area_id, treated, log_estimate, estimate``.
    ``p = #{|δ_j| ≥ |δ_treated|} / J`` counting the treated; ``smallest_p = 1/J``, with ``smallest_p_text`` saying
    what that means.
    """

    areas: tuple[str, ...]
    start: str
    treated_log_estimate: float
    p: float
    n_placebo: int          # J: the treated and every pseudo-treated area
    smallest_p: float
    smallest_p_text: str
    table: pd.DataFrame = field(repr=False)
    withheld: str | None = None
    why: dict | None = field(default=None, repr=False)


def placebo_in_space(*, panel: pd.DataFrame, treated: Sequence[str], start,
                     comparison: Sequence[str] | None = None, key: str = "start") -> PlaceboResult:
    """Every comparison area in turn as pseudo-treated (the real treated areas left out), against the others.

    Returns
    -------
    PlaceboResult

    Notes
    -----
    H0: the treated areas' effect is a draw from the same distribution as the comparison areas' pseudo-effects
    (no effect). ``p = #{j: |δ_j| ≥ |δ_treated|} / J`` over the J = (comparison areas + 1) estimates, the treated
    included, so the smallest attainable p is 1/J. Abadie A, Diamond A, Hainmueller J (2010) JASA 105:493-505;
    Conley TG, Taber CR (2011) REStat 93:113-125.
    """
    s = prepare_panel(panel)
    d, t0, treated, comparison = _did_data(s, treated, comparison, start, key)
    label = _label(t0, s.freq)
    if len(comparison) < 2:
        why = _why("few_comparison")
        return PlaceboResult(tuple(treated), label, math.nan, math.nan, len(comparison) + 1, math.nan, "",
                             pd.DataFrame(), withheld=_reason(why), why=why)
    real = did(panel=panel, treated=treated, start=start, comparison=comparison, key=key)
    rows = [{"area_id": "+".join(treated), "treated": True, "log_estimate": real.log_estimate}]
    for a in comparison:
        others = [c for c in comparison if c != a]
        r = did(panel=panel, treated=[a], start=start, comparison=others, key=key)
        rows.append({"area_id": a, "treated": False, "log_estimate": r.log_estimate})
    table = pd.DataFrame(rows)
    table["estimate"] = np.exp(table["log_estimate"])
    j = len(table)
    eps = 1e-12 * max(1.0, abs(real.log_estimate))
    p = float((table["log_estimate"].abs() >= abs(real.log_estimate) - eps).sum() / j)
    return PlaceboResult(tuple(treated), label, real.log_estimate, p, j, 1 / j, _smallest_p_text(j), table)


@dataclass(frozen=True)
class TimePlaceboResult:
    """DiD with fake starts before the real one, fitted on the periods before the real start only.

    ``table``: ``fake_start, estimate, ci_low, ci_high, p``. ``n_significant`` counts fake starts with p < 0.05;
    ``p_rank = (#{|δ_fake| ≥ |δ_real|} + 1) / (n_fake + 1)``.
    """

    start: str
    table: pd.DataFrame = field(repr=False)
    n_fake: int
    n_significant: int
    p_rank: float
    withheld: str | None = None
    why: dict | None = field(default=None, repr=False)


def placebo_in_time(*, panel: pd.DataFrame, treated: Sequence[str], start,
                    comparison: Sequence[str] | None = None, fake_starts: Iterable | None = None,
                    key: str = "start") -> TimePlaceboResult:
    """In-time placebos: the DiD model refitted with a fake start, on the data before the real start.

    By default the fake starts are every year with at least 2 years before it (annual data) or the same sub-period
    in each earlier year with at least a year of periods before it (monthly, quarterly, half-yearly data).

    Notes
    -----
    A fake start with a clear "effect" (p < 0.05) is evidence against parallel trends or for an effect that began
    earlier (anticipation). H0 of each fit: δ_fake = 0.
    """
    s = prepare_panel(panel)
    d, t0, treated, comparison = _did_data(s, treated, comparison, start, key)
    label = _label(t0, s.freq)
    pre = s.data[s.data["t"] < t0]
    pre_panel = pre.assign(period=pre["label"])[["area_id", "period", "count", "exposure"]]
    lo = int(pre["t"].min()) if len(pre) else t0
    need = 2 if s.freq == "year" else PER_YEAR[s.freq]
    if fake_starts is None:
        step = PER_YEAR[s.freq]
        fakes = [f for f in range(t0 - step, lo, -step) if f - lo >= need][::-1]
    else:
        fakes = [_start_ordinal(f, s.freq, pre, "placebo_in_time.fake_starts") for f in fake_starts]
    if not fakes or not comparison:
        why = _why("no_fake_start")
        return TimePlaceboResult(label, pd.DataFrame(), 0, 0, math.nan, withheld=_reason(why), why=why)
    real = did(panel=panel, treated=treated, start=start, comparison=comparison, key=key)
    rows = []
    for f in fakes:
        r = did(panel=pre_panel, treated=treated, start=_label(f, s.freq), comparison=comparison, key=key)
        rows.append({"fake_start": _label(f, s.freq), "estimate": r.estimate, "ci_low": r.ci_low,
                     "ci_high": r.ci_high, "p": r.p, "log_estimate": r.log_estimate})
    table = pd.DataFrame(rows)
    n_big = int((table["log_estimate"].abs() >= abs(real.log_estimate)).sum())
    return TimePlaceboResult(label, table, len(table), int((table["p"] < 0.05).sum()),
                             (n_big + 1) / (len(table) + 1))


# -------------------------------------------------------------------------------------------- synthetic control

@dataclass(frozen=True)
class SyntheticResult:
    """A synthetic control of the treated areas' rate (per 1000) from the comparison areas (pysyncon ``Synth``).

    ``estimate`` is the post-period mean observed rate over the synthetic one (a rate ratio, no interval: the
    method gives none without further assumptions). ``p`` is the ratio-of-RMSPE permutation p
    (#{ratio_j ≥ ratio_treated}/J, the treated counted). ``withheld`` when the treated pre-period RMSPE is worse than
    the median placebo's (the synthetic does not track the treated area before the start).
    """

    areas: tuple[str, ...]
    start: str
    weights: pd.Series = field(repr=False)
    pre_rmspe: float
    post_rmspe: float
    rmspe_ratio: float
    median_placebo_pre_rmspe: float
    estimate: float
    p: float
    n_placebo: int
    smallest_p: float
    series: pd.DataFrame = field(repr=False)
    placebos: pd.DataFrame = field(repr=False)
    withheld: str | None = None
    why: dict | None = field(default=None, repr=False)


def _synth_fit(rates: pd.DataFrame, unit: str, donors: list[str], pre_mask: np.ndarray):
    """Weights, synthetic path, pre and post RMSPE of one unit from its donors (V fixed at the identity)."""
    from pysyncon import Synth

    z = rates[[*donors, unit]]
    X0, X1 = z.loc[pre_mask, donors], z.loc[pre_mask, unit]
    X0 = X0.set_axis([f"p{i}" for i in range(len(X0))], axis=0)
    X1 = X1.set_axis(X0.index)
    synth = Synth()
    synth.fit(X0=X0, X1=X1, Z0=z.loc[pre_mask, donors], Z1=z.loc[pre_mask, unit],
              custom_V=np.ones(len(X0)))
    w = pd.Series(np.asarray(synth.W, dtype=float), index=donors)
    path = z[donors].to_numpy() @ w.to_numpy()
    gap = z[unit].to_numpy() - path
    pre = float(np.sqrt(np.mean(gap[pre_mask] ** 2)))
    post = float(np.sqrt(np.mean(gap[~pre_mask] ** 2)))
    return w, path, pre, post


def synthetic_control(*, panel: pd.DataFrame, treated: Sequence[str], start,
                      comparison: Sequence[str] | None = None, per: float = 1000.0,
                      key: str = "start") -> SyntheticResult:
    """Synthetic control on rates (Abadie, Diamond & Hainmueller 2010), with the ratio-of-RMSPE permutation test.

    The donors are the comparison areas; the predictors are the treated series' pre-period rates, each with weight 1
    (``Synth.fit(..., custom_V=ones)``; the library standardises each predictor across units). Every donor in turn
    is fitted from the other donors to give the placebo distribution. Periods where any area lacks a value are
    dropped.

    Notes
    -----
    H0: the treated areas' post/pre RMSPE ratio is a draw from the placebos' (no effect);
    ``p = #{j: ratio_j ≥ ratio_treated} / J`` with the treated counted, so ``smallest_p = 1/J``. Reported only when
    the treated pre-period RMSPE is no larger than the median placebo pre-period RMSPE (METHODS.md §5.3).
    Abadie A, Diamond A, Hainmueller J (2010) JASA 105:493-505.
    """
    s = prepare_panel(panel)
    d, t0, treated, comparison = _did_data(s, treated, comparison, start, key)
    label = _label(t0, s.freq)
    unit = "+".join(treated)
    agg = d.assign(area_id=np.where(d["treated"] == 1, unit, d["area_id"]))
    agg = agg.groupby(["area_id", "t"], as_index=False)[["count", "exposure"]].sum()
    agg["rate"] = agg["count"] / agg["exposure"] * per
    rates = agg.pivot(index="t", columns="area_id", values="rate").dropna().sort_index()
    pre_mask = (rates.index < t0)
    empty = pd.DataFrame()
    if len(comparison) < 2 or pre_mask.sum() < 2 or (~pre_mask).sum() < 1:
        why = _why("synth_too_few")
        return SyntheticResult(tuple(treated), label, pd.Series(dtype=float), *[math.nan] * 6, 0, math.nan, empty,
                               empty, withheld=_reason(why), why=why)
    w, path, pre, post = _synth_fit(rates, unit, list(comparison), pre_mask)
    plac = []
    for a in comparison:
        donors = [c for c in comparison if c != a]
        if len(donors) < 1:
            continue
        _, _, p_pre, p_post = _synth_fit(rates, a, donors, pre_mask)
        plac.append({"area_id": a, "pre_rmspe": p_pre, "post_rmspe": p_post,
                     "ratio": p_post / p_pre if p_pre > 0 else math.inf})
    placebos = pd.DataFrame(plac)
    ratio = post / pre if pre > 0 else math.inf
    j = len(placebos) + 1
    p = float(((placebos["ratio"] >= ratio).sum() + 1) / j)
    med = float(placebos["pre_rmspe"].median())
    obs = rates[unit].to_numpy()
    est = float(obs[~pre_mask].mean() / path[~pre_mask].mean())
    series = pd.DataFrame({"period": [_label(t, s.freq) for t in rates.index], "rate": obs, "synthetic": path,
                           "post": (~pre_mask).astype(int)})
    why = _why("synth_poor_fit", pre=pre, median=med) if pre > med else None
    return SyntheticResult(tuple(treated), label, w, pre, post, ratio, med, est, p, j, 1 / j, series, placebos,
                           withheld=_reason(why) if why else None, why=why)


# ---------------------------------------------------------------------------------------- configuration and rows

def _resolve(names: Sequence[str], ids: Iterable[str], area_names: Mapping | None, key: str) -> list[str]:
    """Area ids for ids or names (case-insensitive; ``area_names`` maps id -> a name or a list of names)."""
    ids = list(ids)
    lookup = {a.casefold(): a for a in ids}
    for aid, nm in (area_names or {}).items():
        for n in ([nm] if isinstance(nm, str) else list(nm.values()) if isinstance(nm, Mapping) else list(nm)):
            lookup.setdefault(str(n).casefold(), str(aid))
    out = []
    for n in names:
        aid = lookup.get(str(n).casefold())
        if aid is None or aid not in ids:
            raise ConfigError(f"{key}: {n!r} is not an area in the data (areas: {', '.join(sorted(ids))}). Give an "
                              "area id or name that the indicator has values for.")
        out.append(aid)
    return out


@dataclass(frozen=True)
class EvaluationResults:
    """Every design's result for one evaluation, and its rows of effects.csv (:data:`COLUMNS`)."""

    evaluation: Evaluation
    treated: tuple[str, ...]
    comparison: tuple[str, ...]
    its: ITSResult | None
    did: DiDResult | None
    event_study: EventStudyResult | None
    placebo: PlaceboResult | None
    placebo_time: TimePlaceboResult | None
    synthetic: SyntheticResult | None
    rows: list[dict] = field(repr=False)

    def facts(self) -> dict:
        """What an honest sentence about this evaluation needs, design by design (the wording is i18n's).

        Plain Python values only (floats, ints, str, lists, dicts; NaN where a number is missing), so the dict
        survives JSON (:func:`facts_json`). Keys: ``indicator_id, treated, comparison, start, designs``; ``its``,
        ``did``, ``event_study``, ``placebo``, ``placebo_time`` (None when not run or withheld) with the estimate
        and its 95 % interval first; ``placebo`` with ``p``, ``rank``, ``n_placebo``, ``smallest_p``,
        ``can_reach_05`` (False: a single area cannot reach p < 0.05 this way) and ``most_extreme`` (the treated
        effect is the largest in size); ``synthetic`` (``reported`` False when withheld); ``assumptions``, a list of
        ``{assumption, check, ...}`` with each check's result (parallel trends: pre-trend test p and in-time
        placebos; no spill-over: not testable); ``withheld``, design -> ``{code, args}`` (worded by
        :func:`tryghed.i18n.effect_reason`).
        """
        ev = self.evaluation
        out = {"indicator_id": ev.indicator, "treated": list(self.treated), "comparison": list(self.comparison),
               "start": _label(*_ordinal(ev.start, "start")) if not self.rows else self.rows[0]["start"],
               "designs": list(ev.designs), "its": None, "did": None, "event_study": None, "placebo": None,
               "placebo_time": None, "synthetic": None, "assumptions": [], "withheld": {}}
        for name in ("its", "did", "event_study", "placebo", "placebo_time", "synthetic"):
            r = getattr(self, name)
            if r is not None and r.withheld:
                out["withheld"][name] = r.why or {"code": "too_few_periods", "args": {}}
        r = self.its
        if r is not None and not r.withheld:
            out["its"] = {"effect": r.effect, "ci": list(r.effect_ci), "p": r.effect_p, "k": r.k, "unit": r.freq,
                          "n_pre": r.n_pre, "n_post": r.n_post, "min_points": ITS_MIN_POINTS,
                          "level_change": r.level_change, "level_ci": list(r.level_ci), "level_p": r.level_p,
                          "slope_change": r.slope_change, "slope_ci": list(r.slope_ci), "slope_p": r.slope_p,
                          "descriptive": bool(r.descriptive), "overdispersed": r.scale == "quasi-poisson",
                          "dispersion": r.dispersion, "autocorrelation": bool(r.autocorrelation),
                          "autocorrelation_adjusted": r.cov_type == "HAC", "hac_lags": r.hac_maxlags,
                          "ljung_box_p": r.ljung_box_p, "ljung_box_lag": r.ljung_box_lag,
                          "durbin_watson": r.durbin_watson}
        r = self.did
        if r is not None and not r.withheld:
            out["did"] = {"estimate": r.estimate, "ci": [r.ci_low, r.ci_high], "p": r.p,
                          "overdispersed": r.scale == "quasi-poisson", "dispersion": r.dispersion,
                          "n_comparison": len(r.comparison)}
        r = self.event_study
        if r is not None and not r.withheld:
            out["event_study"] = {"p": r.pre_trend_p, "df": r.pre_trend_df, "stat": r.pre_trend_stat, "unit": r.unit}
        r = self.placebo
        if r is not None and not r.withheld:
            eps = 1e-12 * max(1.0, abs(r.treated_log_estimate))
            rank = int((r.table["log_estimate"].abs() >= abs(r.treated_log_estimate) - eps).sum())
            out["placebo"] = {"p": r.p, "rank": rank, "n_placebo": r.n_placebo, "smallest_p": r.smallest_p,
                              "estimate": math.exp(r.treated_log_estimate),
                              "can_reach_05": bool(r.smallest_p < 0.05), "most_extreme": bool(rank == 1)}
        r = self.placebo_time
        if r is not None and not r.withheld:
            out["placebo_time"] = {"n_fake": r.n_fake, "n_significant": r.n_significant, "p_rank": r.p_rank}
        r = self.synthetic
        if r is not None and (not r.withheld or r.why and r.why["code"] == "synth_poor_fit"):
            out["synthetic"] = {"estimate": r.estimate, "p": r.p, "n_placebo": r.n_placebo,
                                "smallest_p": r.smallest_p, "pre_rmspe": r.pre_rmspe,
                                "median_placebo_pre_rmspe": r.median_placebo_pre_rmspe,
                                "weights": {str(a): float(w) for a, w in r.weights.items()},
                                "reported": not r.withheld}
        if self.did is not None or self.placebo is not None:
            es, pt = self.event_study, self.placebo_time
            out["assumptions"] = [
                {"assumption": "parallel trends", "check": "pre-trend test",
                 "p": es.pre_trend_p if es is not None and not es.withheld else None,
                 "df": es.pre_trend_df if es is not None else None},
                {"assumption": "parallel trends", "check": "in-time placebos",
                 "n_fake": pt.n_fake if pt is not None else 0,
                 "n_significant": pt.n_significant if pt is not None else 0,
                 "p_rank": pt.p_rank if pt is not None else None},
                {"assumption": "no spill-over", "check": None}]
        if self.its is not None:
            out["assumptions"].append({"assumption": "no co-intervention or recording change at the start",
                                       "check": None})
        return out

    def rows_in(self, lang: str) -> list[dict]:
        """The effects.csv rows with their ``notes`` worded in ``lang`` (``rows`` holds them in the language the
        evaluation was run in)."""
        facts = self.facts()
        return [{**r, "notes": i18n.effect_notes(r["design"], facts, lang)} for r in self.rows]


def facts_json(results: Iterable[EvaluationResults], *, figures: pd.DataFrame | None = None) -> dict:
    """Every evaluation's :meth:`~EvaluationResults.facts` for the index page (``effects.json``), each with the
    ``figures`` drawn for it (``[kind, figure name]``; ``figures``: the table of
    :func:`tryghed.figures.effect_figures`)."""
    out = []
    for r in results:
        f = r.facts()
        area = "+".join(r.treated)
        names = [] if figures is None or not len(figures) else [
            str(n) for n in figures.loc[(figures["indicator_id"] == r.evaluation.indicator)
                                        & (figures["area_id"] == area), "figure"]]
        f["figures"] = [[n.split("_")[1], n] for n in names]
        out.append(f)
    return {"evaluations": out}


def write_facts_json(results: Iterable[EvaluationResults], path, *, figures: pd.DataFrame | None = None) -> None:
    """Write :func:`facts_json` (sorted keys, NaN as ``NaN``) so the report builder can word the section."""
    import json

    text = json.dumps(facts_json(results, figures=figures), ensure_ascii=False, indent=1, sort_keys=True)
    Path(path).write_text(text + "\n", encoding="utf-8")


def read_facts_json(path) -> list[dict]:
    """The evaluations' facts written by :func:`write_facts_json` (an empty list when there is no file)."""
    import json

    path = Path(path)
    if not path.is_file():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")).get("evaluations", []))


def _row(design, ev, area, start, **kw) -> dict:
    r = dict.fromkeys(COLUMNS, math.nan)
    r.update(design=design, indicator_id=ev.indicator, area_id=area, start=start, notes="")
    r.update(kw)
    return r


def evaluate_results(evaluation, panel: pd.DataFrame, area_names: Mapping | None = None, *,
                     where: str = "effects[0]", lang: str = "en") -> EvaluationResults:
    """Run one evaluation's designs on a panel and collect the results and the effects.csv rows.

    Parameters
    ----------
    evaluation : Evaluation or dict
    panel : DataFrame
        ``area_id, period, count, exposure`` and optionally ``indicator_id`` (filtered to the evaluation's) and
        ``level`` (the default comparison is every other area of the treated areas' level).
    area_names : mapping, optional
        Area id -> a name, a list of names or a ``{lang: name}`` dict, so ``treated``/``comparison`` may use names.
    where : str
        The key of this evaluation in the YAML, for error messages.
    lang : {"en", "da"}
        The language of the rows' ``notes`` (worded by :func:`tryghed.i18n.effect_notes` from :meth:`facts`).
    """
    ev = evaluation if isinstance(evaluation, Evaluation) else parse_evaluations([evaluation], where="effects")[0]
    if "indicator_id" in panel.columns:
        if ev.indicator not in set(panel["indicator_id"]):
            raise ConfigError(f"{where}.indicator: {ev.indicator!r} has no values in the panel (indicators: "
                              f"{', '.join(sorted(map(str, set(panel['indicator_id']))))}). Give an indicator id "
                              "that has counts and exposures.")
        panel = panel[panel["indicator_id"] == ev.indicator]
    ids = sorted(set(panel["area_id"].astype(str)))
    treated = _resolve(ev.treated, ids, area_names, f"{where}.treated")
    if ev.comparison is not None:
        comparison = _resolve(ev.comparison, ids, area_names, f"{where}.comparison")
        both = sorted(set(comparison) & set(treated))
        if both:
            raise ConfigError(f"{where}.comparison: {', '.join(both)} is also treated. A treated area cannot be its "
                              "own comparison: remove it from 'comparison'.")
    elif "level" in panel.columns:
        levels = set(panel.loc[panel["area_id"].astype(str).isin(treated), "level"])
        comparison = sorted(set(panel.loc[panel["level"].isin(levels), "area_id"].astype(str)) - set(treated))
    else:
        comparison = sorted(set(ids) - set(treated))
    panel = panel[panel["area_id"].astype(str).isin([*treated, *comparison])]
    kw = {"panel": panel, "treated": treated, "start": ev.start, "key": f"{where}.start"}
    ckw = {**kw, "comparison": comparison}
    start = _label(*_ordinal(ev.start, f"{where}.start"))
    area = "+".join(treated)
    rows = []
    r_its = r_did = r_es = r_pl = r_pt = r_sc = None

    if "its" in ev.designs:
        r_its = its(**kw)
        if r_its.withheld:
            rows.append(_row("its", ev, area, start))
        else:
            rows.append(_row("its", ev, area, start, estimate=r_its.effect, ci_low=r_its.effect_ci[0],
                             ci_high=r_its.effect_ci[1], p=r_its.effect_p, level_change=r_its.level_change,
                             slope_change=r_its.slope_change))
    if "did" in ev.designs or "placebo" in ev.designs:
        r_pl = placebo_in_space(**ckw)
        r_pt = placebo_in_time(**ckw)
    if "did" in ev.designs:
        r_did = did(**ckw)
        r_es = event_study(**ckw)
        if r_did.withheld:
            rows.append(_row("did", ev, area, start))
        else:
            rows.append(_row("did", ev, area, start, estimate=r_did.estimate, ci_low=r_did.ci_low,
                             ci_high=r_did.ci_high, p=r_did.p, p_placebo=r_pl.p, n_placebo=r_pl.n_placebo,
                             smallest_p=r_pl.smallest_p))
        rows.append(_row("event_study", ev, area, start, p=math.nan if r_es.withheld else r_es.pre_trend_p))
    if "placebo" in ev.designs:
        if r_pl.withheld:
            rows.append(_row("placebo", ev, area, start))
        else:
            rows.append(_row("placebo", ev, area, start, estimate=math.exp(r_pl.treated_log_estimate),
                             p=r_pl.p, p_placebo=r_pl.p, n_placebo=r_pl.n_placebo, smallest_p=r_pl.smallest_p))
    if "synthetic" in ev.designs:
        r_sc = synthetic_control(**ckw)
        if r_sc.withheld:
            rows.append(_row("synthetic", ev, area, start, p_placebo=r_sc.p, n_placebo=r_sc.n_placebo,
                             smallest_p=r_sc.smallest_p))
        else:
            rows.append(_row("synthetic", ev, area, start, estimate=r_sc.estimate, p=r_sc.p, p_placebo=r_sc.p,
                             n_placebo=r_sc.n_placebo, smallest_p=r_sc.smallest_p))
    out = EvaluationResults(ev, tuple(treated), tuple(comparison), r_its, r_did, r_es, r_pl, r_pt, r_sc, rows)
    facts = out.facts()
    for r in rows:
        r["notes"] = i18n.effect_notes(r["design"], facts, lang)
    return out


def evaluate(evaluation, panel: pd.DataFrame, area_names: Mapping | None = None, *,
             where: str = "effects[0]", lang: str = "en") -> list[dict]:
    """The effects.csv rows of one evaluation (:data:`COLUMNS`); see :func:`evaluate_results`."""
    return evaluate_results(evaluation, panel, area_names, where=where, lang=lang).rows


def evaluate_all(evaluations: Iterable, panel: pd.DataFrame, area_names: Mapping | None = None, *,
                 where: str = "effects", lang: str = "en") -> list[EvaluationResults]:
    """:func:`evaluate_results` for every entry of an ``effects:`` block (errors name ``effects[i]``)."""
    return [evaluate_results(ev, panel, area_names, where=f"{where}[{i}]", lang=lang)
            for i, ev in enumerate(evaluations)]


def effects_table(rows: Iterable) -> pd.DataFrame:
    """Rows of :func:`evaluate` (or every row of a list of :class:`EvaluationResults`) in :data:`COLUMNS` order."""
    flat = []
    for r in rows:
        flat.extend(r.rows if isinstance(r, EvaluationResults) else [r])
    table = pd.DataFrame(flat, columns=list(COLUMNS))
    table["n_placebo"] = table["n_placebo"].astype("Int64")
    return table


def write_effects_csv(table: pd.DataFrame, path, *, lang: str, demo: bool = False) -> None:
    """effects.csv at full precision: ``;`` and decimal comma for Danish, ``,`` and decimal point otherwise.
    ``demo``: the run read the synthetic demo data; every row says so (:data:`tryghed.report.DEMO_COLUMN`)."""
    from .report import synthetic_marked

    table = synthetic_marked(table, lang, demo)
    da = lang == "da"
    table.to_csv(path, index=False, sep=";" if da else ",", decimal="," if da else ".", encoding="utf-8-sig",
                 lineterminator="\n")


def annual_panel(published: pd.DataFrame, *, indicators: Iterable[str] | None = None) -> pd.DataFrame:
    """An annual effects panel from the indicator table: ``numerator``/``denominator`` of rate rows as
    ``count``/``exposure`` (rows without both are left out)."""
    t = published
    if "kind" in t.columns:
        t = t[t["kind"] == "rate"]
    if indicators is not None:
        t = t[t["indicator_id"].isin(list(indicators))]
    if "suppressed" in t.columns:
        t = t[~t["suppressed"].astype(bool)]
    t = t.dropna(subset=["numerator", "denominator"])
    t = t[t["denominator"] > 0]
    cols = ["indicator_id", "area_id", *(["level"] if "level" in t.columns else []), "period"]
    out = t[cols].copy()
    out["period"] = out["period"].astype(int)
    out["count"], out["exposure"] = t["numerator"].astype(float), t["denominator"].astype(float)
    return out.reset_index(drop=True)


def page_section(evaluations: Sequence[dict], pipeline, lang: str, *, notebook_href: str | None = None) -> dict | None:
    """The index page's effects section (``tryghed/templates/_effects.html.j2``) from the evaluations' facts
    (:func:`read_facts_json`), worded by :func:`tryghed.i18n.effect_section` with the pipeline's area and measure
    names; None when there is no evaluation.

    Returns ``heading``, ``assumptions`` (the sub-heading), ``notebook`` and ``notebook_href`` (the rendered
    notebook), and ``evaluations``: one dict per evaluation with ``id`` (for the anchor), ``title``, ``intro``,
    ``results``, ``verdict``, ``assumptions`` and ``figures`` (``kind, figure, title, alt``).
    """
    if not evaluations:
        return None
    names = {a.id: a.name[lang] for a in pipeline.areas}
    levels = {a.id: a.level for a in pipeline.areas}
    measures = {i.id: i.name[lang] for i in pipeline.indicators}
    out = []
    for f in evaluations:
        words = i18n.effect_section(
            f, lang, names=names, measure=measures.get(f["indicator_id"]),
            districts=bool(f["comparison"]) and all(levels.get(a) in ("district", "survey_district")
                                                    for a in f["comparison"]),
            figures=[tuple(x) for x in f.get("figures", [])])
        out.append({"id": f"{f['indicator_id']}-{'-'.join(f['treated'])}", **words})
    W = i18n.EFFECT_WORDS[lang]
    return {"heading": W["section"], "assumptions": W["assumptions"], "notebook": W["notebook"],
            "notebook_href": notebook_href, "evaluations": out}
