"""A register stock counted at the end of each quarter (METHODS.md §2.1): the gang register's registered, active
gang and biker members by quarter, group type and area. Described, never tested as a Poisson count.

The indicator table holds the stock at the end of each period (the last quarter of a reporting year such as the
end of June, or of a calendar year). A quarter the register does not report for an area (a gap row of the staged
table, or a group type absent) is missing for that area and for every total above it (flag ``incomplete:<areas>``),
never a zero; :func:`quarter_table` lists every quarter with its gaps stated.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator

from ._reporting import end_quarter, period_of
from .base import Kind, at_level, incomplete_flag, row

GROUP_TYPES = ("rocker", "gang", "other")


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the plan's baseline quarter (e.g. 2017Q1: 290 members in the police district)
    baseline_quarter: str | None = None
    #: the areas the partnership's overview shows (e.g. the police district, Indre and Ydre Nørrebro)
    report_areas: tuple[str, ...] = ()

    @field_validator("baseline_quarter", mode="before")
    @classmethod
    def _quarter(cls, v):
        if v is None:
            return None
        text = str(v).strip().upper().replace("K", "Q")
        if len(text) != 6 or not text[:4].isdigit() or text[4] != "Q" or text[5] not in "1234":
            raise ValueError(f"baseline_quarter must be a quarter such as 2017Q1 (or 2017K1), got {v!r}")
        return text


def leaf_values(df: pd.DataFrame, quarter: str) -> pd.DataFrame:
    """Each area's stock at the end of ``quarter``: the sum over the group types, NaN when a type or the quarter
    is missing. Returns ``area_id, value, gap`` for every area the register lists at any time."""
    areas = sorted(df["area_id"].unique())
    q = df[df["quarter"] == quarter]
    rows = []
    for a in areas:
        g = q[q["area_id"] == a]
        reported = g[~g["gap"].astype(bool)]
        complete = set(reported["group_type"]) >= set(GROUP_TYPES) and reported["count"].notna().all()
        rows.append((a, float(reported["count"].sum()) if complete else np.nan, not complete))
    return pd.DataFrame(rows, columns=["area_id", "value", "gap"])


def stock_rows(pipeline, df: pd.DataFrame, quarter: str, level: str, label: int, areas: Collection[str] | None = None
               ) -> list[dict]:
    """The stock at the end of ``quarter`` per area at ``level``; a total over a gap is missing, never a zero."""
    leaf = leaf_values(df, quarter)
    leaf["parent"] = at_level(leaf, pipeline, level)
    leaf = leaf[leaf["parent"].notna()]
    method = f"register stock at the end of {quarter} (descriptive)"
    out = []
    for parent, g in leaf.groupby("parent", sort=True):
        if areas is not None and parent not in set(areas):
            continue
        gaps = g[g["gap"]]
        if len(gaps):
            flag = f"gap:{quarter}" if parent in set(gaps["area_id"]) else \
                f"{incomplete_flag(pipeline, gaps['area_id'])} ({quarter})"
            out.append(row(parent, label, flags=flag, method=method))
            continue
        total = float(g["value"].sum())
        out.append(row(parent, label, numerator=total, estimate=total, method=method))
    return out


def quarter_table(pipeline, df: pd.DataFrame, areas: Collection[str], lang: str = "da") -> pd.DataFrame:
    """Every quarter of the register for ``areas`` (any level): the stock per group type and in all, with gaps.

    Returns ``quarter, area_id, rocker, gang, other, total, gap`` (numbers NaN where the register has no row; the
    total NaN when any part is missing; ``gap`` names the areas not reported under a total).
    """
    leaf_area = df["area_id"]
    out = []
    for quarter in sorted(df["quarter"].unique()):
        q = df[df["quarter"] == quarter]
        for area in areas:
            level = pipeline.area(area).level
            mine = q[at_level(q, pipeline, level).to_numpy() == area] if len(q) else q
            leaves_under = sorted({a for a in leaf_area.unique() if pipeline.ancestor_at(a, level) == area})
            holes = sorted({a for a in mine.loc[mine["gap"].astype(bool), "area_id"]})
            missing_leaves = [a for a in leaves_under if a not in set(mine["area_id"])]
            holes = sorted({*holes, *missing_leaves})
            reported = mine[~mine["gap"].astype(bool)]
            parts = {}
            for g in GROUP_TYPES:
                cells = reported[reported["group_type"] == g]
                lacking = [a for a in leaves_under if a not in set(cells["area_id"])]
                parts[g] = float(cells["count"].sum()) if not lacking else np.nan
            total = sum(parts.values()) if all(np.isfinite(v) for v in parts.values()) else np.nan
            names = ", ".join(pipeline.area(a).name[lang] for a in holes)
            out.append((quarter, area, parts["rocker"], parts["gang"], parts["other"], total, names))
    return pd.DataFrame(out, columns=["quarter", "area_id", "rocker", "gang", "other", "total", "gap"])


class QuarterlyStock(Kind):
    """A stock at the end of each quarter from the gang register (see the module docstring)."""

    name = "quarterly_stock"
    #: the report's method note (tryghed.report.method_notes)
    note = {
        "da": "bestand i registret ultimo periodens sidste kvartal (ultimo juni for et rapportår), beskrevet uden "
              "test (METHODS.md §2.1); et kvartal, hvor et område ikke er indberettet, er et hul: området og "
              "totalerne over det mangler, aldrig 0",
        "en": "register stock at the end of the period's last quarter (the end of June for a reporting year), "
              "described without a test (METHODS.md §2.1); a quarter an area was not reported is a gap: the area and "
              "every total above it are missing, never 0"}
    Options = Options
    formats = ("gang_register",)

    def check(self, ind, pipeline):
        super().check(ind, pipeline)
        ids = {a.id for a in pipeline.areas}
        for a in ind.spec.report_areas:
            if a not in ids:
                raise ValueError(f"indicator '{ind.id}': report area {a!r} is not an area id")

    def rows(self, ind, pipeline, tables, level):
        df = tables[ind.source]
        if df.empty:
            return []
        quarters = set(df["quarter"])
        out = []
        for y in range(int(df["year"].min()), int(df["year"].max()) + 2):
            q = end_quarter(period_of(pipeline, y))
            if q in quarters:
                out += stock_rows(pipeline, df, q, level, y)
        return out

    def baseline_rows(self, ind, pipeline, tables, level: str) -> list[dict]:
        """The stock at the end of the plan's baseline quarter (``baseline_quarter``) per area at ``level``."""
        df = tables[ind.source]
        q = ind.spec.baseline_quarter
        if df.empty or q is None or q not in set(df["quarter"]):
            return []
        return stock_rows(pipeline, df, q, level, int(q[:4]))
