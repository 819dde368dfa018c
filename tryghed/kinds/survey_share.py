"""Weighted survey shares from respondent microdata (METHODS.md §1): Hájek share, Kish n_eff, Wilson / CP."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from .._lazy import lazy_module
from ..significance import ALPHA
from .base import ShareKind, at_level, row

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed

#: Survey shares from fewer unweighted answers are not published (METHODS.md §1.3).
MIN_ANSWERS = 50


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the survey item (column) of the question
    item: str
    #: answer codes that count as "yes" (e.g. 4 = Utryg, 5 = Meget utryg)
    positive_codes: tuple[int | str, ...]
    #: answer codes that are no answer (e.g. 9 = Ved ikke): excluded from both sums
    missing_codes: tuple[int | str, ...] = ()
    #: compare each area of this level with the rest of the city (the level's other areas together), tested
    against_rest: Literal["district", "survey_district"] | None = None


def recode_binary(df: pd.DataFrame, *, item: str, positive_codes, missing_codes) -> pd.Series:
    """1 where the answer is one of ``positive_codes``, NaN where it is a missing code or absent, else 0."""
    answer = df[item]
    y = answer.isin(list(positive_codes)).astype(float)
    return y.mask(answer.isin(list(missing_codes)) | answer.isna())


class SurveyShare(ShareKind):
    name = "survey_share"
    limits = "share"
    #: the method note of the report (Danish and English)
    note = {
        "da": "vægtet andel (Hájek) med Kish' effektive stikprøvestørrelse pr. celle og Wilson-interval, "
              "Clopper–Pearson-interval når den effektive stikprøve er under 100 eller har under 10 effektive svar "
              "(METHODS.md §1.1–1.3); under {min_answers} svar offentliggøres intet; ændringer testes med z-test "
              "på effektive stikprøvestørrelser, ved små celler med score-test og Newcombe-interval (§1.4); trend "
              "med vægtet regressionshældning; som andet syn chi²-test for trend over de seneste 5 år på "
              "99,8 %-niveau med en regel for enkeltår, der styrer retningen (§1.5)",
        "en": "weighted share (Hájek) with Kish's effective sample size per cell and a Wilson interval, "
              "Clopper–Pearson when the effective sample is under 100 or has fewer than 10 effective answers "
              "(METHODS.md §1.1–1.3); nothing is published under {min_answers} answers; changes by the z test on "
              "effective sample sizes, for small cells the score test with the Newcombe interval (§1.4); trend by "
              "the weighted least-squares slope; as a second opinion the chi-square test for trend over the latest "
              "5 years at the 99.8% level with a rule for a single year that drives the direction (§1.5)"}
    Options = Options
    formats = ("survey_microdata",)
    survey = True

    def prepare(self, ind, df):
        o = ind.spec
        if o.item not in df.columns:
            raise KeyError(o.item)
        y = recode_binary(df, item=o.item, positive_codes=o.positive_codes, missing_codes=o.missing_codes)
        out = df.copy()
        out[f"y_{ind.id}"] = y
        return out, [{"table": ind.source, "dropped": int(y.isna().sum()),
                      "why": f"{ind.id}: answer missing or 'ved ikke' (excluded from both sums)"}]

    def rows(self, ind, pipeline, tables, level):
        df = tables[ind.source]
        y_all = df[f"y_{ind.id}"].to_numpy(float)
        w_all = df["weight"].to_numpy(float)
        out = []
        # each cell's rows by position, in the table's order (as the groupby's sub-frames hold them): the sums are
        # taken over the same numbers in the same order as before, without building a sub-frame per cell
        cells = df.groupby([at_level(df, pipeline, level), df["year"]], sort=True).indices
        for (area_id, year), at in cells.items():
            yg, wg = y_all[at], w_all[at]
            answered = ~np.isnan(yg)
            if not answered.any():
                out.append(row(area_id, year, n_unweighted=0, suppressed=True, flags="too_few_answers",
                               method="no answers"))
                continue
            est = stats.weighted_share(y=yg, weights=wg)
            too_few = est.n_unweighted < MIN_ANSWERS
            out.append(row(area_id, year, numerator=float((wg * yg)[answered].sum()),
                           denominator=float(wg[answered].sum()), estimate=100 * est.estimate,
                           ci_low=100 * est.ci_low, ci_high=100 * est.ci_high, n_unweighted=est.n_unweighted,
                           n_effective=est.n_effective, suppressed=too_few,
                           flags="too_few_answers" if too_few else
                           ("uncertain" if est.ci_high - est.ci_low > 0.20 else ""), method=est.method))
        return out

    def against_rest(self, ind, pipeline, table, year: int, *, alpha: float = ALPHA) -> list[dict]:
        """Each area of level ``ind.spec.against_rest`` against the rest of the city in ``year``.

        See :func:`share_against_rest`; returns rows in the change table's layout (``comparison``
        ``rest_of_level``).
        """
        level = ind.spec.against_rest
        if level is None:
            return []
        sub = table[(table["indicator_id"] == ind.id) & (table["level"] == level) & (table["period"] == year)]
        return share_against_rest(sub, pipeline=pipeline, indicator_id=ind.id, level=level, year=year, alpha=alpha)


def rest_share(*, numerators, denominators, n_effective) -> tuple[float, float]:
    """The Hájek share of several areas together and its effective n, from each area's weighted sums.

    ``numerators`` and ``denominators`` are each area's weighted sums of "yes" and of answers; the areas are
    independent strata, so the variance of the pooled share is ``sum_h (W_h / W)^2 p_h (1 - p_h) / n_eff_h`` and
    the effective n is ``p (1 - p) / variance`` (the sum of the n_eff when the variance is 0).
    """
    num, den = np.asarray(numerators, float), np.asarray(denominators, float)
    neff = np.asarray(n_effective, float)
    p = float(num.sum() / den.sum())
    ph = num / den
    var = float(np.sum((den / den.sum()) ** 2 * ph * (1 - ph) / neff))
    return p, (p * (1 - p) / var if var > 0 else float(neff.sum()))


def share_against_rest(sub: pd.DataFrame, *, pipeline, indicator_id: str, level: str, year: int,
                       alpha: float = ALPHA) -> list[dict]:
    """Survey shares of one level and year, each area against the level's other areas together.

    H0: the area's share equals the share of the rest of the city (the other areas of the level together); H1: it
    differs (two-sided). The rest's share is the Hájek share of the other areas (their weighted sums added), its
    effective n from the stratified variance (:func:`rest_share`); the test is
    :func:`tryghed.stats.compare_shares` (z on effective n, score test and Newcombe interval for small cells). An
    area with too few answers is not tested; a level where some area has no answers at all is not tested (the rest
    would be incomplete). ``change`` is the difference area − rest in percentage points; ``ref_estimate`` the rest's
    share.
    """
    if sub.empty:
        return []
    sub = sub.set_index("area_id")
    num, den = sub["numerator"].astype(float), sub["denominator"].astype(float)
    usable = np.isfinite(num) & np.isfinite(den) & (den > 0) & (sub["n_effective"].astype(float) > 0)
    complete = bool(usable.all()) and len(sub) == len(pipeline.areas_at(level))
    rows = []
    for area_id, r in sub.iterrows():
        base = dict(pipeline=pipeline.id, indicator_id=indicator_id, area_id=area_id, level=level, period=year,
                    comparison="rest_of_level", ref_period=year, estimate=r["estimate"], verdict="not_tested",
                    _tested=False)
        if not complete:
            absent = [pipeline.area(a).name["da"] for a in sub.index[~usable]] or ["an area without a row"]
            rows.append({**base, "flags": "incomplete_rest", "method": "not tested: the other areas' answers are "
                         f"incomplete ({', '.join(absent)})", "verdict_reason": "incomplete_rest"})
            continue
        if bool(r["suppressed"]):
            rows.append({**base, "flags": "too_few_answers", "method": "not estimated",
                         "verdict_reason": "too_few_answers"})
            continue
        rest = sub.drop(index=area_id)
        p_rest, n_rest = rest_share(numerators=rest["numerator"], denominators=rest["denominator"],
                                    n_effective=rest["n_effective"])
        c = stats.compare_shares(share1=p_rest, n_eff1=n_rest, share2=float(r["estimate"]) / 100,
                                 n_eff2=float(r["n_effective"]), alpha=alpha)
        rows.append({**base, "ref_estimate": 100 * p_rest, "change": 100 * c.estimate, "ci_low": 100 * c.ci_low,
                     "ci_high": 100 * c.ci_high, "statistic": c.statistic, "p_exact": c.pvalue,
                     "p_adjusted": c.pvalue, "pvalue": c.pvalue, "scale": "difference (percentage points)",
                     "method": f"{c.method}; against the other {len(rest)} areas of the level together (their "
                     "weighted sums added; effective n of the rest from the stratified variance)",
                     "flags": "" if c.tested else c.reason, "verdict_reason": c.reason, "_tested": bool(c.tested)})
    return rows
