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


# ------------------------------------------------------------------------------ half-years from quarterly StatBank
#: The comparison of a half-year report: the same half-year a year earlier (H1 with H1, H2 with H2: the season is
#: held fixed).
HALF_COMPARISON = "previous_year"
#: Files a half-year report writes beside the scorecard (the report's CSV convention).
HALF_FILES = ("half_years.csv", "half_year_changes.csv", "half_year_trends.csv")
HALF_NOTE = {
    "da": "Halvår (H1 = januar–juni, H2 = juli–december) er summen af to kvartaler fra Danmarks Statistiks STRAF11; "
          "kun fuldstændige halvår indgår. Raten er anmeldelser i halvåret pr. 1.000 indbyggere på halvårets første "
          "dag (FOLK1A 1. januar eller 1. juli). Hvert halvår sammenlignes med samme halvår året før (eksakt betinget "
          "test), og tendensen er Poisson-regression over samme halvår i årene (METHODS.md §2.2–2.3).",
    "en": "Half-years (H1 = January–June, H2 = July–December) are the sum of two quarters of Statistics Denmark's "
          "STRAF11; only complete half-years are included. The rate is reports in the half-year per 1,000 residents "
          "on its first day (FOLK1A 1 January or 1 July). Each half-year is compared with the same half-year a year "
          "earlier (exact conditional test), and the trend is a Poisson regression over the same half-year in each "
          "year (METHODS.md §2.2–2.3).",
}


@dataclass(frozen=True)
class HalfYears:
    """A pipeline's StatBank rates by half-year: the rates, the tests of a year's half-years and their trends."""

    #: ``indicator_id, area_id, level, period (2018H1), year, half, numerator, denominator, estimate, ci_low,
    #: ci_high, method``: complete half-years only
    rates: pd.DataFrame
    #: the change table's layout (:data:`tryghed.changes.CHANGE_COLUMNS`), ``period``/``ref_period`` half-year labels
    changes: pd.DataFrame
    #: the trend table's layout (:data:`tryghed.changes.TREND_COLUMNS`), over the same half-year of each year
    trends: pd.DataFrame
    #: one English sentence per half-year left out, e.g. ``2019H2 has only 1 of 2 quarters: left out``
    dropped: tuple[str, ...]


def half_year_counts(offences: pd.DataFrame, codes) -> tuple[pd.Series, pd.DataFrame]:
    """Reported offences of a group per ``(area_id, half-year label)`` from a quarterly tidy StatBank table.

    A half-year counts only when both of its quarters are present for every code of the group and none is missing
    (never read as 0). Returns the counts and :attr:`Aggregation.dropped` (the incomplete half-years, per area and
    code).
    """
    codes = [str(c) for c in codes]
    sub = offences[offences["offence_code"].isin(codes) & (offences["quarter"] > 0)]
    empty = pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=["area_id", "period"]))
    if sub.empty:
        return empty, pd.DataFrame()
    frame = sub[["area_id", "offence_code", "period"]].assign(value=sub["value"].where(~sub["missing"].astype(bool)))
    agg = aggregate(frame, to="half_year", by=["area_id", "offence_code"], columns=["value"])
    g = agg.table.groupby(["area_id", "period"])
    out = pd.DataFrame({"count": g["value"].sum(min_count=1), "ok": g["value"].count(),
                        "n": g["offence_code"].nunique()})
    out = out[(out["ok"] == len(codes)) & (out["n"] == len(codes))]["count"]
    out.index.names = ["area_id", "period"]
    return out.astype(float), agg.dropped


def population_at_half_start(population: pd.DataFrame) -> pd.Series:
    """FOLK1A's total population on the first day of each half-year (1 January: Q1; 1 July: Q3), per
    ``(area_id, half-year label)``; missing cells left out."""
    total = population[(population["sex"] == "TOT") & (population["age"] == "IALT")
                       & (population["marital_status"] == "TOT") & population["quarter"].isin([1, 3])
                       & ~population["missing"].astype(bool)]
    labels = [format_period("half_year", int(y), 1 if int(q) == 1 else 2) for y, q in zip(total["year"],
                                                                                            total["quarter"])]
    out = pd.Series(total["value"].astype(float).to_numpy(), index=pd.MultiIndex.from_arrays(
        [total["area_id"].astype(str).to_numpy(), labels], names=["area_id", "period"]))
    return out


def half_year_rates(pipeline, tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Every StatBank rate indicator of ``pipeline`` by half-year: reports in the half-year per 1,000 residents on
    its first day, with the exact Poisson interval; complete half-years only (the rest in the returned notes)."""
    from . import stats

    rows, notes = [], {}
    for ind in pipeline.indicators:
        src = pipeline.sources.get(ind.source)
        if ind.kind != "rate" or src is None or src.format != "statbank" or src.table != "STRAF11":
            continue
        group = pipeline.offence_groups[ind.options["offence_group"]]
        counts, dropped = half_year_counts(tables[ind.source], group.codes)
        for label in dropped.get("period", []):
            d = dropped[dropped["period"] == label].iloc[0]
            notes[label] = incomplete_note(label, int(d["have"]), int(d["need"]), str(d["unit"]))
        pop = population_at_half_start(tables[ind.options["population"]])
        for (area_id, label), n in counts.items():
            level = pipeline.area(area_id).level
            if level not in ind.levels or (area_id, label) not in pop.index or pop[(area_id, label)] <= 0:
                continue
            d = float(pop[(area_id, label)])
            ci = stats.rate_confint(count=float(n), exposure=d, per=1000.0)
            p = parse_period(label)
            rows.append(dict(indicator_id=ind.id, area_id=area_id, level=level, period=label, year=p.year,
                             half=p.index, numerator=float(n), denominator=d, estimate=ci.estimate,
                             ci_low=ci.ci_low, ci_high=ci.ci_high,
                             method=f"{ci.method}; STRAF11 offences in the half-year (two quarters) over FOLK1A "
                                    "population on its first day"))
    cols = ["indicator_id", "area_id", "level", "period", "year", "half", "numerator", "denominator", "estimate",
            "ci_low", "ci_high", "method"]
    out = pd.DataFrame(rows, columns=cols).sort_values(["indicator_id", "area_id", "year", "half"])
    return out.reset_index(drop=True), tuple(notes[k] for k in sorted(notes, key=lambda x: parse_period(x).start))


def half_year_changes(pipeline, rates: pd.DataFrame, period: str) -> pd.DataFrame:
    """Each area's rate in half-year ``period`` against the same half-year a year earlier.

    The exact conditional test of two Poisson rates (:func:`tryghed.stats.compare_rates`: ``p_exact``; and
    ``p_adjusted`` with the family's φ̂ over the same half-year's series); families as the yearly report's (one
    indicator × one level, the pipeline's declared method), q-values and verdicts by :func:`tryghed.stats.verdict`.
    Returns rows in :data:`tryghed.changes.CHANGE_COLUMNS`.

    Notes
    -----
    H0: the two half-years have the same rate; H1: they differ (two-sided). ``y2 | y1 + y2 ~ Bin(y1 + y2,
    E2/(E1 + E2))`` (METHODS.md §2.2; Przyborowski & Wilenski 1940).
    """
    from . import changes, stats

    p = parse_period(period)
    ref = format_period("half_year", p.year - 1, p.index)
    same = rates[rates["half"] == p.index]
    rows = []
    for (ind_id, level), fam in same.groupby(["indicator_id", "level"], sort=False):
        seg = fam[fam["year"] <= p.year]
        disp = stats.family_dispersion(areas=seg["area_id"].to_numpy(), periods=seg["year"].to_numpy(),
                                       counts=seg["numerator"].to_numpy(float),
                                       exposure=seg["denominator"].to_numpy(float)) if len(seg) else None
        phi = float(disp.phi) if disp is not None and np.isfinite(disp.phi) else 1.0
        for area_id, g in fam.groupby("area_id", sort=False):
            g = g.set_index("period")
            if period not in g.index:
                continue
            now = g.loc[period]
            base = dict(pipeline=pipeline.id, indicator_id=ind_id, area_id=area_id, level=level, period=period,
                        comparison=HALF_COMPARISON, ref_period=ref, estimate=now["estimate"], verdict="not_tested")
            if ref not in g.index:
                rows.append({**base, "flags": "missing", "method": "not estimated", "verdict_reason": "missing"})
                continue
            before = g.loc[ref]
            c = stats.compare_rates(count1=before["numerator"], exposure1=before["denominator"],
                                    count2=now["numerator"], exposure2=now["denominator"], dispersion=phi,
                                    alpha=pipeline.alpha)
            tested = bool(c.tested and np.isfinite(c.pvalue))
            rows.append({**base, "ref_estimate": before["estimate"], "change": c.estimate, "ci_low": c.ci_low,
                         "ci_high": c.ci_high, "statistic": c.statistic, "p_exact": c.p_exact,
                         "p_adjusted": c.p_adjusted, "pvalue": c.pvalue, "dispersion": phi, "scale": c.scale,
                         "method": f"{c.method}; {period} against {ref}", "flags": "" if tested else c.reason,
                         "verdict_reason": c.reason, "_tested": tested})
    out = pd.DataFrame(rows).reindex(columns=[*changes.CHANGE_COLUMNS, "_tested"])
    out["_tested"] = out["_tested"].astype("boolean").fillna(False).astype(bool)
    changes._families(pipeline, out)
    out["family"] = out["family"].map(lambda f: f"{f}:{period}" if f else f)
    for i in out.index[out["_tested"]]:
        v = stats.verdict(estimate=out.at[i, "change"], pvalue=out.at[i, "qvalue"], alpha=pipeline.alpha, null=1.0)
        out.at[i, "verdict"], out.at[i, "verdict_reason"] = v.code, v.reason
    out["significant"] = out["verdict"].isin(["significant_increase", "significant_decrease"])
    return out.drop(columns="_tested")


def half_year_trends(pipeline, rates: pd.DataFrame, period: str) -> pd.DataFrame:
    """The trend of each area's rate over the same half-year of every year up to ``period`` (Poisson regression,
    quasi-Poisson when overdispersed: :func:`tryghed.stats.poisson_trend`), in
    :data:`tryghed.changes.TREND_COLUMNS`.

    Notes
    -----
    H0: the rate ratio per year is 1; H1: it differs from 1 (two-sided). METHODS.md §2.3.
    """
    from . import changes, stats

    p = parse_period(period)
    rows = []
    same = rates[(rates["half"] == p.index) & (rates["year"] <= p.year)]
    for (ind_id, area_id, level), g in same.groupby(["indicator_id", "area_id", "level"], sort=False):
        g = g.sort_values("year")
        t = stats.poisson_trend(periods=g["year"].to_numpy(float), counts=g["numerator"].to_numpy(float),
                                exposure=g["denominator"].to_numpy(float), alpha=pipeline.alpha)
        v = stats.verdict(estimate=t.rate_ratio, pvalue=t.pvalue, alpha=pipeline.alpha, null=1.0,
                          tested=bool(np.isfinite(t.pvalue)), reason=t.reason or "")
        rows.append(dict(pipeline=pipeline.id, indicator_id=ind_id, area_id=area_id, level=level, period=period,
                         first_period=g["period"].iloc[0], last_period=g["period"].iloc[-1], n_points=len(g),
                         method=f"{t.model}, log-population offset, over H{p.index} of each year (§2.3)",
                         slope=t.rate_ratio, slope_unit="rate ratio/yr", ci_low=t.ci_low, ci_high=t.ci_high,
                         pvalue=t.pvalue, dispersion=t.dispersion, flags=t.reason or "", verdict=v.code,
                         verdict_reason=v.reason))
    return pd.DataFrame(rows).reindex(columns=changes.TREND_COLUMNS)


def half_year_report(pipeline, clean_dir, year: int) -> HalfYears:
    """The half-year tables of report year ``year`` from a run's cleaned StatBank tables (``clean_dir``): the
    rates of every complete half-year, and the tests and trends of the complete half-years of ``year``."""
    from pathlib import Path

    needed = {sid for ind in pipeline.indicators if ind.kind == "rate"
              for sid in (ind.source, ind.options.get("population")) if sid}
    tables = {sid: pd.read_parquet(Path(clean_dir) / f"{sid}.parquet") for sid in needed
              if pipeline.sources[sid].format == "statbank"}
    rates, dropped = half_year_rates(pipeline, tables)
    halves = [format_period("half_year", year, h) for h in (1, 2)]
    done = [h for h in halves if h in set(rates["period"])]
    changes_ = [half_year_changes(pipeline, rates, h) for h in done]
    trends = [half_year_trends(pipeline, rates, h) for h in done]
    from . import changes as ch

    return HalfYears(rates=rates,
                     changes=pd.concat(changes_, ignore_index=True) if changes_ else
                     pd.DataFrame(columns=ch.CHANGE_COLUMNS),
                     trends=pd.concat(trends, ignore_index=True) if trends else pd.DataFrame(columns=ch.TREND_COLUMNS),
                     dropped=dropped)


def write_half_year_tables(pipeline, half: HalfYears, report_dir, lang: str = "en", demo: bool = False) -> list:
    """Write :data:`HALF_FILES` into ``report_dir`` in the report's CSV convention (Danish ``;`` and decimal comma,
    English ``,`` and point; numbers at full precision) and ``half_years.md`` (the method note and the half-years
    left out); return the paths. ``demo``: the run read the synthetic demo data; every row of the tables and the
    note say so (:data:`tryghed.report.DEMO_COLUMN`)."""
    import csv
    from pathlib import Path

    from . import changes as ch
    from .report import synthetic_marked

    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    decimal = "," if lang == "da" else "."
    rates = half.rates.assign(area_name=[pipeline.area(a).name[lang] for a in half.rates["area_id"]])
    frames = (rates, ch.machine_changes(pipeline, half.changes, lang)[ch.MACHINE_COLUMNS + ch.MACHINE_EXTRA],
              ch.machine_trends(pipeline, half.trends, lang)[ch.MACHINE_COLUMNS + ch.MACHINE_EXTRA])
    paths = []
    frames = tuple(synthetic_marked(f, lang, demo) for f in frames)
    for name, df in zip(HALF_FILES, frames):
        path = report_dir / name
        with open(path, "w", encoding="utf-8-sig" if lang == "da" else "utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter=";" if lang == "da" else ",", lineterminator="\n")
            w.writerow(df.columns)
            for rec in df.itertuples(index=False):
                w.writerow([ch._cell(v, decimal) for v in rec])
        paths.append(path)
    left_out = [incomplete_note(*_note_parts(n), lang=lang) for n in half.dropped]
    head = "Halvår" if lang == "da" else "Half-years"
    text = f"# {pipeline.name[lang]}: {head.lower()}\n\n{HALF_NOTE[lang]}\n"
    if demo:
        from .report import DEMO_COLUMN

        text = f"**{DEMO_COLUMN['da' if lang == 'da' else 'en'][1]}**\n\n" + text
    if left_out:
        text += "\n" + "\n".join(f"- {n}" for n in left_out) + "\n"
    md = report_dir / "half_years.md"
    md.write_text(text, encoding="utf-8")
    return [*paths, md]


def _note_parts(note: str) -> tuple[str, int, int, str]:
    """``("2019H2", 1, 2, "quarter")`` from ``2019H2 has only 1 of 2 quarters: left out``."""
    m = re.match(r"(\S+) has only (\d+) of (\d+) (\S+):", note)
    unit = {v: k for k, v in _UNITS["en"].items()}[m.group(4)]
    return m.group(1), int(m.group(2)), int(m.group(3)), unit
