"""Stocks counted at a point in time (METHODS.md §2.1): registered gang members at year end, local areas in a safety
category, institutions that closed. Described with the target rules, never tested as Poisson counts."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator

from .base import Kind, count_rows


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: safety index: the categories counted (e.g. [intensiveret, markant])
    categories: tuple[str, ...] | None = None
    #: closure log: count the distinct institutions that closed
    measure: Literal["institutions"] | None = None

    @model_validator(mode="after")
    def _one(self):
        if self.categories is not None and self.measure is not None:
            raise ValueError("a stock_count takes either 'categories' (safety index) or 'measure' (closure log)")
        return self


class StockCount(Kind):
    name = "stock_count"
    limits = "stock"
    #: the method note of the report (Danish and English)
    note = {
        "da": "bestand i et register, beskrevet uden statistisk test (METHODS.md §2.1), vurderet mod målet (§3.1)",
        "en": "a register stock, described without a statistical test (METHODS.md §2.1), held against its target "
              "(§3.1)"}
    Options = Options
    formats = ("safety_index", "gang_log", "closure_log")

    def note_for(self, ind, pipeline, lang):
        if pipeline.sources[ind.source].format != "safety_index":
            return self.note[lang]
        extra = {"da": "; hver udgave af tryghedsindekset beskriver året før (udgaven fra 2014 beskriver 2013), så "
                       "tallene står under det år, de beskriver; et år efter indeksets sidste udgave er ikke målt",
                 "en": "; each edition of the safety index describes the year before it (the 2014 edition describes "
                       "2013), so its figures stand under the year they describe; a year after the index's last "
                       "edition is not measured"}
        return self.note[lang] + extra[lang]

    def check(self, ind, pipeline):
        super().check(ind, pipeline)
        fmt = pipeline.sources[ind.source].format
        need = {"safety_index": "categories", "closure_log": "measure"}.get(fmt)
        if need and getattr(ind.spec, need) is None:
            example = "[intensiveret, markant]" if need == "categories" else "institutions"
            raise ValueError(f"indicator '{ind.id}' counts from a {fmt} source and needs '{need}' (e.g. {example})")

    def rows(self, ind, pipeline, tables, level):
        df = tables[ind.source]
        if df.empty:
            return []
        source = pipeline.sources[ind.source]
        fmt = source.format
        if fmt == "safety_index":
            # every local area of the edition is listed: a district's count of areas in the categories is a true
            # zero when none is, but a district without local areas in an edition was not measured (missing)
            hit = df["category"].isin(ind.spec.categories)
            values = hit.groupby([df["area_id"], df["year"]]).sum().rename("value").reset_index()
            note = "count of local areas (descriptive)"
        elif fmt == "gang_log":
            values = df.rename(columns={"count": "value"})[["area_id", "year", "value", "flags"]]
            note = "register stock at year end (descriptive)"
        else:
            # the closure log lists closures: an area without one in a year the log covers had none (a true zero)
            counts = df.groupby(["area_id", "year"])["institution"].nunique()
            values = _zero_filled(counts, pipeline, source.area_level, df["year"])
            note = "distinct institutions (descriptive)"
        values = values.rename(columns={"year": "period"})
        if "flags" not in values:
            values["flags"] = ""
        return count_rows(values, pipeline, level, df["year"].unique(), note, source.area_level)


def _zero_filled(counts: pd.Series, pipeline, leaf_level, years) -> pd.DataFrame:
    """Counts of events over every area of the source's level and every year the source covers, 0 where none."""
    areas = [a.id for a in pipeline.areas_at(leaf_level)] if leaf_level else sorted(counts.index.unique(0))
    full = pd.MultiIndex.from_product([areas, sorted({int(y) for y in years})], names=["area_id", "year"])
    return counts.reindex(full, fill_value=0).rename("value").reset_index()
