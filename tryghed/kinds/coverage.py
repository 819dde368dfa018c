"""Concern-talk coverage from the SSP log (METHODS.md §2.1): of the young people under 18 identified with gang
behaviour in a period, the share with a concern talk (bekymringssamtale) by the period's end (a person share: Wilson
interval, score test of two shares). The log's person counts (identified, talks held) are the kind ``ssp_count``
(:mod:`tryghed.kinds.ssp_count`). Persons: publish under disclosure control (``persons: true``).

Only the areas the log covers have rows: an area at the log's level with no identified young person in a period
has 0 identified (the log lists everyone identified), but a total over areas the log does not cover is not built.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict

from .._lazy import lazy_module
from ..significance import ALPHA
from ..activities import Period, ssp_coverage
from ._reporting import period_of, period_years
from .base import Kind, ShareKind, row

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the areas the partnership's overview shows
    report_areas: tuple[str, ...] = ()


def covered_areas(pipeline, log: pd.DataFrame, level: str) -> dict[str, list[str]]:
    """Each area at ``level`` whose every leaf (area of the log's level below it) appears in the log -> its leaves."""
    leaves = sorted(log["area_id"].unique())
    if not leaves:
        return {}
    leaf_level = pipeline.area(leaves[0]).level
    out: dict[str, list[str]] = {}
    for a in pipeline.areas_at(level):
        under = [x.id for x in pipeline.areas_at(leaf_level) if pipeline.ancestor_at(x.id, level) == a.id]
        if under and all(u in leaves for u in under):
            out[a.id] = under
    return out


def coverage_counts(pipeline, log: pd.DataFrame, level: str, periods: list[Period]) -> pd.DataFrame:
    """``area_id, period, identified, with_talk, talks`` per covered area at ``level`` and period (labels)."""
    if log.empty:
        return pd.DataFrame(columns=["area_id", "period", "identified", "with_talk", "talks"])
    per_leaf = ssp_coverage(log.rename(columns={"area_id": "area"}), periods=periods)
    per_leaf = per_leaf.rename(columns={"area": "area_id"})
    rows = []
    for parent, under in covered_areas(pipeline, log, level).items():
        for p in periods:
            g = per_leaf[(per_leaf["area_id"].isin(under)) & (per_leaf["period"] == p.label)]
            rows.append((parent, p.label, int(g["identified"].sum()), int(g["with_talk"].sum()),
                         int(g["talks"].sum())))
    return pd.DataFrame(rows, columns=["area_id", "period", "identified", "with_talk", "talks"])


def coverage_rows(counts: pd.DataFrame, measure: str, year_of: dict[str, int], method: str) -> list[dict]:
    out = []
    for r in counts.itertuples(index=False):
        y = year_of[r.period]
        if measure == "identified":
            out.append(row(r.area_id, y, numerator=float(r.identified), estimate=float(r.identified), method=method))
        elif measure == "talks":
            out.append(row(r.area_id, y, numerator=float(r.talks), estimate=float(r.talks), method=method))
        elif r.identified == 0:
            out.append(row(r.area_id, y, numerator=0.0, denominator=0.0, flags="none_identified", method=method))
        else:
            ci = stats.person_share(count=int(r.with_talk), population=int(r.identified))
            out.append(row(r.area_id, y, numerator=float(r.with_talk), denominator=float(r.identified),
                           estimate=100 * ci.estimate, ci_low=100 * ci.ci_low, ci_high=100 * ci.ci_high,
                           n_unweighted=float(r.identified), n_effective=float(r.identified),
                           method=f"{ci.method}; {method}"))
    return out


class Coverage(ShareKind):
    """Concern-talk coverage, a person share (see the module docstring)."""

    measure = "coverage"

    name = "coverage"
    denominator_persons = True
    #: the report's method note (tryghed.report.method_notes)
    note = {
        "da": "andel af de unge identificeret i perioden, der har haft en bekymringssamtale ved periodens slutning, "
              "med Wilson-interval (METHODS.md §2.1); ændringer med z-/score-test (§1.4)",
        "en": "share of the young people identified in the period who had a concern talk by its end, with a Wilson "
              "interval (METHODS.md §2.1); changes by the z or score test (§1.4)"}
    Options = Options
    formats = ("ssp_log",)

    def check(self, ind, pipeline):
        super().check(ind, pipeline)
        ids = {a.id for a in pipeline.areas}
        for a in ind.spec.report_areas:
            if a not in ids:
                raise ValueError(f"indicator '{ind.id}': report area {a!r} is not an area id")

    def rows(self, ind, pipeline, tables, level):
        log = tables[ind.source]
        if log.empty:
            return []
        first = pd.Timestamp(log["identified"].min()).date().replace(month=1, day=1)
        last = max(pd.Timestamp(log["identified"].max()), pd.Timestamp(log["talk"].max())).date()
        last = last.replace(month=12, day=31)
        years = period_years(pipeline, first, last)
        periods = [period_of(pipeline, y) for y in years]
        return self.period_rows(ind, pipeline, log, level, periods, years)

    def period_rows(self, ind, pipeline, log, level, periods: list[Period], labels: list[int]) -> list[dict]:
        counts = coverage_counts(pipeline, log, level, periods)
        method = {"coverage": "young people identified in the period with a concern talk by its end (SSP log)",
                  "identified": "young people identified in the period (SSP log; persons)",
                  "talks": "concern talks held in the period (SSP log)"}[self.measure]
        return coverage_rows(counts, self.measure, {p.label: y for p, y in zip(periods, labels)}, method)

    def trend(self, ind, seg, alpha=ALPHA):
        if ((seg["estimate"] > 0) & (seg["estimate"] < 100)).all():
            return super().trend(ind, seg, alpha)
        return Kind.trend(self, ind, seg, alpha)

