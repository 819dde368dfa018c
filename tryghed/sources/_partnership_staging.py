"""Stage the Nørrebro partnership's sources (police reports, neighbourhood population, gang register, SSP log,
activity log, police assessment) as tidy tables with the pipeline's area ids and a ``year`` column.

The readers of :mod:`tryghed.sources.police` and :mod:`tryghed.sources.partnership` map the file's area names
themselves; this module gives them the pipeline's names (every name, English name, alias and id of the areas at the
source's ``area_level`` or ``area_levels``), its bounds (``months``, ``quarters``, ``dates``) and its activity types,
and turns what they return into the staged table.

Staged columns (every table also has ``row``, the row a person sees in the raw file)::

    police_monthly, police_incidents   area_id, period ('YYYY-MM'), offence_code, count, year
    neighbourhood_population           area_id, year, population
    gang_register                      area_id, quarter ('YYYYQn'), group_type, count, gap, year
                                       (a gap row: count NaN, gap True, group_type the missing types joined by ',')
    ssp_log                            person, area_id, identified, talk, year (the year identified)
    activity_log                       date, activity, area_id, participants, year
    assessment                         supplied, text, attribution_da, attribution_en, file
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Pipeline, Source
from .partnership import (read_activity_log, read_assessment, read_gang_register, read_ssp_log)
from .police import read_neighbourhood_population, read_police_incidents, read_police_monthly


def source_levels(source: Source) -> tuple[str, ...] | None:
    """The levels whose area names a source may use (``area_levels``, else ``area_level``; None: every level)."""
    if source.area_levels:
        return tuple(source.area_levels)
    return (source.area_level,) if source.area_level else None


def area_names(pipeline: Pipeline, levels: tuple[str, ...] | None) -> dict[str, str]:
    """Every name (Danish, English), alias and id of the areas at ``levels`` (lower case) -> the area id."""
    out = {}
    for a in pipeline.areas:
        if levels is None or a.level in levels:
            for name in (*a.name.values(), *a.aliases, a.id):
                if name:
                    out[str(name).strip().lower()] = a.id
    return out


def _quarter_bounds(source: Source) -> tuple[str, str] | None:
    if source.quarters is None:
        return None
    return tuple(q.upper().replace("K", "Q") for q in source.quarters)  # type: ignore[return-value]


def read_partnership_source(pipeline: Pipeline, source: Source, path: Path) -> pd.DataFrame:
    """Read one Nørrebro source into its staged table (:func:`_read`), without the reader's ``attrs``.

    The readers keep every row's number in ``attrs`` for their messages; pandas deep-copies ``attrs`` on every
    operation (and parquet keeps them), which made the indicators of a 30,000-row export take seconds.
    """
    out = _read(pipeline, source, path)
    out.attrs = {}
    return out


def _read(pipeline: Pipeline, source: Source, path: Path) -> pd.DataFrame:
    """Read one Nørrebro source into its staged table (columns in the module docstring).

    Every check of the reader applies: an area not in the area tree, an offence code not in the code list, an
    activity type not declared under ``activity_goals`` and a month, quarter or date outside the source's bounds
    raise :class:`~tryghed.errors.InputError` naming the file, the row and the fix. A quarter missing from the gang
    register is a gap row (count NaN, ``gap`` True), never a zero.
    """
    levels = source_levels(source)
    areas = area_names(pipeline, levels)
    fmt = source.format
    if fmt in ("police_monthly", "police_incidents"):
        reader = read_police_monthly if fmt == "police_monthly" else read_police_incidents
        df = reader(path, areas=areas, months=tuple(source.months) if source.months else None)
        out = df.rename(columns={"area": "area_id"})
        out["year"] = out["period"].str[:4].astype("int64")
        return out
    if fmt == "neighbourhood_population":
        return read_neighbourhood_population(path, areas=areas).rename(columns={"area": "area_id"})
    if fmt == "gang_register":
        expected = sorted({a.id for a in pipeline.areas if levels is None or a.level in levels})
        df, gaps = read_gang_register(path, areas=areas, quarters=_quarter_bounds(source), expected_areas=expected)
        out = df.rename(columns={"area": "area_id"})
        out["count"] = out["count"].astype("float64")
        out["gap"] = False
        if gaps:
            holes = pd.DataFrame({"row": np.nan, "area_id": [g.area for g in gaps],
                                  "quarter": [g.quarter for g in gaps],
                                  "group_type": [",".join(g.group_types) for g in gaps], "count": np.nan,
                                  "gap": True})
            out = pd.concat([out, holes], ignore_index=True)
        out["year"] = out["quarter"].str[:4].astype("int64")
        return out.sort_values(["quarter", "area_id", "group_type"], ignore_index=True)
    if fmt == "ssp_log":
        df = read_ssp_log(path, areas=areas, dates=tuple(source.dates) if source.dates else None)
        out = df.rename(columns={"area": "area_id"})
        out["year"] = out["identified"].dt.year.astype("int64")
        return out
    if fmt == "activity_log":
        from ..activities import activity_lookup, parse_goals

        goals = parse_goals(pipeline.activity_goals, where=str(pipeline.path))
        df = read_activity_log(path, activity_types=activity_lookup(goals), areas=areas,
                               dates=tuple(source.dates) if source.dates else None)
        out = df.rename(columns={"area": "area_id"})
        out["year"] = pd.to_datetime(out["date"]).dt.year.astype("int64")
        return out
    if fmt == "assessment":
        attribution = source.attribution or {"da": "", "en": ""}
        a = read_assessment(path, attribution={"da": attribution["da"], "en": attribution["en"]})
        return pd.DataFrame({"supplied": [a.supplied], "text": [a.text or ""], "attribution_da": [attribution["da"]],
                             "attribution_en": [attribution["en"]], "file": [a.file]})
    raise ValueError(f"{fmt!r} is not a partnership source format")

