"""Events per exposure (METHODS.md §2): reported offences per 1,000 residents with the exact Poisson interval, the
exact conditional test of two rates, and the Poisson GLM trend with an overdispersion check.

Two sources: StatBank (STRAF11 offences of an offence group over FOLK1A's population on 1 January), or a long table
(``format: long``) with a count column and, optionally, a population column. A long table without a population
gives counts compared at equal exposure (the denominator is 1 in every period, so a change in the population shows
as a change in the count; the method note says so).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from .._lazy import lazy_module
from ..significance import ALPHA
from . import long_table
from .base import Kind, row

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: StatBank: the source id of the population (FOLK1A)
    population: str | None = None
    #: StatBank: the offence group (``offence_groups:``) whose STRAF11 codes are counted
    offence_group: str | None = None
    #: A long table: the value of its indicator column, or a list of values whose counts are summed
    select: str | tuple[str, ...] | None = None
    #: StatBank STRAF44 (decisions, not persons): the first and last single age counted, e.g. [15, 24]
    ages: tuple[int, int] | None = None
    #: StatBank STRAF44: the decision type (AFGØRELSE) counted; "000" = every decision
    decision: str = "000"

#: Rates of a long table with a population are per this many residents.
PER = 1000.0
EQUAL_EXPOSURE = ("counts compared at equal exposure: the source has no population, so a change in the "
                  "population shows as a change in the count")
#: The method note of a rate from a long table (report.method_notes), by whether the source has a population.
LONG_NOTES = {
    True: {"da": "hændelser pr. 1.000 af befolkningen i tabellen med eksakt Poisson-interval (METHODS.md §2.1); "
                 "ændring med eksakt betinget test og score-interval for rate-forholdet (§2.2); trend med "
                 "Poisson-GLM og tjek for overspredning (§2.3); finere perioder er lagt sammen til hele år, kun "
                 "fuldstændige",
           "en": "events per 1,000 of the table's population with the exact Poisson interval (METHODS.md §2.1); "
                 "change by the exact conditional test with the score interval for the rate ratio (§2.2); trend by "
                 "a Poisson GLM checked for overdispersion (§2.3); finer periods are summed to whole years, complete "
                 "ones only"},
    False: {"da": "antal hændelser med eksakt Poisson-interval (METHODS.md §2.1); tabellen har ingen befolkning, så "
                  "antallene sammenlignes ved samme eksponering: en ændring i befolkningen viser sig som en ændring "
                  "i antallet; ændring med eksakt betinget test (§2.2), trend med Poisson-GLM (§2.3); finere "
                  "perioder er lagt sammen til hele år, kun fuldstændige",
            "en": "counts of events with the exact Poisson interval (METHODS.md §2.1); the table has no population, "
                  "so counts are compared at equal exposure: a change in the population shows as a change in the "
                  "count; change by the exact conditional test (§2.2), trend by a Poisson GLM (§2.3); finer periods "
                  "are summed to whole years, complete ones only"},
}


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
    formats = ("statbank", "long")
    test = "rate"

    def check(self, ind, pipeline):
        src = pipeline.sources[ind.source]
        if src.format == "long":
            if ind.spec.population is not None or ind.spec.offence_group is not None:
                raise ValueError(f"indicator '{ind.id}': 'population' and 'offence_group' belong to StatBank rates; "
                                 f"a long table's population is its own column (columns: {{population: ...}} of "
                                 f"source '{src.id}')")
            if "count" not in src.columns:
                raise ValueError(f"indicator '{ind.id}': a rate counts events; source '{src.id}' names no count "
                                 "column (columns: {count: ...})")
            long_table.check_select(ind, pipeline)
            return
        if ind.spec.select is not None:
            raise ValueError(f"indicator '{ind.id}': 'select' belongs to rates from a long table; source "
                             f"'{src.id}' is {src.format}")
        if ind.spec.population is None or ind.spec.offence_group is None:
            raise ValueError(f"indicator '{ind.id}': a rate from StatBank needs 'population' (a FOLK1A source) and "
                             "'offence_group'")
        if src.format != "statbank" or src.table not in ("STRAF11", "STRAF44"):
            raise ValueError(f"indicator '{ind.id}': source must be a StatBank source with 'table: STRAF11' (or "
                             f"STRAF44) for a rate; '{src.id}' is {src.format}"
                             + (f" ({src.table})" if src.table else ""))
        if (src.table == "STRAF44") != (ind.spec.ages is not None):
            raise ValueError(f"indicator '{ind.id}': ages (e.g. [15, 24]) is needed for a STRAF44 source and "
                             "belongs to STRAF44 only")
        pop = ind.spec.population
        if pop not in pipeline.sources or pipeline.sources[pop].format != "statbank" \
                or pipeline.sources[pop].table != "FOLK1A":
            raise ValueError(f"indicator '{ind.id}': population is {pop!r}; it must name a source with "
                             "'format: statbank' and 'table: FOLK1A'")
        if ind.spec.offence_group not in pipeline.offence_groups:
            raise ValueError(f"indicator '{ind.id}': offence_group is {ind.spec.offence_group!r}, which is not among "
                             f"offence_groups: {', '.join(pipeline.offence_groups) or 'none declared'}")
        if src.table == "STRAF44" and len(pipeline.offence_groups[ind.spec.offence_group].codes) != 1:
            raise ValueError(f"indicator '{ind.id}': offence_group must have one code for STRAF44 (e.g. 12)")

    def sources(self, ind):
        return (ind.source,) if ind.spec.population is None else (ind.source, ind.spec.population)

    def rows(self, ind, pipeline, tables, level):
        """Reported offences of the indicator's group per 1,000 residents on 1 January, exact Poisson interval."""
        if pipeline.sources[ind.source].format == "long":
            return self.long_rows(ind, pipeline, tables[ind.source], level)
        if pipeline.sources[ind.source].table == "STRAF44":
            return self.straf44_rows(ind, pipeline, tables, level)
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

    def straf44_rows(self, ind, pipeline, tables, level):
        """STRAF44 decisions (not persons) of the indicator's ages per 1,000 residents of those ages on 1 January
        (:func:`tryghed.peers.youth_decision_rates`); an absent optional file gives no rows."""
        from ..peers import youth_decision_rates

        at_level = {a.id for a in pipeline.areas_at(level)}
        dec, pop = tables[ind.source], tables[ind.spec.population]
        dec, pop = dec[dec["area_id"].isin(at_level)], pop[pop["area_id"].isin(at_level)]
        if dec.empty:
            return []
        lo, hi = ind.spec.ages
        [code] = pipeline.offence_groups[ind.spec.offence_group].codes
        res = youth_decision_rates(straf44=dec, folk1a=pop, offence=code, decision=ind.spec.decision,
                                   ages=[str(a) for a in range(lo, hi + 1)])
        ids = dict(zip(dec["area_code"], dec["area_id"]))
        return [row(ids[r.area_code], r.period, numerator=r.decisions, denominator=r.population,
                    estimate=r.estimate, ci_low=r.ci_low, ci_high=r.ci_high, flags=r.flags, method=r.method)
                for r in res.table.itertuples(index=False)]

    def note_for(self, ind, pipeline, lang: str) -> str:
        """The method note: the kind's ``note`` for StatBank, the long table's by whether it has a population."""
        src = pipeline.sources[ind.source]
        if src.format != "long":
            return self.note[lang]
        return LONG_NOTES["population" in src.columns][lang]

    def long_rows(self, ind, pipeline, table, level):
        """Counts per 1,000 of the population (or counts at equal exposure) from a long table; missing stays missing.

        An area without its own row is the sum of its areas in the file, only when all of them have the count (and
        the population) for the period.
        """
        has_pop = "population" in pipeline.sources[ind.source].columns
        additive = ("count", "population") if has_pop else ("count",)
        values = long_table.at_level(long_table.measure(ind, table), pipeline, level, additive=additive)
        out = []
        for v in values.itertuples(index=False):
            count = float(v.count)
            exposure = float(v.population) if has_pop else 1.0
            if not (np.isfinite(count) and np.isfinite(exposure) and exposure > 0):
                out.append(row(v.area_id, v.period, flags=v.flags or "missing", method="not estimated"))
                continue
            if has_pop:
                ci = stats.rate_confint(count=count, exposure=exposure, per=PER)
                method = f"{ci.method}; counts over the population, per {PER:,.0f}"
            else:
                ci = stats.rate_confint(count=count, exposure=1.0, per=1.0)
                method = f"{ci.method}; {EQUAL_EXPOSURE}"
            out.append(row(v.area_id, v.period, numerator=count, denominator=exposure, estimate=ci.estimate,
                           ci_low=ci.ci_low, ci_high=ci.ci_high, flags=v.flags, method=method))
        return out

    def compare(self, ind, ref_row, row, *, units=None, dispersion=1.0, alpha=ALPHA):
        c = stats.compare_rates(count1=ref_row["numerator"], exposure1=ref_row["denominator"],
                                count2=row["numerator"], exposure2=row["denominator"], dispersion=dispersion,
                                alpha=alpha)
        if EQUAL_EXPOSURE in f"{row.get('method', '')} {ref_row.get('method', '')}":
            c = dataclasses.replace(c, method=f"{c.method}; {EQUAL_EXPOSURE}")
        return c

    def trend(self, ind, seg, alpha=ALPHA):
        t = seg.index.to_numpy(float)
        g = stats.poisson_trend(periods=t, counts=seg["numerator"], exposure=seg["denominator"], alpha=alpha)
        offset = ("equal exposure (no population)" if EQUAL_EXPOSURE in " ".join(seg["method"].astype(str))
                  else "log-population offset")
        return dict(method=f"{g.model}, {offset} (§2.3)", slope=g.rate_ratio, slope_unit="rate ratio/yr",
                    ci_low=g.ci_low, ci_high=g.ci_high, pvalue=g.pvalue, dispersion=g.dispersion, reason=g.reason)
