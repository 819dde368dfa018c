"""Statistics Denmark StatBank tables (STRAF11, STRAF22, FOLK1A, STRAF44) in the layouts analysts meet, as one tidy
table.

Layouts read by :func:`read_statbank` (detected from the file):

(a) **long**, the API's CSV or BULK output: ``;``-separated, a header of upper-case variable codes such as
    ``OMRÅDE;OVERTRÆD;TID;INDHOLD``, one row per cell. Values may be codes (``101``, ``1320``), labels (``København``,
    ``Indbrud i beboelser``) or CodeAndValue (``101 København``); periods ``2017K1``/``2017Q1``/``2017``; decimal
    comma (``lang=da``) or point (``lang=en``). BULK leaves out the combinations whose value is 0: for BULK (``fmt``,
    or a file name containing ``bulk``) those combinations are filled in with 0. A CSV extract holds every
    combination, so a missing one there means a truncated file and is an error.
(b) **wide**, the web export: one label column per variable (``REGION,TYPE OF OFFENCE`` or Danish names such as
    ``kommune``) and one column per period (``2007Q1,...`` or ``2007,...``); ``,`` or ``;``; UTF-8 or latin-1;
    English or Danish labels.
(c) **xlsx**, the web export as a workbook: a title row, a "Units" row, a header row of periods, the label of an
    outer variable only on the first row of its block, the area in the last label column, footnotes below.

Every layout gives the same tidy table, one row per cell, sorted by its key:

=================  ===========================================================================================
``table``          ``"STRAF11"``, ``"STRAF22"``, ``"FOLK1A"`` or ``"STRAF44"`` (detected, or ``table=``)
``area_code``      3-digit OMRÅDE code: ``"000"`` whole country, ``"081"``-``"085"`` regions, ``"101"`` København,
                   ``"411"`` Christiansø, ``"998"`` unknown municipality (``tryghed/resources/dst_areas.csv``)
``area_name``      the official Danish name of the code, so Danish and English files give identical tables
``offence_code``   OVERTRÆD code (``"TOT"``, ``"1"``, ``"12"``, ``"1320"``; ``resources/straf11_offences.csv``);
                   ``""`` for FOLK1A
``sex``            FOLK1A KØN code (``"TOT"``, ``"1"`` men, ``"2"`` women); STRAF44 KØN code (``"TOT"``, ``"M"``,
                   ``"K"``, ``"VIRKSOMHEDER"`` companies); ``""`` otherwise
``age``            FOLK1A ALDER code (``"IALT"`` or single years ``"0"``...``"125"``); STRAF44 ALDER code (``"TOT"``,
                   ``"UA"`` not stated, single years ``"15"``...``"24"``, bands ``"25-29"``...``"80-"``); ``""``
                   otherwise
``marital_status`` FOLK1A CIVILSTAND code (``"TOT"``, ``"U"``, ``"G"``, ``"F"``, ``"E"``); ``""`` otherwise
``measure``        STRAF22 ANMSIGT code (``"ANM"`` reported, ``"SIG"`` charges); STRAF44 AFGØRELSE code (the
                   decision type: ``"000"`` all decisions, ``"1"`` sentences to imprisonment, ... ``"514"``
                   acquittals); ``""`` otherwise
``period``         ``"2017Q1"`` for a quarter, ``"2017"`` for a year
``year``           int
``quarter``        int, 1-4, or 0 for a year
``value``          float; NaN when missing
``missing``        bool: the cell was ``..``, ``-`` or empty (suppressed or not available); never read as 0
=================  ===========================================================================================

A FOLK1A or STRAF44 variable that the file leaves out was eliminated by StatBank and is its total
(``TOT``/``IALT``/``000``).

STRAF44 ("Strafferetlige afgørelser efter område, overtrædelsens art, afgørelsestype, alder, køn og tid",
``../shared/STATBANK.md`` §3.4) counts criminal **decisions** (afgørelser: verdicts, fines, withdrawals, acquittals),
not persons: one person may have several decisions in a year. It is annual; its API header is
``OMRÅDE;OVERTRÆD;AFGØRELSE;ALDER;KØN;TID;INDHOLD``. Labels are read into the table's own codes (``Mænd`` is ``M``
in STRAF44 and ``1`` in FOLK1A; ``Alder i alt`` is ``TOT`` in STRAF44 and ``IALT`` in FOLK1A).
Every area and offence name must be in the code lists: an unknown name is an error naming the file, the row and
the name. :func:`to_annual` turns quarters into years.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ._common import nonblank_rows, rename_columns, sheet_cells, split_fields

TABLES = ("STRAF11", "STRAF22", "FOLK1A", "STRAF44")
FORMATS = ("CSV", "BULK")
TIDY_COLUMNS = ["table", "area_code", "area_name", "offence_code", "sex", "age", "marital_status", "measure",
                "period", "year", "quarter", "value", "missing"]
KEY_COLUMNS = ["table", "area_code", "offence_code", "sex", "age", "marital_status", "measure", "year", "quarter"]
MISSING_MARKERS = frozenset({"..", "", "-"})
_TIDY_TYPES = {"year": "int64", "quarter": "int64", "value": "float64", "missing": "bool"}

#: Variables of each table besides area and time; a FOLK1A variable the file leaves out is its total.
TABLE_ROLES = {
    "STRAF11": ("offence",),
    "STRAF22": ("offence", "measure"),
    "FOLK1A": ("sex", "age", "marital"),
    "STRAF44": ("offence", "decision", "age", "sex"),
}
ELIMINATED = {"sex": "TOT", "age": "IALT", "marital": "TOT"}
#: What a left-out variable of a table is (its total), where it differs from :data:`ELIMINATED`.
ELIMINATED_BY_TABLE = {"STRAF44": {"offence": "TOT", "decision": "000", "sex": "TOT", "age": "TOT"}}
ROLE_COLUMN = {"area": "area_code", "offence": "offence_code", "sex": "sex", "age": "age",
               "marital": "marital_status", "measure": "measure", "decision": "measure"}
ROLE_WORDS = {"area": "area", "offence": "offence type", "sex": "sex", "age": "age", "marital": "marital status",
              "measure": "reported/charged", "decision": "decision type", "period": "time", "value": "value"}

#: Header names of each variable (compared in upper case): API variable codes, English and Danish texts.
HEADERS = {
    "area": ("OMRÅDE", "OMRAADE", "OMRADE", "REGION", "AREA", "KOMMUNE", "MUNICIPALITY"),
    "offence": ("OVERTRÆD", "OVERTRAED", "TYPE OF OFFENCE", "OVERTRÆDELSENS ART", "OFFENCE"),
    "sex": ("KØN", "KOEN", "KON", "SEX"),
    "age": ("ALDER", "AGE"),
    "marital": ("CIVILSTAND", "MARITAL STATUS"),
    "measure": ("ANMSIGT", "ANMELDTE OG SIGTEDE", "REPORTED AND CHARGED"),
    "decision": ("AFGØRELSE", "AFGOERELSE", "AFGORELSE", "AFGØRELSESTYPE", "AFGOERELSESTYPE", "TYPE OF DECISION",
                 "DECISION"),
    "period": ("TID", "TIME"),
    "value": ("INDHOLD", "VALUE"),
}

#: Code -> labels of the small FOLK1A and STRAF22 variables (Danish and English StatBank texts).
SMALL_CODES = {
    "sex": {"TOT": ("I alt", "Total"), "1": ("Mænd", "Men"), "2": ("Kvinder", "Women")},
    "marital": {"TOT": ("I alt", "Total"), "U": ("Ugift", "Never married"),
                "G": ("Gift/separeret", "Married/separated"), "F": ("Fraskilt", "Divorced"),
                "E": ("Enke/enkemand", "Widowed")},
    "measure": {"ANM": ("Anmeldt", "Anmeldte", "Anmeldte forbrydelser", "Reported", "Reported criminal offences"),
                "SIG": ("Sigtelser", "Sigtede", "Charges", "Charged")},
    "age": {"IALT": ("I alt", "Alder i alt", "Age, total", "Total"),
            # STRAF44's ages besides single years (STATBANK.md §3.4)
            "UA": ("Uoplyst alder", "Age not stated", "Unknown age"),
            "25-29": ("25-29 år", "25-29 years"), "30-39": ("30-39 år", "30-39 years"),
            "40-49": ("40-49 år", "40-49 years"), "50-59": ("50-59 år", "50-59 years"),
            "60-69": ("60-69 år", "60-69 years"), "70-79": ("70-79 år", "70-79 years"),
            "80-": ("80 år og derover", "80 years and over")},
    # STRAF44's decision types (AFGØRELSE); other codes are read as they come (digits), labels "514 Frifindelse"
    "decision": {"000": ("Afgørelsestype i alt", "Type of decision, total", "I alt", "Total"),
                 "1": ("Dom til frihedsstraf", "Sentence of imprisonment"),
                 "11": ("Ubetinget frihedsstraf", "Unconditional imprisonment"),
                 "514": ("Frifindelse", "Acquittal")},
}
#: KØN codes of STRAF44 beyond FOLK1A's (read as FOLK1A codes first, then turned into the table's own).
_STRAF44_SEX = {"M": "1", "K": "2", "VIRKSOMHEDER": "VIRKSOMHEDER"}
SMALL_CODES["sex"] = {**SMALL_CODES["sex"], "VIRKSOMHEDER": ("Virksomheder", "Companies", "Enterprises")}
#: FOLK1A code -> the table's own code, for the variables whose codes differ between FOLK1A and STRAF44.
TABLE_CODES = {"STRAF44": {"sex": {"1": "M", "2": "K"}, "age": {"IALT": "TOT"}}}
#: Codes a table does not have (read from a label that fits another table), per variable.
FOREIGN_CODES = {"FOLK1A": {"sex": {"VIRKSOMHEDER"}, "age": {"UA", "25-29", "30-39", "40-49", "50-59", "60-69",
                                                             "70-79", "80-"}}}

#: Words of a title row that name the table (checked in this order; lower case).
TITLE_WORDS = (
    ("STRAF44", ("afgørelser", "decisions")),
    ("STRAF22", ("sigtelser", "charged", "charges")),
    ("FOLK1A", ("befolkning", "population")),
    ("STRAF11", ("anmeldte forbrydelser", "reported criminal offences", "reported offences")),
)

_PERIOD = re.compile(r"^(\d{4})(?:\s*[KQ]([1-4]))?$", re.IGNORECASE)
_OTHER_PERIOD = re.compile(r"^\d{4}(M\d{2}|U\d{2}|H[12]|M\d{2}D\d{2})$", re.IGNORECASE)
_CODE_AND_VALUE = re.compile(r"^(\S+)\s+(.+)$")
_AGE_LABEL = re.compile(r"^(\d{1,3})(?:\s*(?:år|years?))?$", re.IGNORECASE)
_DECISION = re.compile(r"^(\d{1,3})(?:\s+\S.*)?$")


# --------------------------------------------------------------------------------------------------------- code lists
@dataclass(frozen=True)
class CodeList:
    """A StatBank variable's codes with every accepted label (case-insensitive) mapped to its code."""

    name: str
    names: dict[str, str]  # code -> official Danish name
    lookup: dict[str, str]  # lower-case label or alias -> code
    pad: int = 0  # zero-pad numeric codes to this width (areas: 3)

    def code_of(self, cell: str) -> str | None:
        """The code of a cell holding a code, a label or ``code label``; None when it is not in the list."""
        text = " ".join(str(cell).split())
        code = self._code(text)
        if code is not None:
            return code
        found = self.lookup.get(text.casefold())
        if found is not None:
            return found
        m = _CODE_AND_VALUE.match(text)
        if m:
            return self._code(m.group(1))
        return None

    def _code(self, text: str) -> str | None:
        if self.pad and text.isdigit() and len(text) <= self.pad:
            text = text.zfill(self.pad)
        return text if text in self.names else None


def _resource_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("tryghed").joinpath("resources", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


def _code_list(resource: str, kind: str, da: str, en: str, pad: int | None = None) -> CodeList:
    """A code list from a resource CSV: code -> Danish label, and every label or alias (any case) -> code."""
    rows = _resource_rows(resource)
    lookup = {}
    for r in rows:
        for label in (r[da], r[en], *filter(None, r["aliases"].split("|"))):
            lookup[label.casefold()] = r["code"]
    kwargs = {"pad": pad} if pad is not None else {}
    return CodeList(kind, {r["code"]: r[da] for r in rows}, lookup, **kwargs)


@cache
def areas() -> CodeList:
    """The OMRÅDE code list from ``tryghed/resources/dst_areas.csv``."""
    return _code_list("dst_areas.csv", "area", "name_da", "name_en", pad=3)


@cache
def offences() -> CodeList:
    """The OVERTRÆD code list from ``tryghed/resources/straf11_offences.csv``."""
    return _code_list("straf11_offences.csv", "offence", "label_da", "label_en")


@cache
def area_levels() -> dict[str, str]:
    """OMRÅDE code -> its level in ``dst_areas.csv``: country, region, municipality, other (411) or unknown (998)."""
    return {r["code"]: r["level"] for r in _resource_rows("dst_areas.csv")}


@cache
def area_english_names() -> dict[str, str]:
    """OMRÅDE code -> its English StatBank name (``name_en`` in ``dst_areas.csv``)."""
    return {r["code"]: r["name_en"] for r in _resource_rows("dst_areas.csv")}


@cache
def offence_parents() -> dict[str, str]:
    """OVERTRÆD code -> the code of its nearest ancestor that STRAF11 shows (``""`` for TOT)."""
    return {r["code"]: r["parent"] for r in _resource_rows("straf11_offences.csv")}


def offence_ancestors(code: str) -> list[str]:
    """Every ancestor of an OVERTRÆD code, nearest first (``1320`` -> ``["13", "1", "TOT"]``)."""
    parents, out = offence_parents(), []
    while parents.get(code):
        code = parents[code]
        out.append(code)
    return out


@cache
def _small(role: str) -> CodeList:
    codes = SMALL_CODES[role]
    lookup = {label.casefold(): code for code, labels in codes.items() for label in labels}
    return CodeList(role, {code: labels[0] for code, labels in codes.items()}, lookup)


def _resolve(role: str, cell: str) -> str | None:
    if role == "area":
        return areas().code_of(cell)
    if role == "offence":
        return offences().code_of(cell)
    text = " ".join(str(cell).split())
    if role == "sex" and text.upper() in _STRAF44_SEX:
        return _STRAF44_SEX[text.upper()]
    if role == "age" and text.upper() == "TOT":
        return "IALT"
    code = _small(role).code_of(cell)
    if code is None and role == "age":
        m = _AGE_LABEL.match(text)
        if m and int(m.group(1)) <= 125:
            code = str(int(m.group(1)))
    if code is None and role == "decision":
        m = _DECISION.match(text)
        if m:
            code = m.group(1)
    return code


def _known(role: str) -> str:
    if role == "area":
        return "a Danish or English StatBank name or a 3-digit code, as in tryghed/resources/dst_areas.csv"
    if role == "offence":
        return "a StatBank offence code or label, as in tryghed/resources/straf11_offences.csv"
    if role == "age":
        return "IALT/TOT, 'Alder i alt', single years or STRAF44's bands (25-29 ... 80-, UA)"
    if role == "decision":
        return "a STRAF44 decision type code (000, 1, 11, ... 514) or 'code label' (e.g. '514 Frifindelse')"
    return ", ".join(f"{c} ({labels[0]})" for c, labels in SMALL_CODES[role].items())


# ------------------------------------------------------------------------------------------------- cells and periods
def parse_period(text: str) -> tuple[str, int, int] | None:
    """``("2017Q1", 2017, 1)`` for ``2017K1``/``2017Q1``, ``("2017", 2017, 0)`` for ``2017``; None otherwise."""
    m = _PERIOD.match(str(text).strip())
    if not m:
        return None
    year, quarter = int(m.group(1)), int(m.group(2) or 0)
    return (f"{year}Q{quarter}" if quarter else str(year)), year, quarter


def _parse_number(cell) -> tuple[float, bool] | None:
    """(value, missing) of one cell; None when it is neither a number nor a missing marker."""
    if cell is None:
        return np.nan, True
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float | np.integer | np.floating):
        return (np.nan, True) if pd.isna(cell) else (float(cell), False)
    text = str(cell).strip().replace("\u00a0", "").replace(" ", "")
    if text in MISSING_MARKERS:
        return np.nan, True
    if "," in text:  # decimal comma (lang=da), dots are thousands
        text = text.replace(".", "").replace(",", ".")
    elif text.count(".") > 1:  # 5.932.654: thousands separators from the web interface
        text = text.replace(".", "")
    try:
        return float(text), False
    except ValueError:
        return None


def _parse_numbers(cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_parse_number` of each cell as three arrays: the value, missing, and not a number (its None).

    Integers and plain digit strings (at most 15 digits: exact in a float) are converted at once, the rest one by
    one; every cell gets what :func:`_parse_number` gives it.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = np.asarray(cells, dtype=object)
    n = len(cells)
    values, missing, bad = np.full(n, np.nan), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    todo = np.ones(n, dtype=bool)
    kind = pd.api.types.infer_dtype(cells, skipna=False) if n else "empty"
    if kind == "integer":  # Python or NumPy integers, no bools: float(cell)
        try:
            values[:] = cells.astype(np.float64)
            todo[:] = False
        except (OverflowError, TypeError, ValueError):
            pass
    elif kind == "string":
        text = pa.array(cells, type=pa.string())
        plain = pc.match_substring_regex(text, r"^[0-9]{1,15}$").to_numpy(zero_copy_only=False)
        if plain.any():
            values[plain] = pc.cast(text.filter(pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
            todo &= ~plain
    for i in np.flatnonzero(todo):
        parsed = _parse_number(cells[i])
        if parsed is None:
            bad[i] = True
        else:
            values[i], missing[i] = parsed
    return values, missing, bad


# ---------------------------------------------------------------------------------------------------------- reading
@dataclass
class _Cells:
    """One row per data cell, raw: a column per present variable, ``period``, ``value``, ``_row``, ``_col``."""

    frame: pd.DataFrame
    roles: tuple[str, ...]
    layout: str  # "long", "wide" or "xlsx"
    colnames: dict[str, str]  # variable -> the column as the file shows it, for messages
    title: str = ""


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # the web export's "ANSI" file; latin-1 decodes any byte


@dataclass
class _Text:
    """A delimited text file split into stripped fields: the header, the non-blank rows and their line numbers."""

    header: list[str]
    body: pd.DataFrame  # positional columns 0..len(header)-1, one row per non-blank line, stripped strings
    lines: np.ndarray  # the file's line number of each body row


def _text_rows(path: Path) -> _Text:
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "the file is empty", "Export or fetch the table again.")
    text = _decode(data)
    first = text.split("\n", 1)[0]
    sep = max((";", ",", "\t"), key=lambda s: (first.count(s), s == ";"))
    fields = split_fields(text, sep, strip=True)
    if fields is None:  # a ragged, multi-line or odd file: the csv module finds and names the problem
        return _text_rows_csv(path, text, sep)
    header = fields.iloc[0].tolist()
    body = fields.iloc[1:]
    filled = nonblank_rows(body)
    if not filled.all():  # blank lines (a trailing one, say) are left out; the others keep their line numbers
        body = body[filled]
    if body.empty:
        raise InputError(path, "the file has a header but no data rows", "Export or fetch the table again.")
    return _Text(header, body.reset_index(drop=True), np.flatnonzero(filled) + 2)


def _text_rows_csv(path: Path, text: str, sep: str) -> _Text:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows = []
    for fields in reader:
        rows.append((reader.line_num, [f.strip() for f in fields]))
    header = rows[0][1]
    body = []
    for line, fields in rows[1:]:
        if not any(fields):
            continue
        if len(fields) != len(header):
            last = line == rows[-1][0]
            if last and not text.endswith("\n") and len(fields) < len(header):
                raise InputError(path, f"the last row has {len(fields)} of the header's {len(header)} fields: the "
                                 "file is truncated", "Download or export the table again.", where=f"row {line}")
            raise InputError(path, f"the row has {len(fields)} fields but the header has {len(header)}",
                             f"Check the separator ('{sep}') and quoting, or export the table again.",
                             where=f"row {line}")
        body.append((line, fields))
    if not body:
        raise InputError(path, "the file has a header but no data rows", "Export or fetch the table again.")
    frame = pd.DataFrame([f for _, f in body], columns=range(len(header)), dtype=object)
    return _Text(header, frame, np.array([line for line, _ in body]))


def _role_of_header(name: str) -> str | None:
    upper = " ".join(str(name).split()).upper()
    return next((role for role, names in HEADERS.items() if upper in names), None)


def _read_long(path: Path, text: _Text) -> _Cells:
    header = text.header
    df = text.body.copy()
    df.columns = header
    unknown = [c for c in header if _role_of_header(c) is None]
    if unknown:
        raise InputError(path, f"column '{unknown[0]}' is not a variable of STRAF11, STRAF22, FOLK1A or STRAF44 "
                         f"(the header is {';'.join(header)})", "Fetch the table again, or remove the column.",
                         where="header")
    colnames = {}
    for h in header:
        role = _role_of_header(h)
        if role in colnames:
            raise InputError(path, f"columns {colnames[role]} and '{h}' both hold the {ROLE_WORDS[role]}",
                             "Keep one of them.", where="header")
        colnames[role] = f"'{h}'"
    df = rename_columns(df, path, HEADERS, optional=("offence", "sex", "age", "marital", "measure", "decision"))
    roles = tuple(r for r in ("area", "offence", "measure", "decision", "sex", "age", "marital") if r in df.columns)
    df["_row"] = text.lines
    df["_col"] = next(h for h in header if _role_of_header(h) == "value")
    return _Cells(df, roles, "long", colnames)


def _classify(path: Path, columns: dict[str, list[str]], named: dict[str, str], where: dict[str, str]) -> dict:
    """Give every label column a variable: by its header name, else by the labels it holds."""
    roles: dict[str, str] = {}
    for col, role in named.items():
        if role in roles.values():
            raise InputError(path, f"two columns hold the {ROLE_WORDS[role]}", "Keep one of them.", where="header")
        roles[col] = role
    for col, values in columns.items():
        if col in roles:
            continue
        cells = {v for v in values if v}
        role = next((r for r in ("area", "offence", "measure", "sex", "age", "marital", "decision")
                     if r not in roles.values() and cells and all(_resolve(r, v) is not None for v in cells)), None)
        if role is None:
            sample = sorted(cells)[:3]
            raise InputError(path, f"the label column holds names that are neither areas, offence types nor "
                             f"FOLK1A categories (e.g. {', '.join(map(repr, sample))})",
                             "Name the column (OMRÅDE, OVERTRÆD, KØN, ALDER, CIVILSTAND, ANMSIGT) or correct the "
                             "names.", where=where[col])
        roles[col] = role
    if "area" not in roles.values():
        raise InputError(path, "no column holds the area (OMRÅDE / REGION / kommune)",
                         "Export the table with the area as a row variable.", where="header")
    return roles


def _wide_frame(labels: dict, periods: list[tuple[str, str]], values, rows, roles: dict[str, str],
                inner) -> pd.DataFrame:
    """Melt a wide block (label columns + one column per period) into one row per cell, period by period."""
    n, p = len(rows), len(periods)
    def tiled(codes: np.ndarray, categories) -> pd.Categorical:
        # codes from factorize (-1: a blank label) or positions of the periods: in range by construction
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(pd.Index(categories, dtype=object)),
                                         validate=False)

    frame = {}
    for col, role in roles.items():
        s = pd.Series(np.asarray(labels[col], dtype=object), dtype=object)
        s = s.where(s.astype(str).str.strip() != "")
        if col != inner:  # an outer variable's label only on the first row of its block
            s = s.ffill()
        codes, uniques = pd.factorize(s)  # a blank label is -1: NaN in the categorical
        frame[role] = tiled(np.tile(codes, p), uniques)
    frame["period"] = tiled(np.repeat(np.arange(p), n), [period for period, _ in periods])
    if isinstance(values, pd.Series):  # already one column after another (period by period)
        frame["value"] = values.reset_index(drop=True)
    else:
        frame["value"] = pd.Series(np.asarray(values, dtype=object).reshape(n, p).ravel(order="F"), dtype=object)
    frame["_row"] = np.tile(np.asarray(rows), p)
    frame["_col"] = tiled(np.repeat(np.arange(p), n), [colname for _, colname in periods])
    return pd.DataFrame(frame)


def _check_labels(path: Path, df: pd.DataFrame, where_of, roles) -> None:
    for role in roles:
        blank = df[role].isna()
        if blank.any():
            i = int(blank.to_numpy().nonzero()[0][0])
            raise InputError(path, f"the row has no {ROLE_WORDS[role]}", "Fill in the label or delete the row.",
                             where=where_of(df["_row"].iloc[i], role))


def _read_wide(path: Path, text: _Text) -> _Cells:
    header, body = text.header, text.body
    period_idx = [j for j, h in enumerate(header) if parse_period(h)]
    label_idx = [j for j in range(len(header)) if j not in period_idx]
    if not label_idx:
        raise InputError(path, "the header has periods but no label column", "Export the table with its row "
                         "variables (area, offence type).", where="header")
    names = {header[j]: _role_of_header(header[j]) for j in label_idx}
    bad = [h for h, r in names.items() if r in ("period", "value")]
    if bad:
        raise InputError(path, f"column '{bad[0]}' next to period columns: the file mixes the long and the wide "
                         "layout", "Export the table again.", where="header")
    labels = {header[j]: body[j].to_numpy(dtype=object) for j in label_idx}
    roles = _classify(path, {h: pd.unique(v) for h, v in labels.items()}, {h: r for h, r in names.items() if r},
                      {h: f"column '{h}'" for h in names})
    values = pd.concat([body[j] for j in period_idx], ignore_index=True)  # period by period, in their own type
    rows = text.lines
    inner = header[label_idx[-1]]
    df = _wide_frame(labels, [(header[j], header[j]) for j in period_idx], values, rows, roles, inner)
    colnames = {role: f"'{col}'" for col, role in roles.items()}
    _check_labels(path, df, lambda row, role: f"row {row}, column {colnames[role]}", roles.values())
    return _Cells(df, tuple(roles.values()), "wide", colnames)


def _read_xlsx(path: Path) -> _Cells:
    try:
        grid = sheet_cells(path)
    except Exception:  # noqa: BLE001 - openpyxl reads it, or names the problem as it always did
        grid = _openpyxl_cells(path)
    header_at = next((i for i, r in enumerate(grid[:20]) if _is_period_header(r)), None)
    if header_at is None:
        raise InputError(path, "no header row of periods (2007Q1, 2008, ...) among the first 20 rows",
                         "Export the table from StatBank as xlsx with the time variable as columns.")
    head = grid[header_at]
    period_idx = [j for j, c in enumerate(head) if c is not None and parse_period(c)]
    label_idx = list(range(period_idx[0]))
    if not label_idx:
        raise InputError(path, "the period columns start in column A: there is no label column",
                         "Export the table with the area as a row variable.", where=f"row {header_at + 1}")
    title = " ".join(str(c) for c in (grid[0] if header_at > 0 else []) if c)
    body_rows, labels, values = [], {j: [] for j in label_idx}, []
    inner = label_idx[-1]
    for i in range(header_at + 1, len(grid)):
        r = grid[i] + [None] * (len(head) - len(grid[i]))
        vals = [r[j] for j in period_idx]
        has_values = any(v is not None and str(v).strip() != "" for v in vals)
        if r[inner] is None or str(r[inner]).strip() == "":
            if has_values:
                raise InputError(path, "a row of values has no label", "Fill in the area name or delete the row.",
                                 where=f"row {i + 1}, column {_column_letter(inner + 1)}")
            continue  # blank row or footnote
        body_rows.append(i + 1)
        for j in label_idx:
            labels[j].append("" if r[j] is None else str(r[j]).strip())
        values.append(vals)
    if not body_rows:
        raise InputError(path, "the sheet has a header of periods but no data rows", "Export the table again.")
    named = {j: _role_of_header(head[j]) for j in label_idx if head[j] is not None}
    where = {j: f"column {_column_letter(j + 1)}" for j in label_idx}
    roles = _classify(path, labels, {j: r for j, r in named.items() if r}, where)
    periods = [(str(head[j]).strip(), f"{_column_letter(j + 1)} ({head[j]})") for j in period_idx]
    df = _wide_frame(labels, periods, values, body_rows, roles, inner)
    colnames = {role: _column_letter(j + 1) for j, role in roles.items()}
    _check_labels(path, df, lambda row, role: f"row {row}, column {colnames[role]}", roles.values())
    return _Cells(df, tuple(roles.values()), "xlsx", colnames, title)


def _openpyxl_cells(path: Path) -> list[list]:
    """The first worksheet's cells read with openpyxl (a workbook python-calamine cannot read)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(path, f"the workbook cannot be opened ({type(exc).__name__}: {exc}); it is damaged or "
                         "truncated", "Export the table from StatBank again as xlsx.") from None
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def _column_letter(n: int) -> str:
    """The spreadsheet letters of column ``n`` (1 -> A, 27 -> AA), as ``openpyxl.utils.get_column_letter``."""
    letters = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _is_period_header(cells: list) -> bool:
    """A row whose cells, from the first filled one that is a period on, are all periods (2007Q1, 2008, ...)."""
    filled = [c for c in cells if c is not None and str(c).strip() != ""]
    start = next((k for k, c in enumerate(filled) if not isinstance(c, bool | float) and parse_period(c)), None)
    return start is not None and all(not isinstance(c, bool | float) and parse_period(c) for c in filled[start:])


# ----------------------------------------------------------------------------------------------------- tidy table
def _detect_table(path: Path, cells: _Cells, quarterly: bool) -> str:
    roles = set(cells.roles)
    if "decision" in roles or ("offence" in roles and roles & {"sex", "age"}):
        return "STRAF44"
    if "measure" in roles:
        return "STRAF22"
    if roles & {"sex", "age", "marital"}:
        return "FOLK1A"
    title = cells.title.lower()
    for table, words in TITLE_WORDS:
        if any(w in title for w in words):
            return table
    if "offence" in roles and quarterly:
        return "STRAF11"
    raise InputError(path, "cannot tell which StatBank table this is (no title, and the variables "
                     f"{', '.join(sorted(roles))} fit more than one)",
                     "Pass table='STRAF11', 'STRAF22', 'FOLK1A' or 'STRAF44' to read_statbank.")


def _where(cells: _Cells, i: int, role: str | None = None) -> str:
    """Row and column of the i-th cell: the column of a variable, or (by default) the value's column."""
    row = cells.frame["_row"].iloc[i]
    if role is not None:
        return f"row {row}, column {cells.colnames[role]}"
    col = cells.frame["_col"].iloc[i]
    return f"row {row}, column {col}" if cells.layout == "xlsx" else f"row {row}, column '{col}'"


def _factorize(column: pd.Series) -> tuple[np.ndarray, pd.Index | np.ndarray]:
    """``pd.factorize(column, use_na_sentinel=False)`` up to the order of the distinct values; a categorical whose
    categories all occur and which has no missing value is its codes and categories as they are."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cat = column.array
        codes = cat.codes
        if len(codes) and codes.min() >= 0 and np.bincount(codes, minlength=len(cat.categories)).all():
            return codes, cat.categories
    return pd.factorize(column, use_na_sentinel=False)


def _codes(path: Path, cells: _Cells, role: str) -> pd.Series:
    positions, uniques = _factorize(cells.frame[role])
    resolved = [_resolve(role, str(v)) for v in uniques]
    bad = np.array([c is None for c in resolved], dtype=bool)
    if bad.any():
        i = int(np.flatnonzero(bad[positions])[0])
        label = str(cells.frame[role].iloc[i])
        raise InputError(path, f"the {ROLE_WORDS[role]} {label!r} is not in the StatBank code list "
                         f"(expected {_known(role)})", "Correct the name, or fetch the table with "
                         "valuePresentation=Code.", where=_where(cells, i, role))
    return _categorical(resolved, positions, cells.frame.index)


def _table_codes(path: Path, cells: _Cells, role: str, table: str, series: pd.Series) -> pd.Series:
    """The codes of one variable in the table's own code list (STRAF44 ``M``/``TOT`` for FOLK1A's ``1``/``IALT``);
    a code the table does not have (an age band in FOLK1A) is an error naming the row."""
    foreign = FOREIGN_CODES.get(table, {}).get(role, set())
    bad = series.isin(list(foreign)).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(path, f"{table} has no {ROLE_WORDS[role]} {cells.frame[role].iloc[i]!r} (that is a STRAF44 "
                         "code)", "Read the file as table='STRAF44', or correct the cell.",
                         where=_where(cells, i, role))
    mapping = TABLE_CODES.get(table, {}).get(role)
    if not mapping:
        return series
    values = [mapping.get(c, c) for c in series.cat.categories]
    return _categorical(values, series.cat.codes.to_numpy(dtype=np.intp), series.index)


def _categorical(values: list[str], codes: np.ndarray, index: pd.Index) -> pd.Series:
    """A column whose row ``i`` is ``values[codes[i]]`` (every code a position in ``values``), as a categorical with
    sorted categories (fast to check for duplicates and to sort; :func:`_strings` turns it into strings)."""
    cats = sorted(set(values))
    rank = {c: k for k, c in enumerate(cats)}
    width = np.int8 if len(cats) < 1 << 7 else np.int16 if len(cats) < 1 << 15 else np.int32
    if len(values) == 1:  # one value: every code is 0
        mapped = np.zeros(len(codes), dtype=width)
    else:
        mapped = np.array([rank[v] for v in values], dtype=width)[codes]
    dtype = pd.CategoricalDtype(pd.Index(cats, dtype=object))
    return pd.Series(pd.Categorical.from_codes(mapped, dtype=dtype, validate=False), index=index)


def _strings(df: pd.DataFrame) -> pd.DataFrame:
    """Turn the categorical columns of ``df`` into string columns (one vectorised take each)."""
    out = df.copy(deep=False)
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            cat = df[col].array
            strings = pd.array(list(cat.categories), dtype="str").take(cat.codes)
            out[col] = pd.Series(strings, index=df.index)
    return out


def _sort_codes(column: pd.Series, rows: np.ndarray | None = None) -> tuple[np.ndarray | None, int]:
    """Integer codes of a key column (of its ``rows``, default all) that sort as its values do, and how many codes
    there can be: a categorical's codes (sorted categories, :func:`_categorical`), an integer column's distance from
    its minimum (years and quarters span a few values), else a sorted factorisation. None for the codes when every
    row has code 0 (a column of one value)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cat = column.array
        codes = cat.codes
        if len(cat.categories) == 1 and (codes == 0).all():  # one value (table, sex, ...): every code 0
            return None, 1
        return (codes if rows is None else codes[rows]).astype(np.int64), len(cat.categories)
    if column.dtype.kind in "iu":
        values = column.to_numpy()
        values = (values if rows is None else values[rows]).astype(np.int64)
        if len(values):
            lo, hi = int(values.min()), int(values.max())
            if hi == lo:
                return None, 1
            if hi - lo < 1 << 16:
                return values - lo, hi - lo + 1
    codes, levels = pd.factorize(column if rows is None else column.iloc[rows], sort=True)
    return codes.astype(np.int64, copy=False), len(levels)


def _isin(column: pd.Series, values) -> np.ndarray:
    """``column.isin(values)`` as a boolean array; a categorical's looked up once per category."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.array.codes
        hit = np.append(column.array.categories.isin(list(values)), False)  # code -1 (missing) is never in values
        return hit[codes]
    return column.isin(list(values)).to_numpy()


def _nunique(column: pd.Series) -> int:
    """``column.nunique()``; a categorical's counted from its codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.array.codes
        if len(column.array.categories) == 1:
            return int((codes == 0).any())
        seen = np.zeros(len(column.array.categories) + 1, dtype=bool)
        seen[codes] = True  # code -1 (missing) marks the last entry, which is not counted
        return int(np.count_nonzero(seen[:-1]))
    return column.nunique()


def _key_order(df: pd.DataFrame) -> tuple[np.ndarray, int | None]:
    """The row order that sorts ``df`` by :data:`KEY_COLUMNS` (stable), and the first row (in file order) whose key
    an earlier row already has, or None. Each key column becomes codes that sort as its values do
    (:func:`_sort_codes`); the codes are packed into one integer per row and sorted once (by placing each row at
    its key when the keys are few enough to count, as a StatBank table's are)."""
    key = np.zeros(len(df), dtype=np.int64)
    span = 1
    for col in KEY_COLUMNS:
        codes, size = _sort_codes(df[col])
        if codes is None:  # every row has code 0: the key is the same without it
            continue
        span *= max(size, 1)
        if span >= 2**62:  # too many combinations for one integer: let pandas do it
            dup = df.duplicated(KEY_COLUMNS, keep="first").to_numpy()
            order = df.sort_values(KEY_COLUMNS, kind="mergesort").index.to_numpy()
            return np.asarray(pd.Index(df.index).get_indexer(order)), (int(dup.argmax()) if dup.any() else None)
        key = key * max(size, 1) + codes
    if len(key) and span <= 4 * len(key) + 4096 and key.min() >= 0:
        at = np.full(span, -1, dtype=np.int64)
        at[key] = np.arange(len(key))
        order = at[at >= 0]
        if len(order) == len(key):  # every key once: the rows in key order
            return order, None
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    repeat = order[1:][ordered[1:] == ordered[:-1]]  # each row whose key an earlier row in the file has
    return order, (int(repeat.min()) if repeat.size else None)


def _key_label(row: pd.Series) -> str:
    parts = [f"{k}={row[k]}" for k in ("area_code", "offence_code", "sex", "age", "marital_status", "measure")
             if row[k] != ""]
    return ", ".join(parts + [f"period={row['period']}"])


def _bulk_fill(df: pd.DataFrame) -> pd.DataFrame:
    """Add the combinations a BULK file leaves out (their value is 0: the table's suppressedDataValue)."""
    dims = ["area_code", "offence_code", "sex", "age", "marital_status", "measure", "period"]
    grid = pd.MultiIndex.from_product([sorted(df[d].unique()) for d in dims], names=dims).to_frame(index=False)
    full = grid.merge(df, on=dims, how="left", indicator=True)
    added = full["_merge"] == "left_only"
    full = full.drop(columns="_merge")
    full.loc[added, "value"] = 0.0
    full.loc[added, "missing"] = False
    full["table"] = df["table"].iloc[0]
    full["area_name"] = full["area_code"].map(areas().names)
    codes, uniques = pd.factorize(full["period"])
    parsed = [parse_period(p) for p in uniques]
    full["year"] = np.array([p[1] for p in parsed], dtype="int64")[codes]
    full["quarter"] = np.array([p[2] for p in parsed], dtype="int64")[codes]
    return full


def _check_complete(path: Path, df: pd.DataFrame, layout: str) -> None:
    dims = ["area_code", "offence_code", "sex", "age", "marital_status", "measure", "period"]
    expected = int(np.prod([_nunique(df[d]) for d in dims]))
    if len(df) == expected:
        return
    grid = pd.MultiIndex.from_product([sorted(df[d].unique()) for d in dims], names=dims)
    have = pd.MultiIndex.from_frame(df[dims])
    gap = grid.difference(have)[0]
    desc = ", ".join(f"{d}={v}" for d, v in zip(dims, gap) if v != "")
    fix = ("If this is a BULK file (BULK leaves out zero rows), pass fmt='BULK' or name the file *.bulk.csv; "
           "otherwise download it again." if layout == "long" else "Export the whole table again.")
    raise InputError(path, f"the combination ({desc}) is missing: a StatBank extract has every combination of the "
                     "values it shows, so the file is truncated or was cut", fix)


def _tidy(path: Path, cells: _Cells, table: str | None, fmt: str, offence: str | None,
          measure: str | None, area_codes=None) -> pd.DataFrame:
    df = cells.frame
    period_codes, raw_periods = _factorize(df["period"])
    raw_periods = [str(p) for p in raw_periods]
    periods = []
    for k, raw in enumerate(raw_periods):
        p = parse_period(raw)
        if p is None:
            i = int(np.flatnonzero(period_codes == k)[0])
            kind = "a month, week or half-year" if _OTHER_PERIOD.match(raw.strip()) else "not a period"
            raise InputError(path, f"the period {raw!r} is {kind}; years (2017) and quarters (2017K1, 2017Q1) are "
                             "read", "Fetch the table by year or quarter.",
                             where=_where(cells, i, "period" if cells.layout == "long" else None))
        periods.append(p)
    quarterly = any(p[2] for p in periods)

    detected = None
    if table is None:
        table = _detect_table(path, cells, quarterly)
    else:
        table = table.upper()
        if table not in TABLES:
            raise ValueError(f"table must be one of {', '.join(TABLES)}, not {table!r}")
        try:
            detected = _detect_table(path, cells, quarterly)
        except InputError:  # nothing in the file names the table: take the caller's word
            detected = None
    if detected is not None and detected != table:
        raise InputError(path, f"the file looks like {detected} (its variables: {', '.join(cells.roles)}), not "
                         f"{table}", f"Pass table='{detected}', or read the right file.")
    extra = set(cells.roles) - {"area", *TABLE_ROLES[table]}
    if extra:
        role = sorted(extra)[0]
        raise InputError(path, f"{table} has no {ROLE_WORDS[role]} variable, but the file has one",
                         "Pass the right table= or read the right file.", where="header")

    n = len(df)
    out = {"table": _categorical([table], np.zeros(n, dtype=np.intp), df.index)}  # the columns, in order
    out["area_code"] = _codes(path, cells, "area")
    names = out["area_code"].array.categories
    out["area_name"] = _categorical([areas().names[c] for c in names], out["area_code"].array.codes, df.index)
    eliminated = ELIMINATED_BY_TABLE.get(table, ELIMINATED)
    for role in ("offence", "sex", "age", "marital", "measure", "decision"):
        col = ROLE_COLUMN[role]
        if role == "decision" and role not in TABLE_ROLES[table]:
            continue  # its column (measure) is filled by the measure role
        if role in cells.roles:
            out[col] = _table_codes(path, cells, role, table, _codes(path, cells, role))
        elif role not in TABLE_ROLES[table]:
            out[col] = _categorical([""], np.zeros(n, dtype=np.intp), df.index)
        elif role in eliminated:
            out[col] = _categorical([eliminated[role]], np.zeros(n, dtype=np.intp), df.index)
        else:
            given = offence if role == "offence" else measure
            code = _resolve(role, given) if given is not None else None
            if code is None:
                what = "offence=" if role == "offence" else "measure="
                hint = "'1120' (Voldtægt mv.)" if role == "offence" else "'ANM' (reported) or 'SIG' (charges)"
                raise InputError(path, f"the file has no {ROLE_WORDS[role]} column"
                                 + (f" and {what}{given!r} is not a known code" if given is not None else ""),
                                 f"Pass {what} to read_statbank, e.g. {what}{hint}.", where="header")
            out[col] = _categorical([code], np.zeros(n, dtype=np.intp), df.index)
    out["period"] = _categorical([p[0] for p in periods], period_codes, df.index)
    out["year"] = np.array([p[1] for p in periods], dtype="int64")[period_codes]
    out["quarter"] = np.array([p[2] for p in periods], dtype="int64")[period_codes]

    value_codes, uniques = pd.factorize(df["value"], use_na_sentinel=False)  # repeated values are parsed once
    values, missing, bad = _parse_numbers(uniques)
    if bad.any():
        i = int(np.flatnonzero(bad[value_codes])[0])
        raise InputError(path, f"the value {df['value'].iloc[i]!r} is not a number (missing values are written "
                         "'..', '-' or left empty)", "Correct the cell, or export the table again.",
                         where=_where(cells, i))
    out["value"] = values[value_codes]
    out["missing"] = missing[value_codes]
    out = pd.DataFrame(out, index=df.index)

    order, i = _key_order(out)
    if i is not None:
        raise InputError(path, f"the cell ({_key_label(out.iloc[i])}) appears more than once",
                         "Remove the repeated row, or read each extract on its own.", where=_where(cells, i))

    if fmt == "BULK":
        out = _bulk_fill(_strings(out))
        out = out[TIDY_COLUMNS].sort_values(KEY_COLUMNS, kind="mergesort").reset_index(drop=True)
        out = out.astype(_TIDY_TYPES)
        return out if area_codes is None else _select_areas(out, area_codes, path)
    _check_complete(path, out, cells.layout)
    if area_codes is not None:
        # the rows of the wanted areas only, turned into strings after the selection (a handful of areas of a
        # national table: a fraction of the rows); the same table as selecting from the whole one
        return _select_areas(out, area_codes, path, order, complete=True)
    out = _strings(out[TIDY_COLUMNS].iloc[order].reset_index(drop=True))
    return out.astype(_TIDY_TYPES)


def _select_areas(df: pd.DataFrame, area_codes, path: Path, order: np.ndarray | None = None,
                  complete: bool = False) -> pd.DataFrame:
    """The rows of a tidy table (string or categorical columns; ``order``: its rows in key order, default as they
    are) whose area is in ``area_codes``, with the whole country summed from its parts (:func:`add_country_total`)
    when ``"000"`` is asked for and the table lacks it: string columns, sorted by the key, index from 0.

    ``complete``: ``df`` is one table holding every combination of the values it shows once (checked by
    :func:`_check_complete`), and ``order`` is given: the country's rows are then summed area block by area block
    and come first (``"000"`` sorts before every other area)."""
    if order is None:
        order = np.arange(len(df))
    wanted = list(set(area_codes))
    if complete:
        out = _select_complete(df, wanted, path, order)
        if out is not None:
            return out
    codes = df["area_code"]
    total = None
    if "000" in wanted and not _isin(codes, ["000"]).any():
        total = _strings(_country_total(df, path, order, complete=complete))
    keep = _isin(codes, wanted)
    out = _strings(df.iloc[order[keep[order]]][TIDY_COLUMNS].reset_index(drop=True))
    if total is not None and complete:
        out = pd.concat([total[TIDY_COLUMNS], out], ignore_index=True)
    elif total is not None:
        out = pd.concat([out, total[TIDY_COLUMNS]], ignore_index=True)
        key_order, _ = _key_order(out)
        out = out.iloc[key_order].reset_index(drop=True)
    return out.astype(_TIDY_TYPES)


def _select_complete(df: pd.DataFrame, wanted: list[str], path: Path, order: np.ndarray) -> pd.DataFrame | None:
    """:func:`_select_areas` of a complete table (``complete``), built column by column at once: the country's rows
    (when asked for and absent: :func:`_country_blocks`) and then the wanted areas' rows in key order, each
    categorical column turned into strings by one take over its categories (the country's area code and name
    appended to them). None when the general route must do it (the parts are not whole blocks, or a categorical
    has a missing value)."""
    codes = df["area_code"]
    keep = _isin(codes, wanted)
    rows = order[keep[order]]
    country = None
    if "000" in wanted and not _has_code(codes, "000"):
        country = _country_blocks(df, *_country_parts(df, path, order))
        if country is None:
            return None
    own = {"area_code": "000", "area_name": areas().names["000"]}
    columns = {}
    for col in TIDY_COLUMNS:
        column = df[col]
        if isinstance(column.dtype, pd.CategoricalDtype):
            cat = column.array
            values = list(cat.categories)
            taken = cat.codes[rows]
            if country is not None:
                if col in own:
                    head = np.full(len(country[0]), len(values), dtype=np.int64)
                    values.append(own[col])
                else:
                    head = cat.codes[country[0]]
                taken = np.concatenate([head, taken])
            if len(taken) and taken.min() < 0:
                return None
            columns[col] = pd.array(values, dtype="str").take(taken)
        else:
            array = column.to_numpy()
            taken = array[rows]
            if country is not None:
                head = {"value": country[1], "missing": country[2]}.get(col)
                taken = np.concatenate([array[country[0]] if head is None else head, taken])
            columns[col] = taken
    out = pd.DataFrame(columns)
    if any(out[c].dtype != t for c, t in _TIDY_TYPES.items()):
        out = out.astype(_TIDY_TYPES)
    return out


def _has_code(column: pd.Series, code: str) -> bool:
    """``(column == code).any()``; a categorical without the category is answered from its categories."""
    if isinstance(column.dtype, pd.CategoricalDtype) and code not in column.array.categories:
        return False
    return bool(_isin(column, [code]).any())


def read_statbank(path: Path, *, table: str | None = None, fmt: str | None = None, offence: str | None = None,
                  measure: str | None = None, area_codes: Collection[str] | None = None) -> pd.DataFrame:
    """Read a StatBank STRAF11, STRAF22, FOLK1A or STRAF44 extract in any of its layouts into the tidy table.

    Parameters
    ----------
    path : Path
        An API CSV/BULK response (long), a web CSV export (wide) or an xlsx export; see the module docstring.
    table : str, optional
        ``"STRAF11"``, ``"STRAF22"``, ``"FOLK1A"`` or ``"STRAF44"``; detected from the variables or the title when
        omitted.
    fmt : {"CSV", "BULK"}, optional
        For the long layout only. ``"BULK"`` fills the combinations the file leaves out with 0; the default is
        ``"BULK"`` when the file name contains "bulk" and ``"CSV"`` otherwise.
    offence, measure : str, optional
        The offence type (code or label) and ANM/SIG of a STRAF table exported without that variable, e.g. the
        rape-only STRAF22 files (``offence="1120", measure="ANM"``).
    area_codes : collection of str, optional
        Keep only the rows of these 3-digit area codes, with the whole country (``"000"``) summed from its parts
        as :func:`add_country_total` does when it is asked for and the file lacks it: the same rows as selecting
        them from the whole table afterwards, only faster. The whole file is read and checked either way.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`TIDY_COLUMNS`, one row per cell, sorted by :data:`KEY_COLUMNS`.

    Raises
    ------
    InputError
        Once, for the first problem: the file, the row and column, what was expected and the fix.
    """
    path = Path(path)
    if fmt is not None and fmt.upper() not in FORMATS:
        raise ValueError(f"fmt must be 'CSV' or 'BULK', not {fmt!r}")
    if not path.is_file():
        raise InputError(path, "the file does not exist", "Put the file there, or fetch it with 'tryghed fetch dst'.")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        cells = _read_xlsx(path)
    else:
        text = _text_rows(path)
        header = text.header
        roles = {_role_of_header(h) for h in header}
        if "value" in roles or ("period" in roles and not any(parse_period(h) for h in header)):
            cells = _read_long(path, text)
        elif any(parse_period(h) for h in header):
            cells = _read_wide(path, text)
        else:
            raise InputError(path, f"unknown layout: the header ({', '.join(header[:6])}) has neither the API's "
                             "INDHOLD value column nor period columns (2007Q1, 2008, ...)",
                             "Fetch the table with 'tryghed fetch dst', or export it from StatBank as CSV or xlsx "
                             "with the time variable as columns.", where="header")
    if cells.layout != "long" and fmt is not None:
        raise ValueError("fmt applies to the API's long CSV/BULK layout only")
    use = (fmt or ("BULK" if "bulk" in path.name.lower() else "CSV")).upper()
    return _tidy(path, cells, table, use, offence, measure, area_codes)


def to_annual(df: pd.DataFrame, how: str = "sum") -> pd.DataFrame:
    """Turn a quarterly tidy table into a yearly one.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy table from :func:`read_statbank` with quarterly rows only.
    how : {"sum", "first_quarter"}
        ``"sum"``: the sum of the four quarters (reported offences in the year); NaN and ``missing`` unless all
        four are present and not missing. ``"first_quarter"``: the value of Q1 (FOLK1A: the population on
        1 January); NaN and ``missing`` when Q1 is absent or missing.

    Returns
    -------
    pandas.DataFrame
        The tidy columns with ``period`` ``"2017"`` and ``quarter`` 0, plus ``quarters``: how many usable quarters
        went into the value (4 for a complete sum, 1 for a usable Q1).
    """
    if how not in ("sum", "first_quarter"):
        raise ValueError(f"how must be 'sum' or 'first_quarter', not {how!r}")
    if (df["quarter"] == 0).any():
        raise ValueError("the table already has yearly rows (quarter 0); to_annual needs quarterly rows")
    keys = [c for c in KEY_COLUMNS if c != "quarter"] + ["area_name"]
    ok = ~df["missing"].astype(bool)
    if how == "sum":
        work = df.assign(_ok=ok, _v=df["value"].where(ok, 0.0))
        out = work.groupby(keys, sort=False).agg(value=("_v", "sum"), quarters=("_ok", "sum")).reset_index()
        complete = out["quarters"] == 4
    else:
        first = df[df["quarter"] == 1].assign(_ok=ok)[keys + ["value", "_ok"]]
        out = df[keys].drop_duplicates().merge(first, on=keys, how="left")
        out["quarters"] = out["_ok"].eq(True).astype(int)
        complete = out["quarters"] == 1
        out = out.drop(columns="_ok")
    out["value"] = out["value"].where(complete)
    out["missing"] = ~complete
    out["quarter"] = 0
    out["period"] = out["year"].astype(str)
    out = out[TIDY_COLUMNS + ["quarters"]].sort_values(KEY_COLUMNS, kind="mergesort").reset_index(drop=True)
    return out.astype({"year": "int64", "quarter": "int64", "value": "float64", "missing": "bool",
                       "quarters": "int64"})


#: Area levels whose sum is the whole country: every municipality, Christiansø (411) and the unknown municipality (998).
COUNTRY_PARTS = ("municipality", "other", "unknown")


def add_country_total(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Add the whole country (``"000"``) to a tidy table that lacks it, as the sum of its parts.

    The parts are every municipality, Christiansø (``411``) and, in the STRAF tables, the unknown municipality
    (``998``): offences reported in Denmark whose municipality the police did not record. A cell is missing when
    any of its parts is. The web exports of STRAF11 and FOLK1A by municipality do not carry ``000``.

    Raises
    ------
    InputError
        When a municipality is absent, so the sum would not be the country.
    """
    if (df["area_code"] == "000").any():
        return df
    total = _country_total(df, path)
    out = pd.concat([df, total[TIDY_COLUMNS]], ignore_index=True)
    order, _ = _key_order(out)
    out = out.iloc[order].reset_index(drop=True)
    return out.astype(_TIDY_TYPES)


def _country_parts(df: pd.DataFrame, path: Path, order: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """The rows of the whole country's parts in ``df`` (in ``order``, default as they are) and how many part areas
    there are; an error when a municipality is absent (see :func:`add_country_total`)."""
    levels = area_levels()
    present = set(_factorize(df["area_code"])[1])
    absent = sorted(c for c, lv in levels.items() if lv == "municipality" and c not in present)
    if absent:
        names = ", ".join(f"{areas().names[c]} ({c})" for c in absent[:5])
        raise InputError(path, f"the whole country (000, Hele landet) is not in the file and cannot be summed from "
                         f"its municipalities: {len(absent)} are missing, e.g. {names}",
                         "Add 'Hele landet' or every municipality to the extract, or drop the whole country from "
                         "the pipeline's peers.")
    part_codes = [c for c in present if levels.get(c) in COUNTRY_PARTS]
    is_part = _isin(df["area_code"], part_codes)
    parts = np.flatnonzero(is_part) if order is None else order[is_part[order]]
    return parts, len(part_codes)


def _country_blocks(df: pd.DataFrame, parts: np.ndarray, n_parts: int):
    """The whole country of a complete table whose ``parts`` (:func:`_country_parts`, in key order) come area by
    area, each area with every cell of the other variables in the same order: ``(rows, value, missing)``, the rows
    of the first part's block (the country's keys, in key order) and the country's cells, the sum of the blocks
    cell by cell (a cell is missing when any part's is). None when the parts are not whole blocks."""
    if len(parts) % n_parts != 0:
        return None
    value = df["value"].to_numpy(dtype=float)[parts].reshape(n_parts, -1)
    missing = df["missing"].to_numpy(dtype=bool)[parts].reshape(n_parts, -1).any(axis=0)
    summed = np.add.reduce(np.where(np.isnan(value), 0.0, value), axis=0)
    return parts[:value.shape[1]], np.where(missing, np.nan, summed), missing


def _country_total(df: pd.DataFrame, path: Path, order: np.ndarray | None = None,
                   complete: bool = False) -> pd.DataFrame:
    """The whole country's rows (``"000"``) summed from the parts in ``df`` (:func:`add_country_total`; ``order``:
    the rows in the order they are added up, default as they are), one per cell of the other variables (the caller
    sorts them; with ``complete`` (see :func:`_select_areas`) they come in key order)."""
    parts, n_parts = _country_parts(df, path, order)
    keys = [c for c in KEY_COLUMNS if c != "area_code"] + ["period"]
    blocks = _country_blocks(df, parts, n_parts) if complete and order is not None else None
    if blocks is not None:
        # in key order the parts come area by area: the country is the sum of the blocks, cell by cell (added up in
        # the same order as below)
        rows, value, missing = blocks
        total = df.iloc[rows][keys].reset_index(drop=True)
        total["value"] = value
        total["missing"] = missing
        total["area_code"] = "000"
        total["area_name"] = areas().names["000"]
        return total
    # one integer per cell of the country table, then sums by bincount (the groupby of the same keys, vectorised)
    group = np.zeros(len(parts), dtype=np.int64)
    span = 1
    for col in keys:
        c, size = _sort_codes(df[col], parts)
        if c is None:
            continue
        group = group * max(size, 1) + c
        span *= max(size, 1)
    if len(group) and span <= 4 * len(group) + 4096 and group.min() >= 0:
        # few enough cells to count: number them in key order and take any row of each as its representative
        # (the rows of a cell agree on every key; the table is sorted by its key afterwards)
        seen = np.zeros(span, dtype=bool)
        seen[group] = True
        group = (np.cumsum(seen) - 1)[group]
        first = np.empty(int(seen.sum()), dtype=np.int64)
        first[group] = np.arange(len(group))
    else:
        group, _ = pd.factorize(group)
        first = np.unique(group, return_index=True)[1]
    value = df["value"].to_numpy(dtype=float)[parts]
    missing = np.bincount(group, weights=df["missing"].to_numpy(dtype=float)[parts]) > 0
    summed = np.bincount(group, weights=np.where(np.isnan(value), 0.0, value))
    total = df[keys].iloc[parts[first]].reset_index(drop=True)
    total["value"] = np.where(missing, np.nan, summed)
    total["missing"] = missing
    total["area_code"] = "000"
    total["area_name"] = areas().names["000"]
    return total


def complete_years(df: pd.DataFrame) -> list[int]:
    """The years a tidy table covers completely: yearly rows, or all four quarters (Q1 alone for FOLK1A, whose
    first quarter is the population on 1 January)."""
    if df.empty:
        return []
    yearly = set(df.loc[df["quarter"] == 0, "year"])
    q = df[df["quarter"] > 0]
    if (df["table"] == "FOLK1A").all():
        full = set(q.loc[q["quarter"] == 1, "year"])
    else:
        n = q.groupby("year")["quarter"].nunique()
        full = set(n[n == 4].index)
    return sorted(int(y) for y in yearly | full)


#: STRAF44's single ages (``../shared/STATBANK.md`` §3.4): 15 to 24; 25 sits in the band 25-29.
YOUTH_AGES = tuple(str(a) for a in range(15, 25))


def sum_ages(df: pd.DataFrame, ages=YOUTH_AGES, *, label: str | None = None) -> pd.DataFrame:
    """Add up single ages of a STRAF44 or FOLK1A tidy table: one row per area, other variables and period.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy table from :func:`read_statbank` with single-age rows (``age`` ``"15"`` ... ``"24"``).
    ages : sequence of str
        The ages to add up (default :data:`YOUTH_AGES`).
    label : str, optional
        The ``age`` of the result (default ``"15-24"`` for the first and last age).

    Returns
    -------
    pandas.DataFrame
        The tidy columns plus ``ages``: how many of the ages had a usable value. A sum is missing (NaN,
        ``missing`` True) unless every age is present and not missing: a missing age is never read as 0.
    """
    ages = [str(a) for a in ages]
    label = label or f"{ages[0]}-{ages[-1]}"
    sub = df[df["age"].isin(ages)]
    keys = [c for c in KEY_COLUMNS if c != "age"] + ["area_name", "period"]
    if sub.empty:
        return pd.DataFrame(columns=[*TIDY_COLUMNS, "ages"])
    ok = ~sub["missing"].astype(bool)
    work = sub.assign(_ok=ok, _v=sub["value"].where(ok, 0.0))
    out = work.groupby(keys, sort=False).agg(value=("_v", "sum"), ages=("_ok", "sum")).reset_index()
    complete = out["ages"] == len(ages)
    out["value"] = out["value"].where(complete)
    out["missing"] = ~complete
    out["age"] = label
    out = out[TIDY_COLUMNS + ["ages"]].sort_values(KEY_COLUMNS, kind="mergesort").reset_index(drop=True)
    return out.astype({"year": "int64", "quarter": "int64", "value": "float64", "missing": "bool",
                       "ages": "int64"})
