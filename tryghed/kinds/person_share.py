"""Person shares from a register over a register population (METHODS.md §2.1): binomial, Wilson interval."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict

from .base import ShareKind, at_level, share_rows


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the age band of the population source that is the denominator (e.g. 15-25)
    population_age_band: str
    #: the source id of the population (format: population)
    population: str = "population"


class PersonShare(ShareKind):
    name = "person_share"
    limits = "person_share"
    #: the method note of the report (Danish and English)
    note = {
        "da": "andel af hele registerbefolkningen med Wilson-interval, læst som tilfældig variation (METHODS.md "
              "§2.1); ændringer med z-test, trend som for andele (§1.4–1.5)",
        "en": "share of the whole register population with a Wilson interval, read as random variation (METHODS.md "
              "§2.1); changes by the z test, trend as for shares (§1.4–1.5)"}
    Options = Options
    formats = ("register_counts",)

    def check(self, ind, pipeline):
        super().check(ind, pipeline)
        pop = ind.spec.population
        if pop not in pipeline.sources or pipeline.sources[pop].format != "population":
            raise ValueError(f"indicator '{ind.id}': population is {pop!r}; it must name a source with "
                             "'format: population'")

    def sources(self, ind):
        return (ind.source, ind.spec.population)

    def rows(self, ind, pipeline, tables, level):
        df, pop = tables[ind.source], tables[ind.spec.population]
        if df.empty or pop.empty:
            return []
        pop = pop[pop["age_band"] == ind.spec.population_age_band]
        den = pop.groupby([at_level(pop, pipeline, level), pop["year"]])["population"].sum(min_count=1)
        # a district is only summed when every one of its areas has a count that year: missing is never zero
        leaf = df.set_index(["area_id", "year"])["count"]
        areas = sorted(pop["area_id"].unique())
        years = sorted(pop["year"].unique())
        full = leaf.reindex(pd.MultiIndex.from_product([areas, years], names=["area_id", "year"]))
        full = full.reset_index()
        full["parent"] = at_level(full, pipeline, level)
        num = full.groupby(["parent", "year"])["count"].sum(min_count=1)
        incomplete = full.groupby(["parent", "year"])["count"].apply(lambda s: s.isna().any())
        num[incomplete] = float("nan")
        num.index.names = den.index.names = ["area_id", "period"]
        return share_rows(num, den, "register population (random variation)")
