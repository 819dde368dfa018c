"""A count from a long table that is not a rate (e.g. districts above a threshold, young people before the duty
judge): summed to a parent area only when every area below it has its count (missing is never zero), described, not
tested (METHODS.md §2.1: no exposure, so no Poisson test). Counts of persons pass disclosure control
(``persons: true``)."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from . import long_table
from .base import Kind, row


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the value of the source's indicator column, or a list of values whose counts are summed
    select: str | tuple[str, ...] | None = None


class Count(Kind):
    name = "count"
    limits = "descriptive"
    Options = Options
    formats = ("long",)

    def check(self, ind, pipeline):
        long_table.check_select(ind, pipeline)
        src = pipeline.sources[ind.source]
        if "count" not in src.columns:
            raise ValueError(f"indicator '{ind.id}': a count is read from a count column; source '{src.id}' names "
                             "none (columns: {count: ...})")

    #: the method note of the report (Danish and English)
    note = {
        "da": "antal som i kilden, beskrevet uden statistisk test (METHODS.md §2.1); et overordnet område er summen "
              "af sine områder, kun når de alle har et tal",
        "en": "a count as given in the source, described without a statistical test (METHODS.md §2.1); a parent "
              "area is the sum of its areas, only when every one of them has a number"}

    def note_for(self, ind, pipeline, lang: str) -> str:
        """The method note of this indicator (report.method_notes)."""
        return self.note[lang]

    def rows(self, ind, pipeline, tables, level):
        """The count of each area at ``level`` (its own row, or the complete sum of its areas in the source)."""
        values = long_table.at_level(long_table.measure(ind, tables[ind.source]), pipeline, level, additive=("count",))
        method = "count as given in the source; described, not tested"
        out = []
        for v in values.itertuples(index=False):
            if not np.isfinite(v.count):
                out.append(row(v.area_id, v.period, flags=v.flags or "missing", method=method))
                continue
            out.append(row(v.area_id, v.period, numerator=float(v.count), estimate=float(v.count), flags=v.flags,
                           method=method))
        return out
