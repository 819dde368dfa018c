"""The periods of a partnership's indicators: a reporting year (e.g. August Y−1 to June Y) or a calendar year.

In a pipeline with ``reporting_year`` the indicator table's ``period`` Y of a monthly, dated or quarterly source is the
reporting year that ends in ``end_month`` of Y; without it, the calendar year Y. A source that is only annual (a
population on 1 January, a survey) keeps its calendar year.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..activities import Period, reporting_period


def period_of(pipeline, year: int) -> Period:
    """The span of indicator period ``year``: the reporting year ending in ``year``, or the calendar year."""
    r = pipeline.reporting_year
    if r is None:
        return Period(str(year), "year", dt.date(year, 1, 1), dt.date(year, 12, 31))
    return reporting_period(int(year), start_month=r.start_month, end_month=r.end_month)


def calendar_year(year: int) -> Period:
    return Period(str(year), "year", dt.date(year, 1, 1), dt.date(year, 12, 31))


def months_of(period: Period) -> list[str]:
    """The months (``'YYYY-MM'``) of a period, in order."""
    return [m.strftime("%Y-%m") for m in pd.period_range(period.first, period.last, freq="M")]


def end_quarter(period: Period) -> str:
    """The quarter (``'YYYYQn'``) holding the period's last day: the stock at its end is counted there."""
    return f"{period.last.year}Q{(period.last.month - 1) // 3 + 1}"


def period_years(pipeline, first: dt.date, last: dt.date) -> list[int]:
    """Every indicator period whose whole span lies within ``first`` to ``last``."""
    out = []
    for y in range(first.year, last.year + 2):
        p = period_of(pipeline, y)
        if p.first >= first and p.last <= last:
            out.append(y)
    return out


def label(period: Period, lang: str) -> str:
    """``aug. 2019–jun. 2020`` / ``Aug 2019–Jun 2020`` for a reporting year; the year for a calendar year."""
    if period.kind != "reporting_year":
        return period.label
    da = ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."]
    en = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    names = da if lang == "da" else en
    return (f"{names[period.first.month - 1]} {period.first.year}–{names[period.last.month - 1]} "
            f"{period.last.year}")
