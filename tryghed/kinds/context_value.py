"""A published figure shown as context beside a programme's own measures (e.g. the city's published share who feel
safe, or all reported offences per 1,000, per survey district): the value as published, per calendar year, with no
interval and no test (the publication gives neither the counts nor the sample sizes).

Built from ``format: long`` sources with a ``value`` column; several sources (one file a year) make one series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from .._lazy import lazy_module
from ..significance import ALPHA
from .base import Kind, row

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: further sources of the same figure (e.g. the next year's file)
    more_sources: tuple[str, ...] = ()
    #: the ``indicator`` value to take from a long table that holds several (default: every row)
    select: str | None = None
    #: the areas the partnership's overview shows
    report_areas: tuple[str, ...] = ()


class ContextValue(Kind):
    """A published value per area and calendar year, described only (see the module docstring)."""

    name = "context_value"
    #: the report's method note (tryghed.report.method_notes)
    note = {
        "da": "offentliggjort tal pr. kalenderår, vist som kontekst uden interval og uden test (publikationen "
              "giver hverken antal eller stikprøvestørrelser)",
        "en": "published figure per calendar year, shown as context without an interval or a test (the "
              "publication gives neither counts nor sample sizes)"}
    Options = Options
    formats = ("long",)

    def check(self, ind, pipeline):
        for sid in self.sources(ind):
            if sid not in pipeline.sources or pipeline.sources[sid].format != "long":
                raise ValueError(f"indicator '{ind.id}': source {sid!r} must be a 'format: long' source with a "
                                 "'value' column")
        ids = {a.id for a in pipeline.areas}
        for a in ind.spec.report_areas:
            if a not in ids:
                raise ValueError(f"indicator '{ind.id}': report area {a!r} is not an area id")

    def sources(self, ind):
        return (ind.source, *ind.spec.more_sources)

    def rows(self, ind, pipeline, tables, level):
        at = {a.id for a in pipeline.areas_at(level)}
        parts = [tables[s] for s in self.sources(ind) if s in tables and not tables[s].empty]
        if not parts:
            return []
        df = pd.concat(parts, ignore_index=True)
        if ind.spec.select is not None and "indicator" in df:
            df = df[df["indicator"].astype(str) == ind.spec.select]
        df = df[df["area_id"].isin(at) & np.isfinite(df["value"].astype(float))]
        out = {}
        for r in df.itertuples(index=False):
            out[(r.area_id, int(r.year))] = row(r.area_id, int(r.year), estimate=float(r.value), flags="published",
                                                method="published value (no counts or sample sizes: no interval, "
                                                "no test)")
        return [out[k] for k in sorted(out)]

    def compare(self, ind, ref_row, row, *, units=None, dispersion=1.0, alpha=ALPHA):
        d = float(row["estimate"] - ref_row["estimate"])
        return stats.Change(d, np.nan, np.nan, np.nan, np.nan, "difference",
                            "published values: difference shown, not tested")
