"""Any long table of area × period × indicator numbers: CSV (``;`` or ``,``), xlsx or parquet (``format: long``).

The pipeline YAML names, for each role, the file's own header::

    sources:
      crime:
        format: long
        file: city_crime_monthly.csv
        columns: {area: district, period: month, indicator: offence, count: reports, population: residents}

Roles: ``period`` (required), ``area`` (optional when the file holds one area's series, e.g. a city's published
figures: every row then belongs to the pipeline's root area), ``indicator`` (optional when the file holds one
measure) and at least one
of ``count`` (whole events, at least 0), ``population`` (denominator, above 0), ``value`` (a published share in
percent or a published rate) and ``n`` (sample size, a whole number of at least 1). Cells of the number columns may
be empty (a row of a share has no count); a row with no number at all is an error.

Everything is checked with the strict readers of :mod:`tryghed.sources._common`, so an error names the file, the row
a person sees in a spreadsheet (the header is row 1; in a parquet file the first data row is row 1), what was
expected and the fix. The checks are vectorised: a table of a million rows reads in seconds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..periods import ACCEPTED, parse_periods
from ._common import HEADER_SCAN_ROWS, _one_line, check_unique, excel_file, read_text_table, to_number, where_row

#: The roles a column can play, in the order of the output.
ROLES = ("area", "period", "indicator", "count", "population", "value", "n")
NUMBER_ROLES = ("count", "population", "value", "n")
#: The tidy output's columns.
OUTPUT_COLUMNS = ("row", "area", "period", "period_type", "year", "indicator", "count", "population", "value", "n")
#: File name endings read as a worksheet, as parquet; everything else is read as delimited text.
SHEET_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")


def _norm(text) -> str:
    return " ".join(str(text).split()).lower()


def _check_columns(columns: Mapping[str, str]) -> dict[str, str]:
    columns = {str(k): str(v) for k, v in dict(columns).items() if v is not None}
    unknown = sorted(set(columns) - set(ROLES))
    if unknown:
        raise ConfigError(f"columns: unknown role(s) {', '.join(unknown)}; the roles are {', '.join(ROLES)}. "
                          "Map each role to the file's header, e.g. {area: bydel, period: år, count: antal}.")
    if "period" not in columns:
        raise ConfigError("columns: the 'period' role is missing; name the file's period column, "
                          "e.g. columns: {period: <header>}.")
    if not set(columns) & {"count", "value"}:
        raise ConfigError("columns: name a 'count' or a 'value' column (a population or n alone is no measure).")
    return columns


def read_sheet(path: Path, sheet: str | None, header_names: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    """Read worksheet ``sheet`` (default the first) of an xlsx as strings-or-values, header found by name.

    The header is the first of the top :data:`~tryghed.sources._common.HEADER_SCAN_ROWS` rows that holds one of
    ``header_names`` (case- and whitespace-insensitive), so title rows above it are fine. Returns the table (index
    counting data rows from 0, blank rows dropped) and the number of sheet rows above the first data row.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "the file does not exist", "Put the file there or fix 'file' in the pipeline YAML.")
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty", "Save the workbook again from Excel.", where="whole file")
    try:
        book = excel_file(path)
    except Exception as exc:  # any failure to open the workbook is a broken file, whatever the library raised
        raise InputError(path, f"the file is not a readable xlsx workbook ({type(exc).__name__}: {_one_line(exc)})",
                         "The file is damaged or cut off: save it again from Excel as 'Excel Workbook (.xlsx)' and "
                         "copy the whole file.", where="whole file") from None
    with book:
        names = book.sheet_names
        if sheet is None:
            sheet = names[0]
        elif sheet not in names:
            raise InputError(path, f"the workbook has no sheet '{sheet}' (it has: {', '.join(names)})",
                             "Fix 'sheet' in the pipeline YAML to one of the workbook's sheet names.",
                             where="whole file")
        grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
    wanted = {_norm(n) for n in header_names}
    top = grid.head(HEADER_SCAN_ROWS)
    hits = [i for i, row in enumerate(top.itertuples(index=False))
            if {_norm(c) for c in row if isinstance(c, str)} & wanted]
    if not hits:
        last = max(1, min(HEADER_SCAN_ROWS, len(grid)))
        shown = ", ".join(header_names[:7]) + (", …" if len(header_names) > 7 else "")
        raise InputError(path, f"no header row naming '{header_names[0]}' among the first {last} rows",
                         f"Put the header row ({shown}) above the data, or fix 'columns' in the pipeline YAML to "
                         "the sheet's headers.", where=f"sheet '{sheet}', rows 1–{last}")
    header = hits[0]
    labels = [" ".join(str(c).split()) if isinstance(c, str) or not pd.isna(c) else "" for c in grid.iloc[header]]
    keep = [j for j, name in enumerate(labels) if name]
    df = grid.iloc[header + 1:, keep].copy()
    df.columns = [labels[j] for j in keep]
    df.index = pd.RangeIndex(len(df))
    df = df[~df.isna().all(axis=1)]
    if df.empty:
        raise InputError(path, "the sheet has a header but no data rows", "Fill in the rows below the header.",
                         where=f"sheet '{sheet}', row {header + 2}")
    df.attrs["sheet"] = sheet
    df.attrs["header_where"] = f"sheet '{sheet}', header row {header + 1}"
    return df, header + 1


def read_raw(path: Path, *, sheet: str | None = None, header_names: tuple[str, ...] = ()) -> tuple[pd.DataFrame, int]:
    """The file's table as read (text cells as strings), and the rows above the first data row.

    CSV and other text: :func:`~tryghed.sources._common.read_text_table` (separator sniffed, UTF-8 with or without
    BOM); xlsx: :func:`read_sheet` (the header is the first row naming one of ``header_names``); parquet:
    :func:`pandas.read_parquet` (row 1 is the first data row).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in SHEET_SUFFIXES:
        if not header_names:
            raise ValueError("header_names is needed to find the header row of a worksheet")
        return read_sheet(path, sheet, header_names)
    if sheet is not None:
        raise ConfigError(f"'sheet: {sheet}' is set for {path.name}, which is not an xlsx workbook; remove 'sheet'.")
    if suffix in PARQUET_SUFFIXES:
        if not path.is_file():
            raise InputError(path, "the file does not exist", "Put the file there or fix 'file' in the pipeline YAML.")
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # a damaged parquet file raises whatever pyarrow raises
            raise InputError(path, f"the file is not a readable parquet file ({type(exc).__name__}: "
                             f"{_one_line(exc)})", "Write the file again, or export the table as CSV.",
                             where="whole file") from None
        if df.empty:
            raise InputError(path, "the file has no data rows", "Write the table again with its rows.",
                             where="whole file")
        df.columns = [str(c) for c in df.columns]
        return df.reset_index(drop=True), 0
    return read_text_table(path), 1


def text_cells(values: pd.Series) -> pd.Series:
    """Cells as stripped text: whole numbers without ``.0`` (an area code 101 read from xlsx), missing as ``""``.

    Each distinct value is converted once, so a long column costs what its distinct values cost.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)

    def one(v) -> str:
        if isinstance(v, (float, np.floating)) and np.isfinite(v) and v % 1 == 0:
            return str(int(v))
        if isinstance(v, pd.Timestamp):
            return v.date().isoformat() if v == v.normalize() else str(v)
        return " ".join(str(v).split())

    table = np.array([one(u) for u in uniques] + [""], dtype=object)
    return pd.Series(table[np.where(codes < 0, len(uniques), codes)], index=values.index, dtype=object)


def _find_headers(df: pd.DataFrame, columns: dict[str, str], path: Path) -> dict[str, str]:
    """Map each role to the file's column (exact, else case- and whitespace-insensitive)."""
    by_norm = {}
    for c in df.columns:
        by_norm.setdefault(_norm(c), c)
    found = {}
    for role, header in columns.items():
        col = header if header in df.columns else by_norm.get(_norm(header))
        if col is None:
            raise InputError(path, f"column '{header}' (the {role} column named in 'columns') is missing; "
                             f"the file has: {', '.join(map(str, df.columns))}",
                             f"Fix 'columns: {{{role}: ...}}' in the pipeline YAML to one of the file's headers, "
                             "or rename the column in the file.", where=df.attrs.get("header_where", "header"))
        found[role] = col
    return found


def _first(mask) -> int:
    return int(np.asarray(mask).nonzero()[0][0])


def read_long(path: Path, *, columns: Mapping[str, str], sheet: str | None = None,
              shares: Collection[str] | bool = ()) -> pd.DataFrame:
    """Read a long table into the tidy frame ``row, area, period, period_type, year, indicator, count, population,
    value, n``.

    Parameters
    ----------
    path : Path
        A CSV (``;``, ``,`` or tab; decimal comma or point; UTF-8 with or without BOM), an xlsx or a parquet file.
    columns : mapping
        Role -> the file's header, roles from :data:`ROLES` (``period`` required, and ``count`` or ``value``;
        without ``area`` every row is one area's, ``area`` ``""``). Headers match case- and whitespace-insensitively.
    sheet : str, optional
        The worksheet of an xlsx (default the first).
    shares : collection of str or bool
        Indicator values whose ``value`` is a share in percent, checked to lie in 0–100 (``True``: every row).

    Returns
    -------
    DataFrame
        One row per file row, in file order: ``row`` (the row a person sees, int), ``area`` (text), ``period``
        (canonical label: ``2017``, ``2017H1``, ``2017Q1``, ``2017-01``), ``period_type`` (``year``, ``half_year``,
        ``quarter``, ``month``), ``year`` (int), ``indicator`` (text; ``""`` when the file has no indicator column),
        ``count`` and ``n`` (nullable ``Int64``), ``population`` and ``value`` (float, NaN when empty or absent).
        ``attrs`` holds ``path``, ``sheet``, ``columns`` (role -> the file's header) and ``header_rows``.

    Raises
    ------
    InputError
        Naming file, row and fix: a missing column, an empty area or indicator, a period that does not parse, a
        number that is not a number, a count that is negative or not whole, an n below 1, a population of 0, a row
        without any number, a share outside 0–100, the same area × period × indicator twice, or periods that overlap
        (``2017`` and ``2017-03`` for the same area and indicator).
    ConfigError
        When ``columns`` names an unknown role or lacks a required one.
    """
    path = Path(path)
    columns = _check_columns(columns)
    df, header_rows = read_raw(path, sheet=sheet, header_names=tuple(columns.values()))
    found = _find_headers(df, columns, path)
    attrs = {"sheet": df.attrs.get("sheet"), "columns": {role: str(col) for role, col in found.items()}}

    def where(i: int) -> str:
        return where_row(work, i, header_rows)

    work = pd.DataFrame(index=df.index)
    work.attrs = dict(attrs)
    for role in ("area", "indicator"):
        if role not in found:
            continue
        work[role] = text_cells(df[found[role]])
        empty = work[role].eq("")
        if empty.any():
            i = _first(empty)
            raise InputError(path, f"column '{found[role]}' is empty", f"Fill in the {role} of every row, or delete "
                             "the row.", where=where(i))
    raw_period = df[found["period"]]
    periods = parse_periods(raw_period)
    if not periods["ok"].all():
        i = _first(~periods["ok"])
        shown = text_cells(raw_period.iloc[[i]]).iloc[0]
        problem = (f"column '{found['period']}' is empty" if shown == "" else
                   f"column '{found['period']}' holds {shown!r}, which is not a period")
        raise InputError(path, problem, f"Write the period as one of {ACCEPTED}.", where=where(i))

    out = pd.DataFrame({
        "row": df.index.to_numpy(dtype="int64") + 1 + header_rows,
        "area": work["area"] if "area" in work else "",
        "period": periods["period"].astype(object),
        "period_type": periods["period_type"].astype(object),
        "year": periods["year"].astype("int64"),
        "indicator": work["indicator"] if "indicator" in work else "",
    }, index=df.index)
    out["row"] = out["row"].astype("int64")

    rules = {"count": {"integer": True, "minimum": 0}, "population": {"minimum": 0},
             "value": {}, "n": {"integer": True, "minimum": 1}}
    present = pd.Series(False, index=df.index)
    for role in NUMBER_ROLES:
        dtype = "Int64" if role in ("count", "n") else "float64"
        if role not in found:
            out[role] = pd.Series(pd.NA if dtype == "Int64" else np.nan, index=df.index, dtype=dtype)
            continue
        cells = df[found[role]]
        filled = ~(cells.isna() | text_cells(cells).eq(""))
        present |= filled
        # each distinct cell is parsed once, at its first row (so the first bad row is still the one named)
        kept = cells[filled]
        codes, _ = pd.factorize(kept, sort=False)
        sub = pd.DataFrame({role: kept[~kept.duplicated()]})
        sub.attrs = dict(attrs)
        values = to_number(sub, role, path, header_rows=header_rows, **rules[role]) if len(sub) else sub[role]
        col = pd.Series(pd.NA if dtype == "Int64" else np.nan, index=df.index, dtype=dtype)
        col[filled] = values.to_numpy()[codes]
        if role == "population" and (col == 0).any():
            i = _first(col.eq(0).fillna(False))
            raise InputError(path, f"column '{found[role]}' holds 0; a population must be above 0",
                             "Leave the cell empty when the population is not known, or remove the row.",
                             where=where(i))
        out[role] = col
    if not present.all():
        i = _first(~present)
        named = ", ".join(f"'{found[r]}'" for r in NUMBER_ROLES if r in found)
        raise InputError(path, f"the row has no number in any of {named}",
                         "Fill in the row's number, or delete the row.", where=where(i))

    out.attrs = dict(attrs)
    keys = (["area"] if "area" in found else []) + ["period"] + (["indicator"] if "indicator" in found else [])
    check_unique(out, keys, path, header_rows)
    _check_overlaps(out, periods, path, where)
    out.attrs.update(path=str(path), header_rows=header_rows)
    out = out.reset_index(drop=True)
    if shares:
        check_shares(out, path, indicators=shares)
    return out


def _check_overlaps(out: pd.DataFrame, periods: pd.DataFrame, path: Path, where) -> None:
    """Error when two rows of one area and indicator cover the same month (``2017`` and ``2017-03``)."""
    if periods["period_type"].nunique() < 2:
        return
    frame = pd.DataFrame({"area": out["area"].to_numpy(), "indicator": out["indicator"].to_numpy(),
                          "start": periods["start"].to_numpy(dtype="int64"),
                          "end": (periods["start"] + periods["months"] - 1).to_numpy(dtype="int64"),
                          "pos": np.arange(len(out))})
    frame = frame.sort_values(["area", "indicator", "start", "pos"], kind="stable")
    reach = frame.groupby(["area", "indicator"], sort=False)["end"].cummax()
    before = reach.groupby([frame["area"], frame["indicator"]], sort=False).shift()
    clash = before.to_numpy(dtype="float64") >= frame["start"].to_numpy()
    if not clash.any():
        return
    j = _first(clash)
    late = frame.iloc[j]
    same = frame[(frame["area"] == late["area"]) & (frame["indicator"] == late["indicator"])
                 & (frame["end"] >= late["start"]) & (frame["start"] <= late["start"]) & (frame["pos"] != late["pos"])]
    other = int(same["pos"].iloc[0])
    i = int(late["pos"])
    a, b = out["period"].iloc[other], out["period"].iloc[i]
    what = f"area {out['area'].iloc[i]}" + (f", indicator {out['indicator'].iloc[i]}" if out["indicator"].iloc[i]
                                            else "")
    raise InputError(path, f"period {b} overlaps period {a} (row {out['row'].iloc[other]}) for {what}",
                     "Keep one of the two rows: a table holds each month once, either in a finer or a coarser "
                     "period.", where=where(i))


def check_shares(df: pd.DataFrame, path: Path, *, indicators: Collection[str] | bool = True) -> None:
    """Error naming the row when a published share (``value``, in percent) lies outside 0–100.

    ``df`` is :func:`read_long`'s output; ``indicators`` the indicator values that are shares (``True``: all rows).
    """
    rows = df if indicators is True else df[df["indicator"].isin(list(indicators))]
    bad = rows["value"].notna() & ~rows["value"].between(0, 100)
    if bad.any():
        i = _first(bad)
        header = df.attrs.get("columns", {}).get("value", "value")
        sheet = df.attrs.get("sheet")
        row = f"row {rows['row'].iloc[i]}"
        raise InputError(path, f"column '{header}' holds {rows['value'].iloc[i]:g}, a share outside 0–100",
                         "Write the share in percent (0–100; 0.86 is written 86), or correct it at its source.",
                         where=f"sheet '{sheet}', {row}" if sheet else row)


def select_measure(df: pd.DataFrame, select: str | Collection[str], path: Path | None = None) -> pd.DataFrame:
    """The rows of one indicator of the YAML: ``select`` is one value of the indicator column or a list summed.

    Parameters
    ----------
    df : DataFrame
        :func:`read_long`'s output.
    select : str or collection of str
        One indicator value (its rows as they are) or several, whose counts are added per area and period. The
        population of an area and period must be the same in each of them (it is taken once); published values
        (``value``, ``n``) cannot be added. An area and period that lacks one of the values gets a missing count.
    path : Path, optional
        The file, for messages (default ``df.attrs["path"]``).

    Returns
    -------
    DataFrame
        The columns of :func:`read_long` with ``indicator`` set to the selected value(s) joined by ``+`` and ``row`` the
        first row of each area and period.

    Raises
    ------
    ConfigError
        A selected value the file does not hold (the message lists the values it has), or a sum of published values.
    InputError
        Populations that differ between the summed values for one area and period (names both rows).
    """
    path = Path(path or df.attrs.get("path", "table"))
    values = [select] if isinstance(select, str) else list(select)
    have = list(pd.unique(df["indicator"]))
    missing = [v for v in values if v not in have]
    if missing:
        shown = ", ".join(repr(v) for v in have[:20]) + (", …" if len(have) > 20 else "")
        raise ConfigError(f"{path}: 'select' names {', '.join(repr(v) for v in missing)}, which the indicator column "
                          f"does not hold; it holds {shown}. Fix 'select' in the pipeline YAML.")
    rows = df[df["indicator"].isin(values)]
    if len(values) == 1:
        return rows.reset_index(drop=True)
    if rows["value"].notna().any() or rows["n"].notna().any():
        raise ConfigError(f"{path}: 'select' lists {len(values)} values, but published values (a share or a rate "
                          "with its n) cannot be added up. Select one value per indicator.")
    keys = ["area", "period"]
    pop = rows.dropna(subset=["population"])
    spread = pop.groupby(keys, sort=False)["population"].agg(["min", "max"])
    differ = spread[spread["min"] != spread["max"]]
    if len(differ):
        area, period = differ.index[0]
        clash = pop[(pop["area"] == area) & (pop["period"] == period)]
        a, b = clash.iloc[0], clash[clash["population"] != clash["population"].iloc[0]].iloc[0]
        header = df.attrs.get("columns", {}).get("population", "population")
        sheet = df.attrs.get("sheet")
        where = f"row {b['row']}"
        raise InputError(path, f"column '{header}' holds {b['population']:g} for {area}, {period} ({b['indicator']}) "
                         f"but {a['population']:g} in row {a['row']} ({a['indicator']}); the summed measures must "
                         "share one population", "Give each area and period one population, or select one value.",
                         where=f"sheet '{sheet}', {where}" if sheet else where)
    g = rows.groupby(keys, sort=False)
    out = g.agg(row=("row", "min"), period_type=("period_type", "first"), year=("year", "first"),
                count=("count", "sum"), population=("population", "first"))
    complete = (g["indicator"].nunique() == len(values)) & (g["count"].count() == g.size())
    out["count"] = out["count"].astype("Int64").where(complete.to_numpy())
    out = out.reset_index()
    out["indicator"] = "+".join(values)
    out["value"] = np.nan
    out["n"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out = out[list(OUTPUT_COLUMNS)].sort_values("row", kind="stable").reset_index(drop=True)
    out.attrs = dict(df.attrs)
    return out
