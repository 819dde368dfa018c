"""Reported offences per 1,000 residents from the police's own exports by neighbourhood and month (METHODS.md §2).

The counts come from the monthly export (``police_monthly``) or the incident-level export (``police_incidents``,
aggregated by ingest), the exposure from the population by neighbourhood on 1 January (``neighbourhood_population``).
A period (a reporting year such as August 2019 to June 2020, or a calendar year) counts for an area only when the
export holds every one of its months for that area; its exposure is the person-years lived in it, each month
weighted by the population on 1 January of its calendar year, so the rate is per 1,000 residents a year whatever the
period's length. Exact Poisson interval, exact conditional test of two rates, Poisson GLM trend (as ``rate``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from .._lazy import lazy_module
from ._reporting import calendar_year, months_of, period_of, period_years
from .base import at_level, flags, incomplete_flag, row
from .rate import Rate

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the source id of the population by neighbourhood (format: neighbourhood_population)
    population: str
    #: the offence group (``offence_groups:``) whose codes are counted
    offence_group: str
    #: a second police source read when the indicator's own source is absent (e.g. the incident export)
    fallback: str | None = None
    #: the areas the partnership's overview shows (e.g. Indre and Ydre Nørrebro)
    report_areas: tuple[str, ...] = ()
    #: areas left out of "the rest of the city" beside them (default: ``report_areas``)
    rest_of_city_without: tuple[str, ...] | None = None


POLICE_FORMATS = ("police_monthly", "police_incidents")


def monthly_counts(counts: pd.DataFrame, codes: Collection[str]) -> pd.DataFrame:
    """Reports of ``codes`` per area and month, 0 in a month the export holds for the area without such a report.

    Returns ``area_id, period, count``: one row per area and month present in the export (any offence code).
    """
    present = counts[["area_id", "period"]].drop_duplicates()
    wanted = counts[counts["offence_code"].astype(str).isin([str(c) for c in codes])]
    total = wanted.groupby(["area_id", "period"])["count"].sum().rename("count").reset_index()
    out = present.merge(total, on=["area_id", "period"], how="left").fillna({"count": 0})
    out["count"] = out["count"].astype("float64")
    return out.sort_values(["area_id", "period"], ignore_index=True)


def person_years(population: pd.DataFrame, months: Iterable[str]) -> pd.Series:
    """Person-years per area over ``months``: each month is 1/12 of the population on 1 January of its year.

    An area missing a year's population gets NaN (never a zero exposure).
    """
    pop = population.set_index(["area_id", "year"])["population"].astype(float)
    years = pd.Series([int(m[:4]) for m in months]).value_counts()
    areas = sorted(population["area_id"].unique())
    out = {}
    for a in areas:
        total = 0.0
        for y, n in years.items():
            p = pop.get((a, int(y)), np.nan)
            total += p * n / 12
        out[a] = total
    return pd.Series(out, dtype=float)


def period_counts(monthly: pd.DataFrame, population: pd.DataFrame, months: list[str], leaves: list[str]
                  ) -> pd.DataFrame:
    """Count and person-years of each leaf area over ``months``; NaN for an area missing a month or a population.

    Returns ``area_id, count, exposure, missing_months`` for every area of ``leaves``.
    """
    m = monthly[monthly["period"].isin(months)]
    got = m.groupby("area_id")["period"].nunique()
    total = m.groupby("area_id")["count"].sum()
    exposure = person_years(population, months)
    rows = []
    for a in leaves:
        short = len(months) - int(got.get(a, 0))
        e = float(exposure.get(a, np.nan))
        complete = short == 0 and np.isfinite(e) and e > 0
        rows.append((a, float(total.get(a, 0.0)) if complete else np.nan, e if complete else np.nan, short))
    return pd.DataFrame(rows, columns=["area_id", "count", "exposure", "missing_months"])


def rate_row(area_id: str, period: int, count: float, exposure: float, method: str, flag: str = "") -> dict:
    """An indicator row of ``count`` over ``exposure`` person-years, per 1,000, with the exact Poisson interval."""
    if not (np.isfinite(count) and np.isfinite(exposure) and exposure > 0):
        return row(area_id, period, flags=flag or "missing", method=method)
    ci = stats.rate_confint(count=float(count), exposure=float(exposure), per=1000.0)
    return row(area_id, period, numerator=float(count), denominator=float(exposure), estimate=ci.estimate,
               ci_low=ci.ci_low, ci_high=ci.ci_high, flags=flag, method=f"{ci.method}; {method}")


class PoliceRate(Rate):
    """Reports per 1,000 residents a year from the police's neighbourhood exports (see the module docstring)."""

    name = "police_rate"
    #: the report's method note (tryghed.report.method_notes)
    note = {
        "da": "anmeldelser i politiets eksport pr. nabolag og måned over personår (befolkningen 1. januar i hver "
              "måneds år), pr. 1.000 indbyggere om året, med eksakt Poisson-interval; en periode tæller kun, når alle "
              "dens måneder er i eksporten (METHODS.md §2); ændringer med den eksakte betingede test, justeret for "
              "overspredning i familien (§2.2); trend med Poisson-GLM (§2.3)",
        "en": "reports in the police's export by neighbourhood and month over person-years (the population on 1 "
              "January of each month's year), per 1,000 residents a year, with the exact Poisson interval; a period "
              "counts only when the export holds all its months (METHODS.md §2); changes by the exact conditional "
              "test, adjusted for the family's overdispersion (§2.2); trend by a Poisson GLM (§2.3)"}
    Options = Options
    formats = POLICE_FORMATS

    def check(self, ind, pipeline):
        src = pipeline.sources[ind.source]
        if src.format not in POLICE_FORMATS:
            raise ValueError(f"indicator '{ind.id}' is a police_rate, which is built from a source of format "
                             f"police_monthly or police_incidents; source '{ind.source}' is {src.format}")
        o = ind.spec
        if o.population not in pipeline.sources or \
                pipeline.sources[o.population].format != "neighbourhood_population":
            raise ValueError(f"indicator '{ind.id}': population is {o.population!r}; it must name a source with "
                             "'format: neighbourhood_population'")
        if o.fallback is not None and (o.fallback not in pipeline.sources
                                       or pipeline.sources[o.fallback].format not in POLICE_FORMATS):
            raise ValueError(f"indicator '{ind.id}': fallback is {o.fallback!r}; it must name a police_monthly or "
                             "police_incidents source")
        if o.offence_group not in pipeline.offence_groups:
            raise ValueError(f"indicator '{ind.id}': offence_group is {o.offence_group!r}, which is not among "
                             f"offence_groups: {', '.join(pipeline.offence_groups) or 'none declared'}")
        ids = {a.id for a in pipeline.areas}
        for a in (*o.report_areas, *(o.rest_of_city_without or ())):
            if a not in ids:
                raise ValueError(f"indicator '{ind.id}': report area {a!r} is not an area id")

    def sources(self, ind):
        extra = (ind.spec.fallback,) if ind.spec.fallback else ()
        return (ind.source, ind.spec.population, *extra)

    def counts_table(self, ind, tables) -> tuple[pd.DataFrame, str]:
        """The police counts the indicator uses: its own source, or the fallback when that one is empty."""
        df = tables.get(ind.source)
        if (df is None or df.empty) and ind.spec.fallback:
            return tables.get(ind.spec.fallback, pd.DataFrame()), ind.spec.fallback
        return (df if df is not None else pd.DataFrame()), ind.source

    def leaves(self, pipeline, source_id: str, monthly: pd.DataFrame) -> list[str]:
        src = pipeline.sources[source_id]
        if src.area_level:
            return [a.id for a in pipeline.areas_at(src.area_level)]
        return sorted(monthly["area_id"].unique())

    def rows(self, ind, pipeline, tables, level):
        """Reports of the offence group per 1,000 residents a year, per period and area at ``level``."""
        counts, sid = self.counts_table(ind, tables)
        population = tables[ind.spec.population]
        if counts.empty or population.empty:
            return []
        codes = pipeline.offence_groups[ind.spec.offence_group].codes
        monthly = monthly_counts(counts, codes)
        first = pd.Period(monthly["period"].min(), "M").start_time.date()
        last = pd.Period(monthly["period"].max(), "M").end_time.date()
        leaves = self.leaves(pipeline, sid, monthly)
        out = []
        for y in period_years(pipeline, first, last):
            out += self.period_rows(pipeline, monthly, population, months_of(period_of(pipeline, y)), leaves,
                                    level, y, sid)
        return out

    def period_rows(self, pipeline, monthly, population, months, leaves, level, label_year, sid) -> list[dict]:
        """Rows at ``level`` over ``months``: a parent is missing (flag ``incomplete``) when a leaf is."""
        leaf = period_counts(monthly, population, months, leaves)
        leaf["parent"] = at_level(leaf, pipeline, level)
        leaf = leaf[leaf["parent"].notna()]
        method = (f"{pipeline.sources[sid].format} reports over {months[0]} to {months[-1]} per person-year "
                  "(population on 1 January of each month's year)")
        out = []
        for parent, g in leaf.groupby("parent", sort=True):
            bad = g[~np.isfinite(g["count"])]
            if len(bad):
                flag = "missing" if parent in set(bad["area_id"]) else incomplete_flag(pipeline, bad["area_id"])
                out.append(row(parent, label_year, flags=flag, method=method))
                continue
            out.append(rate_row(parent, label_year, g["count"].sum(), g["exposure"].sum(), method))
        return out

    def calendar_rows(self, ind, pipeline, tables, level, year: int, areas: Collection[str] | None = None
                      ) -> list[dict]:
        """The rate over calendar ``year`` (e.g. the plan's 2016 baseline), rows as :meth:`rows`."""
        counts, sid = self.counts_table(ind, tables)
        population = tables[ind.spec.population]
        if counts.empty or population.empty:
            return []
        monthly = monthly_counts(counts, pipeline.offence_groups[ind.spec.offence_group].codes)
        out = self.period_rows(pipeline, monthly, population, months_of(calendar_year(year)),
                               self.leaves(pipeline, sid, monthly), level, year, sid)
        return [r for r in out if areas is None or r["area_id"] in set(areas)]

    def rest_of_city(self, ind, pipeline, tables, months: list[str], label_year: int) -> dict | None:
        """The rate of every leaf area but the report areas (e.g. Copenhagen without Indre and Ydre Nørrebro)."""
        counts, sid = self.counts_table(ind, tables)
        population = tables[ind.spec.population]
        if counts.empty or population.empty:
            return None
        monthly = monthly_counts(counts, pipeline.offence_groups[ind.spec.offence_group].codes)
        without = set(ind.spec.rest_of_city_without or ind.spec.report_areas)
        leaves = [a for a in self.leaves(pipeline, sid, monthly) if a not in without
                  and pipeline.ancestor_at(a, "city") == pipeline.city.id]
        leaf = period_counts(monthly, population, months, leaves)
        method = f"{pipeline.sources[sid].format} reports over {months[0]} to {months[-1]}, every area but " \
                 f"{', '.join(sorted(without))}"
        if not np.isfinite(leaf["count"]).all():
            absent = leaf.loc[~np.isfinite(leaf["count"]), "area_id"]
            return row("rest_of_city", label_year, flags=flags(incomplete_flag(pipeline, absent)), method=method)
        return rate_row("rest_of_city", label_year, leaf["count"].sum(), leaf["exposure"].sum(), method)

    def monthly_panel(self, ind, pipeline, tables, level: str = "survey_district") -> pd.DataFrame:
        """Counts and person-year exposure per area and month (``indicator_id, area_id, period, count,
        exposure``) for the effect evaluation (tryghed.effects); months without a population are left out."""
        counts, sid = self.counts_table(ind, tables)
        population = tables[ind.spec.population]
        cols = ["indicator_id", "area_id", "period", "count", "exposure"]
        if counts.empty or population.empty:
            return pd.DataFrame(columns=cols)
        monthly = monthly_counts(counts, pipeline.offence_groups[ind.spec.offence_group].codes)
        monthly["parent"] = at_level(monthly, pipeline, level)
        pop = population.set_index(["area_id", "year"])["population"].astype(float)
        monthly["exposure"] = [pop.get((a, int(p[:4])), np.nan) / 12 for a, p in
                               zip(monthly["area_id"], monthly["period"])]
        g = monthly.dropna(subset=["parent"]).groupby(["parent", "period"])
        out = pd.DataFrame({"count": g["count"].sum(), "exposure": g["exposure"].sum(min_count=1),
                            "areas": g["area_id"].nunique()}).reset_index().rename(columns={"parent": "area_id"})
        out = out.dropna(subset=["exposure"])
        out.insert(0, "indicator_id", ind.id)
        return out[cols].sort_values(["area_id", "period"], ignore_index=True)
