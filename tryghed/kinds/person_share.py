"""Person shares from a register over a register population (METHODS.md §2.1): binomial, Wilson interval."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from ..errors import InputError

from .base import ShareKind, at_level, incomplete_flag, share_rows


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the age band of the population source that is the denominator (e.g. 15-25)
    population_age_band: str
    #: the source id of the population (format: population)
    population: str = "population"
    #: the age band of the counts (a source with an ``aldersgruppe`` column); None: every row of the source
    age_band: str | None = None
    #: the offence types counted (a source with a ``kriminalitet`` column, e.g. [vold]); None: every row
    offences: tuple[str, ...] | None = None

    @field_validator("offences", mode="before")
    @classmethod
    def _one_or_more(cls, v):
        return (v,) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _bands_agree(self):
        if self.age_band is not None and self.age_band != self.population_age_band:
            raise ValueError(f"age_band is {self.age_band!r} but population_age_band is "
                             f"{self.population_age_band!r}; a share counts persons of the band its population holds")
        return self


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
        df = select_cells(df, ind, pipeline.sources[ind.source].file)
        pop = pop[pop["age_band"] == ind.spec.population_age_band]
        _no_one_counted_where_no_one_lives(ind, pipeline, df, pop)
        den = pop.groupby([at_level(pop, pipeline, level), pop["year"]])["population"].sum(min_count=1)
        # a district is only summed when every one of its areas has a count that year: missing is never zero
        # cells of a split (age band x offence) are summed; a missing cell makes the sum missing, never a zero
        cells = df.groupby(["area_id", "year"])["count"]
        leaf = cells.sum(min_count=1).astype("float64")
        leaf[df["count"].isna().groupby([df["area_id"], df["year"]]).any()] = float("nan")
        areas = sorted(pop["area_id"].unique())
        years = sorted(pop["year"].unique())
        full = leaf.reindex(pd.MultiIndex.from_product([areas, years], names=["area_id", "year"]))
        full = full.reset_index()
        full["parent"] = at_level(full, pipeline, level)
        num = full.groupby(["parent", "year"])["count"].sum(min_count=1)
        incomplete = full["count"].isna().groupby([full["parent"], full["year"]]).any()
        num[incomplete] = float("nan")
        num.index.names = den.index.names = ["area_id", "period"]
        # a total over areas without a count names them (flag incomplete:<areas>), as every count kind does
        absent = full[full["count"].isna() & (full["parent"] != full["area_id"])]
        gaps = {(parent, year): incomplete_flag(pipeline, g["area_id"])
                for (parent, year), g in absent.groupby(["parent", "year"], sort=True)}
        return share_rows(num, den, "register population (random variation)", gaps)


def select_cells(df: pd.DataFrame, ind, path: str = "") -> pd.DataFrame:
    """The rows of a register count table that ``ind`` counts (its ``age_band`` and ``offences``).

    A split the indicator names but the table lacks, or a value the table never holds, is an input error (the
    measure would silently count nothing); a split the table has but the indicator does not name is summed over.
    """
    o = ind.spec
    out = df
    for col, wanted, key in (("age_band", (o.age_band,) if o.age_band else None, "age_band"),
                             ("offence", o.offences, "offences")):
        if wanted is None:
            continue
        if col not in out.columns:
            raise InputError(path or ind.source, f"indicator '{ind.id}' selects {key} {', '.join(wanted)} but the "
                             f"table has no {'aldersgruppe' if col == 'age_band' else 'kriminalitet'} column",
                             f"Add the column to the file, or remove '{key}' from the indicator.", where="header")
        have = set(out[col].astype(str).str.lower())
        lost = [w for w in wanted if str(w).lower() not in have]
        if lost:
            raise InputError(path or ind.source, f"indicator '{ind.id}' selects {key} {lost[0]!r}, which the table "
                             f"never holds (it has: {', '.join(sorted(have))})",
                             f"Correct '{key}' in the pipeline YAML to a value of the file.", where="header")
        out = out[out[col].astype(str).str.lower().isin([str(w).lower() for w in wanted])]
    return out


def _no_one_counted_where_no_one_lives(ind, pipeline, counts: pd.DataFrame, pop: pd.DataFrame) -> None:
    """A count of persons in an area and year whose population is 0 is impossible data (the share would silently
    be left out): an input error naming the population file, the area and the year."""
    counted = counts.groupby(["area_id", "year"])["count"].sum(min_count=1)
    people = pop.groupby(["area_id", "year"])["population"].sum(min_count=1)
    both = pd.concat({"count": counted, "population": people}, axis=1, join="inner")
    bad = both[(both["population"] <= 0) & (both["count"] > 0)]
    if len(bad):
        (area, year), r = next(iter(bad.iterrows()))
        raise InputError(pipeline.sources[ind.spec.population].file,
                         f"{pipeline.area(area).name['da']} {int(year)} has a population of {r['population']:g} in "
                         f"age band {ind.spec.population_age_band}, but {r['count']:g} persons are counted there "
                         f"('{ind.id}', from {pipeline.sources[ind.source].file})",
                         "Correct the population (or the count) for that area and year.",
                         where=f"{pipeline.area(area).name['da']}, {int(year)}")
