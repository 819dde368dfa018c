"""Write a pipeline YAML for any long table (``tryghed new NAME --from FILE``) that runs as written.

The columns are placed by their headers (English or Danish, case- and whitespace-insensitive, see :data:`HEADERS`);
a file without a period header gets the one column whose every value is a period; the area and indicator columns, when
their headers say nothing, are guessed from the remaining text columns (the one with fewer distinct values is the
indicator; an indicator column is only needed when area × period repeats). The keyword options name a column outright.
The table is then read with :func:`tryghed.sources.long.read_long`, so the file is fully validated before any YAML is
written, and every choice is explained by a comment in the YAML.
"""

from __future__ import annotations

import logging
import re
import textwrap
from pathlib import Path

import pandas as pd

from .errors import ConfigError, InputError
from .paths import PIPELINES, ROOT
from .periods import PERIOD_TYPES, coarsest, complete_periods, parse_periods
from .sources.long import NUMBER_ROLES, ROLES, check_shares, read_long, read_raw, text_cells

log = logging.getLogger(__name__)

#: Headers recognised for each role (compared after :func:`normalise_header`).
HEADERS: dict[str, tuple[str, ...]] = {
    "area": ("area", "area name", "område", "omraade", "områdenavn", "bydel", "bydele", "bydelsnavn", "district",
             "kommune", "kommunenavn", "municipality", "region", "kvarter", "neighbourhood", "neighborhood", "zone",
             "lokalområde", "lokalomraade", "sogn", "politikreds", "ward", "borough", "precinct", "location", "sted",
             "geography"),
    "period": ("period", "periode", "year", "år", "aar", "half year", "halfyear", "halvår", "halvaar", "quarter",
               "kvartal", "month", "måned", "maaned", "tid", "time"),
    "indicator": ("indicator", "indikator", "type", "measure", "mål", "maal", "category", "kategori", "offence",
                  "offense", "offence type", "offense type", "type of offence", "type of offense", "crime type",
                  "crime", "kriminalitetstype", "kriminalitet", "lovovertrædelse", "overtrædelse",
                  "overtrædelsens art", "variable", "variabel", "item", "spørgsmål"),
    "count": ("count", "antal", "number", "reports", "reported", "anmeldelser", "anmeldte", "cases", "sager", "events",
              "hændelser", "crimes", "offences", "offenses", "incidents"),
    "population": ("population", "denominator", "befolkning", "indbyggere", "folketal", "nævner", "naevner",
                   "residents", "inhabitants", "exposure", "eksponering"),
    "value": ("value", "værdi", "vaerdi", "andel", "share", "pct", "percent", "percentage", "procent", "rate",
              "rate per 1000", "pr 1000", "per 1000", "estimate", "estimat"),
    "n": ("n", "sample size", "sample", "respondents", "respondenter", "svarpersoner", "besvarelser", "antal svar",
          "svar", "stikprøve", "base"),
}
#: Area names that stand for the whole (the root area), compared after :func:`normalise_header`.
TOTAL_NAMES = ("total", "i alt", "ialt", "alle", "all", "all areas", "whole city", "city total", "hele byen",
               "hele kommunen", "hele landet", "kommunen i alt", "byen i alt", "samlet", "hele området")
NOTEBOOKS = ("01_ingest", "02_clean", "03_indicators", "04_change_tests", "05_figures", "06_report")
_DECREASE = ("utryg", "unsafe", "insecure", "afraid", "bange", "frygt", "fear")
_INCREASE = ("tryg", "safe", "secure", "tilfreds", "satisf", "trust", "tillid")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def normalise_header(text) -> str:
    """Lower case, punctuation and ``_``/``-`` as spaces, whitespace collapsed: ``Antal_anmeldelser (i alt)`` ->
    ``antal anmeldelser i alt``; ``Rate per 1,000`` -> ``rate per 1000``."""
    s = str(text).lower().replace("_", " ").replace("-", " ")
    s = re.sub(r"(?<=\d)[.,](?=\d{3}\b)", "", s)
    s = "".join(c if c.isalnum() or c.isspace() else " " for c in s)
    return " ".join(s.split())


#: Words that place a column by a word of its header ('Reported offences', 'Andel trygge (%)'); a header with words
#: of two roles ('reported_offences_per_1000': a count word and a rate word) is placed by neither.
_WORDS = {role: {h for h in map(normalise_header, hs) if " " not in h and len(h) > 1}
          for role, hs in HEADERS.items()}
_WORDS["value"] |= {"per", "pr", "pct", "procent", "percent", "prct", "promille", "1000", "100000", "1000inh"}


def slug(text: str, sep: str = "-") -> str:
    """An id from a name: lower case, æ -> ae, ø -> oe, å -> aa, other accents dropped, words joined by ``sep``."""
    import unicodedata

    s = str(text).lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("ß", "ss")):
        s = s.replace(a, b)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    return sep.join("".join(c if c.isalnum() else " " for c in s).split())


def is_total(name: str) -> bool:
    """Whether an area name stands for the whole: ``Hele byen``, ``Hele København``, ``Total``, ``I alt``, ..."""
    s = normalise_header(name)
    return s in TOTAL_NAMES or s.startswith("hele ") or s.endswith((" i alt", " total", " samlet"))


def _unique_ids(names: list[str], sep: str, fallback: str, taken: set[str] = frozenset()) -> list[str]:
    used = set(taken)
    out = []
    for k, name in enumerate(names, start=1):
        base = slug(name, sep) or f"{fallback}{sep}{k}"
        cand, j = base, 2
        while cand in used:
            cand, j = f"{base}{sep}{j}", j + 1
        used.add(cand)
        out.append(cand)
    return out


def _fail(path: Path, problem: str, fix: str) -> InputError:
    return InputError(path, problem, fix, where="header")


def _option(role: str) -> str:
    return f"--{role.replace('_', '-')} HEADER"


def _is_number_column(values: pd.Series) -> bool:
    cells = text_cells(values)
    cells = cells[cells != ""].str.replace(" ", "", regex=False).str.replace(",", ".", regex=False)
    return len(cells) > 0 and bool(pd.to_numeric(cells, errors="coerce").notna().all())


def _fits(values: pd.Series, role: str) -> bool:
    if role == "period":
        return bool(parse_periods(values)["ok"].all())
    if role in ("count", "n"):
        return _is_number_column(values) and _is_whole(values)
    return _is_number_column(values) == (role in NUMBER_ROLES)


def _is_whole(values: pd.Series) -> bool:
    cells = text_cells(values)
    cells = cells[cells != ""].str.replace(" ", "", regex=False).str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(cells, errors="coerce")
    return bool((numbers % 1 == 0).all())


def _wide_periods(names: list[str]) -> list[str]:
    """Headers that are themselves periods (a wide table: 2007, 2008, ... as columns)."""
    return [c for c in names if parse_periods(pd.Series([c]))["ok"].iloc[0]]


def place_columns(df: pd.DataFrame, path: Path, given: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Place every role on a column of ``df``: the options in ``given`` first, then headers, then guesses.

    Returns ``(columns, why)``: role -> header, and role -> a sentence saying how it was placed (for the YAML's
    comments). Raises :class:`~tryghed.errors.InputError` naming the column or role it could not place.
    """
    names = [str(c) for c in df.columns]
    placed: dict[str, str] = {}
    why: dict[str, str] = {}
    for role, header in given.items():
        match = [c for c in names if c == header] or [c for c in names if normalise_header(c) ==
                                                      normalise_header(header)]
        if not match:
            raise _fail(path, f"the {role} column '{header}' given as an option is not in the file (it has: "
                        f"{', '.join(names)})", f"Pass {_option(role)} with one of the file's headers.")
        placed[role] = match[0]
        why[role] = f"'{match[0]}' as given"
    free = [c for c in names if c not in placed.values()]
    for role in ROLES:
        if role in placed:
            continue
        known = {normalise_header(h) for h in HEADERS[role]}
        hits = [c for c in free if normalise_header(c) in known]
        if len(hits) > 1:
            if role == "period":
                problem = (f"the period is spread over {len(hits)} columns ({', '.join(hits)}); a long table has "
                           "one period column")
                fix = ("Combine them into one column (2017-01 for a month, 2017Q1 for a quarter), or pass "
                       f"{_option('period')} to use one of them.")
            else:
                problem = f"more than one column could be the {role} column: {', '.join(hits)}"
                fix = f"Pass {_option(role)} to name the one to use."
            raise _fail(path, problem, fix)
        if hits:
            placed[role] = hits[0]
            why[role] = f"'{hits[0]}' by its header"
            free.remove(hits[0])
    # a header with a known word in it ('Reported offences', 'Antal anmeldelser', 'Andel trygge (%)'): placed when
    # exactly one open role knows one of its words, its content fits the role and no other column claims the role
    claims: dict[str, list[str]] = {}
    for c in free:
        words = set(normalise_header(c).split())
        roles = [r for r in ROLES if words & _WORDS[r]]
        if len(roles) == 1 and roles[0] not in placed and _fits(df[c], roles[0]):
            claims.setdefault(roles[0], []).append(c)
    for role, cols in claims.items():
        if len(cols) == 1:
            placed[role] = cols[0]
            why[role] = f"'{cols[0]}': a word of its header"
            free.remove(cols[0])
    if "period" not in placed:
        periodic = [c for c in free if parse_periods(df[c])["ok"].all()]
        wide = _wide_periods(names)
        if not periodic and len(wide) > 1:
            raise _fail(path, f"the file is wide: its headers {wide[0]} … {wide[-1]} are periods, so there is no "
                        "period column", "Make it long, one row per area, period and measure (in Excel: "
                        "unpivot, in pandas: melt), with the period in one column; then run this again.")
        if len(periodic) != 1:
            listed = f" (candidates: {', '.join(periodic)})" if periodic else ""
            raise _fail(path, f"could not place the period column{listed}; the file has: {', '.join(names)}",
                        f"Pass {_option('period')} to name it (values like 2017, 2017H1, 2017Q1 or 2017-01).")
        placed["period"] = periodic[0]
        why["period"] = f"'{periodic[0]}': its every value is a period"
        free.remove(periodic[0])
    if not {"count", "value"} & set(placed):
        numeric = [c for c in free if _is_number_column(df[c])]
        listed = f" (number columns left: {', '.join(numeric)})" if numeric else ""
        raise _fail(path, f"could not place a count or a value column{listed}; the file has: {', '.join(names)}",
                    f"Pass {_option('count')} for counts of events or {_option('value')} for published shares or "
                    "rates.")
    texts = [c for c in free if not _is_number_column(df[c])]
    if "area" not in placed:
        if "indicator" not in placed and len(texts) == 2:
            distinct = {c: text_cells(df[c]).nunique() for c in texts}
            area, indicator = sorted(texts, key=lambda c: (-distinct[c], texts.index(c)))
            placed["area"], placed["indicator"] = area, indicator
            why["area"] = f"'{area}': a text column, more distinct values ({distinct[area]}) than '{indicator}'"
            why["indicator"] = f"'{indicator}': a text column, fewer distinct values ({distinct[indicator]})"
            texts = []
        elif len(texts) == 1:
            placed["area"] = texts.pop()
            why["area"] = f"'{placed['area']}': the only text column left"
        else:
            listed = f" (text columns left: {', '.join(texts)})" if texts else ""
            raise _fail(path, f"could not place the area column{listed}; the file has: {', '.join(names)}",
                        f"Pass {_option('area')} to name it.")
    if "indicator" not in placed:
        keys = [text_cells(df[placed["area"]]), parse_periods(df[placed["period"]])["period"].astype(object)]
        repeats = pd.DataFrame({"a": keys[0].to_numpy(), "p": keys[1].to_numpy()}).duplicated().any()
        if repeats:
            if len(texts) != 1:
                listed = f" (text columns left: {', '.join(texts)})" if texts else " (no text column left)"
                raise _fail(path, "area and period repeat, so the file holds several measures, but could not place "
                            f"the indicator column{listed}", f"Pass {_option('indicator')} to name the column that "
                            "tells the measures apart.")
            placed["indicator"] = texts[0]
            why["indicator"] = f"'{texts[0]}': area and period repeat, and it is the only text column left"
    return {r: placed[r] for r in ROLES if r in placed}, why


def _quote(value) -> str:
    """A YAML scalar: plain when safe, else double-quoted (JSON escaping, which YAML reads)."""
    import json

    s = str(value)
    plain = re.fullmatch(r"[A-Za-zÆØÅæøåÄÖÜäöüé][\wÆØÅæøå .()/-]*", s) and not s.endswith((" ", ":"))
    if plain and s.lower() not in ("yes", "no", "true", "false", "on", "off", "null", "y", "n", "none"):
        return s
    return json.dumps(s, ensure_ascii=False)


def _direction(name: str, kind: str) -> tuple[str, str]:
    text = name.lower()
    if any(w in text for w in _DECREASE):
        return "decrease", "the name says unsafe or afraid: less is better"
    if any(w in text for w in _INCREASE):
        return "increase", "the name says safe or satisfied: more is better"
    if kind in ("published_share",):
        return "decrease", "not clear from the name: check it (increase when more is better)"
    return "decrease", "crime: fewer is better; check it (increase when more is better)"


def scaffold(name: str, file: str | Path, *, area: str | None = None, period: str | None = None,
             indicator: str | None = None, count: str | None = None, population: str | None = None,
             value: str | None = None, n: str | None = None, sheet: str | None = None,
             assumed_n: int | None = None, report_by: str | None = None, owner: str | None = None,
             out_dir: Path = PIPELINES, force: bool = False) -> Path:
    """Write ``out_dir/NAME.yml``, a pipeline over the long table ``file`` that runs as written.

    Parameters
    ----------
    name : str
        The pipeline's id and file name (lower case letters, digits, ``-`` and ``_``).
    file : str or Path
        A long table (CSV, xlsx or parquet) that :func:`tryghed.sources.long.read_long` reads.
    area, period, indicator, count, population, value, n : str, optional
        The file's header for that role, when the headers do not say it (see :func:`place_columns`).
    sheet : str, optional
        The worksheet of an xlsx (default the first).
    assumed_n : int, optional
        A sample size to assume for published shares the file gives without one (flagged in the YAML).
    report_by : str, optional
        The pipeline's reporting period: ``year`` (the default and, as the indicator table is yearly, the only one
        supported yet; finer periods are summed to whole years, complete ones only). It cannot be finer than the
        file's periods.
    owner : str, optional
        Who the evaluation is for (default: the root area's name).
    out_dir : Path
        Where pipelines live (default ``pipelines/``).
    force : bool
        Overwrite an existing pipeline of that name.

    Returns
    -------
    Path
        The written YAML.

    Raises
    ------
    InputError
        A file it cannot read or understand: names the column it could not place and the option that names it, or
        the row of bad input (see :func:`~tryghed.sources.long.read_long`).
    ConfigError
        A bad pipeline name, or a pipeline of that name that exists (without ``force``).
    """
    if not _NAME.fullmatch(name):
        raise ConfigError(f"pipeline name {name!r}: use lower case letters, digits, '-' and '_' (e.g. 'aarhus-crime').")
    file = Path(file).resolve()
    out = Path(out_dir) / f"{name}.yml"
    if out.exists() and not force:
        raise ConfigError(f"{out} exists already; pick another name, or pass --force to overwrite it.")
    given = {r: h for r, h in (("area", area), ("period", period), ("indicator", indicator), ("count", count),
                               ("population", population), ("value", value), ("n", n)) if h is not None}
    known = tuple(given.values()) + tuple(h for hs in HEADERS.values() for h in hs)
    raw, _ = read_raw(file, sheet=sheet, header_names=known)
    columns, why = place_columns(raw, file, given)
    sheet = raw.attrs.get("sheet") or sheet
    table = read_long(file, columns=columns, sheet=sheet)

    # areas: the root is the file's row for the whole if it has one
    area_names = list(pd.unique(table["area"]))
    totals = [a for a in area_names if is_total(a)]
    if len(totals) > 1:
        raise InputError(file, f"more than one area looks like the whole: {', '.join(totals)}",
                         "Keep one row for the whole in the file (or rename the others).",
                         where=f"column '{columns['area']}'")
    districts = [a for a in area_names if a not in totals]
    district_ids = _unique_ids(districts, "-", "area")
    if totals:
        root_name = totals[0]
        root_id = slug(root_name) or "all"
        if root_id in district_ids:
            root_id = _unique_ids([root_name], "-", "all", set(district_ids))[0]
    else:
        root_name = "Alle områder"
        root_id = _unique_ids(["all areas"], "-", "all", set(district_ids))[0]

    # indicators: one per distinct value of the indicator column
    labels = list(pd.unique(table["indicator"])) if "indicator" in columns else [""]
    if "indicator" in columns:
        ind_ids = _unique_ids(labels, "_", "indicator")
    else:
        ind_ids = [slug(Path(file).stem, "_") or "indicator"]
    indicators = []
    for label, iid in zip(labels, ind_ids):
        rows = table[table["indicator"] == label]
        full = {r for r in NUMBER_ROLES if r in columns and rows[r].notna().all()}
        some = {r for r in NUMBER_ROLES if r in columns and rows[r].notna().any()} - full
        title = label or Path(file).stem
        spec = {"id": iid, "label": label, "title": title, "partial": sorted(some)}
        if "value" in full and "n" in full:
            spec.update(kind="published_share", unit="percent",
                        why="a published share (value) with its sample size (n)")
        elif "value" in full and ({"count", "population"} & full):
            spec.update(kind="published_rate", unit="per_1000",
                        why="a published rate (value) with its " + " and ".join(
                            r for r in ("count", "population") if r in full))
        elif "value" in full:
            if assumed_n is None:
                raise InputError(file, f"the measure '{title}' has published values but no sample size, count or "
                                 "population", "Add an n column (or count and population) to the file, or pass "
                                 "--assumed-n N to state the sample size as an assumption.",
                                 where=f"column '{columns['value']}'")
            spec.update(kind="published_share", unit="percent", assumed_n=int(assumed_n),
                        why=f"a published share without a sample size: n = {assumed_n} is an assumption")
        elif "count" in full and "population" in full:
            spec.update(kind="rate", unit="per_1000", why="counts over a population: a rate per 1,000")
        elif "count" in full:
            spec.update(kind="rate", unit="count",
                        why="counts without a population: compared at equal exposure (the method note says so)")
        else:
            missing = ", ".join(f"'{columns[r]}'" for r in ("count", "value") if r in columns)
            raise InputError(file, f"the measure '{title}' has empty cells in {missing}, so no kind fits all its "
                             "rows", "Fill in every row of the measure, or remove the rows without numbers.",
                             where=f"column '{columns.get('indicator', columns['area'])}'")
        spec["direction"], spec["direction_why"] = _direction(title, spec["kind"])
        has_root = bool(totals) and (rows["area"] == root_name).any()
        spec["levels"] = ["city", "district"] if has_root or spec["kind"] == "rate" else ["district"]
        indicators.append(spec)
    shares = [s["label"] for s in indicators if s["kind"] == "published_share"]
    if shares:
        check_shares(table, file, indicators=shares if "indicator" in columns else True)

    # periods
    types = list(pd.unique(table["period_type"]))
    reporting = "year"
    if report_by is not None:
        if report_by not in PERIOD_TYPES:
            raise ConfigError(f"report_by is {report_by!r}; expected one of {', '.join(PERIOD_TYPES)}.")
        if PERIOD_TYPES.index(report_by) > PERIOD_TYPES.index(coarsest(types)):
            raise ConfigError(f"report_by is {report_by!r}, finer than the file's {coarsest(types)} periods; a "
                              "period cannot be split: report by the file's period or a coarser one.")
        if report_by != "year":
            raise ConfigError(f"report_by is {report_by!r}: the indicator table is yearly, so pipelines report by "
                              "year for now (finer periods are summed to whole years); use --report-by year.")
    years = complete_periods(table, to="year", by=["area", "indicator"])
    if not years:
        raise InputError(file, "the table holds no complete year (every year misses some of its periods)",
                         "Add the missing periods, or use a file that covers at least one whole year.",
                         where=f"column '{columns['period']}'")
    text = _render(name=name, file=file, columns=columns, all_columns=[str(c) for c in raw.columns],
                   numeric={str(c) for c in raw.columns if _is_number_column(raw[c])}, why=why,
                   sheet=sheet, table=table, root=(root_id, root_name),
                   has_total=bool(totals), districts=list(zip(district_ids, districts)), indicators=indicators,
                   reporting=reporting, types=types, years=years, owner=owner or root_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    log.info("wrote %s", out)
    return out


def _note(text: str, indent: str = "") -> list[str]:
    """A YAML comment wrapped to the project's 120 columns."""
    return textwrap.wrap(text, width=118 - len(indent), initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# ",
                         break_on_hyphens=False, break_long_words=False)


def _folder(file: Path) -> str:
    try:
        return file.parent.relative_to(ROOT).as_posix()
    except ValueError:
        return file.parent.as_posix()


def _render(*, name, file, columns, all_columns, numeric, why, sheet, table, root, has_total, districts, indicators,
            reporting, types, years, owner) -> str:
    ignored = [c for c in all_columns if c not in columns.values()]
    order = parse_periods(pd.Series(pd.unique(table["period"])))
    first, last = order.sort_values("start")["period"].iloc[[0, -1]]
    kinds = " and ".join(t.replace("_", "-") + "s" for t in PERIOD_TYPES if t in types)
    source_id = slug(name, "_") or "table"
    lines = _note(f"Written by `tryghed new {name} --from {file.name}`: {len(table)} rows, {len(districts) + has_total}"
                  f" areas, {len(indicators)} measure(s), periods {first} to {last}. Each choice is explained above "
                  f"it; edit freely, then run `tryghed run {name}`.")
    lines += [f"id: {name}", f"name: {_quote(name)}", f"owner: {_quote(owner)}"]
    if reporting == coarsest(types):
        more = ("" if reporting == "year" else " Set 'year' (or another period coarser than the file's) to report "
                "whole years: finer periods are summed, complete ones only, and the report says what was left out.")
        lines += _note(f"The file's periods are {kinds}; the pipeline reports by {reporting.replace('_', '-')}.{more}")
    else:
        lines += _note(f"The file's periods are {kinds}; the pipeline reports by {reporting.replace('_', '-')}: finer "
                       "periods are summed, complete ones only, and the report says what was left out.")
    lines.append(f"period: {reporting}")
    lines += _note(f"Complete years in the file: {years[0]} to {years[-1]} ({len(years)}). The baseline is the first, "
                   "the default reporting year the last.")
    lines += [f"baseline_year: {years[0]}", f"default_year: {years[-1]}"]
    lines += _note("The folder holding the file: `tryghed run` reads it from here; `--raw DIR` reads another folder.")
    lines += [f"demo_raw: {_quote(_folder(file))}", f"notebooks: [{', '.join(NOTEBOOKS)}]", "", "sources:"]
    lines += _note("How each column was placed: " + "; ".join(f"{role}: {why[role]}" for role in columns
                                                              if role in why) + ".", "  ")
    if ignored:
        more = [c for c in ignored if c in numeric]
        extra = (f" If {', '.join(more)} hold further measures, the file is wide: make it long (one row per area, "
                 "period and measure, the measure's name in one column) and run `tryghed new` again." if more else "")
        lines += _note(f"Not used: {', '.join(ignored)}.{extra}", "  ")
    lines += [f"  {source_id}:", "    format: long", f"    file: {_quote(file.name)}"]
    if sheet:
        lines.append(f"    sheet: {_quote(sheet)}")
    lines.append("    columns: {" + ", ".join(f"{r}: {_quote(h)}" for r, h in columns.items()) + "}")
    lines += ["", "areas:"]
    root_id, root_name = root
    if has_total:
        lines += _note(f"The whole: the file's own rows for '{root_name}'.", "  ")
        lines.append(f"  - {{id: {root_id}, name: {_quote(root_name)}, level: city}}")
    else:
        lines += _note("The file has no row for the whole, so this root area is added: counts and populations of the "
                       "areas add up to it; published shares and rates do not.", "  ")
        lines.append(f"  - {{id: {root_id}, name: {{da: {_quote(root_name)}, en: All areas}}, level: city}}")
    if districts:
        lines += _note(f"The file's {len(districts)} other areas, in the file's order; 'name' is the text in the "
                       "file.", "  ")
    lines += [f"  - {{id: {aid}, name: {_quote(aname)}, level: district, parent: {root_id}}}"
              for aid, aname in districts]
    lines += ["", "indicators:"]
    for s in indicators:
        text = f"{s['title']}: {s['why']}."
        if s["partial"]:
            text += f" Some rows also have {', '.join(s['partial'])}: not used, as not every row has it."
        if "district" not in s["levels"] or "city" not in s["levels"]:
            text += " Levels: only where the file has values."
        lines += _note(text, "  ")
        lines += [f"  - id: {s['id']}", f"    kind: {s['kind']}", f"    source: {source_id}"]
        if s["label"]:
            lines.append(f"    select: {_quote(s['label'])}")
        if "assumed_n" in s:
            lines += _note("An assumption, not a measurement: flagged in every statement.", "    ")
            lines.append(f"    assumed_n: {s['assumed_n']}")
        lines.append(f"    unit: {s['unit']}")
        lines += _note(s["direction_why"], "    ")
        lines += [f"    direction: {s['direction']}", f"    levels: [{', '.join(s['levels'])}]",
                  f"    name: {{da: {_quote(s['title'])}, en: {_quote(s['title'])}}}"]
    return "\n".join(lines) + "\n"
