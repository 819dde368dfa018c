"""Activity goals planned against held per year and half-year, the reporting year and concern-talk coverage, on
small logs counted by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tryghed.activities import (ActivityGoal, activity_lookup, calendar_periods, parse_goals, planned_vs_held,
                                reporting_period, ssp_coverage)
from tryghed.errors import ConfigError

GOALS = parse_goals([
    {"id": "forum", "name": {"da": "Samarbejdsforum", "en": "Cooperation forum"}, "per": "year", "min": 2, "max": 3},
    {"id": "board", "name": {"da": "Styregruppe", "en": "Steering group"}, "per": "half_year", "min": 1},
    {"id": "dialog", "name": {"da": "Tryghedsdialog", "en": "Safety dialogue"}},
])


def log(*entries: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime([d for d, _ in entries]), "activity": [a for _, a in entries]})


LOG = log(
    ("2018-02-01", "forum"), ("2018-11-15", "forum"),                              # 2018: 2 -> met (2-3)
    ("2019-03-01", "forum"),                                                       # 2019: 1 -> not met
    ("2020-01-10", "forum"), ("2020-04-10", "forum"), ("2020-05-10", "forum"), ("2020-09-01", "forum"),  # 4: met
    ("2018-03-01", "board"), ("2018-09-01", "board"),                              # 2018: both halves
    ("2019-06-30", "board"),                                                       # 2019: H1 only
    ("2020-01-02", "board"),                                                       # 2020: H1 only
    ("2019-05-05", "dialog"), ("2019-07-01", "dialog"), ("2019-12-31", "dialog"),
)


def cell(table: pd.DataFrame, activity: str, period: str) -> tuple:
    r = table[(table["activity"] == activity) & (table["period"] == period)]
    assert len(r) == 1
    r = r.iloc[0]
    return (int(r["held"]), None if pd.isna(r["planned_min"]) else int(r["planned_min"]), r["status"])


def test_parse_goals_reads_the_yaml_entries():
    assert GOALS[0] == ActivityGoal("forum", {"da": "Samarbejdsforum", "en": "Cooperation forum"}, "year", 2, 3)
    assert GOALS[2].min is None and GOALS[2].per == "year"
    assert activity_lookup(GOALS)["Samarbejdsforum"] == "forum" and activity_lookup(GOALS)["dialog"] == "dialog"


@pytest.mark.parametrize("entry, message", [
    ({"name": {"da": "x"}}, r"entry 1: every activity goal needs its own 'id'"),
    ({"id": "a", "name": {"en": "x"}}, r"entry 1 \(a\): 'name' must give the Danish name"),
    ({"id": "a", "name": {"da": "x"}, "per": "month", "min": 1}, r"'per' is 'month'"),
    ({"id": "a", "name": {"da": "x"}, "min": "2"}, r"'min' is '2'; write a whole number"),
    ({"id": "a", "name": {"da": "x"}, "min": 3, "max": 2}, r"'max' \(2\) needs a 'min' no larger than it"),
])
def test_parse_goals_errors_name_the_entry(entry, message):
    with pytest.raises(ConfigError, match=message):
        parse_goals([entry], where="norrebro.yml")


def test_yearly_goal_met_from_min_and_above_max():
    t = planned_vs_held(LOG, goals=GOALS, years=[2018, 2019, 2020])
    assert cell(t, "forum", "2018") == (2, 2, "met")
    assert cell(t, "forum", "2019") == (1, 2, "not_met")
    assert cell(t, "forum", "2020") == (4, 2, "met")  # more than the planned 2-3 still meets the goal
    assert t.loc[(t["activity"] == "forum") & (t["period"] == "2020"), "planned_max"].item() == 3
    # its half-years are counted, without a target of their own
    assert cell(t, "forum", "2020H1") == (3, None, "no_target")
    assert cell(t, "forum", "2020H2") == (1, None, "no_target")


def test_half_yearly_goal_needs_both_halves_for_the_year():
    t = planned_vs_held(LOG, goals=GOALS, years=[2018, 2019])
    assert cell(t, "board", "2018H1") == (1, 1, "met") and cell(t, "board", "2018H2") == (1, 1, "met")
    assert cell(t, "board", "2018") == (2, 2, "met")
    assert cell(t, "board", "2019H1") == (1, 1, "met")  # 30 June is in the first half
    assert cell(t, "board", "2019H2") == (0, 1, "not_met")
    assert cell(t, "board", "2019") == (1, 2, "not_met")


def test_as_needed_is_counted_without_target():
    t = planned_vs_held(LOG, goals=GOALS, years=[2019])
    assert cell(t, "dialog", "2019") == (3, None, "no_target")
    assert cell(t, "dialog", "2019H1") == (1, None, "no_target")
    assert cell(t, "dialog", "2019H2") == (2, None, "no_target")


def test_periods_after_the_log_ends_are_ongoing_until_met():
    t = planned_vs_held(LOG, goals=GOALS, years=[2020], through=dt.date(2020, 6, 30))
    assert cell(t, "forum", "2020") == (4, 2, "met")          # already met
    assert cell(t, "board", "2020H1") == (1, 1, "met")
    assert cell(t, "board", "2020H2") == (0, 1, "ongoing")    # not over yet
    assert cell(t, "board", "2020") == (1, 2, "ongoing")
    t = planned_vs_held(log(("2020-02-01", "forum")), goals=GOALS, years=[2020], through=dt.date(2020, 6, 30))
    assert cell(t, "forum", "2020") == (1, 2, "ongoing")


def test_table_shape_and_order():
    t = planned_vs_held(LOG, goals=GOALS, years=[2019, 2018])
    # 3 goals x 2 years x (1 year + 2 halves), goals in the plan's order, years ascending
    assert len(t) == 18
    assert t["activity"].tolist()[:6] == ["forum"] * 6
    assert t["period"].tolist()[:6] == ["2018", "2018H1", "2018H2", "2019", "2019H1", "2019H2"]
    assert list(t.columns) == ["activity", "per", "period", "kind", "held", "planned_min", "planned_max", "status"]


def test_calendar_and_reporting_periods():
    assert [(p.label, p.first, p.last) for p in calendar_periods([2019], "half_year")] == [
        ("2019H1", dt.date(2019, 1, 1), dt.date(2019, 6, 30)), ("2019H2", dt.date(2019, 7, 1), dt.date(2019, 12, 31))]
    p = reporting_period(2020)
    assert (p.label, p.first, p.last) == ("2019/20", dt.date(2019, 8, 1), dt.date(2020, 6, 30))
    p = reporting_period(2020, start_month=1, end_month=12)
    assert (p.label, p.first, p.last) == ("2020", dt.date(2020, 1, 1), dt.date(2020, 12, 31))
    p = reporting_period(2016, start_month=3, end_month=2)  # February of a leap year
    assert p.last == dt.date(2016, 2, 29)


def test_ssp_coverage_counted_by_hand():
    talks = pd.DataFrame([
        # person, area, identified, talk
        ("A", "i", "2019-09-01", "2019-09-10"),
        ("A", "i", "2019-09-01", "2020-02-01"),
        ("B", "i", "2019-10-01", None),
        ("C", "i", "2020-05-01", "2020-07-15"),
        ("D", "y", "2019-08-15", "2019-08-20"),
        ("E", "y", "2018-12-01", "2019-08-30"),
    ], columns=["person", "area", "identified", "talk"])
    year = reporting_period(2020)  # 2019-08-01 .. 2020-06-30
    c = ssp_coverage(talks, periods=[year], total_area="all").set_index("area")
    # i: identified A, B, C; with a talk by 30 June 2020: A only (C's talk is in July) -> 1 of 3; talks in the
    #    period: A's two -> 2
    assert c.loc["i", ["identified", "with_talk", "talks"]].tolist() == [3, 1, 2]
    assert c.loc["i", "coverage"] == pytest.approx(1 / 3)
    # y: identified D (E was identified before the period); talks in the period: D's and E's -> 2
    assert c.loc["y", ["identified", "with_talk", "talks"]].tolist() == [1, 1, 2]
    assert c.loc["all", ["identified", "with_talk", "talks"]].tolist() == [4, 2, 4]
    empty = ssp_coverage(talks, periods=calendar_periods([2017], "year")).set_index("area")
    assert empty.loc["i", "identified"] == 0 and pd.isna(empty.loc["i", "coverage"])
