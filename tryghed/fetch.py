"""Fetch Statistics Denmark StatBank tables through the API into the raw folder, and log each fetch in the data log.

One POST of a JSON body to ``https://api.statbank.dk/v1/data`` (format CSV, ``valuePresentation: "Code"``,
semicolon-separated); a request estimated above :data:`BULK_ABOVE` cells, or one StatBank refuses with
``REQUEST-LIMIT``, goes as BULK instead (streamed, no cell limit, but every variable must be given). The response
bytes are saved unchanged as ``<table>_<date>_<sha256[:12]>.csv`` (``.bulk.csv`` for BULK, which
:func:`tryghed.sources.statbank.read_statbank` zero-fills) and a Markdown entry (table, URL, request body, date,
file, sha256) is appended to the data log. Standard library only; the network goes through ``opener``, so tests
pass recorded responses. The date is passed in: package functions do not read the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .errors import TryghedError

log = logging.getLogger(__name__)

API_URL = "https://api.statbank.dk/v1/data"
#: StatBank refuses non-streaming extracts above 1,000,000 cells; above this estimate the request goes as BULK.
BULK_ABOVE = 900_000
LANGS = ("da", "en")
#: The variables of the tables this project reads: BULK needs every one of them.
TABLE_VARIABLES = {
    "STRAF11": ("OMRÅDE", "OVERTRÆD", "TID"),
    "STRAF22": ("OMRÅDE", "OVERTRÆD", "ANMSIGT", "TID"),
    "FOLK1A": ("OMRÅDE", "KØN", "ALDER", "CIVILSTAND", "TID"),
    # criminal decisions (afgørelser, not persons) by single age 15-24 (STATBANK.md §3.4); annual
    "STRAF44": ("OMRÅDE", "OVERTRÆD", "AFGØRELSE", "ALDER", "KØN", "TID"),
}
#: A STRAF44 request: decisions on violence for ages 15-24 in the four largest cities and the whole country (000,
#: which a pipeline with the country among its peers needs); every variable is given, so it can also go as BULK:
#: ``tryghed fetch dst STRAF44 OMRÅDE=000,101,751,461,851 OVERTRÆD=12 AFGØRELSE=000
#: ALDER=15,16,17,18,19,20,21,22,23,24 KØN=TOT Tid=2023``.
STRAF44_EXAMPLE = {"OMRÅDE": ["000", "101", "751", "461", "851"], "OVERTRÆD": ["12"], "AFGØRELSE": ["000"],
                   "ALDER": [str(a) for a in range(15, 25)], "KØN": ["TOT"], "Tid": ["2023"]}
_SELECTOR = re.compile(r"[*<>()|=;]")


class FetchError(TryghedError):
    """A fetch that cannot be made or that StatBank refused: says what happened and what to do."""


@dataclass(frozen=True)
class FetchResult:
    """One saved StatBank response."""

    path: Path
    table: str
    fmt: str
    url: str
    body: dict
    sha256: str
    size: int
    cells: int | None
    retried: bool


def parse_variables(items: list[str]) -> dict[str, list[str]]:
    """``["OMRÅDE=000,101", "Tid=2024K1"]`` -> ``{"OMRÅDE": ["000", "101"], "Tid": ["2024K1"]}``."""
    out: dict[str, list[str]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not name or not vals:
            raise FetchError(f"{item!r} is not a variable selection: write VARIABLE=value1,value2 "
                             "(e.g. OMRÅDE=000,101 Tid=2024K1)")
        if name.upper() in {n.upper() for n in out}:
            raise FetchError(f"variable {name} is given twice: give all its values at once ({name}=a,b)")
        out[name] = vals
    return out


def estimate_cells(variables: dict[str, list[str]]) -> int | None:
    """Cells StatBank counts: rows x (selected variables + the value column); None when a selector hides the count.

    A left-out time variable means the latest period (one). Wildcards, ranges, ``(1)`` and ``sum(...)`` cannot be
    counted without the table's metadata.
    """
    if any(_SELECTOR.search(v) for values in variables.values() for v in values):
        return None
    rows = math.prod(len(values) for values in variables.values())
    return rows * (len(variables) + 1)


def request_body(table: str, variables: dict[str, list[str]], *, lang: str, fmt: str) -> dict:
    """The JSON body of a ``/v1/data`` request (codes in the output, semicolons, oldest period first)."""
    return {
        "table": table,
        "format": fmt,
        "lang": lang,
        "valuePresentation": "Code",
        "timeOrder": "Ascending",
        "delimiter": "Semicolon",
        "variables": [{"code": name, "values": list(values)} for name, values in variables.items()],
    }


def _check_bulk(table: str, variables: dict[str, list[str]]) -> None:
    given = {n.upper() for n in variables}
    missing = [v for v in TABLE_VARIABLES.get(table, ()) if v not in given]
    if missing:
        raise FetchError(f"{table} is too large for CSV and BULK needs every variable, but "
                         f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not given: add "
                         + " ".join(f"{m}=..." for m in missing) + " (use * for all values)")
    calc = [v for values in variables.values() for v in values if re.match(r"(?i)(sum|subtract|multiply|divide)\(", v)]
    if calc:
        raise FetchError(f"BULK cannot compute {calc[0]!r}: fetch the single values and add them up afterwards")


def _api_error(payload: bytes) -> tuple[str, str] | None:
    try:
        obj = json.loads(payload.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(obj, dict) and "errorTypeCode" in obj:
        return str(obj["errorTypeCode"]), str(obj.get("message", ""))
    return None


def _post(opener, body: dict, timeout: float) -> bytes:
    """POST the body; returns the response bytes or raises _Refused / FetchError."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(API_URL, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        resp = opener.open(req, timeout=timeout)
        try:
            payload = resp.read()
        finally:
            close = getattr(resp, "close", None)
            if close:
                close()
    except urllib.error.HTTPError as exc:
        payload = exc.read() or b""
        err = _api_error(payload)
        if err:
            raise _Refused(*err) from None
        raise FetchError(f"StatBank answered HTTP {exc.code} {exc.reason} to the request for {body['table']}: "
                         f"{payload[:200].decode('utf-8', 'replace')}. Try again later, or check the table and "
                         "variable codes at https://www.statbank.dk") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot reach {API_URL} ({exc.reason}): check the network connection or proxy "
                         "and try again") from None
    err = _api_error(payload) if payload[:1] in (b"{", b"\xef") else None
    if err:
        raise _Refused(*err)
    return payload


class _Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code = code
        self.message = message


_HINTS = {
    "EXTRACT-NOTFOUND": "Check the table id (e.g. STRAF11, FOLK1A) and the variable codes at https://www.statbank.dk",
    "REQUEST-LIMIT": "Select fewer values, or give every variable so the request can go as BULK.",
    "REQUEST-MISSING": "Give the variables and values the message names.",
}


def _refused_error(table: str, fmt: str, exc: _Refused) -> FetchError:
    hint = _HINTS.get(exc.code, "Correct the request as the message says and fetch again.")
    return FetchError(f"StatBank refused the {fmt} request for {table} ({exc.code}): {exc.message}. {hint}")


def _save(out_dir: Path, table: str, fmt: str, payload: bytes, sha: str, today: dt.date) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".bulk.csv" if fmt == "BULK" else ".csv"
    path = out_dir / f"{table.lower()}_{today.isoformat()}_{sha[:12]}{suffix}"
    if path.exists() and path.read_bytes() == payload:
        return path  # the same response fetched again: raw files are never rewritten
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(payload)
    os.replace(tmp, path)
    return path


def _log_entry(result: FetchResult, log_path: Path, today: dt.date) -> str:
    try:
        shown = result.path.resolve().relative_to(log_path.resolve().parent).as_posix()
    except ValueError:
        shown = str(result.path)
    cells = f"about {result.cells:,} cells" if result.cells is not None else "cells not estimated (selectors)"
    retried = "; sent again as BULK after StatBank answered REQUEST-LIMIT" if result.retried else ""
    return (f"\n## {shown} — StatBank {result.table} ({today.isoformat()})\n\n"
            f"- fetched: {today.isoformat()} with `tryghed fetch dst`, {result.fmt}, {cells}{retried}\n"
            f"- request: `POST {result.url}`\n"
            f"- body: `{json.dumps(result.body, ensure_ascii=False)}`\n"
            f"- file: `{shown}` ({result.size:,} bytes)\n"
            f"- sha256: `{result.sha256}`\n"
            f"- source: Statistics Denmark, StatBank table {result.table} (free reuse with attribution)\n")


def _append_log(result: FetchResult, log_path: Path, today: dt.date) -> None:
    log_path = Path(log_path)
    old = log_path.read_text(encoding="utf-8") if log_path.exists() else "# Data log\n"
    entry = _log_entry(result, log_path, today)
    if f"`{result.sha256}`" in old and result.path.name in old:
        return  # this very file is logged already
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text(old.rstrip("\n") + "\n" + entry, encoding="utf-8")


def fetch_dst(table: str, variables: dict[str, list[str]], *, lang: str = "da", out_dir: Path, log_path: Path,
              opener=None, today: dt.date | None = None, timeout: float = 300) -> FetchResult:
    """Fetch one StatBank extract, save the raw response under ``out_dir`` and log it in ``log_path``.

    Parameters
    ----------
    table : str
        StatBank table id, e.g. ``"STRAF11"`` (upper-cased).
    variables : dict of str to list of str
        Variable code -> values, e.g. ``{"OMRÅDE": ["000", "101"], "OVERTRÆD": ["TOT"], "Tid": ["2024K1"]}``.
        A variable left out is eliminated (totalled) by StatBank; BULK needs every variable.
    lang : {"da", "en"}
        Language of labels and of the decimal mark (codes are requested, so mostly the decimal mark).
    out_dir : Path
        Where the raw response is saved (the CLI uses ``data/raw/dst/``).
    log_path : Path
        The data log (Markdown) the entry is appended to (the CLI uses ``data/raw/README.md``).
    opener : object with ``open(request, timeout=...)``, optional
        Defaults to ``urllib.request.build_opener()``; tests pass a recorder of requests.
    today : datetime.date
        The date of the fetch, for the file name and the log (required).

    Returns
    -------
    FetchResult

    Raises
    ------
    FetchError
        StatBank refused the request (its ``errorTypeCode`` and message), the network failed, or the request
        cannot go as BULK.
    """
    if today is None:
        raise ValueError("today is required: the caller passes the date (package functions do not read the clock)")
    if lang not in LANGS:
        raise ValueError(f"lang must be 'da' or 'en', not {lang!r}")
    if not variables:
        raise FetchError(f"no variables given for {table}: give at least one, e.g. OMRÅDE=000,101 Tid=2024K1")
    table = table.strip().upper()
    opener = opener or urllib.request.build_opener()
    cells = estimate_cells(variables)
    fmt = "BULK" if cells is not None and cells > BULK_ABOVE else "CSV"
    if fmt == "BULK":
        _check_bulk(table, variables)
        log.info("%s: about %d cells, more than %d: fetching as BULK", table, cells, BULK_ABOVE)
    body = request_body(table, variables, lang=lang, fmt=fmt)
    retried = False
    try:
        payload = _post(opener, body, timeout)
    except _Refused as exc:
        if exc.code != "REQUEST-LIMIT" or fmt == "BULK":
            raise _refused_error(table, fmt, exc) from None
        _check_bulk(table, variables)
        log.info("%s: StatBank answered REQUEST-LIMIT to CSV; fetching as BULK", table)
        fmt, retried = "BULK", True
        body = request_body(table, variables, lang=lang, fmt=fmt)
        try:
            payload = _post(opener, body, timeout)
        except _Refused as exc2:
            raise _refused_error(table, fmt, exc2) from None
    first = payload.split(b"\n", 1)[0]
    if b"INDHOLD" not in first.upper():
        raise FetchError(f"StatBank's answer for {table} is not a {fmt} table (it starts "
                         f"{payload[:80].decode('utf-8', 'replace')!r}): fetch again, or report it")
    sha = hashlib.sha256(payload).hexdigest()
    path = _save(Path(out_dir), table, fmt, payload, sha, today)
    result = FetchResult(path=path, table=table, fmt=fmt, url=API_URL, body=body, sha256=sha, size=len(payload),
                         cells=cells, retried=retried)
    _append_log(result, Path(log_path), today)
    log.info("saved %s (%d bytes, sha256 %s)", path, len(payload), sha)
    return result
