"""Events per exposure (METHODS.md §2): reported offences per 1,000 residents with the exact Poisson interval, the
exact conditional test of two rates, and the Poisson GLM trend with an overdispersion check."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict

from .. import stats
from .base import Kind, row


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the source id of the population (StatBank FOLK1A)
    population: str
    #: the offence group (``offence_groups:``) whose STRAF11 codes are counted
    offence_group: str


def _annual(df: pd.DataFrame, how: str) -> pd.DataFrame:
    """Yearly rows of a StatBank table with ``area_id``: quarters summed or Q1 taken, yearly rows as they are."""
    from ..sources.statbank import to_annual

    ids = dict(zip(df["area_code"], df["area_id"]))
    if (df["quarter"] == 0).all():
        out = df.copy()
    else:
        out = to_annual(df[df["quarter"] > 0].drop(columns="area_id"), how=how)
    out["area_id"] = out["area_code"].map(ids)
    return out


def _empty() -> pd.Series:
    return pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=["area_id", "period"]))


def offence_counts(offences: pd.DataFrame, codes) -> pd.Series:
    """Reported offences of a group per ``(area_id, period)``: the complete years only.

    A year counts when every code of the group has all four quarters (or a yearly value) and none is missing.
    """
    codes = list(codes)
    sub = offences[offences["offence_code"].isin(codes)]
    if sub.empty:
        return _empty()
    year = _annual(sub, "sum")
    g = year.groupby(["area_id", "year"])
    out = pd.DataFrame({"count": g["value"].sum(), "ok": ~g["missing"].any(), "n": g["offence_code"].nunique()})
    out = out[out["ok"] & (out["n"] == len(codes))]["count"]
    out.index.names = ["area_id", "period"]
    return out


def population_1_january(population: pd.DataFrame) -> pd.Series:
    """FOLK1A's total population on 1 January (the first quarter) per ``(area_id, period)``; missing years left out."""
    total = population[(population["sex"] == "TOT") & (population["age"] == "IALT")
                       & (population["marital_status"] == "TOT")]
    if total.empty:
        return _empty()
    year = _annual(total, "first_quarter")
    year = year[~year["missing"]]
    out = year.set_index(["area_id", "year"])["value"]
    out.index.names = ["area_id", "period"]
    return out


class Rate(Kind):
    name = "rate"
    limits = "rate"
    #: the method note of the report (Danish and English)
    note = {
        "da": "rate pr. 1.000 indbyggere med eksakt Poisson-interval (METHODS.md §2.1); ændring med eksakt betinget "
              "Poisson-test og score-interval for rate-forholdet (§2.2); trend med Poisson-regression, kontrol for "
              "overspredning og quasi-Poisson-regression når φ > 1,5 (§2.3); anmeldte tal måler også "
              "anmeldelsesadfærd (§2.4)",
        "en": "rate per 1,000 residents with the exact Poisson interval (METHODS.md §2.1); change by the exact "
              "conditional Poisson test with the score interval for the rate ratio (§2.2); trend by Poisson "
              "regression, checked for overdispersion, quasi-Poisson when φ > 1.5 (§2.3); reported counts also "
              "measure reporting behaviour (§2.4)"}
    Options = Options
    formats = ("statbank",)
    test = "rate"

    def check(self, ind, pipeline):
        src = pipeline.sources[ind.source]
        if src.format != "statbank" or src.table != "STRAF11":
            raise ValueError(f"indicator '{ind.id}': source must be a StatBank source with 'table: STRAF11' for a "
                             f"rate; '{src.id}' is {src.format}" + (f" ({src.table})" if src.table else ""))
        pop = ind.spec.population
        if pop not in pipeline.sources or pipeline.sources[pop].format != "statbank" \
                or pipeline.sources[pop].table != "FOLK1A":
            raise ValueError(f"indicator '{ind.id}': population is {pop!r}; it must name a source with "
                             "'format: statbank' and 'table: FOLK1A'")
        if ind.spec.offence_group not in pipeline.offence_groups:
            raise ValueError(f"indicator '{ind.id}': offence_group is {ind.spec.offence_group!r}, which is not among "
                             f"offence_groups: {', '.join(pipeline.offence_groups) or 'none declared'}")

    def sources(self, ind):
        return (ind.source, ind.spec.population)

    def rows(self, ind, pipeline, tables, level):
        """Reported offences of the indicator's group per 1,000 residents on 1 January, exact Poisson interval."""
        at_level = {a.id for a in pipeline.areas_at(level)}
        offences, population = tables[ind.source], tables[ind.spec.population]
        group = pipeline.offence_groups[ind.spec.offence_group]
        num = offence_counts(offences[offences["area_id"].isin(at_level)], group.codes)
        den = population_1_january(population[population["area_id"].isin(at_level)])
        out = []
        for (a, y), n in num.items():
            if (a, y) not in den.index or den[(a, y)] <= 0:
                continue
            d = float(den[(a, y)])
            ci = stats.rate_confint(count=float(n), exposure=d, per=1000.0)
            out.append(row(a, y, numerator=float(n), denominator=d, estimate=ci.estimate, ci_low=ci.ci_low,
                           ci_high=ci.ci_high, method=f"{ci.method}; STRAF11 offences in the year over FOLK1A "
                           "population on 1 January"))
        return out

    def compare(self, ind, ref_row, row, *, units=None, dispersion=1.0, alpha=stats.ALPHA):
        return stats.compare_rates(count1=ref_row["numerator"], exposure1=ref_row["denominator"],
                                   count2=row["numerator"], exposure2=row["denominator"], dispersion=dispersion,
                                   alpha=alpha)

    def trend(self, ind, seg, alpha=stats.ALPHA):
        t = seg.index.to_numpy(float)
        g = stats.poisson_trend(periods=t, counts=seg["numerator"], exposure=seg["denominator"], alpha=alpha)
        return dict(method=f"{g.model}, log-population offset (§2.3)", slope=g.rate_ratio, slope_unit="rate ratio/yr",
                    ci_low=g.ci_low, ci_high=g.ci_high, pvalue=g.pvalue, dispersion=g.dispersion, reason=g.reason)
