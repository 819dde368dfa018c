"""Period labels, aggregation to complete coarser periods and shifted reporting years (expected values by hand)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tryghed.periods import (Period, ReportingYear, aggregate, complete_periods, incomplete_note, last_complete,
                             parse_period, parse_periods)


@pytest.mark.parametrize(("text", "label", "ptype", "year", "index"), [
    ("2017", "2017", "year", 2017, 1),
    (2017, "2017", "year", 2017, 1),
    (2017.0, "2017", "year", 2017, 1),
    ("2017H1", "2017H1", "half_year", 2017, 1),
    ("2017h2", "2017H2", "half_year", 2017, 2),
    ("2017K1", "2017Q1", "quarter", 2017, 1),
    ("2017 K3", "2017Q3", "quarter", 2017, 3),
    ("2017Q4", "2017Q4", "quarter", 2017, 4),
    ("2017-01", "2017-01", "month", 2017, 1),
    ("2017M01", "2017-01", "month", 2017, 1),
    ("2017M12", "2017-12", "month", 2017, 12),
    ("jan 2017", "2017-01", "month", 2017, 1),
    ("Marts 2017", "2017-03", "month", 2017, 3),
    ("maj 2017", "2017-05", "month", 2017, 5),
    ("okt. 2017", "2017-10", "month", 2017, 10),
    ("October 2017", "2017-10", "month", 2017, 10),
    ("2017 december", "2017-12", "month", 2017, 12),
    (pd.Timestamp("2017-03-01"), "2017-03", "month", 2017, 3),
    ("  2017-02 ", "2017-02", "month", 2017, 2),
])
def test_parse_period(text, label, ptype, year, index):
    p = parse_period(text)
    assert (p.label, p.type, p.year, p.index) == (label, ptype, year, index)


@pytest.mark.parametrize("text", ["2017-13", "2017M00", "2017H3", "2017Q5", "17", "2017.5", "x", "", "2017-01-15",
                                  "foo 2017", pd.Timestamp("2017-03-15")])
def test_unparseable_periods(text):
    with pytest.raises(ValueError, match="not a period"):
        parse_period(text)


def test_months_and_order():
    # 2017Q2 is April–June: month ordinals 2017*12+3 .. 2017*12+5
    q = parse_period("2017Q2")
    assert (q.start, q.end, q.months) == (2017 * 12 + 3, 2017 * 12 + 5, 3)
    assert parse_period("2017H2").start == parse_period("2017-07").start
    assert sorted([Period(2018, 1, "month"), Period(2017, 12, "month"), Period(2017, 2, "month")]) == [
        Period(2017, 2, "month"), Period(2017, 12, "month"), Period(2018, 1, "month")]


def test_parse_periods_vectorised_keeps_index_and_flags_bad_rows():
    s = pd.Series(["2017K1", "2017-01", None, "nope", "2017K1"], index=[10, 11, 12, 13, 14])
    out = parse_periods(s)
    assert list(out.index) == [10, 11, 12, 13, 14]
    assert list(out["ok"]) == [True, True, False, False, True]
    assert list(out["period"].iloc[[0, 1, 4]]) == ["2017Q1", "2017-01", "2017Q1"]
    assert list(out["months"].iloc[[0, 1]]) == [3, 1]


def _months(area, year, months, count=1):
    return [(area, f"{year}-{m:02d}", count * m) for m in months]


def test_aggregate_months_to_years_keeps_complete_years_only():
    rows = (_months("a", 2018, range(1, 13)) + _months("a", 2019, range(1, 10))
            + [("b", "2018Q1", 5), ("b", "2018Q2", 6), ("b", "2018H2", 7)])
    df = pd.DataFrame(rows, columns=["area", "period", "count"])
    agg = aggregate(df, to="year", by=["area"])
    # a 2018: 1 + 2 + ... + 12 = 78; b 2018: 5 + 6 + 7 = 18 (quarters and a half-year cover the year)
    assert agg.table.to_dict("list") == {"area": ["a", "b"], "period": ["2018", "2018"],
                                         "period_type": ["year", "year"], "year": [2018, 2018], "count": [78, 18]}
    # a 2019 has January–September: 9 of 12 months
    assert agg.dropped.to_dict("list") == {"area": ["a"], "period": ["2019"], "have": [9], "need": [12],
                                           "unit": ["month"], "note": ["2019 has only 9 of 12 months: left out"]}


def test_incomplete_note_in_both_languages():
    assert incomplete_note("2019", 9, 12, "month") == "2019 has only 9 of 12 months: left out"
    assert incomplete_note("2019", 3, 4, "quarter", "da") == "2019 har kun 3 af 4 kvartaler: udeladt"


def test_aggregate_quarters_to_half_years_with_mean_population():
    df = pd.DataFrame({"period": ["2020Q1", "2020Q2", "2020Q3"], "count": [3, 4, 5],
                       "population": [100.0, 110.0, 120.0]})
    agg = aggregate(df, to="half_year", how={"count": "sum", "population": "mean"})
    assert agg.table.to_dict("list") == {"period": ["2020H1"], "period_type": ["half_year"], "year": [2020],
                                         "count": [7], "population": [105.0]}
    assert agg.dropped[["period", "have", "need", "unit"]].to_dict("list") == {
        "period": ["2020H2"], "have": [1], "need": [2], "unit": ["quarter"]}


def test_aggregate_leaves_a_value_with_a_missing_part_missing():
    df = pd.DataFrame({"area": ["a"] * 4 + ["b"] * 4, "period": ["2020Q1", "2020Q2", "2020Q3", "2020Q4"] * 2,
                       "count": pd.array([1, 2, 3, 4, 5, None, 7, 8], dtype="Int64"),
                       "population": [float("nan")] * 8})
    table = aggregate(df, to="year", by=["area"], columns=["count", "population"]).table
    assert table["count"].iloc[0] == 10 and pd.isna(table["count"].iloc[1])  # b misses 2020Q2's count
    assert table["population"].isna().all()  # no population at all is not a population of 0


def test_aggregate_same_type_passes_through_and_coarser_is_refused():
    df = pd.DataFrame({"period": ["2019", "2020"], "count": [1, 2]})
    assert aggregate(df, to="year").table["count"].tolist() == [1, 2]
    with pytest.raises(ValueError, match="coarser than quarter"):
        aggregate(df, to="quarter")


def test_reporting_year_august_to_june():
    ry = ReportingYear(start_month=8, end_month=6)
    months = ry.months(2018)
    assert [m.label for m in months] == ["2017-08", "2017-09", "2017-10", "2017-11", "2017-12", "2018-01", "2018-02",
                                         "2018-03", "2018-04", "2018-05", "2018-06"]
    assert ry.mapping(["2017-07", "2017-08", "2018-06", "2018-08"]) == {
        "2017-07": None, "2017-08": 2018, "2018-06": 2018, "2018-08": 2019}
    assert ry.describe(2018) == "August 2017 – June 2018"
    assert ry.describe(2018, "da") == "august 2017 – juni 2018"
    with pytest.raises(ValueError, match="straddles"):
        ry.mapping(["2017Q3"])  # July–September: July in no year, August in 2018


def test_aggregate_with_reporting_year():
    # every month of 2017 and 2018 with count 1: reporting year 2018 (Aug 2017–Jun 2018) has its 11 months;
    # 2017 (Aug 2016–Jun 2017) has January–June only, 2019 (Aug 2018–Jun 2019) August–December only
    df = pd.DataFrame({"period": [f"{y}-{m:02d}" for y in (2017, 2018) for m in range(1, 13)], "count": 1})
    agg = aggregate(df, to="year", reporting_year=ReportingYear(8, 6))
    assert agg.table[["period", "count"]].to_dict("list") == {"period": ["2018"], "count": [11]}
    assert agg.dropped[["period", "have", "need"]].to_dict("list") == {"period": ["2017", "2019"], "have": [6, 5],
                                                                       "need": [11, 11]}
    assert agg.outside == 2  # July 2017 and July 2018


def test_calendar_year_default_is_twelve_months():
    ry = ReportingYear()
    assert ry.length == 12 and ry.calendar
    assert ReportingYear(start_month=7).length == 12
    july = ReportingYear(start_month=7).months(2020)  # July 2019 – June 2020
    assert (july[0].label, july[-1].label) == ("2019-07", "2020-06")


def test_last_complete_ignores_groups_without_rows():
    rows = (_months("a", 2018, range(1, 13)) + _months("a", 2019, range(1, 13)) + _months("a", 2020, range(1, 4))
            + _months("b", 2018, range(1, 13)))  # b stops after 2018: 2019 is still complete
    df = pd.DataFrame(rows, columns=["area", "period", "count"])
    assert last_complete(df, by=["area"]) == "2019"
    assert complete_periods(df, by=["area"]) == ["2018", "2019"]
    partial = pd.DataFrame(_months("a", 2018, range(2, 13)), columns=["area", "period", "count"])
    assert last_complete(partial, by=["area"]) is None
    # a year where one group is incomplete is not complete
    rows = _months("a", 2018, range(1, 13)) + _months("b", 2018, range(1, 12))
    assert last_complete(pd.DataFrame(rows, columns=["area", "period", "count"]), by=["area"]) is None


@given(year=st.integers(1900, 2199), ptype=st.sampled_from(["year", "half_year", "quarter", "month"]),
       data=st.data())
def test_canonical_label_round_trips(year, ptype, data):
    index = data.draw(st.integers(1, 12 // {"year": 12, "half_year": 6, "quarter": 3, "month": 1}[ptype]))
    p = Period(year, index, ptype)
    assert parse_period(p.label) == p
    # the first month of the period parses to the month whose start is the period's start
    assert parse_period(f"{year}-{(p.start % 12) + 1:02d}").start == p.start
