"""The Nørrebro partnership's own logs: the gang register by quarter, the SSP log of identified young people and
concern talks, the activity log, and the police's professional assessment.

Readers return tidy tables with a ``row`` column (the row a person sees in the file) and map names onto the
pipeline's area ids with ``areas`` (name, any case -> area id). Formats, with examples, in ``data/raw/README.md``::

    gang register   Kvartal;Gruppetype;Område;Antal                     2017K1;Rocker;Indre Nørrebro;19
    SSP log         Pseudonym;Område;Alder;Identificeret;Bekymringssamtale
                    P01234;Indre Nørrebro;15;2016-03-02;2016-03-20     (one row a talk; no talk yet: talk empty)
    activity log    xlsx: Dato | Aktivitet | Område | Deltagere         (title rows above the header are fine)
    assessment      Markdown, shown verbatim
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ._common import (_decode, check_unique, column_name, keep_row_numbers, kept_row_numbers, read_sheet_table,
                      read_text_table, rename_columns, row_number, to_number, where_row)
from .closures import _blank, _dates
from .police import AREA, map_areas

GROUP_TYPES = {
    "rocker": ("rocker", "rockere", "rockergruppe", "rockergrupper", "biker", "bikers"),
    "gang": ("bande", "bander", "bandegruppe", "bandegrupper", "gang", "gangs"),
    "other": ("øvrige", "øvrig", "oevrige", "andre", "anden", "andet", "other", "others"),
}
_GROUP_OF = {alias: group for group, aliases in GROUP_TYPES.items() for alias in aliases}
_QUARTER = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*[KQ]([1-4])\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Gap:
    """A quarter the gang register does not report for an area (all group types, or the ones named)."""

    area: str
    quarter: str
    group_types: tuple[str, ...]


def quarter_range(first: str, last: str) -> list[str]:
    """Every quarter from ``first`` to ``last`` (``'YYYYQn'``, inclusive)."""
    (y0, q0), (y1, q1) = ((int(q[:4]), int(q[-1])) for q in (first, last))
    return [f"{y}Q{q}" for y in range(y0, y1 + 1) for q in range(1, 5) if (y0, q0) <= (y, q) <= (y1, q1)]


def read_gang_register(path: Path, *, areas: Mapping[str, str], quarters: tuple[str, str] | None = None,
                       expected_areas: list[str] | None = None) -> tuple[pd.DataFrame, list[Gap]]:
    """Read the gang register's end-of-quarter stocks by quarter, group type and area, and list its gaps.

    Parameters
    ----------
    path : Path
        Text table ``Kvartal;Gruppetype;Område;Antal``: quarters as ``2017K1`` or ``2017Q1``; group types
        ``Rocker``, ``Bande`` or ``Øvrige`` (aliases in :data:`GROUP_TYPES`); the count of registered, active
        members at the end of the quarter.
    areas : Mapping[str, str]
        Area name (any case) -> area id.
    quarters : (str, str), optional
        First and last quarter (``'YYYYQn'``) of the period: a row outside it is an error, and every quarter in it
        is expected. Default: the file's first to last quarter.
    expected_areas : list[str], optional
        Area ids that must be reported every quarter; default: every area in the file.

    Returns
    -------
    (pandas.DataFrame, list[Gap])
        ``row, area, quarter, group_type, count`` (``group_type`` one of ``rocker, gang, other``), and the gaps:
        each expected (area, quarter) with no row, or with some group types missing. A gap is never a zero.
    """
    path = Path(path)
    df = rename_columns(read_text_table(path), path, {
        "quarter": ("kvartal", "tid", "periode", "quarter"), "group_type": ("gruppetype", "type", "group_type"),
        "area": AREA, "count": ("antal", "medlemmer", "personer", "count"),
    })
    parts = df["quarter"].str.extract(_QUARTER)
    bad = parts[0].isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(path, f"column '{column_name(df, 'quarter')}' holds {df['quarter'].iloc[i]!r}, which is not "
                         "a quarter", "Write quarters as 2017K1 (or 2017Q1).", where=where_row(df, i))
    quarter = parts[0] + "Q" + parts[1]
    if quarters is not None:
        outside = (quarter < quarters[0]) | (quarter > quarters[1])
        if outside.any():
            i = int(outside.to_numpy().nonzero()[0][0])
            raise InputError(path, f"column '{column_name(df, 'quarter')}' holds {quarter.iloc[i]}, outside the "
                             f"period {quarters[0]} to {quarters[1]}",
                             "Export only the report's quarters, or widen the period in the pipeline YAML.",
                             where=where_row(df, i))
    raw_group = df["group_type"].astype(str).str.strip()
    group = raw_group.str.lower().map(_GROUP_OF)
    if group.isna().any():
        i = int(group.isna().to_numpy().nonzero()[0][0])
        raise InputError(path, f"column '{column_name(df, 'group_type')}' holds {raw_group.iloc[i]!r}, which is not a "
                         "group type", "Write the group type as Rocker, Bande or Øvrige.", where=where_row(df, i))
    out = pd.DataFrame({
        "area": map_areas(df, "area", path, areas, header_rows=1),
        "quarter": quarter,
        "group_type": group,
        "count": to_number(df, "count", path, integer=True, minimum=0),
    })
    out.attrs = dict(df.attrs)
    check_unique(out, ["area", "quarter", "group_type"], path)
    out = keep_row_numbers(out).reset_index(drop=True)
    out.insert(0, "row", kept_row_numbers(out))
    span = quarters or (out["quarter"].min(), out["quarter"].max())
    wanted = expected_areas if expected_areas is not None else sorted(out["area"].unique())
    present = out.groupby(["area", "quarter"])["group_type"].agg(frozenset).to_dict()
    gaps = []
    for area in wanted:
        for q in quarter_range(*span):
            missing = tuple(g for g in GROUP_TYPES if g not in present.get((area, q), ()))
            if missing:
                gaps.append(Gap(area, q, missing))
    return out, gaps


def _read_table(path: Path, header_names: tuple[str, ...], fix: str) -> tuple[pd.DataFrame, int]:
    if Path(path).suffix.lower() in (".xlsx", ".xlsm"):
        return read_sheet_table(path, header_names, fix)
    return read_text_table(path), 1


def _within(df: pd.DataFrame, column: str, values: pd.Series, path: Path, dates: tuple[str, str] | None,
            header_rows: int) -> None:
    if dates is None:
        return
    lo, hi = pd.Timestamp(dates[0]), pd.Timestamp(dates[1])
    outside = values.notna() & ((values < lo) | (values > hi))
    if outside.any():
        i = int(outside.to_numpy().nonzero()[0][0])
        raise InputError(path, f"column '{column_name(df, column)}' holds {values.iloc[i].date()}, outside the period "
                         f"{lo.date()} to {hi.date()}",
                         "Export only the report's period, or widen the period in the pipeline YAML.",
                         where=where_row(df, i, header_rows))


SSP_FIX = "Put the header row (Pseudonym, Område, Identificeret, Bekymringssamtale) above the data."


def read_ssp_log(path: Path, *, areas: Mapping[str, str], dates: tuple[str, str] | None = None) -> pd.DataFrame:
    """Read the SSP log of young people under 18 showing gang behaviour and the concern talks held with them.

    Parameters
    ----------
    path : Path
        Text table or xlsx, one row per concern talk: ``Pseudonym`` (the SSP's pseudonymised id, never a name or
        CPR number), ``Område``, optional ``Alder`` (age when identified, under 18), ``Identificeret`` (date
        identified) and ``Bekymringssamtale`` (date of the talk; empty for a young person with no talk yet, who then
        has exactly that one row). Dates ISO (2016-03-02) or Danish (02-03-2016).
    areas : Mapping[str, str]
        Area name (any case) -> area id.
    dates : (str, str), optional
        First and last day (ISO) of the period the log may cover.

    Returns
    -------
    pandas.DataFrame
        ``row, person, area, identified, talk`` (``talk`` NaT on a row without a talk). A person's rows must agree
        on area and date identified, and no talk may predate the identification.
    """
    path = Path(path)
    df, header_rows = _read_table(path, ("pseudonym", "id"), SSP_FIX)
    df = rename_columns(df, path, {
        "person": ("pseudonym", "id", "ung_id", "person"), "area": AREA,
        "age": ("alder", "age"), "identified": ("identificeret", "identificeret dato", "identified"),
        "talk": ("bekymringssamtale", "samtale", "samtaledato", "concern_talk", "talk"),
    }, optional=("age",))
    person = df["person"].astype(object).where(~_blank(df["person"]), "").astype(str).str.strip()
    if person.eq("").any():
        i = int(person.eq("").to_numpy().nonzero()[0][0])
        raise InputError(path, f"column '{column_name(df, 'person')}' is empty",
                         "Give every row the young person's pseudonymised id.", where=where_row(df, i, header_rows))
    if "age" in df:
        to_number(df, "age", path, integer=True, minimum=0, maximum=17, header_rows=header_rows)
    out = pd.DataFrame({
        "person": person,
        "area": map_areas(df, "area", path, areas, header_rows),
        "identified": _dates(df, "identified", path, header_rows),
        "talk": _dates(df, "talk", path, header_rows, required=False),
    })
    _within(df, "identified", out["identified"], path, dates, header_rows)
    _within(df, "talk", out["talk"], path, dates, header_rows)
    early = out["talk"] < out["identified"]
    if early.any():
        i = int(early.to_numpy().nonzero()[0][0])
        raise InputError(path, f"the concern talk ({out['talk'].iloc[i].date()}) predates the identification "
                         f"({out['identified'].iloc[i].date()})", "Correct one of the two dates.",
                         where=where_row(df, i, header_rows))
    for column in ("area", "identified"):
        first = out.groupby("person")[column].transform("first")
        differ = out[column] != first
        if differ.any():
            i = int(differ.to_numpy().nonzero()[0][0])
            j = int((out["person"] == out["person"].iloc[i]).to_numpy().nonzero()[0][0])
            raise InputError(path, f"young person {out['person'].iloc[i]} has another "
                             f"{column_name(df, column)} here than in row {row_number(df, j, header_rows)}",
                             "A young person has one area and one date identified: correct one of the rows.",
                             where=where_row(df, i, header_rows))
    no_talk = out["talk"].isna()
    both = no_talk & out["person"].duplicated(keep=False)
    if both.any():
        i = int(both.to_numpy().nonzero()[0][0])
        raise InputError(path, f"young person {out['person'].iloc[i]} has a row without a talk besides rows with one",
                         "Delete the row without a talk (it is only for young people with no talk yet).",
                         where=where_row(df, i, header_rows))
    out.attrs = dict(df.attrs)
    check_unique(out.assign(talk=out["talk"].fillna(pd.Timestamp(0))), ["person", "talk"], path, header_rows)
    out = keep_row_numbers(out, header_rows).reset_index(drop=True)
    out.insert(0, "row", kept_row_numbers(out))
    return out


ACTIVITY_FIX = "Put the header row (Dato, Aktivitet, Område, Deltagere) above the data."


def read_activity_log(path: Path, *, activity_types: Mapping[str, str], areas: Mapping[str, str],
                      dates: tuple[str, str] | None = None) -> pd.DataFrame:
    """Read the partnership's activity log (one row per activity held).

    Parameters
    ----------
    path : Path
        xlsx (first sheet; title rows above the header are fine) or text table with ``Dato``, ``Aktivitet``,
        ``Område`` and ``Deltagere`` (participants; may be empty when not counted).
    activity_types : Mapping[str, str]
        Every declared name of an activity type (id, Danish and English name; any case) -> its id
        (:func:`tryghed.activities.activity_lookup`).
    areas : Mapping[str, str]
        Area name (any case) -> area id.
    dates : (str, str), optional
        First and last day (ISO) the log may cover.

    Returns
    -------
    pandas.DataFrame
        ``row, date, activity, area, participants`` (``participants`` nullable Int64).
    """
    path = Path(path)
    df, header_rows = _read_table(path, ("dato", "date"), ACTIVITY_FIX)
    df = rename_columns(df, path, {
        "date": ("dato", "date"), "activity": ("aktivitet", "aktivitetstype", "type", "activity"),
        "area": AREA, "participants": ("deltagere", "antal deltagere", "participants"),
    }, optional=("participants",))
    lookup = {str(k).strip().lower(): v for k, v in activity_types.items()}
    raw = df["activity"].astype(object).where(~_blank(df["activity"]), "").astype(str).str.strip()
    activity = raw.str.lower().map(lookup)
    if activity.isna().any():
        i = int(activity.isna().to_numpy().nonzero()[0][0])
        known = sorted({k for k in activity_types if k not in set(activity_types.values())}) or sorted(lookup)
        problem = "is empty" if not raw.iloc[i] else f"holds {raw.iloc[i]!r}, which is not a declared activity type"
        raise InputError(path, f"column '{column_name(df, 'activity')}' {problem} (declared: {', '.join(known)})",
                         "Use one of the declared names, or declare the type under 'activity_goals' in the pipeline "
                         "YAML.", where=where_row(df, i, header_rows))
    out = pd.DataFrame({
        "date": _dates(df, "date", path, header_rows),
        "activity": activity.astype(str),
        "area": map_areas(df, "area", path, areas, header_rows),
    })
    _within(df, "date", out["date"], path, dates, header_rows)
    participants = pd.Series(pd.NA, index=df.index, dtype="Int64")
    if "participants" in df:
        filled = ~_blank(df["participants"])
        if filled.any():
            participants[filled] = to_number(df[filled], "participants", path, integer=True, minimum=0,
                                             header_rows=header_rows)
    out["participants"] = participants
    out.attrs = dict(df.attrs)
    out = keep_row_numbers(out, header_rows).reset_index(drop=True)
    out.insert(0, "row", kept_row_numbers(out))
    return out


@dataclass(frozen=True)
class Assessment:
    """The police's professional assessment of the gang environment, to be shown verbatim and attributed.

    ``supplied`` is False (and ``text`` None) when the file is absent: the report then says "not supplied".
    """

    supplied: bool
    text: str | None
    attribution: Mapping[str, str]
    file: str


def read_assessment(path: Path, *, attribution: Mapping[str, str]) -> Assessment:
    """Read the police's assessment (a Markdown file, kept verbatim); an absent file is "not supplied".

    Parameters
    ----------
    path : Path
        UTF-8 Markdown.
    attribution : Mapping[str, str]
        Who wrote it, per language (``{"da": "Københavns Politi", "en": "Copenhagen Police"}``).
    """
    path = Path(path)
    if not path.is_file():
        return Assessment(False, None, dict(attribution), path.name)
    text = _decode(path, path.read_bytes())
    if not text.strip():
        raise InputError(path, "the assessment is empty",
                         "Paste the police's assessment into the file, or delete the file so that the report says "
                         "it was not supplied.", where="whole file")
    return Assessment(True, text, dict(attribution), path.name)
