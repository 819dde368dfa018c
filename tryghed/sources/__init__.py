"""Source adapters: one module per raw format, each ``read_*(path) -> DataFrame`` in a tidy, validated schema.

:func:`ingest` reads every source a pipeline declares, maps its area names (StatBank tables: its area codes) onto the
pipeline's area ids and stages the tidy tables as parquet with the sha256 of each raw file. An optional source whose
file is absent is staged as an empty table and listed in the manifest under ``missing_optional``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pandas as pd

from .. import identifiers
from ..config import Pipeline, Source
from ..errors import InputError
from ._common import split_once, where_kept_row
from .statbank import TIDY_COLUMNS as STATBANK_COLUMNS
from .statbank import add_country_total, read_statbank

log = logging.getLogger(__name__)

#: The other adapters' readers and the module of each: imported when first used (``tryghed validate`` of a
#: StatBank pipeline loads none of them), still importable from here (``from tryghed.sources import read_long``).
_ADAPTERS = {
    "read_survey_microdata": "survey", "read_safety_index": "safety_index", "read_closure_log": "closures",
    "read_register_counts": "registers", "read_gang_log": "registers", "read_population": "registers",
    "read_long": "long", "read_police_monthly": "police", "read_police_incidents": "police",
    "read_neighbourhood_population": "police", "read_gang_register": "partnership", "read_ssp_log": "partnership",
    "read_activity_log": "partnership", "read_assessment": "partnership",
}


def __getattr__(name: str):
    """The lazily imported readers, and the adapter modules as attributes (``sources.long``) as before."""
    import importlib

    if name in _ADAPTERS:
        return getattr(importlib.import_module(f"{__name__}.{_ADAPTERS[name]}"), name)
    if name in set(_ADAPTERS.values()) | {"_partnership_staging"}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _lazy(name: str):
    """A reader that imports its adapter module on the first call."""
    def read(*args, **kwargs):
        return __getattr__(name)(*args, **kwargs)

    read.__name__ = read.__qualname__ = name
    read.__doc__ = f"``tryghed.sources.{_ADAPTERS[name]}.{name}``, imported on the first call."
    return read


READERS = {
    "survey_microdata": _lazy("read_survey_microdata"),
    "safety_index": _lazy("read_safety_index"),
    "closure_log": _lazy("read_closure_log"),
    "register_counts": _lazy("read_register_counts"),
    "gang_log": _lazy("read_gang_log"),
    "population": _lazy("read_population"),
    "statbank": read_statbank,
    "long": _lazy("read_long"),
    "police_monthly": _lazy("read_police_monthly"),
    "police_incidents": _lazy("read_police_incidents"),
    "neighbourhood_population": _lazy("read_neighbourhood_population"),
    "gang_register": _lazy("read_gang_register"),
    "ssp_log": _lazy("read_ssp_log"),
    "activity_log": _lazy("read_activity_log"),
    "assessment": _lazy("read_assessment"),
}
#: Formats whose readers map the file's area names themselves (:func:`read_partnership_source`).
PARTNERSHIP_FORMATS = ("police_monthly", "police_incidents", "neighbourhood_population", "gang_register", "ssp_log",
                       "activity_log", "assessment")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def area_lookup(pipeline: Pipeline, level: str | None) -> dict[str, str]:
    """Map every name, English name and alias (lower case) of the areas at ``level`` to the area id."""
    out = {}
    for a in pipeline.areas:
        if level is None or a.level == level:
            for name in (*a.name.values(), *a.aliases, a.id, a.code or ""):
                if name:
                    out[name.strip().lower()] = a.id
    return out


def attach_area_ids(df: pd.DataFrame, pipeline: Pipeline, source: Source, path: Path) -> pd.DataFrame:
    """Add ``area_id`` from ``area_name``; an unknown name is an error naming the row and the known names."""
    lookup = area_lookup(pipeline, source.area_level)
    ids = df["area_name"].str.lower().map(lookup)
    unknown = ids.isna()
    if unknown.any():
        i = int(unknown.to_numpy().nonzero()[0][0])
        known = sorted({a.name["da"] for a in pipeline.areas if a.level == source.area_level})
        raise InputError(path, f"area {df['area_name'].iloc[i]!r} is not a {source.area_level or 'known area'} "
                         f"of the pipeline (known: {', '.join(known)})",
                         f"Correct the name, or add it as an alias of its area in {pipeline.path.name}.",
                         where=where_kept_row(df, i))
    out = df.copy()
    out.insert(0, "area_id", ids.astype(str))
    return out


def _wanted_codes(pipeline: Pipeline, source: Source) -> dict:
    """3-digit area code -> the pipeline's area, for the areas a StatBank source is read for."""
    return {a.code.zfill(3): a for a in pipeline.areas if a.code and source.area_level in (None, a.level)}


def attach_area_codes(df: pd.DataFrame, pipeline: Pipeline, source: Source, path: Path) -> pd.DataFrame:
    """Keep the StatBank rows of the pipeline's areas (at ``source.area_level``, or every level) and add ``area_id``.

    Rows are matched by the 3-digit area code, so Danish and English files agree. Other areas in the extract are
    left out; the whole country is summed from the municipalities when the file lacks it. A pipeline area that is
    not in the file is an error naming it.
    """
    wanted = _wanted_codes(pipeline, source)
    if "000" in wanted:
        df = add_country_total(df, path)
    present = set(pd.unique(df["area_code"]))
    absent = [a for code, a in wanted.items() if code not in present]
    if absent:
        a = absent[0]
        raise InputError(path, f"area {a.name['da']} (code {a.code}) of the pipeline is not in the file",
                         "Add it to the StatBank extract, or remove it from the pipeline's areas or peers in "
                         f"{pipeline.path.name}.", where="the area column")
    out = df[df["area_code"].isin(list(wanted))].reset_index(drop=True)
    out.insert(0, "area_id", out["area_code"].map({code: a.id for code, a in wanted.items()}).astype(str))
    return out


def long_shares(pipeline: Pipeline, source_id: str) -> tuple[str, ...] | bool:
    """The indicator values of a long source that are published shares (checked to lie in 0–100).

    ``True`` when a published share reads the whole source (no ``select``: the file holds one measure).
    """
    values: list[str] = []
    has_indicator = "indicator" in (pipeline.sources[source_id].columns or {})
    for ind in pipeline.indicators:
        if ind.kind != "published_share" or source_id not in (ind.source, *ind.options.get("more_sources", ())):
            continue
        select = ind.options.get("select")
        if select is None or not has_indicator:
            return True
        values.extend([select] if isinstance(select, str) else select)
    return tuple(values)


def attach_long_areas(df: pd.DataFrame, pipeline: Pipeline, source: Source, path: Path) -> pd.DataFrame:
    """Add ``area_id`` to :func:`~tryghed.sources.long.read_long`'s table and rename ``area`` to ``area_name``.

    Names match the areas' Danish and English names, aliases, ids and codes (any level, or ``source.area_level``),
    case-insensitively. A file without an area column is the root area's series. An unknown name, or two names of
    one area for the same period and measure, is an error naming the row.
    """
    out = df.rename(columns={"area": "area_name"})
    if "area" not in (source.columns or {}):
        out.insert(0, "area_id", pipeline.city.id)
        out["area_name"] = pipeline.city.name["da"]
        return out
    lookup = area_lookup(pipeline, source.area_level)
    ids = out["area_name"].str.strip().str.lower().map(lookup)
    unknown = ids.isna()
    sheet = df.attrs.get("sheet")

    def where(i: int) -> str:
        row = f"row {int(out['row'].iloc[i])}"
        return f"sheet '{sheet}', {row}" if sheet else row

    if unknown.any():
        i = int(unknown.to_numpy().nonzero()[0][0])
        levels = [source.area_level] if source.area_level else None
        known = [a.name["da"] for a in pipeline.areas if levels is None or a.level in levels]
        raise InputError(path, f"area {out['area_name'].iloc[i]!r} is not an area of the pipeline (known: "
                         f"{', '.join(known)})", f"Correct the name, or add it as an alias of its area "
                         f"(aliases: [...]) in {pipeline.path.name}.", where=where(i))
    out.insert(0, "area_id", ids.astype(str))
    dup = out.duplicated(["area_id", "period", "indicator"], keep="first")
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        same = out[(out["area_id"] == out["area_id"].iloc[i]) & (out["period"] == out["period"].iloc[i])
                   & (out["indicator"] == out["indicator"].iloc[i])]
        raise InputError(path, f"{out['area_name'].iloc[i]!r} and {same['area_name'].iloc[0]!r} (row "
                         f"{int(same['row'].iloc[0])}) are the same area of the pipeline, with values for the same "
                         "period and measure", "Keep one of the two rows, or make the names two areas in "
                         f"{pipeline.path.name}.", where=where(i))
    return out


def missing_optional(pipeline: Pipeline, raw_dir: Path) -> list[str]:
    """The ids of the optional sources whose file is not in ``raw_dir``."""
    return [sid for sid, s in pipeline.sources.items() if s.optional and not (Path(raw_dir) / s.file).is_file()]


def _empty_statbank() -> pd.DataFrame:
    """The staged table of an absent optional (StatBank) source: no rows, the adapter's columns."""
    dtypes = {"year": "int64", "quarter": "int64", "value": "float64", "missing": "bool"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "object")) for c in ["area_id", *STATBANK_COLUMNS]})


def _empty_long() -> pd.DataFrame:
    """The staged table of an absent optional long source: no rows, the reader's columns."""
    from .long import OUTPUT_COLUMNS

    dtypes = {"row": "int64", "year": "int64", "count": "Int64", "n": "Int64", "population": "float64",
              "value": "float64"}
    cols = ["area_id", *("area_name" if c == "area" else c for c in OUTPUT_COLUMNS)]
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "object")) for c in cols})


def survey_items(pipeline: Pipeline, source_id: str) -> tuple[str, ...]:
    return tuple(sorted({i.options["item"] for i in pipeline.indicators if i.source == source_id
                         and "item" in i.options}))


def _pseudonymise(df: pd.DataFrame, source: Source, path: Path, environ) -> pd.DataFrame:
    """Replace every kept column read from a declared identifier column by its keyed hash."""
    declared = {c.strip().lower() for c in source.pseudonymise}
    from_file = df.attrs.get("columns", {})
    out = df.copy()
    for col in df.columns:
        if str(from_file.get(col, col)).strip().lower() in declared:
            key = identifiers.key_from_env(environ or {}, path=path, column=from_file.get(col, col))
            out[col] = identifiers.pseudonymise(df[col], key=key).astype(str)
    return out


def read_source(pipeline: Pipeline, source_id: str, raw_dir: Path, environ=None) -> pd.DataFrame:
    """Read one declared source from ``raw_dir`` into its tidy table with area ids.

    The raw file is first scanned for direct identifiers (CPR numbers, e-mail addresses, name or phone columns);
    one is an error naming the file and column, unless the source declares the column under ``pseudonymise``, in
    which case the column is replaced by a keyed hash whose key comes from ``environ`` (the caller passes
    ``os.environ``).
    """
    with split_once():  # the scan and the reader split a text file once
        return _read_source(pipeline, source_id, raw_dir, environ)


def _read_source(pipeline: Pipeline, source_id: str, raw_dir: Path, environ) -> pd.DataFrame:
    source = pipeline.sources[source_id]
    path = Path(raw_dir) / source.file
    if not path.is_file():
        raise InputError(path, f"source '{source_id}' ({source.format}) is missing",
                         f"Put the file in {raw_dir}, or point --raw at the folder that holds it.")
    # scan before the reader, so that no reader message can quote an identifier. The scan fails closed: a file it
    # cannot open is an InputError of its own, and any other failure inside it stops the ingest, because a file
    # that was not scanned may hold CPR numbers.
    try:
        identifiers.scan_file(path, skip=source.pseudonymise)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever broke, the file is not known to be free of identifiers
        log.warning("the identifier scan of %s failed (%s); the file is not read", path, type(exc).__name__)
        raise InputError(path, f"the scan for direct identifiers (CPR numbers, e-mail addresses, names) failed "
                         f"({type(exc).__name__}), so the file is not read",
                         "Check that the file opens and holds one table per sheet, export it again, and report the "
                         "error to the maintainers if it persists.", where="whole file") from exc
    if source.format in PARTNERSHIP_FORMATS:
        from ._partnership_staging import read_partnership_source

        return read_partnership_source(pipeline, source, path)
    reader = READERS[source.format]
    if source.format == "survey_microdata":
        df = reader(path, items=survey_items(pipeline, source_id))
    elif source.format == "statbank":
        # only the pipeline's areas are turned into the tidy table's strings (the file is read and checked whole);
        # attach_area_codes below finds the same rows it would find in the whole table
        only = {} if source.pseudonymise else {"area_codes": list(_wanted_codes(pipeline, source))}
        df = reader(path, table=source.table, fmt=source.fmt, **only)
    elif source.format == "long":
        df = reader(path, columns=source.columns, sheet=source.sheet, shares=long_shares(pipeline, source_id))
    else:
        df = reader(path)
    if source.pseudonymise:
        df = _pseudonymise(df, source, path, environ)
    if source.format == "statbank":
        return attach_area_codes(df, pipeline, source, path)
    if source.format == "long":
        return attach_long_areas(df, pipeline, source, path)
    return attach_area_ids(df, pipeline, source, path)


def ingest(pipeline: Pipeline, raw_dir: Path, staged_dir: Path, environ=None) -> pd.DataFrame:
    """Read, validate and stage every source; write ``manifest.json``; return one summary row per source.

    Raw files are only read, never written. ``environ`` supplies the pseudonymisation key when a source declares
    ``pseudonymise`` columns.
    """
    staged_dir = Path(staged_dir)
    staged_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    absent = missing_optional(pipeline, raw_dir)
    for sid, source in pipeline.sources.items():
        if sid in absent:
            empty = _empty_long() if source.format == "long" else _empty_statbank()
            empty.to_parquet(staged_dir / f"{sid}.parquet", index=False)
            rows.append({"source": sid, "format": source.format, "file": source.file, "rows": 0, "sha256": "",
                         "status": "missing (optional)"})
            log.info("optional source %s is not in %s: its measures are reported as missing", sid, raw_dir)
            continue
        df = read_source(pipeline, sid, raw_dir, environ)
        path = Path(raw_dir) / source.file
        # the readers' row numbers (attrs) served their error messages; pandas would copy them on every later
        # operation and parquet would store them
        df.attrs = {}
        df.to_parquet(staged_dir / f"{sid}.parquet", index=False)
        rows.append({"source": sid, "format": source.format, "file": source.file, "rows": len(df),
                     "sha256": sha256(path), "status": "read"})
        log.info("staged %s: %d rows from %s", sid, len(df), path)
    summary = pd.DataFrame(rows)
    manifest = {"pipeline": pipeline.id, "raw_files": {r["file"]: r["sha256"] for r in rows if r["sha256"]},
                "missing_optional": absent}
    (staged_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return summary


def load_staged(staged_dir: Path, source_id: str) -> pd.DataFrame:
    return pd.read_parquet(Path(staged_dir) / f"{source_id}.parquet")
