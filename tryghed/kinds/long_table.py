"""What the kinds built from a long table (``format: long``) share: one measure's values at one area level.

A measure is the rows of one indicator value (``select``) or of several whose counts are summed
(:func:`tryghed.sources.long.select_measure`), from the indicator's source and the long tables it lists under
``more_sources`` (a series published in one file per edition); a value two files give alike is taken once, two
different values for one area and period are an error. At a level, an area takes the file's own row where it has one;
otherwise, for additive columns (counts, populations), the sum over its areas in the file, and only when every one
of them has a value (missing is never zero: the sum is missing with the flag ``incomplete:<names>``). Published
values (shares, rates) are never summed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..sources.long import select_measure
from .base import incomplete_flag

if TYPE_CHECKING:
    from ..config import Indicator, Pipeline

#: The columns of a measure at one level.
VALUE_COLUMNS = ["area_id", "period", "count", "population", "value", "n", "flags"]


def source_ids(ind: Indicator) -> tuple[str, ...]:
    """The indicator's source and its ``more_sources``, in order."""
    return (ind.source, *getattr(ind.spec, "more_sources", ()))


def check_select(ind: Indicator, pipeline: Pipeline) -> None:
    """Raise ``ValueError`` when a source of the indicator is not a long table, or needs ``select`` and has none,
    or when the pipeline reports by a period finer than a year (the indicator table is yearly)."""
    if pipeline.period != "year":
        raise ValueError(f"period is {pipeline.period!r}: the indicator table is yearly, so a pipeline reports by "
                         "year for now (finer periods in a long table are summed to whole years); set 'period: year'")
    for sid in source_ids(ind):
        if sid not in pipeline.sources:
            raise ValueError(f"indicator '{ind.id}': more_sources names '{sid}', which is not among sources: "
                             f"{', '.join(pipeline.sources)}")
        src = pipeline.sources[sid]
        if src.format != "long":
            raise ValueError(f"indicator '{ind.id}' is a {ind.kind} built from a long table; source '{src.id}' is "
                             f"{src.format}: use a source with 'format: long'")
        if "indicator" in (src.columns or {}) and ind.spec.select is None:
            raise ValueError(f"indicator '{ind.id}': source '{src.id}' has an indicator column "
                             f"('{src.columns['indicator']}'), so the indicator needs 'select': the value (or list "
                             "of values, whose counts are summed) of that column it reports")


def _one(ind: Indicator, table: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return pd.DataFrame(columns=[*VALUE_COLUMNS, "row"])
    select = ind.spec.select
    if select is None or (table["indicator"] == "").all():
        rows = table
    else:
        frame = table.drop(columns=["area_name", "flags"], errors="ignore").rename(columns={"area_id": "area"})
        frame.attrs = dict(table.attrs)
        rows = select_measure(frame, select).rename(columns={"area": "area_id"})
        rows["flags"] = ""
    out = rows[[*VALUE_COLUMNS, "row"]].copy()
    for c in ("count", "population", "value", "n"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out["period"] = out["period"].astype("int64")
    out["flags"] = out["flags"].fillna("").astype(str)
    return out.reset_index(drop=True)


def measure(ind: Indicator, tables: dict[str, pd.DataFrame] | pd.DataFrame, pipeline: Pipeline | None = None
            ) -> pd.DataFrame:
    """The indicator's rows of its cleaned long tables: ``area_id, period, count, population, value, n, flags``.

    ``tables`` maps source ids to cleaned tables (or is the one table of ``ind.source``). Rows of ``more_sources``
    join those of the source; an area and period that two sources give with different numbers is an
    :class:`~tryghed.errors.InputError` naming both files and rows.
    """
    from ..errors import InputError

    if isinstance(tables, pd.DataFrame):
        tables = {ind.source: tables}
    parts = [_one(ind, tables[sid]).assign(_source=sid) for sid in source_ids(ind) if sid in tables]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    allrows = pd.concat(parts, ignore_index=True)
    dup = allrows.duplicated(["area_id", "period"], keep=False)
    if dup.any():
        numbers = ["count", "population", "value", "n"]
        for _, g in allrows[dup].groupby(["area_id", "period"], sort=False):
            same = g[numbers].fillna(-1.0).nunique().le(1).all()
            if not same:
                a, b = g.iloc[0], g.iloc[1]
                fa = pipeline.sources[a["_source"]].file if pipeline else a["_source"]
                fb = pipeline.sources[b["_source"]].file if pipeline else b["_source"]
                shown = ", ".join(f"{c} {a[c]:g} vs {b[c]:g}" for c in numbers
                                  if not (np.isnan(a[c]) and np.isnan(b[c])) and a[c] != b[c])
                raise InputError(fb, f"indicator '{ind.id}': {a['area_id']} {a['period']} is also in {fa} (row "
                                 f"{int(a['row'])}) with other numbers ({shown})", "Keep the area and period in one "
                                 "of the files, or correct the one that differs from the published figure.",
                                 where=f"row {int(b['row'])}")
        allrows = allrows[~allrows.duplicated(["area_id", "period"], keep="first")]
    return allrows[VALUE_COLUMNS].sort_values(["area_id", "period"]).reset_index(drop=True)


def at_level(values: pd.DataFrame, pipeline: Pipeline, level: str, *, additive: tuple[str, ...] = ()
             ) -> pd.DataFrame:
    """The measure's values for the areas at ``level``, one row per area and period of the measure.

    An area with its own row keeps it. Otherwise the ``additive`` columns are summed over the measure's areas
    below it (at the level most of them have), and only when each of the pipeline's areas at that level below it
    has a value for the period: else the row is missing, flagged ``incomplete:<names>``. Areas with neither get no
    row (the kind shows nothing for them). Other columns of a summed row are NaN.
    """
    wanted = [a.id for a in pipeline.areas_at(level)]
    if values.empty or not wanted:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    periods = sorted(values["period"].unique())
    own = values[values["area_id"].isin(wanted)]
    out = [own]
    have = set(zip(own["area_id"], own["period"]))
    if additive:
        below = values[~values["area_id"].isin(wanted)]
        below = below.assign(parent=[pipeline.ancestor_at(a, level) for a in below["area_id"]])
        below = below[below["parent"].notna() & below["parent"].isin(wanted)]
        for parent, g in below.groupby("parent", sort=False):
            child_levels = pd.Series([pipeline.area(a).level for a in g["area_id"].unique()])
            child_level = child_levels.mode().iloc[0]
            children = [a.id for a in pipeline.areas_at(child_level) if pipeline.ancestor_at(a.id, level) == parent]
            grid = g.set_index(["area_id", "period"])
            for p in periods:
                if (parent, p) in have:
                    continue
                r = {"area_id": parent, "period": int(p), "value": np.nan, "n": np.nan}
                absent = [c for c in children if (c, p) not in grid.index
                          or not all(np.isfinite(grid.loc[(c, p), col]) for col in additive)]
                if absent:
                    r.update({c: np.nan for c in ("count", "population")}, flags=incomplete_flag(pipeline, absent))
                else:
                    part = grid.loc[[(c, p) for c in children]]
                    r.update({c: float(part[c].sum()) if c in additive else np.nan
                              for c in ("count", "population")})
                    r["flags"] = ";".join(dict.fromkeys(f for fl in part["flags"] for f in str(fl).split(";") if f))
                out.append(pd.DataFrame([r]))
    res = pd.concat([o for o in out if len(o)] or [pd.DataFrame(columns=VALUE_COLUMNS)], ignore_index=True)
    return res[VALUE_COLUMNS].sort_values(["area_id", "period"]).reset_index(drop=True)


def not_tested(estimate: float, scale: str, method: str, reason: str):
    """A :class:`tryghed.stats.Change` with no test (outside every multiple-testing family)."""
    from .. import stats

    fields = getattr(stats.Change, "__dataclass_fields__", {})
    extra = {k: v for k, v in (("tested", False), ("reason", reason)) if k in fields}
    return stats.Change(float(estimate), np.nan, np.nan, np.nan, np.nan, scale, method, **extra)
