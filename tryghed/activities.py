"""Activity goals planned against held, and the coverage of concern talks, per year and half-year.

Pure functions over the tidy logs of :mod:`tryghed.sources.partnership`. An activity goal comes from the pipeline
YAML (``activity_goals``)::

    - {id: samarbejdsforum, name: {da: ..., en: ...}, per: year, min: 2, max: 3}   # 2-3 a year
    - {id: sikker_by_styregruppe, name: {...}, per: half_year, min: 1}             # at least every half year
    - {id: tryghedsdialog, name: {...}}                                            # as needed: counted, no target

A goal is met when at least ``min`` were held in the period; ``max`` is the top of the planned range (holding more
still meets the goal). Periods are calendar years (``'2018'``) and half-years (``'2018H1'``); the partnership's
reporting year (August to June) is :func:`reporting_period`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .errors import ConfigError

PERS = ("year", "half_year")
#: Status of a goal in a period.
MET, NOT_MET, ONGOING, NO_TARGET = "met", "not_met", "ongoing", "no_target"


@dataclass(frozen=True)
class ActivityGoal:
    """One activity type of the plan and its goal (``min`` None: as needed, counted without a target)."""

    id: str
    name: Mapping[str, str]
    per: str = "year"
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Period:
    """A labelled span of days, both ends included."""

    label: str
    kind: str
    first: dt.date
    last: dt.date


def parse_goals(items: Sequence[Mapping], *, where: str = "pipeline YAML") -> list[ActivityGoal]:
    """The ``activity_goals`` list of the pipeline YAML as :class:`ActivityGoal` objects; a bad entry is a
    :class:`~tryghed.errors.ConfigError` naming it."""
    goals, seen = [], set()
    for n, item in enumerate(items, start=1):
        gid = str(item.get("id", "")).strip()
        at = f"{where}: activity_goals, entry {n}" + (f" ({gid})" if gid else "")
        if not gid or gid in seen:
            raise ConfigError(f"{at}: every activity goal needs its own 'id'. Give it a unique id.")
        seen.add(gid)
        name = item.get("name") or {}
        if not isinstance(name, Mapping) or not name.get("da"):
            raise ConfigError(f"{at}: 'name' must give the Danish name (name: {{da: ..., en: ...}}).")
        per = item.get("per", "year")
        if per not in PERS:
            raise ConfigError(f"{at}: 'per' is {per!r}; write per: year or per: half_year.")
        lo, hi = item.get("min"), item.get("max")
        for key, value in (("min", lo), ("max", hi)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ConfigError(f"{at}: '{key}' is {value!r}; write a whole number of at least 0.")
        if hi is not None and (lo is None or hi < lo):
            raise ConfigError(f"{at}: 'max' ({hi}) needs a 'min' no larger than it. Give min, or remove max.")
        goals.append(ActivityGoal(gid, dict(name), per, lo, hi))
    return goals


def activity_lookup(goals: Iterable[ActivityGoal]) -> dict[str, str]:
    """Every name of every goal (id, each language's name, as written; the reader ignores case) -> the goal's id."""
    out = {}
    for g in goals:
        for name in (g.id, *g.name.values()):
            out[str(name).strip()] = g.id
    return out


def calendar_periods(years: Iterable[int], per: str) -> list[Period]:
    """The calendar years (``per='year'``) or half-years (``per='half_year'``) of ``years``."""
    out = []
    for y in years:
        if per == "year":
            out.append(Period(str(y), "year", dt.date(y, 1, 1), dt.date(y, 12, 31)))
        elif per == "half_year":
            out.append(Period(f"{y}H1", "half_year", dt.date(y, 1, 1), dt.date(y, 6, 30)))
            out.append(Period(f"{y}H2", "half_year", dt.date(y, 7, 1), dt.date(y, 12, 31)))
        else:
            raise ValueError(f"per must be 'year' or 'half_year', got {per!r}")
    return out


def reporting_period(year: int, *, start_month: int = 8, end_month: int = 6) -> Period:
    """The reporting year that ends in ``end_month`` of ``year`` (default August ``year``-1 to June ``year``)."""
    first_year = year - 1 if start_month > end_month else year
    last = (pd.Timestamp(year=year, month=end_month, day=1) + pd.offsets.MonthEnd(0)).date()
    return Period(f"{first_year}/{str(year)[-2:]}" if first_year != year else str(year), "reporting_year",
                  dt.date(first_year, start_month, 1), last)


def _count(dates: pd.Series, period: Period) -> int:
    return int(((dates >= pd.Timestamp(period.first)) & (dates <= pd.Timestamp(period.last))).sum())


def _status(held: int, minimum: int | None, period: Period, through: dt.date) -> str:
    if minimum is None:
        return NO_TARGET
    if held >= minimum:
        return MET
    return ONGOING if period.last > through else NOT_MET


def planned_vs_held(log: pd.DataFrame, *, goals: Sequence[ActivityGoal], years: Iterable[int],
                    through: dt.date | None = None) -> pd.DataFrame:
    """Activities planned against held per goal, calendar year and half-year.

    Parameters
    ----------
    log : pandas.DataFrame
        ``date, activity`` (:func:`tryghed.sources.partnership.read_activity_log`).
    goals : sequence of ActivityGoal
        The plan (:func:`parse_goals`); the table keeps their order.
    years : iterable of int
        The calendar years to show.
    through : datetime.date, optional
        The last day the log covers; a period ending after it that has not yet met its goal is ``ongoing``, not
        ``not_met``. Default: the last day of the last year (everything assessed).

    Returns
    -------
    pandas.DataFrame
        ``activity, per, period, kind, held, planned_min, planned_max, status``, one row per goal and year and per
        goal and half-year (``kind`` ``year`` or ``half_year``). A yearly goal is assessed on its years; its
        half-years show the count with status ``no_target``. A half-yearly goal is assessed on each half-year, and
        on the year as its two halves (planned twice ``min``; met only when both halves are met, ``ongoing`` while
        the second is ongoing). A goal without ``min`` is ``no_target`` everywhere.
    """
    years = sorted(set(years))
    through = through or dt.date(years[-1], 12, 31)
    dates = pd.to_datetime(log["date"])
    rows = []
    for g in goals:
        mine = dates[log["activity"] == g.id]
        for y in years:
            (year,) = calendar_periods([y], "year")
            halves = calendar_periods([y], "half_year")
            held_halves = [_count(mine, h) for h in halves]
            if g.per == "year":
                rows.append((g.id, g.per, year.label, "year", _count(mine, year), g.min, g.max,
                             _status(_count(mine, year), g.min, year, through)))
                for h, n in zip(halves, held_halves):
                    rows.append((g.id, g.per, h.label, "half_year", n, None, None, NO_TARGET))
                continue
            states = [_status(n, g.min, h, through) for h, n in zip(halves, held_halves)]
            year_state = (NO_TARGET if g.min is None else NOT_MET if NOT_MET in states
                          else ONGOING if ONGOING in states else MET)
            double = None if g.min is None else 2 * g.min
            rows.append((g.id, g.per, year.label, "year", sum(held_halves), double,
                         None if g.max is None else 2 * g.max, year_state))
            for h, n, s in zip(halves, held_halves, states):
                rows.append((g.id, g.per, h.label, "half_year", n, g.min, g.max, s))
    out = pd.DataFrame(rows, columns=["activity", "per", "period", "kind", "held", "planned_min", "planned_max",
                                      "status"])
    for c in ("planned_min", "planned_max"):
        out[c] = out[c].astype("Int64")
    return out


def ssp_coverage(log: pd.DataFrame, *, periods: Sequence[Period], total_area: str | None = None) -> pd.DataFrame:
    """Identified young people, those with at least one concern talk, and talks held, per area and period.

    Parameters
    ----------
    log : pandas.DataFrame
        ``person, area, identified, talk`` (:func:`tryghed.sources.partnership.read_ssp_log`).
    periods : sequence of Period
        :func:`calendar_periods` or :func:`reporting_period`.
    total_area : str, optional
        Area id of a row that sums every area of the log (e.g. ``'noerrebro'``).

    Returns
    -------
    pandas.DataFrame
        ``area, period, identified, with_talk, coverage, talks``: ``identified`` counts the young people identified
        in the period; ``with_talk`` those of them with a concern talk on or before the period's last day;
        ``coverage = with_talk / identified`` (NaN when none was identified); ``talks`` the talks dated in the period,
        whoever they were held with. The counts are persons: publish them under the disclosure rules.
    """
    identified = pd.to_datetime(log["identified"])
    talk = pd.to_datetime(log["talk"])
    frame = pd.DataFrame({"person": log["person"], "area": log["area"], "identified": identified, "talk": talk})
    groups = [(a, frame[frame["area"] == a]) for a in sorted(frame["area"].unique())]
    if total_area is not None:
        groups.append((total_area, frame))
    rows = []
    for area, f in groups:
        for p in periods:
            first, last = pd.Timestamp(p.first), pd.Timestamp(p.last)
            new = f[(f["identified"] >= first) & (f["identified"] <= last)]
            persons = new["person"].nunique()
            covered = new.loc[new["talk"].notna() & (new["talk"] <= last), "person"].nunique()
            talks = int(((f["talk"] >= first) & (f["talk"] <= last)).sum())
            rows.append((area, p.label, persons, covered, covered / persons if persons else float("nan"), talks))
    return pd.DataFrame(rows, columns=["area", "period", "identified", "with_talk", "coverage", "talks"])
