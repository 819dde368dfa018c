"""Activity goals, planned against held (tryghed.activities): how many of the plan's goals with a target were met
in a period. Descriptive: a count of meetings held is not a sample.

A goal per year is judged on the period (a reporting year such as August to June, or a calendar year); a goal per
half-year on each half-year of the period (August to December counts as the second half-year), and met only when
every half is. Goals without a target (held as needed) are counted, not judged. The per-year and per-half-year table
of the report is :func:`tryghed.activities.planned_vs_held`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from pydantic import BaseModel, ConfigDict

from ..activities import MET, NO_TARGET, NOT_MET, ONGOING, ActivityGoal, Period, parse_goals
from ._reporting import period_of, period_years
from .base import Kind, row


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the area the goals belong to (default: the root area)
    area: str | None = None


def _held(dates: pd.Series, first: dt.date, last: dt.date) -> int:
    return int(((dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))).sum())


def halves(period: Period) -> list[Period]:
    """The half-years (or parts of them) a period spans, in order."""
    out, start = [], period.first
    while start <= period.last:
        end = dt.date(start.year, 6, 30) if start.month <= 6 else dt.date(start.year, 12, 31)
        end = min(end, period.last)
        h = "H1" if start.month <= 6 else "H2"
        out.append(Period(f"{start.year}{h}", "half_year", start, end))
        start = end + dt.timedelta(days=1)
    return out


def goals_in_period(log: pd.DataFrame, goals: list[ActivityGoal], period: Period, through: dt.date | None = None
                    ) -> pd.DataFrame:
    """Each goal's activities held in ``period`` against its plan, and its status.

    Returns ``activity, per, held, planned_min, planned_max, status`` (``status`` met, not_met, ongoing while the log
    has not reached the period's end, or no_target). A half-yearly goal is planned ``min`` in every half-year.
    """
    through = through or period.last
    dates = pd.to_datetime(log["date"]) if len(log) else pd.Series(dtype="datetime64[ns]")
    rows = []
    for g in goals:
        mine = dates[(log["activity"] == g.id).to_numpy()] if len(log) else dates
        held = _held(mine, period.first, period.last)
        if g.min is None:
            rows.append((g.id, g.per, held, None, None, NO_TARGET))
            continue
        if g.per == "year":
            state = MET if held >= g.min else (ONGOING if period.last > through else NOT_MET)
            rows.append((g.id, g.per, held, g.min, g.max, state))
            continue
        parts = halves(period)
        states = [MET if _held(mine, h.first, h.last) >= g.min else (ONGOING if h.last > through else NOT_MET)
                  for h in parts]
        state = NOT_MET if NOT_MET in states else ONGOING if ONGOING in states else MET
        rows.append((g.id, g.per, held, g.min * len(parts), None if g.max is None else g.max * len(parts), state))
    out = pd.DataFrame(rows, columns=["activity", "per", "held", "planned_min", "planned_max", "status"])
    for c in ("planned_min", "planned_max"):
        out[c] = out[c].astype("Int64")
    return out


class ActivityGoalKind(Kind):
    """Goals met in a period, of the goals with a target (see the module docstring)."""

    name = "activity_goal"
    #: the report's method note (tryghed.report.method_notes)
    note = {
        "da": "antal aktivitetsmål med en målsætning, der er nået i perioden (halvårlige mål i hvert halvår), "
              "beskrevet uden test",
        "en": "number of activity goals with a target met in the period (half-yearly goals in every half-year), "
              "described without a test"}
    Options = Options
    formats = ("activity_log",)

    def check(self, ind, pipeline):
        super().check(ind, pipeline)
        if not pipeline.activity_goals:
            raise ValueError(f"indicator '{ind.id}' is an activity_goal and needs the pipeline's 'activity_goals'")
        if ind.spec.area is not None and ind.spec.area not in {a.id for a in pipeline.areas}:
            raise ValueError(f"indicator '{ind.id}': area {ind.spec.area!r} is not an area id")

    def rows(self, ind, pipeline, tables, level):
        log = tables[ind.source]
        area = ind.spec.area or pipeline.city.id
        if log.empty or pipeline.area(area).level != level:
            return []
        goals = parse_goals(pipeline.activity_goals, where=str(pipeline.path))
        dates = pd.to_datetime(log["date"])
        first = dates.min().date().replace(month=1, day=1)
        last = dates.max().date().replace(month=12, day=31)
        out = []
        for y in period_years(pipeline, first, last):
            t = goals_in_period(log, goals, period_of(pipeline, y))
            judged = t[t["status"] != NO_TARGET]
            met = int((judged["status"] == MET).sum())
            out.append(row(area, y, numerator=float(met), denominator=float(len(judged)), estimate=float(met),
                           method=f"activity goals met of {len(judged)} with a target (descriptive)"))
        return out
