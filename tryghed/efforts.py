"""The register of crime-prevention efforts, their yearly score, the June report and resources per 1,000 residents.

Copenhagen's Sikker By programme scores every effort once a year from its own results and from the evidence behind
it, and each June sends the Finance Committee the scores and the efforts "godt på vej" (well on the way). The
programme never published its formula: :func:`score_efforts` is a **documented, configurable reconstruction** whose
weights and thresholds are the pipeline YAML's ``efforts:`` block (:class:`EffortModel`), and the report says so.

The register (an xlsx workbook with one sheet per table, or a folder with one CSV per table; ``write_template``
writes an empty one) holds five tables and two optional ones. Headers may be Danish or English (case, spaces and
æ/ø/å are ignored):

==============  =====================================================================================================
``indsatser``   one row per effort: ``id``, ``navn``, ``forvaltning`` (BUF, SOF, BIF, KFF, TMF, SUF, ØKF, SSP,
 (efforts)      politi, or a unit the YAML declares), ``sikker_by_niveau`` (I-V), ``forebyggelsestrekant``
                (opbyggende / forebyggende / kriminalitetsforebyggende, the Crime Prevention Council's three levels),
                ``principper`` (strategy principles, e.g. ``1, 4``), ``målgruppe``, ``alder_fra``, ``alder_til``,
                ``område``, ``start``, ``slut`` (empty: ongoing), ``ejer``, ``forandringsteori`` (one sentence),
                ``dokumentation`` (dokumenteret / under udarbejdelse / mangler) and ``forventet_dato`` (required
                unless documented)
``ressourcer``  ``indsats_id``, ``år``, ``årsværk`` (FTE), ``budget_kr`` (DKK): a plain number
``kriterier``   ``indsats_id``, ``kriterie_id``, ``succeskriterium`` (the text)
``resultater``  ``indsats_id``, ``kriterie_id``, ``år``, ``opfyldt`` (ja / delvist / nej), ``belæg`` (a figure or a
                document reference)
``evidens``     ``indsats_id``, ``år``, ``sms`` (the own evaluation on the Maryland Scientific Methods Scale, 1-5,
                empty when there is none), ``ekstern_evidens`` (virksom / lovende / ingen effekt / utilstrækkelig)
                and ``kilde`` (its source)
``aktiviteter`` optional, one row per activity held: ``indsats_id``, ``aktivitetstype`` (an activity type the YAML
 (activities)   declares in ``efforts.activity_types``, by id or name), ``dato`` (within the effort's period and
                ``efforts.register_years``), ``område``, ``deltagere``
``aktivitetsmål`` optional, an effort's goal per activity type: ``indsats_id``, ``aktivitetstype``, ``pr`` (år /
 (activity      halvår), ``mindst`` and ``højst`` (the planned range; ``mindst`` alone: at least; both empty: as
 goals)         needed, counted without a target). Planned against held as the Nørrebro partnership's activity goals
                (:func:`activity_status`, :func:`tryghed.activities.planned_vs_held`)
==============  =====================================================================================================

Every table read gets a ``municipality`` column. Bad input raises :class:`~tryghed.errors.InputError` naming the
file, the sheet, the row and the column, and the fix.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

from .efforts_spec import EXTERNAL, EffortModel, Unit  # noqa: F401 - the YAML block's model, here for callers
from .errors import ConfigError, InputError

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------------- code lists
#: Copenhagen's seven administrations, SSP and the police. A municipality adds its own units in the YAML.
ADMINISTRATIONS = ("BUF", "SOF", "BIF", "KFF", "TMF", "SUF", "ØKF", "SSP", "police")
ADMINISTRATION_ALIASES = {"politi": "police", "politiet": "police", "oekf": "ØKF", "okf": "ØKF"}
#: Sikker By's prevention levels.
LEVELS = ("I", "II", "III", "IV", "V")
#: The Danish Crime Prevention Council's (DKR) three purposes of prevention ("forebyggelsesmodellen", dkr.dk):
#: opbygning (building), forebyggelse (prevention), kriminalitetsforebyggelse (crime prevention).
TRIANGLE = ("building", "preventive", "crime_preventive")
TRIANGLE_ALIASES = {
    "opbyggende": "building", "opbygning": "building", "building": "building",
    "forebyggende": "preventive", "forebyggelse": "preventive", "preventive": "preventive",
    "kriminalitetsforebyggende": "crime_preventive", "kriminalitetsforebyggelse": "crime_preventive",
    "crime_preventive": "crime_preventive", "crime-preventive": "crime_preventive",
}
MET = {"ja": "yes", "yes": "yes", "1": "yes", "true": "yes", "x": "yes",
       "delvist": "partly", "delvis": "partly", "partly": "partly", "partially": "partly",
       "nej": "no", "no": "no", "0": "no", "false": "no"}
EXTERNAL_ALIASES = {
    "virksom": "effective", "effektiv": "effective", "effective": "effective",
    "lovende": "promising", "promising": "promising",
    "ingen effekt": "no_effect", "ingen_effekt": "no_effect", "no effect": "no_effect", "no_effect": "no_effect",
    "utilstrækkelig": "insufficient", "utilstraekkelig": "insufficient", "insufficient": "insufficient",
}
#: Words that describe an effort's target group (general, specific, indicated prevention), not its purpose.
TARGET_GROUP_WORDS = ("almen", "almenpraeventiv", "almenpraeventive", "generel", "primaer", "foregribende",
                      "specifik", "sekundaer", "indgribende", "indikeret", "tertiaer")
DOC_STATUS = ("documented", "in_progress", "missing")
DOC_ALIASES = {"dokumenteret": "documented", "documented": "documented",
               "under udarbejdelse": "in_progress", "i gang": "in_progress", "in progress": "in_progress",
               "in_progress": "in_progress", "mangler": "missing", "missing": "missing"}

LABELS = {
    "da": {
        "triangle": {"building": "Opbyggende", "preventive": "Forebyggende",
                     "crime_preventive": "Kriminalitetsforebyggende"},
        "external": {"effective": "virksom", "promising": "lovende", "no_effect": "ingen effekt",
                     "insufficient": "utilstrækkelig", None: "ikke angivet"},
        "met": {"yes": "opfyldt", "partly": "delvist opfyldt", "no": "ikke opfyldt", None: "ikke afrapporteret"},
        "doc": {"documented": "dokumenteret", "in_progress": "under udarbejdelse", "missing": "mangler"},
        "admin": {"police": "Politi"},
    },
    "en": {
        "triangle": {"building": "Building", "preventive": "Preventive", "crime_preventive": "Crime-preventive"},
        "external": {"effective": "effective", "promising": "promising", "no_effect": "no effect",
                     "insufficient": "insufficient", None: "not given"},
        "met": {"yes": "met", "partly": "partly met", "no": "not met", None: "not reported"},
        "doc": {"documented": "documented", "in_progress": "in progress", "missing": "missing"},
        "admin": {"police": "Police"},
    },
}

# ------------------------------------------------------------------------------------------------------ the tables
#: table key -> (Danish sheet name, English sheet name, [(column key, Danish header, English header, required)])
TABLES: dict[str, tuple[str, str, list[tuple[str, str, str, bool]]]] = {
    "efforts": ("indsatser", "efforts", [
        ("effort_id", "id", "id", True),
        ("name", "navn", "name", True),
        ("administration", "forvaltning", "administration", True),
        ("level", "sikker_by_niveau", "sikker_by_level", True),
        ("triangle", "forebyggelsestrekant", "prevention_triangle", True),
        ("principles", "principper", "principles", True),
        ("target_group", "målgruppe", "target_group", False),
        ("age_from", "alder_fra", "age_from", False),
        ("age_to", "alder_til", "age_to", False),
        ("area", "område", "area", False),
        ("start", "start", "start", True),
        ("end", "slut", "end", False),
        ("owner", "ejer", "owner", False),
        ("theory_of_change", "forandringsteori", "theory_of_change", False),
        ("doc_status", "dokumentation", "documentation", True),
        ("doc_expected", "forventet_dato", "expected_date", False),
    ]),
    "resources": ("ressourcer", "resources", [
        ("effort_id", "indsats_id", "effort_id", True),
        ("year", "år", "year", True),
        ("fte", "årsværk", "fte", True),
        ("budget_dkk", "budget_kr", "budget_dkk", True),
    ]),
    "criteria": ("kriterier", "criteria", [
        ("effort_id", "indsats_id", "effort_id", True),
        ("criterion_id", "kriterie_id", "criterion_id", True),
        ("criterion", "succeskriterium", "criterion", True),
    ]),
    "results": ("resultater", "results", [
        ("effort_id", "indsats_id", "effort_id", True),
        ("criterion_id", "kriterie_id", "criterion_id", True),
        ("year", "år", "year", True),
        ("met", "opfyldt", "met", True),
        ("evidence", "belæg", "evidence", False),
    ]),
    "evidence": ("evidens", "evidence", [
        ("effort_id", "indsats_id", "effort_id", True),
        ("year", "år", "year", True),
        ("sms", "sms", "sms", False),
        ("external", "ekstern_evidens", "external_evidence", False),
        ("source", "kilde", "source", False),
    ]),
    "activities": ("aktiviteter", "activities", [
        ("effort_id", "indsats_id", "effort_id", True),
        ("activity", "aktivitetstype", "activity_type", True),
        ("date", "dato", "date", True),
        ("area", "område", "area", False),
        ("participants", "deltagere", "participants", False),
    ]),
    "activity_goals": ("aktivitetsmål", "activity_goals", [
        ("effort_id", "indsats_id", "effort_id", True),
        ("activity", "aktivitetstype", "activity_type", True),
        ("per", "pr", "per", False),
        ("min", "mindst", "at_least", False),
        ("max", "højst", "at_most", False),
    ]),
}
#: The columns of each validated table (besides ``municipality``).
TABLE_COLUMNS = {key: [c[0] for c in cols] for key, (_, _, cols) in TABLES.items()}
#: Tables a register may leave out (registers written before activity goals existed have no such sheets).
OPTIONAL_TABLES = ("activities", "activity_goals")
PER_ALIASES = {"aar": "year", "year": "year", "aarlig": "year", "om_aaret": "year",
               "halvaar": "half_year", "half_year": "half_year", "halvaarlig": "half_year", "half-year": "half_year"}


def _norm(text: Any) -> str:
    """A header or code as compared: case-folded, æ/ø/å spelt out, spaces and hyphens as underscores."""
    s = " ".join(str(text).split()).casefold()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        s = s.replace(a, b)
    return re.sub(r"[\s\-]+", "_", s)


# ---------------------------------------------------------------------------------------------------- the YAML block
def effort_model(block: Any, path: str | Path = "the pipeline YAML") -> EffortModel:
    """Validate a YAML ``efforts:`` block into an :class:`EffortModel`.

    Raises
    ------
    ConfigError
        Naming the file, the key under ``efforts`` and the fix, e.g. weights that do not sum to ``weights_total``.
    """
    if not isinstance(block, dict):
        raise ConfigError(f"{path}: 'efforts' must be a mapping with at least 'registers' "
                          "(see pipelines/sikker-by-indsatser.yml).")
    try:
        return EffortModel.model_validate(block)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in ("efforts", *err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{path}: '{key}': {msg}. Fix the key (see pipelines/sikker-by-indsatser.yml).") from None


def pipeline_model(cfg) -> EffortModel:
    """The :class:`EffortModel` of a loaded pipeline: ``cfg.efforts`` when config carries it, otherwise the
    ``efforts:`` block of the YAML at ``cfg.path``."""
    block = getattr(cfg, "efforts", None)
    if isinstance(block, EffortModel):
        return block
    if hasattr(block, "model_dump"):
        block = block.model_dump()
    if block is None:
        raw = yaml.safe_load(Path(cfg.path).read_text(encoding="utf-8")) or {}
        if "efforts" not in raw:
            raise ConfigError(f"{cfg.path}: key 'efforts' is missing. Add the block (see "
                              "pipelines/sikker-by-indsatser.yml).")
        block = raw["efforts"]
    return effort_model(block, cfg.path)


# ----------------------------------------------------------------------------------------------------- the register
@dataclass(frozen=True)
class Register:
    """Validated register tables of one or more municipalities; every table has a ``municipality`` column."""

    efforts: pd.DataFrame
    resources: pd.DataFrame
    criteria: pd.DataFrame
    results: pd.DataFrame
    evidence: pd.DataFrame
    activities: pd.DataFrame = field(default_factory=lambda: _empty("activities"))
    activity_goals: pd.DataFrame = field(default_factory=lambda: _empty("activity_goals"))

    def tables(self) -> dict[str, pd.DataFrame]:
        return {k: getattr(self, k) for k in TABLES}


def _empty(key: str) -> pd.DataFrame:
    """An empty validated table (with ``municipality`` first) of the register's table ``key``."""
    return pd.DataFrame(columns=["municipality", *TABLE_COLUMNS[key]])


def _read_tables(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The raw tables (strings and numbers as typed) and the sheet or file name each came from."""
    if not path.exists():
        raise InputError(path, "the register does not exist",
                         "Put the register there, fix 'efforts.registers' in the pipeline YAML, or write an empty "
                         "one with 'tryghed new-register PATH'.")
    found: dict[str, pd.DataFrame] = {}
    names: dict[str, str] = {}
    if path.is_dir():
        files = {_norm(p.stem): p for p in sorted(path.glob("*.csv"))}
        for key, (da, en, _) in TABLES.items():
            p = files.get(_norm(da)) or files.get(_norm(en))
            if p is None:
                continue
            text = p.read_text(encoding="utf-8-sig")
            first = text.splitlines()[0] if text else ""
            sep = ";" if first.count(";") >= first.count(",") else ","
            found[key] = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False)
            names[key] = f"file '{p.name}'"
        where = "a CSV file"
    else:
        from .sources._common import read_excel  # openpyxl only when python-calamine cannot read the workbook

        try:
            sheets = read_excel(path, sheet_name=None, dtype=object)
        except (ValueError, OSError, KeyError) as exc:
            raise InputError(path, f"cannot read the workbook ({exc})",
                             "Save the register as .xlsx (one sheet per table) or as a folder of CSV files.") from None
        by_norm = {_norm(s): s for s in sheets}
        for key, (da, en, _) in TABLES.items():
            s = by_norm.get(_norm(da)) or by_norm.get(_norm(en))
            if s is not None:
                found[key] = sheets[s]
                names[key] = f"sheet '{s}'"
        where = "a sheet"
    for key, (da, en, _) in TABLES.items():
        if key not in found and key in OPTIONAL_TABLES:
            found[key] = pd.DataFrame(columns=[c[1] for c in TABLES[key][2]])
            names[key] = f"sheet '{da}'" if not path.is_dir() else f"file '{da}.csv'"
        elif key not in found:
            raise InputError(path, f"the register has no table '{da}' ({en})",
                             f"Add {where} named '{da}' with the template's columns "
                             "('tryghed new-register PATH' writes an empty register).")
    return found, names


def _cell_empty(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()) or (
        v is pd.NaT)


class _Table:
    """One raw table with the helpers that name its sheet, row and column in messages."""

    def __init__(self, path: Path, key: str, df: pd.DataFrame, sheet: str):
        self.path, self.key, self.sheet = path, key, sheet
        da, en, cols = TABLES[key]
        header = {_norm(c): c for c in df.columns}
        rename, self.header = {}, {}
        for col, h_da, h_en, required in cols:
            src = header.get(_norm(h_da)) or header.get(_norm(h_en))
            if src is None:
                if required:
                    raise InputError(path, f"the column '{h_da}' ({h_en}) is missing", "Add the column with that "
                                     "header (see 'tryghed new-register').", where=f"{sheet}, header row")
                df = df.assign(**{f"__{col}": None})
                src = f"__{col}"
            rename[src] = col
            self.header[col] = h_da if src.startswith("__") else str(src)
        df = df[list(rename)].rename(columns=rename)
        keep = ~df.apply(lambda r: all(_cell_empty(v) for v in r), axis=1)
        self.df = df[keep]
        self.rows = [int(i) + 2 for i in self.df.index]

    def where(self, i: int, col: str) -> str:
        return f"{self.sheet}, row {self.rows[i]}, column '{self.header[col]}'"

    def fail(self, i: int, col: str, problem: str, fix: str):
        raise InputError(self.path, problem, fix, where=self.where(i, col))

    def text(self, i: int, col: str, required: bool = False) -> str | None:
        v = self.df.iloc[i][col]
        if _cell_empty(v):
            if required:
                self.fail(i, col, "the cell is empty", "Fill it in.")
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return " ".join(str(v).split())

    def integer(self, i: int, col: str, lo: int, hi: int, required: bool = True, what: str = "a whole number"
                ) -> int | None:
        v = self.df.iloc[i][col]
        if _cell_empty(v):
            if required:
                self.fail(i, col, f"the cell is empty; expected {what}", f"Write {what}, e.g. {lo}.")
            return None
        try:
            f = float(str(v).strip().replace(",", ".")) if not isinstance(v, int | float) else float(v)
        except ValueError:
            f = float("nan")
        if not (math.isfinite(f) and f.is_integer() and lo <= f <= hi):
            self.fail(i, col, f"{v!r} is not {what} ({lo}-{hi})", f"Write {what} between {lo} and {hi}.")
        return int(f)

    def number(self, i: int, col: str) -> float:
        v = self.df.iloc[i][col]
        if _cell_empty(v):
            self.fail(i, col, "the cell is empty; expected a number", "Write the number (0 if there is none).")
        if isinstance(v, bool) or not isinstance(v, int | float | str | np.integer | np.floating):
            self.fail(i, col, f"{v!r} is not a number", "Write a plain number, e.g. 1250000.")
        if isinstance(v, str):
            s = v.strip()
            if not re.fullmatch(r"[+-]?\d+([.,]\d+)?", s) or re.fullmatch(r"[+-]?\d{1,3}[.,]\d{3}", s):
                self.fail(i, col, f"{v!r} is not a number", "Write a plain number without thousands separators, "
                          "units or words, e.g. 1250000 or 2,5.")
            v = float(s.replace(",", "."))
        f = float(v)
        if not math.isfinite(f) or f < 0:
            self.fail(i, col, f"{v!r} is not a number of zero or more", "Write a plain number of zero or more.")
        return f

    def date(self, i: int, col: str, required: bool) -> pd.Timestamp | None:
        v = self.df.iloc[i][col]
        if _cell_empty(v):
            if required:
                self.fail(i, col, "the cell is empty; expected a date", "Write the date as YYYY-MM-DD.")
            return None
        if isinstance(v, dt.datetime | dt.date | pd.Timestamp):
            return pd.Timestamp(v).normalize()
        s = str(v).strip()
        if re.fullmatch(r"\d{4}(\.0)?", s) and 1900 <= float(s) <= 2100:
            return pd.Timestamp(int(float(s)), 1, 1)
        m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", s) or re.fullmatch(r"(\d{1,2})[.-](\d{1,2})[.-](\d{4})", s)
        try:
            if m and len(m.group(1)) == 4:
                return pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
            if m:
                return pd.Timestamp(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            pass
        self.fail(i, col, f"{v!r} is not a date", "Write the date as YYYY-MM-DD (or just the year).")
        return None

    def code(self, i: int, col: str, allowed: dict[str, str], what: str, required: bool = True,
             hints: dict[str, str] | None = None) -> str | None:
        t = self.text(i, col, required=required)
        if t is None:
            return None
        got = allowed.get(_norm(t)) or allowed.get(t.casefold())
        if got is None:
            shown = ", ".join(dict.fromkeys(allowed.values()))
            hint = (hints or {}).get(_norm(t), "")
            self.fail(i, col, f"{t!r} is not a known {what}{hint}", f"Use one of: {shown}.")
        return got


def _choices(values, aliases: dict[str, str] | None = None) -> dict[str, str]:
    out = {_norm(v): v for v in values}
    out.update({_norm(k): v for k, v in (aliases or {}).items()})
    return out


def read_register(path: str | Path, *, municipality: str = "", units: tuple[str, ...] = (),
                  principles: tuple[int, ...] = (1, 2, 3, 4, 5, 6), activity_types=(),
                  years: tuple[int, int] | None = None) -> Register:
    """Read and validate one municipality's register (xlsx with one sheet per table, or a folder of CSV files).

    Parameters
    ----------
    path : path
        The workbook or the folder.
    municipality : str
        Written into every table's ``municipality`` column.
    units : tuple of str
        The municipality's own units, allowed as ``forvaltning`` besides :data:`ADMINISTRATIONS`.
    principles : tuple of int
        The strategy principles the YAML declares.
    activity_types : sequence of tryghed.activities.ActivityGoal
        The declared activity types (``EffortModel.activity_goal_types``); the ``aktiviteter`` and ``aktivitetsmål``
        sheets may name a type by its id or its Danish or English name.
    years : (int, int), optional
        The first and last year the register covers; an activity dated outside them is an error.

    Returns
    -------
    Register
        ``efforts`` (``effort_id, name, administration, level, triangle, principles`` (tuple of int), ``target_group,
        age_from, age_to, area, start, end, owner, theory_of_change, doc_status, doc_expected``), ``resources``
        (``effort_id, year, fte, budget_dkk``), ``criteria`` (``effort_id, criterion_id, criterion``), ``results``
        (``effort_id, criterion_id, year, met`` in yes/partly/no, ``evidence``) and ``evidence`` (``effort_id, year,
        sms, external, source``), ``activities`` (``effort_id, activity`` (the type's id), ``date, area,
        participants``) and ``activity_goals`` (``effort_id, activity, per`` (year / half_year), ``min, max``; no
        ``min``: as needed, counted without a target), each with ``municipality`` first.

    Raises
    ------
    InputError
        For the first problem found: the file, the sheet, the row and column, what was expected and the fix.
    """
    path = Path(path)
    raw, sheets = _read_tables(path)
    T = {k: _Table(path, k, raw[k], sheets[k]) for k in TABLES}
    admin_ok = _choices((*ADMINISTRATIONS, *units), ADMINISTRATION_ALIASES)
    level_ok = _choices(LEVELS, {str(i + 1): lv for i, lv in enumerate(LEVELS)})
    triangle_ok = _choices(TRIANGLE, TRIANGLE_ALIASES)
    doc_ok = _choices(DOC_STATUS, DOC_ALIASES)

    t = T["efforts"]
    rows, seen = [], {}
    for i in range(len(t.df)):
        eid = t.text(i, "effort_id", required=True)
        if eid in seen:
            t.fail(i, "effort_id", f"the effort id {eid!r} is used twice (also in row {seen[eid]})",
                   "Give every effort its own id.")
        seen[eid] = t.rows[i]
        ptext = t.text(i, "principles", required=True)
        parts = [p for p in re.split(r"[,;\s]+", ptext) if p]
        if not parts or not all(p.isdigit() and int(p) in principles for p in parts):
            t.fail(i, "principles", f"{ptext!r} is not a list of the strategy's principles",
                   f"Write one or more of {', '.join(map(str, principles))}, separated by commas.")
        a_from = t.integer(i, "age_from", 0, 125, required=False, what="an age in years")
        a_to = t.integer(i, "age_to", 0, 125, required=False, what="an age in years")
        if a_from is not None and a_to is not None and a_from > a_to:
            t.fail(i, "age_to", f"the ages run from {a_from} to {a_to}", "Write the youngest age in 'alder_fra' and "
                   "the oldest in 'alder_til'.")
        start, end = t.date(i, "start", True), t.date(i, "end", False)
        if end is not None and end < start:
            t.fail(i, "end", f"the effort ends ({end.date()}) before it starts ({start.date()})", "Correct the dates.")
        status = t.code(i, "doc_status", doc_ok, "documentation status")
        expected = t.date(i, "doc_expected", False)
        if status != "documented" and expected is None:
            t.fail(i, "doc_expected", "the effort is not yet documented but has no expected date",
                   "Write the date its documentation is expected (YYYY-MM-DD).")
        rows.append(dict(
            effort_id=eid, name=t.text(i, "name", required=True),
            administration=t.code(i, "administration", admin_ok, "administration (forvaltning)"),
            level=t.code(i, "level", level_ok, "Sikker By prevention level"),
            triangle=t.code(i, "triangle", triangle_ok, "level of the prevention triangle "
                            "(opbyggende / forebyggende / kriminalitetsforebyggende)", hints={
                                w: ": that word says whom the effort reaches (general, specific or indicated "
                                   "prevention), while the Crime Prevention Council's triangle says what it is for"
                                for w in TARGET_GROUP_WORDS}),
            principles=tuple(sorted({int(p) for p in parts})), target_group=t.text(i, "target_group"),
            age_from=a_from, age_to=a_to, area=t.text(i, "area"), start=start, end=end,
            owner=t.text(i, "owner"), theory_of_change=t.text(i, "theory_of_change"),
            doc_status=status, doc_expected=expected,
        ))
    efforts = pd.DataFrame(rows, columns=[c[0] for c in TABLES["efforts"][2]])
    ids = set(efforts["effort_id"])

    def effort_of(tab: _Table, i: int) -> str:
        eid = tab.text(i, "effort_id", required=True)
        if eid not in ids:
            tab.fail(i, "effort_id", f"the effort id {eid!r} is not in the {T['efforts'].sheet}",
                     "Correct the id, or add the effort.")
        return eid

    t = T["resources"]
    rows, seen = [], {}
    for i in range(len(t.df)):
        key = (effort_of(t, i), t.integer(i, "year", 1900, 2100, what="a year"))
        if key in seen:
            t.fail(i, "year", f"effort {key[0]} has two rows for {key[1]} (also row {seen[key]})",
                   "Keep one row per effort and year.")
        seen[key] = t.rows[i]
        rows.append(dict(effort_id=key[0], year=key[1], fte=t.number(i, "fte"), budget_dkk=t.number(i, "budget_dkk")))
    resources = pd.DataFrame(rows, columns=["effort_id", "year", "fte", "budget_dkk"])

    t = T["criteria"]
    rows, seen = [], {}
    for i in range(len(t.df)):
        key = (effort_of(t, i), t.text(i, "criterion_id", required=True))
        if key in seen:
            t.fail(i, "criterion_id", f"effort {key[0]} has criterion {key[1]!r} twice (also row {seen[key]})",
                   "Give each criterion of an effort its own id.")
        seen[key] = t.rows[i]
        rows.append(dict(effort_id=key[0], criterion_id=key[1], criterion=t.text(i, "criterion", required=True)))
    criteria = pd.DataFrame(rows, columns=["effort_id", "criterion_id", "criterion"])
    crit_keys = set(seen)

    t = T["results"]
    rows, seen = [], {}
    for i in range(len(t.df)):
        eid = effort_of(t, i)
        cid = t.text(i, "criterion_id", required=True)
        if (eid, cid) not in crit_keys:
            t.fail(i, "criterion_id", f"effort {eid} has no criterion {cid!r} in the {T['criteria'].sheet}",
                   "Correct the criterion id, or add the criterion.")
        if _cell_empty(t.df.iloc[i]["year"]):
            t.fail(i, "year", f"the result of criterion {cid!r} of effort {eid} has no year",
                   "Write the year the result belongs to.")
        year = t.integer(i, "year", 1900, 2100, what="a year")
        if (eid, cid, year) in seen:
            t.fail(i, "year", f"criterion {cid!r} of effort {eid} has two results for {year} (also row "
                   f"{seen[(eid, cid, year)]})", "Keep one row per criterion and year.")
        seen[(eid, cid, year)] = t.rows[i]
        rows.append(dict(effort_id=eid, criterion_id=cid, year=year,
                         met=t.code(i, "met", MET, "answer (ja / delvist / nej)"), evidence=t.text(i, "evidence")))
    results = pd.DataFrame(rows, columns=["effort_id", "criterion_id", "year", "met", "evidence"])

    t = T["evidence"]
    ext_ok = _choices(EXTERNAL, EXTERNAL_ALIASES)
    rows, seen = [], {}
    for i in range(len(t.df)):
        key = (effort_of(t, i), t.integer(i, "year", 1900, 2100, what="a year"))
        if key in seen:
            t.fail(i, "year", f"effort {key[0]} has two evidence rows for {key[1]} (also row {seen[key]})",
                   "Keep one row per effort and year.")
        seen[key] = t.rows[i]
        ext = t.code(i, "external", ext_ok, "external evidence grade", required=False)
        source = t.text(i, "source")
        if ext is not None and source is None:
            t.fail(i, "source", "the external evidence has no source", "Name the review or study it rests on.")
        rows.append(dict(effort_id=key[0], year=key[1],
                         sms=t.integer(i, "sms", 1, 5, required=False, what="a Maryland SMS grade"),
                         external=ext, source=source))
    evidence = pd.DataFrame(rows, columns=["effort_id", "year", "sms", "external", "source"])
    activities, activity_goals = _read_activities(T, efforts, effort_of, activity_types, years)

    out = {}
    for key, df in dict(efforts=efforts, resources=resources, criteria=criteria, results=results,
                        evidence=evidence, activities=activities, activity_goals=activity_goals).items():
        df = df.copy()
        df.insert(0, "municipality", municipality)
        if key == "activities":
            df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
        for col in ("year", "age_from", "age_to", "sms", "participants", "min", "max"):
            if col in df:
                df[col] = df[col].astype("Int64")
        out[key] = df.reset_index(drop=True)
    return Register(**out)


def _read_activities(T: dict[str, _Table], efforts: pd.DataFrame, effort_of, activity_types, years
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``aktiviteter`` and ``aktivitetsmål`` sheets, checked against the efforts, the declared activity types
    and the register's years."""
    from .activities import activity_lookup

    types = {_norm(k): v for k, v in activity_lookup(activity_types).items()}
    declared = ", ".join(g.id for g in activity_types) or "none"

    def activity_of(tab: _Table, i: int) -> str:
        t = tab.text(i, "activity", required=True)
        got = types.get(_norm(t))
        if got is None:
            tab.fail(i, "activity", f"{t!r} is not a declared activity type (declared: {declared})",
                     "Use a declared type's id or name, or declare the type under 'efforts.activity_types' in the "
                     "pipeline YAML ({id: ..., name: {da: ..., en: ...}}).")
        return got

    period = efforts.set_index("effort_id")[["start", "end"]]
    t = T["activities"]
    rows = []
    for i in range(len(t.df)):
        eid = effort_of(t, i)
        activity = activity_of(t, i)
        day = t.date(i, "date", True)
        if years is not None and not years[0] <= day.year <= years[1]:
            t.fail(i, "date", f"the date {day.date()} is outside the register's years {years[0]}–{years[1]}",
                   "Correct the date, or widen 'efforts.register_years' in the pipeline YAML.")
        start, end = period.loc[eid, "start"], period.loc[eid, "end"]
        if day < start or (end is not None and not pd.isna(end) and day > end):
            shown = f"{start.date()} – " + ("" if end is None or pd.isna(end) else str(end.date()))
            t.fail(i, "date", f"the date {day.date()} is outside effort {eid}'s period ({shown.strip()})",
                   "Correct the date, or the effort's start and end in the efforts sheet.")
        rows.append(dict(effort_id=eid, activity=activity, date=day, area=t.text(i, "area"),
                         participants=t.integer(i, "participants", 0, 1_000_000, required=False,
                                                what="a number of participants")))
    activities = pd.DataFrame(rows, columns=TABLE_COLUMNS["activities"])

    t = T["activity_goals"]
    per_ok = _choices(("year", "half_year"), PER_ALIASES)
    rows, seen = [], {}
    for i in range(len(t.df)):
        eid = effort_of(t, i)
        activity = activity_of(t, i)
        if (eid, activity) in seen:
            t.fail(i, "activity", f"effort {eid} has two goals for {activity!r} (also row {seen[(eid, activity)]})",
                   "Keep one goal per effort and activity type.")
        seen[(eid, activity)] = t.rows[i]
        per = t.code(i, "per", per_ok, "period of a goal (år / halvår)", required=False) or "year"
        lo = t.integer(i, "min", 0, 10_000, required=False, what="a number of activities")
        hi = t.integer(i, "max", 0, 10_000, required=False, what="a number of activities")
        if hi is not None and (lo is None or hi < lo):
            t.fail(i, "max", f"the goal's most ({hi}) needs a least no larger than it (got {lo})",
                   "Write the least number in 'mindst' (at most 'højst'), or leave 'højst' empty.")
        rows.append(dict(effort_id=eid, activity=activity, per=per, min=lo, max=hi))
    goals = pd.DataFrame(rows, columns=TABLE_COLUMNS["activity_goals"])
    return activities, goals


def read_registers(model: EffortModel, raw_dir: str | Path) -> Register:
    """Read every register the YAML declares (the home municipality first) into one :class:`Register`."""
    types = model.activity_goal_types
    parts = [read_register(Path(raw_dir) / u.file, municipality=u.municipality, units=u.units,
                           principles=tuple(sorted(model.principles)), activity_types=types,
                           years=model.register_years) for u in model.registers]
    return Register(**{k: pd.concat([getattr(p, k) for p in parts], ignore_index=True) for k in TABLES})


def save_register(register: Register, folder: str | Path) -> list[Path]:
    """Stage the register's tables as ``<folder>/efforts_<table>.parquet``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for key, df in register.tables().items():
        df = df.copy()
        if key == "efforts":
            df["principles"] = df["principles"].map(lambda p: ",".join(map(str, p)))
        p = folder / f"efforts_{key}.parquet"
        df.to_parquet(p, index=False)
        out.append(p)
    return out


def load_register(folder: str | Path) -> Register:
    """Read back the tables :func:`save_register` staged."""
    tables = {k: pd.read_parquet(Path(folder) / f"efforts_{k}.parquet") for k in TABLES
              if k not in OPTIONAL_TABLES or (Path(folder) / f"efforts_{k}.parquet").is_file()}
    tables["efforts"]["principles"] = tables["efforts"]["principles"].map(
        lambda s: tuple(int(x) for x in s.split(",") if x))
    return Register(**tables)


# ---------------------------------------------------------------------------------------------------------- the score
def active_years(efforts: pd.DataFrame, years) -> pd.DataFrame:
    """``municipality, effort_id, year`` for every year in ``years`` the effort runs (start year to end year)."""
    rows = []
    for e in efforts.itertuples(index=False):
        last = e.end.year if e.end is not None and not pd.isna(e.end) else 9999
        rows += [(e.municipality, e.effort_id, int(y)) for y in years if e.start.year <= y <= last]
    return pd.DataFrame(rows, columns=["municipality", "effort_id", "year"])


def score_efforts(register: Register, model: EffortModel) -> pd.DataFrame:
    """Score every effort with success criteria in every year it runs and its results are reported.

    The reconstruction (documented in the report; the programme never published its formula):

    * ``results_share`` R: the credit of the effort's success criteria in the year (met 1, partly met
      ``partial_credit``, not met or not reported 0) over the number of criteria;
    * ``own_points`` S: ``sms_points`` of the own evaluation's SMS grade (0 without one);
    * ``external_points`` E: ``external_points`` of the external evidence (0 when none is given);
    * ``score`` = 100 (w_results R + w_own S + w_external E) / weights_total;
    * ``well_on_the_way``: score >= threshold and R >= min_results;
    * ``change``: the score minus last year's (NaN when the effort was not scored last year).

    Evidence rows are carried forward: a year uses the latest evidence row of that year or before.

    Returns
    -------
    pandas.DataFrame
        ``municipality, effort_id, year, criteria, met, partly, not_met, not_reported, results_share, sms,
        own_points, external, external_points, score, well_on_the_way, change``, sorted by municipality, effort and
        year. Efforts without criteria have no rows (see :func:`without_model`).
    """
    cols = ["municipality", "effort_id", "year", "criteria", "met", "partly", "not_met", "not_reported",
            "results_share", "sms", "own_points", "external", "external_points", "score", "well_on_the_way", "change"]
    res, crit = register.results, register.criteria
    if res.empty or crit.empty:
        return pd.DataFrame(columns=cols)
    key = ["municipality", "effort_id"]
    years = sorted(int(y) for y in res["year"].unique())
    grid = active_years(register.efforts, years)
    grid = grid.merge(res[key + ["year"]].drop_duplicates(), on=key + ["year"])  # reported that year
    n = crit.groupby(key).size().rename("criteria").reset_index()
    grid = grid.merge(n, on=key)
    full = grid.merge(crit[key + ["criterion_id"]], on=key).merge(
        res[key + ["criterion_id", "year", "met"]], on=key + ["criterion_id", "year"], how="left")
    counts = (full.assign(met=full["met"].fillna("not_reported"))
              .pivot_table(index=key + ["year"], columns="met", aggfunc="size", fill_value=0)
              .reindex(columns=["yes", "partly", "no", "not_reported"], fill_value=0)
              .rename(columns={"yes": "met", "no": "not_met"}).reset_index())
    counts.columns.name = None
    out = grid.merge(counts, on=key + ["year"])
    out["results_share"] = (out["met"] + model.partial_credit * out["partly"]) / out["criteria"]

    ev = register.evidence.sort_values(key + ["year"])
    sms, ext = [], []
    for r in out.itertuples(index=False):
        e = ev[(ev["municipality"] == r.municipality) & (ev["effort_id"] == r.effort_id) & (ev["year"] <= r.year)]
        s = e["sms"].dropna()
        x = e["external"].dropna()
        sms.append(int(s.iloc[-1]) if len(s) else None)
        ext.append(x.iloc[-1] if len(x) else None)
    out["sms"] = pd.array(sms, dtype="Int64")
    out["external"] = pd.Series(ext, index=out.index, dtype=object)
    out["own_points"] = [model.sms_points[s] if s is not None else 0.0 for s in sms]
    out["external_points"] = [model.external_points[x] if x is not None else 0.0 for x in ext]
    w = model.weights
    out["score"] = 100 * (w["results"] * out["results_share"] + w["own_evaluation"] * out["own_points"]
                          + w["external_evidence"] * out["external_points"]) / model.weights_total
    out["well_on_the_way"] = (out["score"] >= model.threshold - 1e-9) & (out["results_share"] >= model.min_results)
    out = out.sort_values(key + ["year"], kind="mergesort").reset_index(drop=True)
    prev = out.assign(year=out["year"] + 1)[key + ["year", "score"]].rename(columns={"score": "_prev"})
    out = out.merge(prev, on=key + ["year"], how="left")
    out["change"] = out["score"] - out["_prev"]
    for c in ("criteria", "met", "partly", "not_met", "not_reported"):
        out[c] = out[c].astype("int64")
    return out[cols]


def well_on_the_way(scores: pd.DataFrame, register: Register, year: int, municipality: str) -> pd.DataFrame:
    """The efforts "godt på vej" in ``year``: ``effort_id, name, administration, score, change``, best first."""
    s = scores[(scores["year"] == year) & (scores["municipality"] == municipality) & scores["well_on_the_way"]]
    e = register.efforts[register.efforts["municipality"] == municipality][["effort_id", "name", "administration"]]
    out = s.merge(e, on="effort_id")[["effort_id", "name", "administration", "score", "change"]]
    return out.sort_values(["score", "effort_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def without_model(register: Register, municipality: str) -> pd.DataFrame:
    """Efforts without a theory of change or without success criteria: ``effort_id, name, administration,
    no_theory, no_criteria, doc_status, doc_expected``."""
    e = register.efforts[register.efforts["municipality"] == municipality]
    crit = register.criteria[register.criteria["municipality"] == municipality]
    out = e.assign(no_theory=e["theory_of_change"].isna(), no_criteria=~e["effort_id"].isin(crit["effort_id"]))
    out = out[out["no_theory"] | out["no_criteria"]]
    return out[["effort_id", "name", "administration", "no_theory", "no_criteria", "doc_status",
                "doc_expected"]].reset_index(drop=True)


def _admin_order(values) -> list[str]:
    std = [a for a in ADMINISTRATIONS if a in set(values)]
    return std + sorted(set(values) - set(std))


def heatmap_table(register: Register, year: int, municipality: str) -> pd.DataFrame:
    """Number of efforts running in ``year`` by Sikker By prevention level (rows I-V) and administration."""
    e = register.efforts[register.efforts["municipality"] == municipality]
    act = active_years(e, [year])
    e = e[e["effort_id"].isin(act["effort_id"])]
    t = pd.crosstab(e["level"], e["administration"])
    return t.reindex(index=list(LEVELS), columns=_admin_order(e["administration"]), fill_value=0).astype("int64")


def heatmap_figure(table: pd.DataFrame, *, title: str, xlabel: str, ylabel: str):
    """The level x administration counts as an annotated heatmap; returns the Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .figures import house_style

    house_style()
    fig, ax = plt.subplots(figsize=(1.1 * max(len(table.columns), 4) + 2, 4.2))
    sns.heatmap(table, annot=True, fmt="d", cmap="Blues", cbar=False, linewidths=0.5, linecolor="white", ax=ax)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="y", rotation=0)
    return fig


def level_heatmap(register: Register, year: int, municipality: str, lang: str, *, demo: bool = False):
    """The heatmap of :func:`heatmap_table` with the report's labels in ``lang``, its source line and, on ``demo``
    data, the DEMO watermark (like every figure); returns the Figure."""
    from .figures import finish

    T = REPORT_TEXT[lang]
    table = heatmap_table(register, year, municipality).rename(columns=lambda a: _admin_label(a, lang))
    fig = heatmap_figure(table, title=f"{T['heatmap']}, {municipality} {year}", xlabel=T["administration"],
                         ylabel=T["level"])
    source = (f"Kilde: {municipality}s indsatsregister" if lang == "da"
              else f"Source: {municipality}'s effort register")
    return finish(fig, source=source, demo=demo, lang=lang)


def overview(register: Register, year: int) -> pd.DataFrame:
    """One row per municipality: efforts running in ``year``, with success criteria, with a theory of change,
    documented, and the year's staff (FTE) and budget (DKK)."""
    rows = []
    for m, e in register.efforts.groupby("municipality", sort=False):
        e = e[e["effort_id"].isin(active_years(e, [year])["effort_id"])]
        crit = register.criteria[register.criteria["municipality"] == m]
        res = register.resources[(register.resources["municipality"] == m) & (register.resources["year"] == year)]
        rows.append(dict(municipality=m, efforts=len(e),
                         with_criteria=int(e["effort_id"].isin(crit["effort_id"]).sum()),
                         with_theory=int(e["theory_of_change"].notna().sum()),
                         documented=int((e["doc_status"] == "documented").sum()),
                         fte=float(res["fte"].sum()), budget_dkk=float(res["budget_dkk"].sum())))
    return pd.DataFrame(rows)


def principles_table(register: Register, year: int, municipality: str, model: EffortModel, lang: str
                     ) -> pd.DataFrame:
    """Principle -> the ids of the efforts running in ``year`` that follow it, one column per administration."""
    e = register.efforts[register.efforts["municipality"] == municipality]
    e = e[e["effort_id"].isin(active_years(e, [year])["effort_id"])]
    admins = _admin_order(e["administration"])
    rows = []
    for p in sorted(model.principles):
        tagged = e[e["principles"].map(lambda ps, p=p: p in ps)]
        row = {"principle": f"{p}. {model.principles[p][lang]}"}
        for a in admins:
            row[_admin_label(a, lang)] = ", ".join(tagged.loc[tagged["administration"] == a, "effort_id"]) or ""
        row["n"] = len(tagged)
        rows.append(row)
    return pd.DataFrame(rows)


def _admin_label(a: str, lang: str) -> str:
    return LABELS[lang]["admin"].get(a, a)


def effort_review(register: Register, scores: pd.DataFrame, model: EffortModel, year: int, municipality: str,
                  effort_id: str, lang: str) -> dict:
    """Strengths and improvement potential of one effort in ``year`` for the dialogue with the effort.

    Returns a dict with ``strengths`` and ``improvements`` (lists of sentences), ``criteria`` (one dict per criterion:
    ``criterion_id, criterion, met, evidence``) and ``score`` (the effort's score row as a dict, or None).
    """
    da = lang == "da"
    L = LABELS[lang]
    e = register.efforts[(register.efforts["municipality"] == municipality)
                         & (register.efforts["effort_id"] == effort_id)].iloc[0]
    crit = register.criteria[(register.criteria["municipality"] == municipality)
                             & (register.criteria["effort_id"] == effort_id)]
    res = register.results[(register.results["municipality"] == municipality)
                           & (register.results["effort_id"] == effort_id) & (register.results["year"] == year)]
    s = scores[(scores["municipality"] == municipality) & (scores["effort_id"] == effort_id)
               & (scores["year"] == year)]
    row = s.iloc[0].to_dict() if len(s) else None
    criteria, strengths, improvements = [], [], []
    for c in crit.itertuples(index=False):
        r = res[res["criterion_id"] == c.criterion_id]
        met = r["met"].iloc[0] if len(r) else None
        ev = r["evidence"].iloc[0] if len(r) else None
        criteria.append(dict(criterion_id=c.criterion_id, criterion=c.criterion, met=L["met"][met], evidence=ev))
        if met == "yes":
            strengths.append(("Opfyldt: " if da else "Met: ") + c.criterion)
        elif met == "partly":
            improvements.append(("Kun delvist opfyldt: " if da else "Only partly met: ") + c.criterion)
        elif met == "no":
            improvements.append(("Ikke opfyldt: " if da else "Not met: ") + c.criterion)
        else:
            improvements.append(("Ikke afrapporteret for " if da else "Not reported for ") + f"{year}: "
                                + c.criterion)
        if met is not None and ev is None:
            improvements.append(f"Intet belæg angivet for {c.criterion_id}" if da
                                 else f"No evidence given for {c.criterion_id}")
    if e["theory_of_change"] is None or pd.isna(e["theory_of_change"]):
        improvements.append("Forandringsteorien mangler" if da else "The theory of change is missing")
    if crit.empty:
        improvements.append("Succeskriterier mangler: indsatsen indgår ikke i modellen" if da
                            else "Success criteria are missing: the effort is not in the model")
    if row is not None:
        sms, ext = row["sms"], row["external"]
        if sms is None or pd.isna(sms):
            improvements.append("Ingen egen evaluering (SMS)" if da else "No own evaluation (SMS)")
        elif int(sms) >= 3:
            strengths.append(f"Egen evaluering på SMS-niveau {int(sms)}" if da
                              else f"Own evaluation at SMS level {int(sms)}")
        else:
            improvements.append(f"Egen evaluering kun på SMS-niveau {int(sms)}; niveau 3 kræver en "
                                 "sammenligningsgruppe" if da else f"Own evaluation only at SMS level {int(sms)}; "
                                 "level 3 needs a comparison group")
        change = row["change"]
        if change is not None and not pd.isna(change) and change != 0:
            up = change > 0
            text = (f"Scoren {'steg' if up else 'faldt'} {abs(change):.1f} point siden {year - 1}".replace(".", ",")
                    if da else f"The score {'rose' if up else 'fell'} {abs(change):.1f} points since {year - 1}")
            (strengths if up else improvements).append(text)
        if ext in ("effective", "promising"):
            strengths.append(("Ekstern evidens: " if da else "External evidence: ") + L["external"][ext])
        else:
            improvements.append(("Ekstern evidens: " if da else "External evidence: ") + L["external"][ext])
    names = {g.id: g.name.get(lang) or g.name["da"] for g in model.activity_goal_types}
    acts = activity_status(register, model, year, municipality, effort_ids=[effort_id])
    for a in acts[(acts["kind"] == "year") & (acts["status"].isin(["met", "not_met"]))].itertuples(index=False):
        what = f"{names.get(a.activity, a.activity)} ({a.held} " + ("afholdt" if da else "held") + ")"
        if a.status == "met":
            strengths.append(("Aktivitetsmål nået: " if da else "Activity goal met: ") + what)
        else:
            improvements.append(("Aktivitetsmål ikke nået: " if da else "Activity goal not met: ") + what)
    return dict(strengths=strengths, improvements=improvements, criteria=criteria, score=row)


# ------------------------------------------------------------------------------------------------ activity goals
def _effort_goals(register: Register, model: EffortModel, municipality: str, effort_id: str, year: int):
    """The effort's activity goals (register order) plus, without a target, the types it held in ``year`` that its
    register gives no goal; and the set of types that have a goal row."""
    from .activities import ActivityGoal

    names = {g.id: g.name for g in model.activity_goal_types}
    rows = register.activity_goals[(register.activity_goals["municipality"] == municipality)
                                   & (register.activity_goals["effort_id"] == effort_id)]
    goals = [ActivityGoal(r.activity, names.get(r.activity, {"da": r.activity}), r.per,
                          None if pd.isna(r.min) else int(r.min), None if pd.isna(r.max) else int(r.max))
             for r in rows.itertuples(index=False)]
    acts = register.activities[(register.activities["municipality"] == municipality)
                               & (register.activities["effort_id"] == effort_id)]
    held = acts[pd.to_datetime(acts["date"]).dt.year == year]["activity"]
    planned = {g.id for g in goals}
    goals += [ActivityGoal(a, names.get(a, {"da": a}), "year") for a in dict.fromkeys(held) if a not in planned]
    return goals, planned, acts


def activity_status(register: Register, model: EffortModel, year: int, municipality: str,
                    effort_ids: list[str] | None = None) -> pd.DataFrame:
    """Activity goals planned against held per effort, in ``year`` and its two half-years.

    Reuses the Nørrebro partnership's :func:`tryghed.activities.planned_vs_held` on each effort's activities: a
    goal is met when at least ``min`` were held; a half-yearly goal is judged on each half-year and on the year as
    its two halves (planned twice ``min``); a goal without ``min`` ("as needed") and an activity type the effort
    held without a goal in its register are counted with status ``no_target``. Efforts not running in ``year`` are
    left out; ``effort_ids`` keeps only those efforts.

    Returns
    -------
    pandas.DataFrame
        ``effort_id, activity, has_goal, per, period, kind, held, planned_min, planned_max, status`` (``kind`` year
        or half_year; ``status`` met, not_met, ongoing or no_target), efforts in id order, goals in register order.
    """
    from .activities import planned_vs_held

    cols = ["effort_id", "activity", "has_goal", "per", "period", "kind", "held", "planned_min", "planned_max",
            "status"]
    e = register.efforts[register.efforts["municipality"] == municipality]
    running = set(active_years(e, [year])["effort_id"])
    if effort_ids is not None:
        running &= set(effort_ids)
    parts = []
    for eid in sorted(running):
        goals, planned, acts = _effort_goals(register, model, municipality, eid, year)
        if not goals:
            continue
        t = planned_vs_held(acts[["date", "activity"]], goals=goals, years=[year])
        t.insert(0, "effort_id", eid)
        t.insert(2, "has_goal", t["activity"].isin(planned))
        parts.append(t)
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["held"] = out["held"].astype("int64")
    return out[cols]


def activity_summary(status: pd.DataFrame) -> pd.DataFrame:
    """Per effort, the activity goals with a target met in the year: ``effort_id, goals, met, not_met, ongoing``."""
    y = status[(status["kind"] == "year") & (status["status"] != "no_target")]
    rows = [dict(effort_id=eid, goals=len(g), met=int((g["status"] == "met").sum()),
                 not_met=int((g["status"] == "not_met").sum()), ongoing=int((g["status"] == "ongoing").sum()))
            for eid, g in y.groupby("effort_id", sort=True)]
    return pd.DataFrame(rows, columns=["effort_id", "goals", "met", "not_met", "ongoing"])


def activity_rows(status: pd.DataFrame, model: EffortModel, lang: str, *, half_years: bool = True) -> list[dict]:
    """Rows of the planned-against-held table in ``lang``, with the Nørrebro status report's words (planned "2–3",
    "mindst 1", "efter behov"; status "opfyldt", "ikke opfyldt", "i gang", "intet mål (tælles)").

    A yearly goal's half-year rows show the count with "–" as plan and status, as in the status report.
    """
    from .partnership import WORDS

    w = WORDS[lang]
    names = {g.id: g.name.get(lang) or g.name["da"] for g in model.activity_goal_types}
    out = []
    for r in status.itertuples(index=False):
        if r.kind == "half_year" and not half_years:
            continue
        yearly_half = r.per == "year" and r.kind == "half_year"
        if yearly_half or not r.has_goal:
            planned = "–"
        elif pd.isna(r.planned_min):
            planned = w["as_needed"]
        elif pd.isna(r.planned_max):
            planned = w["at_least"].format(lo=int(r.planned_min))
        elif r.planned_max == r.planned_min:
            planned = str(int(r.planned_min))
        else:
            planned = w["planned_range"].format(lo=int(r.planned_min), hi=int(r.planned_max))
        period = str(r.period)
        if period.endswith(("H1", "H2")):
            period = f"{period[:4]}, {period[-1]}. halvår" if lang == "da" else f"{period[:4]} H{period[-1]}"
        out.append(dict(effort_id=r.effort_id, activity=names.get(r.activity, r.activity),
                        per=w["year"] if r.per == "year" else w["half_year"], period=period, held=int(r.held),
                        planned=planned, status="–" if yearly_half else w[r.status], code=r.status,
                        half=r.kind == "half_year"))
    return out


# ------------------------------------------------------------------------------------------------------ resources
def target_population(folk1a: pd.DataFrame, *, codes: list[str], ages: tuple[int, int], years: list[int]
                      ) -> pd.DataFrame:
    """Residents of the target ages on 1 January, from a tidy FOLK1A table by single year of age.

    Parameters
    ----------
    folk1a : pandas.DataFrame
        :func:`tryghed.sources.statbank.read_statbank` output of a FOLK1A extract with ``ALDER`` in single years
        (both sexes and all marital statuses, or those variables eliminated). Quarterly rows use the first quarter;
        yearly rows are used as they are.
    codes : list of str
        3-digit municipality codes.
    ages : (int, int)
        The first and last age, both included.
    years : list of int

    Returns
    -------
    pandas.DataFrame
        ``area_code, year, population``.

    Raises
    ------
    ValueError
        When an age, a municipality or a year is missing from the extract (the message names what to fetch).
    """
    lo, hi = ages
    want = [str(a) for a in range(lo, hi + 1)]
    d = folk1a[(folk1a["sex"] == "TOT") & (folk1a["marital_status"] == "TOT") & folk1a["quarter"].isin([0, 1])
               & folk1a["age"].isin(want) & folk1a["area_code"].isin(codes) & folk1a["year"].isin(years)]
    rows = []
    for code in codes:
        for y in years:
            cell = d[(d["area_code"] == code) & (d["year"] == y)]
            have = set(cell["age"])
            if have != set(want) or cell["missing"].any():
                gone = [a for a in want if a not in have][:5]
                raise ValueError(f"FOLK1A lacks ages {lo}-{hi} for area {code} in {y}Q1 (missing e.g. "
                                 f"{', '.join(gone) or 'suppressed cells'}); fetch it with 'tryghed fetch dst FOLK1A "
                                 f"OMRÅDE={code} KØN=TOT ALDER={','.join(want)} CIVILSTAND=TOT Tid={y}K1'")
            rows.append((code, y, float(cell["value"].sum())))
    return pd.DataFrame(rows, columns=["area_code", "year", "population"])


def resources_per_1000(register: Register, population: pd.DataFrame, model: EffortModel, year: int) -> pd.DataFrame:
    """Staff (FTE) and money (DKK) per 1,000 residents of the target ages, by prevention-triangle level.

    Sums the ``ressourcer`` rows of ``year`` of every effort of each municipality by its triangle level (and in
    total) and divides by the municipality's population of ``model.target_ages`` on 1 January of ``year``.

    Returns
    -------
    pandas.DataFrame
        ``municipality, code, triangle`` (the three levels and ``total``), ``fte, budget_dkk, population,
        fte_per_1000, dkk_per_1000``, in the YAML's order of municipalities.
    """
    rows = []
    res = register.resources[register.resources["year"] == year].merge(
        register.efforts[["municipality", "effort_id", "triangle"]], on=["municipality", "effort_id"])
    for u in model.registers:
        pop = population[(population["area_code"] == u.code) & (population["year"] == year)]["population"]
        if len(pop) != 1:
            raise ValueError(f"no target-age population for {u.municipality} ({u.code}) in {year}")
        p = float(pop.iloc[0])
        r = res[res["municipality"] == u.municipality]
        for tri in (*TRIANGLE, "total"):
            part = r if tri == "total" else r[r["triangle"] == tri]
            fte, dkk = float(part["fte"].sum()), float(part["budget_dkk"].sum())
            rows.append(dict(municipality=u.municipality, code=u.code, triangle=tri, fte=fte, budget_dkk=dkk,
                             population=p, fte_per_1000=1000 * fte / p, dkk_per_1000=1000 * dkk / p))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------- the June report
REPORT_TEXT = {
    "da": {
        "title": "Sikker By-indsatser: effekt og evidens {year}",
        "intro": "Årets vurdering af indsatserne til Økonomiudvalget: en score pr. indsats ud fra dens egne "
                 "resultater (opfyldte succeskriterier) og evidensen bag den.",
        "reconstruction": "Scoren er en dokumenteret rekonstruktion: Sikker By har ikke offentliggjort sin formel. "
                          "Vægte og tærskler står i pipelinens YAML-fil og kan ændres.",
        "formula": "Score = 100 × ({wr} × andel opfyldte succeskriterier + {ws} × point for egen evaluering "
                   "(Maryland Scientific Methods Scale 1–5) + {we} × point for ekstern evidens) / {wt}. Delvist "
                   "opfyldt tæller {pc}; et kriterium uden resultat tæller 0. Godt på vej: score ≥ {th} og mindst "
                   "{mr} % af kriterierne opfyldt.",
        "good": "Godt på vej", "none_good": "Ingen indsatser er godt på vej i år.",
        "all": "Alle indsatser med succeskriterier", "heatmap": "Indsatser efter forebyggelsesniveau og forvaltning",
        "principles": "Strategiens principper", "missing": "Indsatser uden forandringsteori eller succeskriterier",
        "none_missing": "Alle indsatser har forandringsteori og succeskriterier.",
        "resources": "Ressourcer pr. 1.000 indbyggere på {lo}–{hi} år efter forebyggelsestrekanten",
        "resources_note": "Årsværk og budget i {year} delt med antallet af {lo}–{hi}-årige 1. januar (Danmarks "
                          "Statistik, FOLK1A) × 1.000. Forebyggelsestrekanten følger Det Kriminalpræventive Råds "
                          "tre niveauer: opbyggende, forebyggende og kriminalitetsforebyggende.",
        "effort": "Indsats", "administration": "Forvaltning", "score": "Score", "change": "Ændring siden sidste år",
        "results_share": "Opfyldte kriterier", "sms": "Egen evaluering (SMS)", "external": "Ekstern evidens",
        "level": "Sikker By-niveau", "no_theory": "Mangler forandringsteori", "no_criteria": "Mangler "
        "succeskriterier", "doc_status": "Dokumentation", "doc_expected": "Forventet", "yes": "ja", "no": "nej",
        "strengths": "Styrker", "improvements": "Forbedringspotentiale", "criteria": "Succeskriterier",
        "criterion": "Succeskriterium", "met": "Opfyldt?", "evidence": "Belæg", "theory": "Forandringsteori",
        "triangle": "Forebyggelsestrekanten", "target_group": "Målgruppe", "ages": "Alder", "area": "Område",
        "period": "Periode", "owner": "Ejer", "back": "Tilbage til oversigten", "principle": "Princip",
        "municipality": "Kommune", "fte": "Årsværk", "budget": "Budget (kr.)", "population": "Indbyggere",
        "fte_per_1000": "Årsværk pr. 1.000", "dkk_per_1000": "Kr. pr. 1.000", "total": "I alt",
        "files": "Tabeller", "not_scored": "Ingen score i år (ingen succeskriterier eller intet afrapporteret).",
        "well": "Godt på vej", "n": "Antal", "ongoing": "løbende",
        "activities": "Aktivitetsmål {year}: planlagt og afholdt", "activity": "Aktivitet", "per": "Mål pr.",
        "span": "Periode", "held": "Afholdt", "planned": "Planlagt", "status": "Status",
        "activities_note": "Aktiviteter planlagt mod afholdt som i statusrapporten for Nørrebro: et mål er opfyldt, "
                           "når mindst det planlagte antal er afholdt; et halvårligt mål skal nås i hvert halvår; "
                           "aktiviteter efter behov og aktiviteter uden et mål i registret tælles uden mål.",
        "no_activities": "Registret har ingen aktivitetsmål eller aktiviteter for året.",
    },
    "en": {
        "title": "Sikker By efforts: effect and evidence {year}",
        "intro": "This year's assessment of the efforts for the Finance Committee: a score per effort from its own "
                 "results (success criteria met) and the evidence behind it.",
        "reconstruction": "The score is a documented reconstruction: Sikker By never published its formula. The "
                          "weights and thresholds are in the pipeline's YAML file and can be changed.",
        "formula": "Score = 100 × ({wr} × share of success criteria met + {ws} × points of the own evaluation "
                   "(Maryland Scientific Methods Scale 1–5) + {we} × points of the external evidence) / {wt}. "
                   "Partly met counts {pc}; a criterion without a result counts 0. Well on the way: score ≥ {th} "
                   "and at least {mr}% of the criteria met.",
        "good": "Well on the way", "none_good": "No effort is well on the way this year.",
        "all": "Every effort with success criteria", "heatmap": "Efforts by prevention level and administration",
        "principles": "The strategy's principles", "missing": "Efforts without a theory of change or success criteria",
        "none_missing": "Every effort has a theory of change and success criteria.",
        "resources": "Resources per 1,000 residents aged {lo}–{hi} by level of the prevention triangle",
        "resources_note": "Staff (FTE) and budget in {year} divided by the residents aged {lo}–{hi} on 1 January "
                          "(Statistics Denmark, FOLK1A) × 1,000. The prevention triangle follows the Danish Crime "
                          "Prevention Council's three levels: building, preventive and crime-preventive.",
        "effort": "Effort", "administration": "Administration", "score": "Score", "change": "Change since last year",
        "results_share": "Criteria met", "sms": "Own evaluation (SMS)", "external": "External evidence",
        "level": "Sikker By level", "no_theory": "No theory of change", "no_criteria": "No success criteria",
        "doc_status": "Documentation", "doc_expected": "Expected", "yes": "yes", "no": "no",
        "strengths": "Strengths", "improvements": "Improvement potential", "criteria": "Success criteria",
        "criterion": "Success criterion", "met": "Met?", "evidence": "Evidence", "theory": "Theory of change",
        "triangle": "Prevention triangle", "target_group": "Target group", "ages": "Ages", "area": "Area",
        "period": "Period", "owner": "Owner", "back": "Back to the overview", "principle": "Principle",
        "municipality": "Municipality", "fte": "FTE", "budget": "Budget (DKK)", "population": "Residents",
        "fte_per_1000": "FTE per 1,000", "dkk_per_1000": "DKK per 1,000", "total": "Total",
        "files": "Tables", "not_scored": "No score this year (no success criteria or nothing reported).",
        "well": "Well on the way", "n": "Number", "ongoing": "ongoing",
        "activities": "Activity goals {year}: planned and held", "activity": "Activity", "per": "Goal per",
        "span": "Period", "held": "Held", "planned": "Planned", "status": "Status",
        "activities_note": "Activities planned against held as in the Nørrebro status report: a goal is met when at "
                           "least the planned number was held; a half-yearly goal must be met in every half-year; "
                           "activities as needed and activities without a goal in the register are counted without "
                           "a target.",
        "no_activities": "The register has no activity goals or activities for the year.",
    },
}


def _num(x, lang: str, decimals: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "–"
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "\0").replace(".", ",").replace("\0", ".") if lang == "da" else s


def _signed(x, lang: str) -> str:
    if x is None or pd.isna(x):
        return "–"
    return ("+" if x > 0 else "") + _num(x, lang)


def _shown(value) -> str:
    """A register text as shown on a page: "–" for an empty cell (None or NaN, never "nan")."""
    return "–" if value is None or (not isinstance(value, str) and pd.isna(value)) or not str(value).strip() \
        else str(value)


def _slug(text: str) -> str:
    s = _norm(text)
    return re.sub(r"[^a-z0-9_]+", "-", s).strip("-") or "indsats"


def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates" / "efforts"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def principles_note(model: EffortModel, lang: str) -> str:
    """The report's sentence on the principles' names: as configured in the pipeline YAML, with their source, and
    which principles carry only a number because their wording is not published here."""
    da = lang == "da"
    numbered = [p for p in sorted(model.principles) if _numbered(model, p)]
    text = ("Principperne vises med de navne, der står i pipelinens YAML-fil" if da else
            "The principles are shown with the names configured in the pipeline's YAML file")
    text += (f" (kilde: {model.principles_source})." if da else f" (source: {model.principles_source}).") \
        if model.principles_source else "."
    if numbered:
        which = _and([str(p) for p in numbered], lang)
        text += (f" Ordlyden af princip {which} er ikke offentliggjort her; de vises kun med nummer." if da else
                 f" The wording of principle{'s' if len(numbered) > 1 else ''} {which} is not published here; "
                 f"{'they are' if len(numbered) > 1 else 'it is'} shown by number only.")
    return text


def _numbered(model: EffortModel, p: int) -> bool:
    """Whether principle ``p`` carries only its neutral numbered label (its wording is not configured)."""
    names = model.principles.get(p)
    return names is None or (names["da"].strip() == f"Princip {p}" and names["en"].strip() == f"Principle {p}")


def _and(items: list[str], lang: str) -> str:
    word = " og " if lang == "da" else " and "
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + word + items[-1]


def write_june_report(out_dir: str | Path, *, register: Register, scores: pd.DataFrame, model: EffortModel,
                      year: int, lang: str = "da", demo: bool = False, resources: pd.DataFrame | None = None,
                      name: str | None = None) -> Path:
    """Write the June report into ``out_dir`` (a self-contained folder with relative links) and return its index.

    The folder holds ``index.html`` (the "godt på vej" list, every scored effort, the heatmap, the principles
    table, the efforts without a theory of change or success criteria, resources per 1,000 and the method), one
    page per effort under ``indsatser/``, ``heatmap_niveau_forvaltning.png``/``.svg``, ``scores.csv`` and
    ``resources.csv``. Pages are rendered from Jinja2 templates with autoescape; a demo report carries the red
    synthetic-data banner.
    """
    from .figures import save
    from .report import banner_html, synthetic_marked

    if lang not in REPORT_TEXT:
        raise ValueError(f"lang must be one of {', '.join(REPORT_TEXT)}, not {lang!r}")
    out = Path(out_dir)
    (out / "indsatser").mkdir(parents=True, exist_ok=True)
    T, L = REPORT_TEXT[lang], LABELS[lang]
    home = model.home.municipality
    eff = register.efforts[register.efforts["municipality"] == home].sort_values("effort_id", kind="mergesort")
    sc = scores[(scores["municipality"] == home) & (scores["year"] == year)]
    pages = {eid: f"indsatser/{_slug(eid)}.html" for eid in eff["effort_id"]}

    save(level_heatmap(register, year, home, lang, demo=demo), out, "heatmap_niveau_forvaltning")

    def effort_row(r) -> dict:
        e = eff[eff["effort_id"] == r.effort_id].iloc[0]
        return dict(id=r.effort_id, href=pages[r.effort_id], name=e["name"], administration=_admin_label(
            e["administration"], lang), score=_num(r.score, lang), change=_signed(r.change, lang),
            share=_num(100 * r.results_share, lang, 0) + " %", sms="–" if pd.isna(r.sms) else str(int(r.sms)),
            external=L["external"][r.external if isinstance(r.external, str) else None],
            well=T["yes"] if r.well_on_the_way else T["no"])

    ranked = sc.sort_values(["score", "effort_id"], ascending=[False, True], kind="mergesort")
    all_rows = [effort_row(r) for r in ranked.itertuples(index=False)]
    good_rows = [r for r, w in zip(all_rows, ranked["well_on_the_way"]) if w]
    principles = principles_table(register, year, home, model, lang)
    acts = activity_status(register, model, year, home)
    act_rows = activity_rows(acts, model, lang)
    for r in act_rows:
        r["href"] = pages[r["effort_id"]]
    synthetic_marked(acts, lang, demo).to_csv(out / "activities.csv", index=False, lineterminator="\n")
    missing = [dict(id=r.effort_id, href=pages[r.effort_id], name=r.name,
                    administration=_admin_label(r.administration, lang),
                    no_theory=T["yes"] if r.no_theory else "", no_criteria=T["yes"] if r.no_criteria else "",
                    doc=L["doc"][r.doc_status],
                    expected="" if r.doc_expected is None or pd.isna(r.doc_expected) else
                    pd.Timestamp(r.doc_expected).date().isoformat())
               for r in without_model(register, home).itertuples(index=False)]
    res_rows = []
    if resources is not None:
        for r in resources.itertuples(index=False):
            res_rows.append(dict(municipality=r.municipality,
                                 triangle=T["total"] if r.triangle == "total" else L["triangle"][r.triangle],
                                 total=r.triangle == "total", fte=_num(r.fte, lang), budget=_num(r.budget_dkk, lang, 0),
                                 population=_num(r.population, lang, 0), fte_per_1000=_num(r.fte_per_1000, lang, 2),
                                 dkk_per_1000=_num(r.dkk_per_1000, lang, 0)))
        synthetic_marked(resources, lang, demo).to_csv(out / "resources.csv", index=False, lineterminator="\n")
    w = model.weights
    def g(x: float) -> str:
        return f"{x:g}".replace(".", ",") if lang == "da" else f"{x:g}"

    formula = T["formula"].format(wr=g(w["results"]), ws=g(w["own_evaluation"]), we=g(w["external_evidence"]),
                                  wt=g(model.weights_total), pc=g(model.partial_credit), th=g(model.threshold),
                                  mr=g(100 * model.min_results))
    sms_pts = ", ".join(f"{k}: {_num(v, lang, 2)}" for k, v in sorted(model.sms_points.items()))
    ext_pts = ", ".join(f"{L['external'][k]}: {_num(v, lang, 2)}" for k, v in model.external_points.items())
    export = sc.merge(eff[["effort_id", "name", "administration", "level", "triangle"]], on="effort_id")
    synthetic_marked(export, lang, demo).to_csv(out / "scores.csv", index=False, lineterminator="\n")
    banner = banner_html(lang) if demo else ""
    title = name or T["title"].format(year=year)
    env = _env()
    lo, hi = model.target_ages
    index = env.get_template("index.html.j2").render(
        T=T, lang=lang, title=title, year=year, banner=banner, formula=formula, sms_points=sms_pts,
        external_points=ext_pts, good=good_rows, all=all_rows, heatmap="heatmap_niveau_forvaltning.svg",
        principles_columns=list(principles.columns), principles=principles.to_dict("records"), missing=missing,
        resources=res_rows, resources_title=T["resources"].format(lo=lo, hi=hi),
        resources_note=T["resources_note"].format(year=year, lo=lo, hi=hi),
        principles_note=principles_note(model, lang),
        activities=[r for r in act_rows if not r["half"]],
        activities_note=T["activities_note"] if len(acts) else T["no_activities"])
    (out / "index.html").write_text(index, encoding="utf-8")
    page = env.get_template("effort.html.j2")
    for e in eff.itertuples(index=False):
        review = effort_review(register, scores, model, year, home, e.effort_id, lang)
        s = review["score"]
        (out / pages[e.effort_id]).write_text(page.render(
            T=T, lang=lang, year=year, banner=banner, e=dict(
                id=e.effort_id, name=e.name, administration=_admin_label(e.administration, lang), level=e.level,
                triangle=L["triangle"][e.triangle],
                principles="; ".join(str(p) if _numbered(model, p) else f"{p}. {model.principles[p][lang]}"
                                     for p in e.principles),
                target_group=_shown(e.target_group),
                ages="–" if pd.isna(e.age_from) else f"{e.age_from}–{e.age_to}", area=_shown(e.area),
                period=f"{e.start.date().isoformat()} – " + (T["ongoing"] if e.end is None or pd.isna(e.end)
                                                               else e.end.date().isoformat()),
                owner=_shown(e.owner), theory=_shown(e.theory_of_change), doc=L["doc"][e.doc_status]),
            score=None if s is None else dict(score=_num(s["score"], lang), change=_signed(s["change"], lang),
                                              share=_num(100 * s["results_share"], lang, 0) + " %",
                                              well=T["yes"] if s["well_on_the_way"] else T["no"]),
            review=review, activities=[r for r in act_rows if r["effort_id"] == e.effort_id]),
            encoding="utf-8")
    return out / "index.html"


# --------------------------------------------------------------------------------------------- template and demo
def _template_frames() -> dict[str, pd.DataFrame]:
    return {key: pd.DataFrame(columns=[c[1] for c in cols]) for key, (_, _, cols) in TABLES.items()}


GUIDE = [
    ("Ark / sheet", "Kolonne / column", "Udfyldes med / fill in with"),
    ("indsatser", "forvaltning", ", ".join(ADMINISTRATIONS) + " (eller kommunens egne enheder, erklæret i YAML'en)"),
    ("indsatser", "sikker_by_niveau", "I, II, III, IV eller V"),
    ("indsatser", "forebyggelsestrekant", "opbyggende, forebyggende eller kriminalitetsforebyggende "
     "(Det Kriminalpræventive Råds tre niveauer)"),
    ("indsatser", "principper", "strategiens principper, fx 1, 4"),
    ("indsatser", "start / slut / forventet_dato", "datoer som ÅÅÅÅ-MM-DD; tom slut = løbende"),
    ("indsatser", "dokumentation", "dokumenteret, under udarbejdelse eller mangler (så kræves forventet_dato)"),
    ("ressourcer", "årsværk / budget_kr", "tal uden tusindtalsseparator og enhed, fx 1250000"),
    ("resultater", "opfyldt", "ja, delvist eller nej; år skal udfyldes"),
    ("evidens", "sms", "Maryland Scientific Methods Scale 1-5 for egen evaluering (tom: ingen)"),
    ("evidens", "ekstern_evidens / kilde", "virksom, lovende, ingen effekt eller utilstrækkelig, med kilde"),
    ("aktiviteter", "aktivitetstype", "en aktivitetstype erklæret i pipelinens YAML (efforts.activity_types), id "
     "eller navn; én række pr. afholdt aktivitet"),
    ("aktiviteter", "dato / område / deltagere", "ÅÅÅÅ-MM-DD inden for indsatsens periode; område og antal "
     "deltagere kan udelades"),
    ("aktivitetsmål", "pr", "år eller halvår (tom: år)"),
    ("aktivitetsmål", "mindst / højst", "planlagt antal pr. periode: mindst 2 og højst 3 = 2-3; kun mindst = "
     "mindst; begge tomme = efter behov (tælles uden mål)"),
]


def write_register(tables: dict[str, pd.DataFrame], path: str | Path, *, note: str | None = None) -> Path:
    """Write register tables (Danish headers) as an xlsx workbook (``.xlsx`` path) or a folder of ``;`` CSV files.

    ``tables`` maps the table keys of :data:`TABLES` to frames whose columns are the Danish headers; ``note`` (e.g.
    the synthetic-data warning) goes first in the workbook's guide sheet.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        from .stable import freeze_xlsx

        path.parent.mkdir(parents=True, exist_ok=True)
        wb = Workbook()
        guide = wb.active
        guide.title = "vejledning"
        if note:
            guide.append([note])
        for row in GUIDE:
            guide.append(list(row))
        for key, (da, _, _) in TABLES.items():
            ws = wb.create_sheet(da)
            df = tables[key]
            ws.append(list(df.columns))
            for r in df.itertuples(index=False):
                ws.append([None if _cell_empty(v) else v for v in r])
            for j, _ in enumerate(df.columns, 1):
                ws.column_dimensions[get_column_letter(j)].width = 18
        wb.properties.creator = "tryghed"
        wb.save(path)
        freeze_xlsx(path)
        return path
    path.mkdir(parents=True, exist_ok=True)
    for key, (da, _, _) in TABLES.items():
        tables[key].to_csv(path / f"{da}.csv", sep=";", index=False, lineterminator="\n")
    if note:
        (path / "LÆSMIG.txt").write_text(note + "\n", encoding="utf-8")
    return path


def write_template(path: str | Path) -> Path:
    """Write an empty register (``tryghed new-register PATH``): an xlsx workbook when ``path`` ends in ``.xlsx``,
    otherwise a folder of CSV files; every table with its Danish headers, and a guide sheet of allowed values.

    Raises
    ------
    InputError
        When ``path`` already exists (a register is never overwritten).
    """
    path = Path(path)
    if path.exists():
        raise InputError(path, "the file or folder already exists", "Choose a new path; a register is never "
                         "overwritten.")
    return write_register(_template_frames(), path)


DEMO_SEED = 20180601
DEMO_YEARS = (2018, 2019, 2020)
DEMO_DIR = "indsatser"
SYNTHETIC_NOTE = "DEMO – SYNTETISKE DATA. Alle indsatser, tal og kilder er opdigtet (tryghed.efforts). " \
                 "Demo data – synthetic: every effort, number and source is invented."
#: The demo's registers: municipality, code, file (relative to the demo folder), own units, number of efforts and
#: the largest staff of one effort (FTE).
DEMO_REGISTERS = (
    ("København", "101", "sikker_by_indsatser_2018-2020.xlsx", (), 40, 12.0),
    ("Ishøj", "183", "ishoej_indsatser_2018-2020.xlsx", ("Børn og Skole", "Kultur og Fritid"), 12, 2.0),
    ("Albertslund", "165", "albertslund_indsatser_2018-2020.xlsx", (), 10, 2.5),
    ("Høje-Taastrup", "169", "hoeje-taastrup_indsatser_2018-2020.xlsx", (), 14, 3.0),
    ("Viborg", "791", "viborg_indsatser_2018-2020", (), 16, 3.0),
)
#: The demo's activity types (pipelines/sikker-by-indsatser.yml declares the same under efforts.activity_types).
DEMO_ACTIVITY_TYPES = (
    {"id": "styregruppemoede", "name": {"da": "Styregruppemøde", "en": "Steering group meeting"}},
    {"id": "netvaerksmoede", "name": {"da": "Netværksmøde", "en": "Network meeting"}},
    {"id": "foraeldremoede", "name": {"da": "Forældremøde", "en": "Parents' meeting"}},
    {"id": "temamoede", "name": {"da": "Temamøde for medarbejdere", "en": "Theme meeting for staff"}},
    {"id": "tryghedsvandring", "name": {"da": "Tryghedsvandring", "en": "Safety walk"}},
)
#: The demo's plans: (pr, mindst, højst); None: empty cell (both empty: as needed).
_PLANS = [("år", 2, 3), ("år", 4, 4), ("halvår", 1, None), ("år", 1, None), ("år", None, None)]
#: Invented residents per single year of age 0-30 on 1 January 2018 (grows 0.5 % a year).
DEMO_AGE_COHORT = {"101": 8200, "183": 290, "165": 330, "169": 610, "791": 1150}
DEMO_POPULATION_FILE = "dst/folk1a_alder_2018K1-2020K1.csv"
_KINDS = [
    ("Gadeplansteam", "crime_preventive", (14, 25)), ("Mentorordning", "preventive", (12, 18)),
    ("Lektiecafé", "building", (6, 16)), ("Natteravne", "preventive", (13, 25)),
    ("Tryghedsvandring", "building", (18, 99)), ("Exit-forløb", "crime_preventive", (15, 30)),
    ("Forældrenetværk", "preventive", (6, 17)), ("Belysning og tryghed", "building", (0, 99)),
    ("Fritidsjob", "preventive", (13, 17)), ("Konfliktmægling", "crime_preventive", (12, 25)),
    ("Sports-klub", "building", (6, 18)), ("Misbrugsbehandling for unge", "crime_preventive", (15, 25)),
]
_AREAS = ["Nørrebro", "Bispebjerg", "Amager Vest", "Tingbjerg", "Valby", "Vesterbro", "hele byen"]
_CRITERIA = ["Mindst {n} unge deltager", "{n} % gennemfører forløbet", "Færre anmeldelser i området end året før",
             "Tilfredshed blandt deltagerne på mindst {n} %", "Samarbejdsaftale med politiet fornyet",
             "Mindst {n} aktiviteter afholdt"]


def demo_register(municipality: str, *, n: int, seed: int = DEMO_SEED, units: tuple[str, ...] = (),
                  years: tuple[int, ...] = DEMO_YEARS, fte_max: float = 12.0, with_activities: bool = False
                  ) -> dict[str, pd.DataFrame]:
    """A deterministic synthetic register of ``n`` efforts (Danish headers), for :func:`write_register`.

    Efforts are spread over the seven administrations (then SSP and the police) or the municipality's ``units``;
    about one in ten has no theory of change or no success criteria. Every name says "(demo)". With
    ``with_activities``, four in five efforts also get activity goals and held activities of
    :data:`DEMO_ACTIVITY_TYPES` (the ``aktiviteter`` and ``aktivitetsmål`` sheets; otherwise they are empty).
    """
    rng = np.random.default_rng([seed, sum(map(ord, municipality))])
    admins = [*units, "SSP", "police"] if units else list(ADMINISTRATIONS[:7])
    efforts, resources, criteria, results, evidence = [], [], [], [], []
    for k in range(n):
        eid = f"{municipality[:3].upper()}-{k + 1:02d}"
        kind, tri, (a0, a1) = _KINDS[k % len(_KINDS)]
        admin = admins[k % len(admins)] if units or k < n - 2 else ["SSP", "police"][k - n + 2]
        start = int(rng.choice([2014, 2016, 2018, 2019]))
        end = "" if rng.random() < 0.8 else f"{start + 3}-12-31"
        no_theory, no_criteria = k % 10 == 7, k % 10 == 3
        status = "under udarbejdelse" if no_theory or no_criteria else "dokumenteret"
        quality = rng.uniform(0.2, 0.95)
        efforts.append({
            "id": eid, "navn": f"{kind} {_AREAS[k % len(_AREAS)]} (demo)",
            "forvaltning": "politi" if admin == "police" else admin,
            "sikker_by_niveau": LEVELS[int(rng.integers(0, 5))],
            "forebyggelsestrekant": {"building": "opbyggende", "preventive": "forebyggende",
                                     "crime_preventive": "kriminalitetsforebyggende"}[tri],
            "principper": ", ".join(map(str, sorted(set(rng.choice(6, size=int(rng.integers(1, 3))) + 1)))),
            "målgruppe": "unge" if a1 <= 30 else "borgere", "alder_fra": a0, "alder_til": min(a1, 99),
            "område": _AREAS[k % len(_AREAS)], "start": f"{start}-01-01", "slut": end,
            "ejer": f"{_admin_label(admin, 'da')} (demo)", "forandringsteori": "" if no_theory else
            f"Hvis {kind.lower()} når målgruppen, styrkes de unges tilknytning og kriminaliteten falder (demo).",
            "dokumentation": status, "forventet_dato": f"{years[-1] + 1}-06-01" if status != "dokumenteret" else "",
        })
        last = start + 3 if end else 9999
        active = [y for y in years if start <= y <= last]
        fte = round(float(rng.uniform(0.1, 1)) * fte_max, 1)
        for y in active:
            resources.append({"indsats_id": eid, "år": y, "årsværk": round(fte * float(rng.uniform(0.9, 1.1)), 1),
                              "budget_kr": int(round(fte * float(rng.uniform(550_000, 700_000)), -3))})
        if no_criteria:
            continue
        nc = int(rng.integers(2, 5))
        for c in range(nc):
            cid = f"K{c + 1}"
            text = _CRITERIA[(k + c) % len(_CRITERIA)].format(n=int(rng.integers(20, 90)))
            criteria.append({"indsats_id": eid, "kriterie_id": cid, "succeskriterium": text})
            for y in active:
                u = rng.random()
                if u < 0.05:
                    continue  # not reported
                met = "ja" if u < 0.05 + 0.8 * quality else ("delvist" if u < 0.15 + 0.8 * quality else "nej")
                results.append({"indsats_id": eid, "kriterie_id": cid, "år": y, "opfyldt": met,
                                "belæg": f"Årsrapport {y}, s. {int(rng.integers(2, 30))} (demo)"})
        sms = int(rng.choice([1, 2, 2, 3, 3, 4, 5])) if rng.random() < 0.8 else None
        ext = ["virksom", "lovende", "lovende", "utilstrækkelig", "ingen effekt"][int(rng.integers(0, 5))]
        for j, y in enumerate(active):
            if j and rng.random() < 0.6:
                continue  # carried forward
            s = None if sms is None else min(5, sms + (j and rng.random() < 0.3))
            evidence.append({"indsats_id": eid, "år": y, "sms": s, "ekstern_evidens": ext,
                             "kilde": "Opdigtet forskningsoversigt (demo)"})
    activities, goals = (_demo_activities(efforts, seed=seed, municipality=municipality, years=years)
                         if with_activities else ([], []))
    cols = {key: [c[1] for c in cols] for key, (_, _, cols) in TABLES.items()}
    frames = dict(efforts=efforts, resources=resources, criteria=criteria, results=results, evidence=evidence,
                  activities=activities, activity_goals=goals)
    return {k: pd.DataFrame(v, columns=cols[k]) for k, v in frames.items()}


def _demo_activities(efforts: list[dict], *, seed: int, municipality: str, years: tuple[int, ...]
                     ) -> tuple[list[dict], list[dict]]:
    """Invented activity goals and held activities: four in five efforts plan one to three activity types of
    :data:`DEMO_ACTIVITY_TYPES`; each running year holds about as many as planned, some fewer, some more. Drawn
    from a generator of their own, so the other tables do not change."""
    rng = np.random.default_rng([seed, sum(map(ord, municipality)), 7])
    ids = [t["id"] for t in DEMO_ACTIVITY_TYPES]
    activities, goals = [], []
    for e in efforts:
        if rng.random() < 0.2:
            continue
        start = int(e["start"][:4])
        last = int(e["slut"][:4]) if e["slut"] else 9999
        picked = rng.choice(len(ids), size=int(rng.integers(1, 4)), replace=False)
        for j in sorted(int(x) for x in picked):
            per, lo, hi = _PLANS[int(rng.integers(0, len(_PLANS)))]
            name = DEMO_ACTIVITY_TYPES[j]["name"]["da"] if rng.random() < 0.5 else ids[j]
            goals.append({"indsats_id": e["id"], "aktivitetstype": name, "pr": per, "mindst": lo, "højst": hi})
            for y in years:
                if not start <= y <= last:
                    continue
                spans = ([(dt.date(y, 1, 1), 181), (dt.date(y, 7, 1), 184)] if per == "halvår"
                         else [(dt.date(y, 1, 1), 365)])
                for first, days in spans:
                    n = int(rng.integers(0, 5)) if lo is None else max(0, lo + int(rng.integers(-1, 2)))
                    for d in sorted(int(x) for x in rng.integers(0, days, size=n)):
                        activities.append({"indsats_id": e["id"], "aktivitetstype": ids[j],
                                           "dato": (first + dt.timedelta(days=d)).isoformat(), "område": e["område"],
                                           "deltagere": int(rng.integers(4, 40))})
    return activities, goals


def write_demo_population(path: str | Path, *, codes: list[str], years: tuple[int, ...] = DEMO_YEARS) -> Path:
    """Write an invented FOLK1A extract by single year of age 0-30 in the StatBank API's CSV layout
    (``OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD``, codes, first quarters of ``years``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD"]
    for code in codes:
        for age in range(31):
            for y in years:
                v = round(DEMO_AGE_COHORT[code] * (1 + 0.01 * ((age * 7) % 11 - 5)) * 1.005 ** (y - 2018))
                lines.append(f"{code};TOT;{age};TOT;{y}K1;{v}")
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    return path


def write_demo_registers(out_dir: str | Path, seed: int = DEMO_SEED) -> list[Path]:
    """Write the demo of the efforts pipeline into ``out_dir`` (``data/raw/demo/indsatser``) and return the files.

    Synthetic throughout: København's Sikker By register (40 efforts across the seven administrations, SSP and the
    police, 2018-2020, with activity goals and activities), Ishøj's and three peers' registers (Albertslund,
    Høje-Taastrup; Viborg as a CSV folder), a FOLK1A extract by age in the API's CSV layout, and the ``SYNTHETIC.md``
    marker that puts the demo banner on every report.
    """
    from .demo import MARKER

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for municipality, _, file, units, n, fte_max in DEMO_REGISTERS:
        tables = demo_register(municipality, n=n, seed=seed, units=units, fte_max=fte_max,
                               with_activities=file == DEMO_REGISTERS[0][2])
        written.append(write_register(tables, out / file, note=SYNTHETIC_NOTE))
    written.append(write_demo_population(out / DEMO_POPULATION_FILE, codes=[r[1] for r in DEMO_REGISTERS]))
    marker = out / MARKER
    marker.write_text(
        "# Demo data - synthetic\n\n"
        f"Every file in this folder was generated by `tryghed demo-data` (tryghed.efforts, seed {seed}).\n"
        "The efforts, their results, evidence, staff, budgets and the FOLK1A population by age are invented.\n"
        "Never present them as official figures.\n", encoding="utf-8")
    written.append(marker)
    return written
