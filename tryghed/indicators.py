"""The indicator table: every catalogue indicator x area x period with numerator, denominator, estimate and CI.

Each indicator's rows are built by its kind (``tryghed/kinds/``). A value that is missing stays missing: NaN with
the reason in ``flags`` (``missing``, ``incomplete:<areas>``), never a zero.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .config import Indicator, Pipeline
from .kinds.survey_share import MIN_ANSWERS

COLUMNS = ["pipeline", "indicator_id", "area_id", "level", "period", "numerator", "denominator", "estimate",
           "ci_low", "ci_high", "n_unweighted", "n_effective", "unit", "source", "suppressed", "flags", "method"]

__all__ = ["COLUMNS", "MIN_ANSWERS", "compute_indicator", "compute_all", "cluster_units"]


def compute_indicator(ind: Indicator, pipeline: Pipeline, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One indicator at every level it declares, as rows of the indicator table."""
    rows = []
    for level in ind.levels:
        part = ind.impl.rows(ind, pipeline, tables, level)
        for r in part:
            r["level"] = level
        rows.extend(part)
    if not rows:  # e.g. an optional source that is absent: the measure has no data
        return pd.DataFrame(columns=COLUMNS)
    out = pd.DataFrame(rows)
    out["pipeline"] = pipeline.id
    out["indicator_id"] = ind.id
    out["unit"] = ind.unit
    out["source"] = ind.source
    return out


def compute_all(pipeline: Pipeline, clean_dir: Path) -> pd.DataFrame:
    """The full indicator table of a pipeline from its cleaned sources, sorted and typed for stable output."""
    tables = {sid: pd.read_parquet(Path(clean_dir) / f"{sid}.parquet") for sid in pipeline.sources}
    parts = [compute_indicator(ind, pipeline, tables) for ind in pipeline.indicators]
    out = pd.concat([p for p in parts if len(p)] or [pd.DataFrame(columns=COLUMNS)], ignore_index=True)[COLUMNS]
    level_order = {"city": 0, "district": 1, "survey_district": 2, "municipality": 3, "country": 4}
    area_order = {a.id: i for i, a in enumerate(pipeline.areas)}
    out = out.sort_values(["indicator_id", "level", "area_id", "period"],
                          key=lambda s: s.map(level_order) if s.name == "level" else
                          (s.map(area_order) if s.name == "area_id" else s)).reset_index(drop=True)
    out["period"] = out["period"].astype("int64")
    out["suppressed"] = out["suppressed"].astype(bool)
    for col in ("numerator", "denominator", "estimate", "ci_low", "ci_high", "n_unweighted", "n_effective"):
        out[col] = out[col].astype("float64")
    out["flags"] = out["flags"].fillna("").astype(str)
    return out


def cluster_units(pipeline: Pipeline, clean_dir: Path) -> pd.DataFrame:
    """Per-unit values behind each clustered count (closure days per institution, area and year).

    The change tests bootstrap over these units (METHODS.md §2.1). Columns: ``indicator_id, area_id, level, period,
    unit, value``.
    """
    parts = []
    for ind in pipeline.indicators:
        if not hasattr(ind.impl, "units"):
            continue
        df = pd.read_parquet(Path(clean_dir) / f"{ind.source}.parquet")
        if df.empty:
            continue
        for level in ind.levels:
            part = ind.impl.units(ind, pipeline, df, level)
            part.insert(0, "level", level)
            part.insert(0, "indicator_id", ind.id)
            parts.append(part)
    cols = ["indicator_id", "area_id", "level", "period", "unit", "value"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)[cols]
    out["period"] = out["period"].astype("int64")
    return out.sort_values(cols[:5]).reset_index(drop=True)
