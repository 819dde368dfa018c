"""The police's reports by neighbourhood: the monthly export, the incident-level export, and the population by
neighbourhood and year that turns counts into rates.

Every reader returns a tidy table with a ``row`` column (the row a person sees when opening the file; for the
incident export, the first report counted in the cell) and maps the file's neighbourhood names onto the pipeline's
area ids with ``areas``, a mapping ``name (any case) -> area_id`` such as :func:`tryghed.sources.area_lookup` builds.
Offence codes are Statistics Denmark's four-digit offence types (``tryghed/resources/straf11_offences.csv``, the
first four digits of the police's seven-digit gerningskode): :func:`offence_codes` lists the ones a report can carry.
Months are ``'YYYY-MM'`` strings.

Formats (documented with examples in ``data/raw/README.md``)::

    monthly export      Nabolag;Måned;Gerningskode;Antal           Indre Nørrebro;2016-01;1320;14
    incident export     Anmeldelsesdato;Gerningskode;Nabolag       2016-01-03;1320;Indre Nørrebro
    population          År;Nabolag;Indbyggere                      2016;Indre Nørrebro;34180

The incident export is read with pyarrow (multi-threaded CSV reader; the three columns dictionary-encoded, so each
distinct neighbourhood, code and date is checked once) and aggregated to the monthly shape; a five-million-row file
takes a few seconds.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ._common import (_decode, check_unique, column_name, keep_row_numbers, kept_row_numbers, read_text_table,
                      rename_columns, to_number, where_row)

#: Tidy columns of both police readers.
COLUMNS = ["row", "area", "period", "offence_code", "count"]

AREA = ("nabolag", "bydel", "område", "omraade", "neighbourhood", "area")
MONTH = ("måned", "maaned", "md", "month", "periode")
CODE = ("gerningskode", "kode", "overtrædelse", "offence_code", "code")
COUNT = ("antal", "antal anmeldelser", "anmeldelser", "count", "reports")
DATE = ("anmeldelsesdato", "anmeldt dato", "anmeldt", "dato", "report_date", "date")
YEAR = ("år", "aar", "year")
POPULATION = ("indbyggere", "befolkning", "folketal", "antal", "population")

_MONTH = re.compile(r"^\s*(\d{4})(?:-|M)(\d{1,2})\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_DANISH_DATE = re.compile(r"^\s*(\d{1,2})[-./](\d{1,2})[-./](\d{4})\s*$")
_MONTH_FIX = "Write months as YYYY-MM (2016-01) or 2016M01."


@cache
def offence_codes() -> frozenset[str]:
    """The offence codes a police report can carry: the leaves of ``tryghed/resources/straf11_offences.csv``
    (four-digit codes such as ``"1320"`` residential burglary; no totals such as ``"12"``)."""
    from .statbank import offence_parents

    parents = offence_parents()
    return frozenset(c for c in parents if c not in set(parents.values()) and c.isdigit())


def _lookup(areas: Mapping[str, str]) -> dict[str, str]:
    return {str(k).strip().lower(): v for k, v in areas.items()}


def _known(lookup: Mapping[str, str]) -> str:
    names = sorted(lookup)
    shown = ", ".join(names[:20])
    return shown + (f" and {len(names) - 20} more" if len(names) > 20 else "")


def unknown_area(path: Path, name: str, areas: Mapping[str, str], where: str, column: str = "Nabolag") -> InputError:
    """The error for a neighbourhood that is not in the pipeline's area tree."""
    return InputError(path, f"column '{column}' holds {name!r}, which is not an area of the pipeline (known: "
                      f"{_known(_lookup(areas))})",
                      "Correct the name, or add it as an area or an alias of its area in the pipeline YAML's "
                      "'areas'.", where=where)


def map_areas(df: pd.DataFrame, column: str, path: Path, areas: Mapping[str, str], header_rows: int = 1) -> pd.Series:
    """The area id of each row's name in ``column``; an unknown or empty name is an error naming the row."""
    lookup = _lookup(areas)
    names = df[column].astype(object).where(df[column].notna(), "").astype(str).str.strip()
    ids = names.str.lower().map(lookup)
    bad = ids.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        if not names.iloc[i]:
            raise InputError(path, f"column '{column_name(df, column)}' is empty",
                             "Fill in the neighbourhood of every row.", where=where_row(df, i, header_rows))
        raise unknown_area(path, names.iloc[i], areas, where_row(df, i, header_rows), column_name(df, column))
    return ids.astype(str)


def _code_problem(path: Path, code: str, column: str, where: str) -> InputError:
    problem = "is empty" if not code else f"holds {code!r}, which is not in the offence code list"
    return InputError(path, f"column '{column}' {problem}",
                      "Use the four-digit offence codes of tryghed/resources/straf11_offences.csv (e.g. 1320 "
                      "residential burglary; the first four digits of a seven-digit gerningskode), or add the code "
                      "to the pipeline's code list.", where=where)


def _month_problem(path: Path, month: str, months: tuple[str, str], column: str, where: str) -> InputError:
    return InputError(path, f"column '{column}' holds {month}, outside the period {months[0]} to {months[1]}",
                      f"Export only the months {months[0]} to {months[1]}, or widen the period in the pipeline YAML.",
                      where=where)


def _check_months(months: tuple[str, str] | None) -> tuple[str, str] | None:
    if months is None:
        return None
    for m in months:
        if not re.fullmatch(r"\d{4}-\d{2}", m):
            raise ValueError(f"months must be 'YYYY-MM' strings, got {m!r}")
    return months


def read_police_monthly(path: Path, *, areas: Mapping[str, str], codes: Collection[str] | None = None,
                        months: tuple[str, str] | None = None) -> pd.DataFrame:
    """Read the police's monthly export by neighbourhood and offence code.

    Parameters
    ----------
    path : Path
        ``;``-, ``,``- or tab-separated UTF-8 text with the columns ``Nabolag;Måned;Gerningskode;Antal`` (aliases
        in :data:`AREA`, :data:`MONTH`, :data:`CODE`, :data:`COUNT`).
    areas : Mapping[str, str]
        Neighbourhood name (any case) -> area id.
    codes : Collection[str], optional
        The offence codes the export may hold; default :func:`offence_codes`.
    months : (str, str), optional
        First and last month (``'YYYY-MM'``, inclusive) the file may hold.

    Returns
    -------
    pandas.DataFrame
        ``row, area, period, offence_code, count``: one row per neighbourhood, month and code (unique).
    """
    path = Path(path)
    months = _check_months(months)
    allowed = frozenset(str(c) for c in (offence_codes() if codes is None else codes))
    df = rename_columns(read_text_table(path), path,
                        {"area": AREA, "period": MONTH, "offence_code": CODE, "count": COUNT})
    area = map_areas(df, "area", path, areas)
    raw_month = df["period"].str.strip()
    parts = raw_month.str.extract(_MONTH)
    month_no = pd.to_numeric(parts[1], errors="coerce")
    bad = parts[0].isna() | ~month_no.between(1, 12)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(path, f"column '{column_name(df, 'period')}' holds {raw_month.iloc[i]!r}, which is not a "
                         "month", _MONTH_FIX, where=where_row(df, i))
    period = parts[0] + "-" + month_no.astype(int).astype(str).str.zfill(2)
    if months is not None:
        outside = (period < months[0]) | (period > months[1])
        if outside.any():
            i = int(outside.to_numpy().nonzero()[0][0])
            raise _month_problem(path, period.iloc[i], months, column_name(df, "period"), where_row(df, i))
    code = df["offence_code"].str.strip()
    unknown = ~code.isin(allowed)
    if unknown.any():
        i = int(unknown.to_numpy().nonzero()[0][0])
        raise _code_problem(path, code.iloc[i], column_name(df, "offence_code"), where_row(df, i))
    out = pd.DataFrame({
        "area": area, "period": period, "offence_code": code,
        "count": to_number(df, "count", path, integer=True, minimum=0),
    })
    out.attrs = dict(df.attrs)
    check_unique(out, ["area", "period", "offence_code"], path)
    out = keep_row_numbers(out).reset_index(drop=True)
    out.insert(0, "row", kept_row_numbers(out))
    return out


def _header(path: Path) -> tuple[list[str], str]:
    """The header names and the separator of a large text file, read from its first line only."""
    if not path.is_file():
        raise InputError(path, "the file does not exist", "Put the file there or fix 'file' in the pipeline YAML.")
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise InputError(path, "the file is empty", "Export the table again; an empty file has no header row.",
                         where="line 1")
    first = _decode(path, head.split(b"\n", 1)[0] + b"\n").strip("\r\n")
    counts = {sep: first.count(sep) for sep in (";", ",", "\t")}
    sep = max(counts, key=counts.get)
    return [h.strip().strip('"') for h in first.split(sep)], sep


def _parse_date(text: str) -> int | None:
    """``YYYYMM`` of an ISO (2016-01-03) or Danish (03-01-2016, 3.1.2016) date; ``None`` when it is not a date."""
    if m := _ISO_DATE.match(text):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _DANISH_DATE.match(text):
        d, mo, y = (int(g) for g in m.groups())
    else:
        return None
    try:
        pd.Timestamp(year=y, month=mo, day=d)
    except ValueError:
        return None
    return y * 100 + mo


def read_police_incidents(path: Path, *, areas: Mapping[str, str], codes: Collection[str] | None = None,
                          months: tuple[str, str] | None = None) -> pd.DataFrame:
    """Read the police's incident-level export (one row a report) and count the reports by neighbourhood, month and
    offence code.

    Parameters
    ----------
    path : Path
        UTF-8 text, ``;``, ``,`` or tab-separated, with the columns ``Anmeldelsesdato;Gerningskode;Nabolag`` (aliases
        in :data:`DATE`, :data:`CODE`, :data:`AREA`; other columns such as a journal number are ignored). Dates are
        ISO (2016-01-03) or Danish (03-01-2016). Fields must not hold line breaks. Blank lines are skipped.
    areas, codes, months
        As for :func:`read_police_monthly`.

    Returns
    -------
    pandas.DataFrame
        ``row, area, period, offence_code, count`` (the monthly export's shape), sorted by area, period and code;
        ``row`` is the first row of the file counted in the cell. Cells without reports are absent.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    months = _check_months(months)
    allowed = frozenset(str(c) for c in (offence_codes() if codes is None else codes))
    names, sep = _header(path)
    found = rename_columns(pd.DataFrame(columns=names), path, {"date": DATE, "offence_code": CODE, "area": AREA})
    own = {c: column_name(found, c) for c in ("date", "offence_code", "area")}
    dictionary = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=sep, ignore_empty_lines=False, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(include_columns=list(own.values()),
                                                 column_types={v: dictionary for v in own.values()},
                                                 strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        text = " ".join(str(exc).split())
        if "utf8" in text.lower() or isinstance(exc, UnicodeDecodeError):
            raise InputError(path, "the file is not UTF-8", "Save it as UTF-8 (in Excel: 'CSV UTF-8'), or convert "
                             "it with iconv -f latin1 -t utf-8.", where="whole file") from None
        raise InputError(path, f"the file cannot be split into fields ({text})",
                         "Every row needs the header's number of fields; check separators and quotes, or export the "
                         "file again.", where=_parse_error_row(path, text)) from None
    if table.num_rows == 0:
        raise InputError(path, "the file has a header but no data rows", "Export the table again with its rows.",
                         where="row 2")
    table = table.unify_dictionaries()
    lookup = _lookup(areas)

    def codes_of(column: str, decode) -> np.ndarray:
        """Per-row integer code (``-1`` blank, ``-2`` invalid) from the column's dictionary."""
        chunks = table[own[column]].chunks
        values = [str(v) for v in chunks[0].dictionary.to_pylist()] if chunks else []
        mapped = np.array([decode(v) for v in values], dtype=np.int64)
        idx = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
        return mapped[idx]

    area_ids = sorted(set(lookup.values()))
    area_no = {a: i for i, a in enumerate(area_ids)}
    code_list = sorted(allowed)
    code_no = {c: i for i, c in enumerate(code_list)}
    area_key = codes_of("area", lambda v: -1 if not v.strip() else area_no.get(lookup.get(v.strip().lower()),
                                                                                         -2))
    code_key = codes_of("offence_code", lambda v: -1 if not v.strip() else code_no.get(v.strip(), -2))
    month_key = codes_of("date", lambda v: -1 if not v.strip() else (_parse_date(v) or -2))
    blank = (area_key == -1) & (code_key == -1) & (month_key == -1)

    def first(mask: np.ndarray) -> tuple[int, str]:
        i = int(np.flatnonzero(mask & ~blank)[0])
        return i, f"row {i + 2}"

    for key, column in ((area_key, "area"), (code_key, "offence_code"), (month_key, "date")):
        if (key == -1)[~blank].any():
            i, where = first(key == -1)
            raise InputError(path, f"column '{own[column]}' is empty", "Fill in every field of every report.",
                             where=where)
    if (area_key == -2).any():
        i, where = first(area_key == -2)
        raise unknown_area(path, _cell(table, own["area"], i), areas, where, own["area"])
    if (code_key == -2).any():
        i, where = first(code_key == -2)
        raise _code_problem(path, _cell(table, own["offence_code"], i).strip(), own["offence_code"], where)
    if (month_key == -2).any():
        i, where = first(month_key == -2)
        raise InputError(path, f"column '{own['date']}' holds {_cell(table, own['date'], i)!r}, which is not a date",
                         "Write dates as YYYY-MM-DD or DD-MM-YYYY.", where=where)
    if months is not None:
        lo, hi = (int(m.replace("-", "")) for m in months)
        outside = (month_key < lo) | (month_key > hi)
        if (outside & ~blank).any():
            i, where = first(outside)
            m = month_key[i]
            raise _month_problem(path, f"{m // 100}-{m % 100:02d} ({_cell(table, own['date'], i)})", months,
                                 own["date"], where)
    keep = np.flatnonzero(~blank) if blank.any() else None
    cols = {"a": area_key, "m": month_key, "c": code_key, "i": np.arange(len(area_key), dtype=np.int64)}
    if keep is not None:
        cols = {k: v[keep] for k, v in cols.items()}
    grouped = pa.table(cols).group_by(["a", "m", "c"]).aggregate([("i", "count"), ("i", "min")])
    g = {name: grouped[name].to_numpy() for name in grouped.column_names}
    out = pd.DataFrame({
        "row": g["i_min"] + 2,
        "area": np.asarray(area_ids, dtype=object)[g["a"]],
        "period": [f"{m // 100}-{m % 100:02d}" for m in g["m"].tolist()],
        "offence_code": np.asarray(code_list, dtype=object)[g["c"]],
        "count": g["i_count"].astype("int64"),
    })
    return out.sort_values(["area", "period", "offence_code"], ignore_index=True)


def _parse_error_row(path: Path, message: str) -> str:
    """The row pyarrow quotes in a parse error (``... got 4: <row text>``), found by a scan of the file; only run
    when reading failed."""
    m = re.search(r"got \d+: (.+)$", message)
    if m:
        quoted = m.group(1).strip()
        with open(path, encoding="utf-8", errors="replace", newline="") as fh:
            for n, line in enumerate(fh, start=1):
                text = line.rstrip("\r\n")
                if text and (text == quoted or text.startswith(quoted)):
                    return f"row {n}"
    return "whole file"


def _cell(table, column: str, i: int) -> str:
    return str(table[column][i].as_py())


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    """Write a tidy police table to parquet (no index); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)
    return path


def read_neighbourhood_population(path: Path, *, areas: Mapping[str, str]) -> pd.DataFrame:
    """Read the population by neighbourhood and year (the rates' denominators).

    Parameters
    ----------
    path : Path
        Text table ``År;Nabolag;Indbyggere`` (aliases in :data:`YEAR`, :data:`AREA`, :data:`POPULATION`): the
        population on 1 January of the year.
    areas : Mapping[str, str]
        Neighbourhood name (any case) -> area id.

    Returns
    -------
    pandas.DataFrame
        ``row, area, year, population``, one row per area and year.
    """
    path = Path(path)
    df = rename_columns(read_text_table(path), path, {"year": YEAR, "area": AREA, "population": POPULATION})
    out = pd.DataFrame({
        "area": map_areas(df, "area", path, areas),
        "year": to_number(df, "year", path, integer=True, minimum=1990, maximum=2100),
        "population": to_number(df, "population", path, integer=True, minimum=1),
    })
    out.attrs = dict(df.attrs)
    check_unique(out, ["area", "year"], path)
    out = keep_row_numbers(out).reset_index(drop=True)
    out.insert(0, "row", kept_row_numbers(out))
    return out


def rate_per_1000(counts: pd.DataFrame, population: pd.DataFrame, *, codes: Collection[str]) -> pd.DataFrame:
    """Reports of ``codes`` per 1,000 residents per area and calendar year.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``area, period, offence_code, count`` (either police reader).
    population : pandas.DataFrame
        ``area, year, population`` (:func:`read_neighbourhood_population`).
    codes : Collection[str]
        The offence codes counted (e.g. the citizen-directed list of the pipeline YAML).

    Returns
    -------
    pandas.DataFrame
        ``area, year, months, count, population, rate``: ``months`` is the number of distinct months the export holds
        for the area that year (12 for a full year), ``rate = 1000 * count / population``. Area-years without a
        population are left out.
    """
    wanted = counts[counts["offence_code"].isin([str(c) for c in codes])].copy()
    wanted["year"] = wanted["period"].str[:4].astype(int)
    months = counts.assign(year=counts["period"].str[:4].astype(int)).groupby(["area", "year"])["period"].nunique()
    total = wanted.groupby(["area", "year"])["count"].sum()
    out = pd.DataFrame({"months": months}).join(total).fillna({"count": 0}).reset_index()
    out = out.merge(population[["area", "year", "population"]], on=["area", "year"], how="inner")
    out["count"] = out["count"].astype("int64")
    out["rate"] = 1000 * out["count"] / out["population"]
    return out[["area", "year", "months", "count", "population", "rate"]]
