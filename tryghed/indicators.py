"""The indicator table: every catalogue indicator x area x period with numerator, denominator, estimate and CI.

Each indicator's rows are built by its kind (``tryghed/kinds/``). A value that is missing stays missing: NaN with
the reason in ``flags`` (``missing``, ``incomplete:<areas>``), never a zero.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._lazy import lazy_module
from .config import Indicator, Pipeline
from .kinds.survey_share import MIN_ANSWERS

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed

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


def widen_overdispersed(table: pd.DataFrame, pipeline: Pipeline, year: int | None = None) -> pd.DataFrame:
    """Widen the intervals of rates in an overdispersed family the way their tests are adjusted (METHODS §2.2).

    A family is one rate indicator at one level; φ̂ comes from its Poisson GLM with area and year effects over the
    periods up to ``year``. Where φ̂ > 1 every rate of the family gets the exact interval on the log scale × √φ̂ and
    the method says so.
    """
    out = table.copy()
    for ind in pipeline.indicators:
        if ind.impl.test != "rate":
            continue
        for level in ind.levels:
            fam = (out["indicator_id"] == ind.id) & (out["level"] == level) & out["estimate"].notna() \
                & (out["denominator"] > 0)
            basis = out[fam & ((out["period"] <= year) if year is not None else True)]
            if basis.empty:
                continue
            d = stats.family_dispersion(areas=basis["area_id"].to_numpy(), periods=basis["period"].to_numpy(),
                                        counts=basis["numerator"].to_numpy(float),
                                        exposure=basis["denominator"].to_numpy(float))
            if not (d.estimated and d.phi > 1):
                continue
            for i in out.index[fam]:
                ci = stats.rate_confint(count=float(out.at[i, "numerator"]), exposure=float(out.at[i, "denominator"]),
                                        per=1000.0, dispersion=d.phi, alpha=pipeline.alpha)
                out.at[i, "ci_low"], out.at[i, "ci_high"] = ci.ci_low, ci.ci_high
                out.at[i, "method"] = f"{out.at[i, 'method']}; interval widened for overdispersion " \
                                      f"(phi = {d.phi:.2f}, {d.model})"
    return out


def compute_all(pipeline: Pipeline, clean_dir: Path, year: int | None = None) -> pd.DataFrame:
    """The full indicator table of a pipeline from its cleaned sources, sorted and typed for stable output.

    Rates of an overdispersed family get widened intervals (:func:`widen_overdispersed`, φ̂ from the periods up to
    ``year`` when given).
    """
    tables = {sid: pd.read_parquet(Path(clean_dir) / f"{sid}.parquet") for sid in pipeline.sources}
    parts = [compute_indicator(ind, pipeline, tables) for ind in pipeline.indicators]
    out = pd.concat([p for p in parts if len(p)] or [pd.DataFrame(columns=COLUMNS)], ignore_index=True)[COLUMNS]
    level_order = {"police_district": -1, "city": 0, "district": 1, "survey_district": 2, "municipality": 3,
                   "country": 4}
    area_order = {a.id: i for i, a in enumerate(pipeline.areas)}
    out = out.sort_values(["indicator_id", "level", "area_id", "period"],
                          key=lambda s: s.map(level_order) if s.name == "level" else
                          (s.map(area_order) if s.name == "area_id" else s)).reset_index(drop=True)
    out["period"] = out["period"].astype("int64")
    out["suppressed"] = out["suppressed"].astype(bool)
    for col in ("numerator", "denominator", "estimate", "ci_low", "ci_high", "n_unweighted", "n_effective"):
        out[col] = out[col].astype("float64")
    out["flags"] = out["flags"].fillna("").astype(str)
    return widen_overdispersed(out, pipeline, year)


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
