"""Reporting periods: parse period labels, aggregate finer periods to coarser ones, and shifted reporting years.

A period is a year (``2017``), a half-year (``2017H1``), a quarter (``2017Q1``; Danish ``2017K1``) or a month
(``2017-01``; also ``2017M01``, ``jan 2017``, ``januar 2017``, ``January 2017``). Canonical labels are ``2017``,
``2017H1``, ``2017Q1`` and ``2017-01``. Every period covers a run of whole months: ``start`` is the month ordinal of its
first month (``year * 12 + month - 1``, so periods of one type sort by it) and ``months`` its length.

Aggregation keeps complete periods only: a year made of 9 of its 12 months is left out and returned in ``dropped`` so
that the report can say so ("2019 has only 9 of 12 months: left out").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Period types from the coarsest to the finest.
PERIOD_TYPES = ("year", "half_year", "quarter", "month")
#: Months in one period of each type.
MONTHS = {"year": 12, "half_year": 6, "quarter": 3, "month": 1}
#: The forms a period label may take, for error messages.
ACCEPTED = "2017, 2017H1, 2017Q1 (or 2017K1), 2017-01 (or 2017M01, jan 2017)"

_MONTH_NAMES = {
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
           "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
_MONTH_WORDS: dict[str, int] = {}
for _names in _MONTH_NAMES.values():
    for _i, _name in enumerate(_names, start=1):
        _MONTH_WORDS[_name.lower()] = _i
        _MONTH_WORDS[_name.lower()[:3]] = _i
_MONTH_WORDS.update({"sept": 9, "okt": 10, "mrz": 3})

_YEAR = r"(?P<y>(?:19|20|21)\d\d)"
_FORMS = (
    ("year", re.compile(rf"{_YEAR}(?:\.0+)?")),
    ("half_year", re.compile(rf"{_YEAR}\s*[-_ ]?\s*h(?P<i>[12])")),
    ("quarter", re.compile(rf"{_YEAR}\s*[-_ ]?\s*[qk](?P<i>[1-4])")),
    ("month", re.compile(rf"{_YEAR}\s*(?:-|/|m)\s*(?P<i>0?[1-9]|1[0-2])")),
    ("month", re.compile(rf"(?P<w>[a-zæøå]+)\.?\s*[-/ ]?\s*{_YEAR}")),
    ("month", re.compile(rf"{_YEAR}\s*[-/ ]?\s*(?P<w>[a-zæøå]+)\.?")),
)


@dataclass(frozen=True, order=True)
class Period:
    """One period: ``type`` (a :data:`PERIOD_TYPES` entry), calendar ``year`` and ``index`` within the year (1-based).

    Instances of one type sort in time order; :attr:`start` sorts periods of any type by their first month.
    """

    year: int
    index: int
    type: str

    def __post_init__(self):
        if self.type not in MONTHS:
            raise ValueError(f"period type {self.type!r}: expected one of {', '.join(PERIOD_TYPES)}")
        if not 1 <= self.index <= 12 // MONTHS[self.type]:
            raise ValueError(f"{self.type} index {self.index} is out of range")

    @property
    def label(self) -> str:
        """The canonical label: ``2017``, ``2017H1``, ``2017Q1`` or ``2017-01``."""
        return format_period(self.type, self.year, self.index)

    @property
    def months(self) -> int:
        """Number of months the period covers."""
        return MONTHS[self.type]

    @property
    def start(self) -> int:
        """Month ordinal of the first month (``year * 12 + month - 1``)."""
        return self.year * 12 + (self.index - 1) * self.months

    @property
    def end(self) -> int:
        """Month ordinal of the last month."""
        return self.start + self.months - 1

    def __str__(self) -> str:
        return self.label


def format_period(period_type: str, year: int, index: int = 1) -> str:
    """The canonical label of a period."""
    if period_type == "year":
        return f"{year}"
    if period_type == "half_year":
        return f"{year}H{index}"
    if period_type == "quarter":
        return f"{year}Q{index}"
    return f"{year}-{index:02d}"


def parse_period(text) -> Period:
    """Parse one period label (see the module docstring for the accepted forms).

    Raises
    ------
    ValueError
        When the text is not a period in one of the accepted forms.
    """
    found = _parse(text)
    if found is None:
        raise ValueError(f"{text!r} is not a period; accepted forms: {ACCEPTED}")
    return found


def _parse(text) -> Period | None:
    if isinstance(text, (pd.Timestamp, np.datetime64)) or hasattr(text, "month") and hasattr(text, "year"):
        stamp = pd.Timestamp(text)
        return Period(stamp.year, stamp.month, "month") if stamp.day == 1 else None
    if isinstance(text, (int, np.integer)) and not isinstance(text, bool):
        text = str(int(text))
    elif isinstance(text, (float, np.floating)):
        if not np.isfinite(text) or text % 1:
            return None
        text = str(int(text))
    s = " ".join(str(text).split()).lower()
    for period_type, form in _FORMS:
        m = form.fullmatch(s)
        if not m:
            continue
        year = int(m["y"])
        if "w" in m.groupdict() and m["w"] is not None:
            index = _MONTH_WORDS.get(m["w"])
            if index is None:
                continue
        else:
            index = int(m["i"]) if "i" in m.groupdict() else 1
        return Period(year, index, period_type)
    return None


def parse_periods(values: pd.Series) -> pd.DataFrame:
    """Parse a column of period labels, each distinct label once (fast on long tables).

    Returns a frame on ``values``' index with ``period`` (canonical label), ``period_type``, ``year``, ``index``,
    ``start`` (month ordinal of the first month) and ``months``; rows that do not parse have ``period`` missing
    (``<NA>``) and ``ok`` False.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = [_parse(u) for u in uniques]
    table = pd.DataFrame({
        "period": pd.array([p.label if p else None for p in parsed] + [None], dtype="string"),
        "period_type": pd.array([p.type if p else None for p in parsed] + [None], dtype="string"),
        "year": pd.array([p.year if p else None for p in parsed] + [None], dtype="Int64"),
        "index": pd.array([p.index if p else None for p in parsed] + [None], dtype="Int64"),
        "start": pd.array([p.start if p else None for p in parsed] + [None], dtype="Int64"),
        "months": pd.array([p.months if p else None for p in parsed] + [None], dtype="Int64"),
    })
    out = table.iloc[np.where(codes < 0, len(parsed), codes)].set_axis(values.index)
    out["ok"] = out["period"].notna().to_numpy()
    return out


def coarsest(types: Iterable[str]) -> str:
    """The coarsest of the given period types (``year`` before ``half_year`` before ``quarter`` before ``month``)."""
    present = set(types)
    return next(t for t in PERIOD_TYPES if t in present)


@dataclass(frozen=True)
class ReportingYear:
    """A reporting year that may start in another month than January, and may leave months out.

    ``start_month=8, end_month=6`` is a school year: reporting year 2018 runs from August 2017 to June 2018 (July
    belongs to no year). The year is named by the calendar year it ends in. ``end_month`` defaults to the month before
    ``start_month`` (a full twelve months).
    """

    start_month: int = 1
    end_month: int | None = None

    def __post_init__(self):
        for name, m in (("start_month", self.start_month), ("end_month", self.end_month)):
            if m is not None and not 1 <= m <= 12:
                raise ValueError(f"{name} is {m}; expected a month number from 1 to 12")

    @property
    def last_month(self) -> int:
        return self.end_month if self.end_month is not None else (self.start_month - 2) % 12 + 1

    @property
    def length(self) -> int:
        """Months in one reporting year."""
        return (self.last_month - self.start_month) % 12 + 1

    @property
    def calendar(self) -> bool:
        return self.start_month == 1 and self.last_month == 12

    def first_ordinal(self, year: int) -> int:
        """Month ordinal of the first month of reporting year ``year``."""
        crosses = self.start_month > self.last_month
        return (year - crosses) * 12 + self.start_month - 1

    def months(self, year: int) -> list[Period]:
        """The months of reporting year ``year``, in order."""
        first = self.first_ordinal(year)
        return [Period(m // 12, m % 12 + 1, "month") for m in range(first, first + self.length)]

    def year_of(self, ordinal: np.ndarray) -> np.ndarray:
        """Reporting year of each month ordinal (``-1`` for a month in no reporting year)."""
        ordinal = np.asarray(ordinal, dtype="int64")
        cal_year, month = ordinal // 12, ordinal % 12 + 1
        crosses = self.start_month > self.last_month
        if crosses:
            year = np.where(month >= self.start_month, cal_year + 1, np.where(month <= self.last_month, cal_year, -1))
        else:
            year = np.where((month >= self.start_month) & (month <= self.last_month), cal_year, -1)
        return year

    def mapping(self, periods: Iterable) -> dict[str, int | None]:
        """Reporting year of each period label (``None`` when it lies outside every reporting year).

        Raises
        ------
        ValueError
            When a period straddles two reporting years (a quarter July–September in a year starting in August).
        """
        out = {}
        for p in periods:
            p = p if isinstance(p, Period) else parse_period(p)
            first, last = self.year_of(np.array([p.start, p.end]))
            if first != last:
                raise ValueError(f"{p.label} straddles two reporting years (start month {self.start_month}); "
                                 "use months, or a reporting year that starts with the period")
            out[p.label] = None if first < 0 else int(first)
        return out

    def describe(self, year: int, lang: str = "en") -> str:
        """``August 2017 – June 2018`` for reporting year 2018 (``lang`` ``da`` or ``en``)."""
        months = self.months(year)
        name = _MONTH_NAMES[lang]
        a, b = months[0], months[-1]
        return f"{name[a.index - 1]} {a.year} – {name[b.index - 1]} {b.year}"


@dataclass(frozen=True)
class Aggregation:
    """The result of :func:`aggregate`.

    ``table`` holds one row per group and complete target period; ``dropped`` one row per group and incomplete target
    period: the group's keys, ``period`` (the target label), ``have`` and ``need`` (in ``unit``, the finer period type
    the group's rows have there; ``month`` when they mix types) and ``note`` (an English sentence for the log).
    ``outside`` counts the input rows in no reporting year (e.g. July in a year August–June).
    """

    table: pd.DataFrame
    dropped: pd.DataFrame
    outside: int = 0


_UNITS = {"en": {"month": "months", "quarter": "quarters", "half_year": "half-years", "year": "years"},
          "da": {"month": "måneder", "quarter": "kvartaler", "half_year": "halvår", "year": "år"}}


def incomplete_note(period: str, have: int, need: int, unit: str, lang: str = "en") -> str:
    """``2019 has only 9 of 12 months: left out`` (``lang="da"``: ``2019 har kun 9 af 12 måneder: udeladt``)."""
    if lang == "da":
        return f"{period} har kun {have} af {need} {_UNITS['da'][unit]}: udeladt"
    return f"{period} has only {have} of {need} {_UNITS['en'][unit]}: left out"


_HOW = ("sum", "mean", "first", "last", "min", "max")


def aggregate(df: pd.DataFrame, *, to: str, how: str | Mapping[str, str] = "sum", by: Sequence[str] = (),
              columns: Sequence[str] | None = None, period: str = "period",
              reporting_year: ReportingYear | None = None) -> Aggregation:
    """Aggregate rows of finer periods to ``to`` periods, keeping complete periods only.

    Parameters
    ----------
    df : DataFrame
        A table with a column of period labels (``period``; any accepted form) and the ``by`` columns. Within one
        group the periods must not overlap (:func:`tryghed.sources.long.read_long` checks this).
    to : str
        The target period type (a :data:`PERIOD_TYPES` entry); rows already at ``to`` pass through.
    how : str or mapping
        ``sum``, ``mean``, ``first``, ``last``, ``min`` or ``max``, for all ``columns`` or per column (e.g.
        ``{"count": "sum", "population": "mean"}``: events add up, a population is a stock). A group with an empty
        cell in a column gets a missing value there, not a sum of the rest.
    by : sequence of str
        Group columns (e.g. ``["area", "indicator"]``); completeness is judged per group.
    columns : sequence of str, optional
        The columns to aggregate; default every numeric column that is not a key or period column (name them: a
        published share or rate does not add up).
    period : str
        Name of the period column.
    reporting_year : ReportingYear, optional
        With ``to="year"``, a year that starts in another month; the target label is the year it ends in.

    Returns
    -------
    Aggregation
        ``table`` with ``by``, ``period`` (canonical target label), ``period_type``, ``year`` and ``columns``;
        ``dropped`` as described in :class:`Aggregation`.

    Raises
    ------
    ValueError
        For a period coarser than ``to``, a period straddling two target periods, or an unknown ``how``.
    """
    if to not in MONTHS:
        raise ValueError(f"to is {to!r}; expected one of {', '.join(PERIOD_TYPES)}")
    ry = reporting_year or ReportingYear()
    if to != "year" and not ry.calendar:
        raise ValueError("a reporting year that starts in another month applies only to to='year'")
    by = list(by)
    parsed = parse_periods(df[period])
    if not parsed["ok"].all():
        bad = df[period][~parsed["ok"]].iloc[0]
        raise ValueError(f"period {bad!r} is not a period; accepted forms: {ACCEPTED}")
    if columns is None:
        skip = {*by, period, "period_type", "year", "row"}
        columns = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])]
    columns = list(columns)
    hows = {c: how for c in columns} if isinstance(how, str) else {c: how.get(c, "sum") for c in columns}
    for c, h in hows.items():
        if h not in _HOW:
            raise ValueError(f"how for {c!r} is {h!r}; expected one of {', '.join(_HOW)}")
    span = MONTHS[to]
    coarse = parsed["months"].to_numpy(dtype="int64") > span
    if coarse.any():
        bad = parsed["period"][coarse].iloc[0]
        raise ValueError(f"period {bad} is coarser than {to}; it cannot be split")
    start = parsed["start"].to_numpy(dtype="int64")
    end = start + parsed["months"].to_numpy(dtype="int64") - 1
    if to == "year":
        first, last = ry.year_of(start), ry.year_of(end)
        target_year, target_index = first, np.ones_like(first)
        need = np.full(len(df), ry.length)
    else:
        first, last = start // span, end // span
        target_year, target_index = first // (12 // span), first % (12 // span) + 1
        need = np.full(len(df), span)
    if (first != last).any():
        i = int(np.nonzero(first != last)[0][0])
        raise ValueError(f"period {parsed['period'].iloc[i]} straddles two {to} periods")
    inside = first >= 0
    work = df[by].copy() if by else pd.DataFrame(index=df.index)
    work["_year"], work["_index"] = target_year, target_index
    work["_months"] = parsed["months"].to_numpy(dtype="int64")
    work["_type"] = parsed["period_type"].to_numpy(dtype=object)
    work["_need"] = need
    for c in columns:
        work[c] = df[c].to_numpy()
    work = work[inside]
    keys = [*by, "_year", "_index"]
    grouped = work.groupby(keys, sort=True, dropna=False)
    cover = grouped.agg(_have=("_months", "sum"), _need=("_need", "first"), _n=("_months", "size"),
                        _types=("_type", "nunique"), _unit=("_type", "first"))
    complete = cover["_have"] == cover["_need"]
    table = grouped.agg(**{c: (c, hows[c]) for c in columns})
    # a value with a missing part is missing (a sum of 11 of 12 months is no year's sum; all-empty is no 0)
    filled = grouped[columns].count() if columns else None
    for c in columns:
        table[c] = table[c].where(filled[c].to_numpy() == cover["_n"].to_numpy())
    table = table[complete.to_numpy()].reset_index()
    table.insert(len(by), period, [format_period(to, y, i) for y, i in zip(table["_year"], table["_index"])])
    table.insert(len(by) + 1, "period_type", to)
    table.insert(len(by) + 2, "year", table["_year"].astype("int64"))
    table = table.drop(columns=["_year", "_index"])
    gaps = cover[~complete].reset_index()
    mixed = gaps["_types"] > 1
    unit = np.where(mixed, "month", gaps["_unit"].astype(object))
    per = np.array([MONTHS[u] for u in unit], dtype="int64") if len(gaps) else np.array([], dtype="int64")
    have = np.where(mixed, gaps["_have"], gaps["_n"]).astype("int64")
    need_units = (gaps["_need"].to_numpy(dtype="int64") // np.maximum(per, 1)) if len(gaps) else per
    labels = [format_period(to, y, i) for y, i in zip(gaps["_year"], gaps["_index"])]
    dropped = gaps[by].copy() if by else pd.DataFrame(index=gaps.index)
    dropped[period] = labels
    dropped["have"], dropped["need"], dropped["unit"] = have, need_units, unit
    dropped["note"] = [incomplete_note(lab, h, n, u) for lab, h, n, u in zip(labels, have, need_units, unit)]
    return Aggregation(table=table.reset_index(drop=True), dropped=dropped.reset_index(drop=True),
                       outside=int((~inside).sum()))


def last_complete(df: pd.DataFrame, *, to: str = "year", by: Sequence[str] = (), period: str = "period",
                  reporting_year: ReportingYear | None = None) -> str | None:
    """The latest ``to`` period that is complete in every group with rows in it (``None`` if there is none).

    A group that has no rows at all in a period (a district that stopped reporting) does not make it incomplete.
    """
    agg = aggregate(df[[*by, period]].assign(_one=1), to=to, by=by, columns=["_one"], period=period,
                    reporting_year=reporting_year)
    done = set(agg.table[period]) - set(agg.dropped[period])
    if not done:
        return None
    return max(done, key=lambda label: parse_period(label).start)


def complete_periods(df: pd.DataFrame, *, to: str = "year", by: Sequence[str] = (), period: str = "period",
                     reporting_year: ReportingYear | None = None) -> list[str]:
    """Every ``to`` period complete in every group with rows in it, in time order."""
    agg = aggregate(df[[*by, period]].assign(_one=1), to=to, by=by, columns=["_one"], period=period,
                    reporting_year=reporting_year)
    done = set(agg.table[period]) - set(agg.dropped[period])
    return sorted(done, key=lambda label: parse_period(label).start)
