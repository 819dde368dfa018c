"""Weighted survey shares from respondent microdata (METHODS.md §1): Hájek share, Kish n_eff, Wilson / CP."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict

from .._lazy import lazy_module
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
        ycol = f"y_{ind.id}"
        out = []
        for (area_id, year), g in df.groupby([at_level(df, pipeline, level), df["year"]], sort=True):
            answered = g[ycol].notna()
            if not answered.any():
                out.append(row(area_id, year, n_unweighted=0, suppressed=True, flags="too_few_answers",
                               method="no answers"))
                continue
            est = stats.weighted_share(y=g[ycol].to_numpy(), weights=g["weight"].to_numpy())
            too_few = est.n_unweighted < MIN_ANSWERS
            out.append(row(area_id, year, numerator=float((g["weight"] * g[ycol])[answered].sum()),
                           denominator=float(g["weight"][answered].sum()), estimate=100 * est.estimate,
                           ci_low=100 * est.ci_low, ci_high=100 * est.ci_high, n_unweighted=est.n_unweighted,
                           n_effective=est.n_effective, suppressed=too_few,
                           flags="too_few_answers" if too_few else
                           ("uncertain" if est.ci_high - est.ci_low > 0.20 else ""), method=est.method))
        return out
