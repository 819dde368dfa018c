"""Load and validate a pipeline YAML into typed objects.

A bad YAML raises :class:`~tryghed.errors.ConfigError` naming the file, the key and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .paths import PIPELINES, ROOT

LEVELS = ("city", "district", "survey_district", "municipality", "country")
#: Levels of the comparison areas of a municipality's pipeline (its peers and the whole country): not nested below
#: the root area, and taken from Statistics Denmark's area codes (``peers:`` in the YAML).
PEER_LEVELS = ("municipality", "country")
KINDS = ("survey_share", "published_share", "rate", "person_share", "unit_share", "stock_count", "clustered_count")
TARGET_TYPES = ("level", "relative", "annual_change", "annual_decrease", "below_year")
SOURCE_FORMATS = ("survey_microdata", "safety_index", "closure_log", "register_counts", "gang_log", "population",
                  "statbank")
#: StatBank tables a ``statbank`` source may declare (tryghed.sources.statbank).
STATBANK_TABLES = ("STRAF11", "STRAF22", "FOLK1A")
LANGS = ("da", "en")
#: Disclosure control (METHODS.md §6): "DK" suppresses small person counts, "rounding" rounds them (NHS style).
DISCLOSURE_MODES = ("DK", "rounding")


@dataclass(frozen=True)
class Area:
    id: str
    level: str
    name: dict[str, str]
    parent: str | None = None
    code: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    id: str
    format: str
    file: str
    area_level: str | None = None
    #: Raw columns that hold person identifiers on purpose: not flagged by the identifier scan, replaced by a keyed
    #: hash (key from the environment) wherever a reader keeps them.
    pseudonymise: tuple[str, ...] = ()
    #: A missing file is not an error: the measures built on it are reported as "no data" (statbank sources only).
    optional: bool = False
    #: StatBank table (``STRAF11``, ``STRAF22``, ``FOLK1A``) and, for the API's long layout, ``CSV`` or ``BULK``.
    table: str | None = None
    fmt: str | None = None


@dataclass(frozen=True)
class OffenceGroup:
    """A group of STRAF11 offence types reported as one rate (e.g. citizen-directed crime)."""

    id: str
    name: dict[str, str]
    codes: tuple[str, ...]
    definition: dict[str, str]
    #: Why a published figure of the same name is not comparable (printed in the method notes), if any.
    comparability: dict[str, str] | None = None


@dataclass(frozen=True)
class MapSpec:
    """Boundaries for a map of the root area and its peers: a GeoJSON file relative to the raw folder."""

    file: str
    code_property: str
    indicator: str


@dataclass(frozen=True)
class Target:
    type: str
    text: dict[str, str]
    year: int | None = None
    value: float | None = None
    change: float | None = None
    reference_year: int | None = None


@dataclass(frozen=True)
class Indicator:
    id: str
    kind: str
    source: str
    unit: str
    direction: str
    levels: tuple[str, ...]
    name: dict[str, str]
    targets: tuple[Target, ...] = ()
    baseline_year: int | None = None
    baseline_value: float | None = None
    headline_area: str | None = None
    #: The numerator counts persons: published cells pass disclosure control (METHODS.md §6).
    persons: bool = False
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Break:
    indicator: str
    year: int
    why: dict[str, str]


@dataclass(frozen=True)
class Family:
    id: str
    method: str
    levels: tuple[str, ...]


@dataclass(frozen=True)
class Pipeline:
    id: str
    path: Path
    name: dict[str, str]
    owner: dict[str, str]
    baseline_year: int
    default_year: int
    demo_raw: Path
    notebooks: tuple[str, ...]
    areas: tuple[Area, ...]
    sources: dict[str, Source]
    indicators: tuple[Indicator, ...]
    breaks: tuple[Break, ...] = ()
    families: tuple[Family, ...] = ()
    disclosure_k: int = 5
    disclosure_mode: str = "DK"
    offence_groups: dict[str, OffenceGroup] = field(default_factory=dict)
    #: Area ids of the comparison areas (level municipality or country), in the YAML's order.
    peers: tuple[str, ...] = ()
    map: MapSpec | None = None

    @property
    def city(self) -> Area:
        return next(a for a in self.areas if a.level == "city")

    def area(self, area_id: str) -> Area:
        for a in self.areas:
            if a.id == area_id:
                return a
        raise KeyError(area_id)

    def indicator(self, indicator_id: str) -> Indicator:
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        raise KeyError(indicator_id)

    def areas_at(self, level: str) -> list[Area]:
        return [a for a in self.areas if a.level == level]

    def ancestor_at(self, area_id: str, level: str) -> str | None:
        """The id of ``area_id``'s ancestor (or itself) at ``level``."""
        a = self.area(area_id)
        while a is not None:
            if a.level == level:
                return a.id
            a = self.area(a.parent) if a.parent else None
        return None

    def break_years(self, indicator_id: str) -> list[int]:
        return sorted(b.year for b in self.breaks if b.indicator == indicator_id)


def pipeline_path(name_or_path: str | Path) -> Path:
    """A pipeline's YAML: a path to a file, or the name of one in ``pipelines/``."""
    p = Path(name_or_path)
    if p.suffix in (".yml", ".yaml"):
        return p
    return PIPELINES / f"{name_or_path}.yml"


def available() -> list[str]:
    return sorted(p.stem for p in PIPELINES.glob("*.yml"))


def _need(d: dict, key: str, where: str, path: Path, fix: str = "") -> Any:
    if not isinstance(d, dict) or key not in d or d[key] is None:
        raise ConfigError(f"{path}: key '{where}.{key}' is missing. {fix or 'Add it (see pipelines/sikker-by.yml).'}")
    return d[key]


def _names(d: Any, where: str, path: Path) -> dict[str, str]:
    if not isinstance(d, dict) or any(lang not in d for lang in LANGS):
        raise ConfigError(f"{path}: '{where}' must give a Danish and an English text, as {{da: ..., en: ...}}.")
    return {lang: str(d[lang]) for lang in LANGS}


def _one_of(value: Any, allowed: tuple[str, ...], where: str, path: Path) -> str:
    if value not in allowed:
        raise ConfigError(f"{path}: '{where}' is {value!r}; expected one of {', '.join(allowed)}.")
    return value


def load_pipeline(name_or_path: str | Path) -> Pipeline:
    """Read and validate a pipeline YAML.

    Parameters
    ----------
    name_or_path : str or Path
        A pipeline name (``"sikker-by"``, looked up in ``pipelines/``) or the path of a YAML file.

    Returns
    -------
    Pipeline
        The validated, typed configuration.
    """
    path = pipeline_path(name_or_path)
    if not path.is_file():
        raise ConfigError(
            f"No pipeline '{name_or_path}': {path} does not exist. Known pipelines: {', '.join(available()) or 'none'}."
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}). Fix the syntax at the line shown.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys (id, areas, sources, indicators, ...).")

    areas = []
    for i, a in enumerate(_need(raw, "areas", "pipeline", path)):
        where = f"areas[{i}]"
        areas.append(
            Area(
                id=str(_need(a, "id", where, path)),
                level=_one_of(_need(a, "level", where, path), LEVELS, f"{where}.level", path),
                name=_names(a.get("name"), f"{where}.name", path),
                parent=a.get("parent"),
                code=str(a["code"]) if a.get("code") is not None else None,
                aliases=tuple(a.get("aliases", ())),
            )
        )
    peers = _peers(raw.get("peers"), areas, path)
    areas.extend(peers)
    ids = [a.id for a in areas]
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    if dupes:
        raise ConfigError(f"{path}: area ids must be unique; repeated: {', '.join(dupes)}.")
    for a in areas:
        if a.parent is not None and a.parent not in ids:
            raise ConfigError(f"{path}: area '{a.id}' names parent '{a.parent}', which is not an area id.")
    if sum(a.level == "city" for a in areas) != 1:
        raise ConfigError(f"{path}: exactly one area must have level 'city'.")

    sources = {}
    for sid, s in _need(raw, "sources", "pipeline", path).items():
        where = f"sources.{sid}"
        sources[sid] = Source(
            id=sid,
            format=_one_of(_need(s, "format", where, path), SOURCE_FORMATS, f"{where}.format", path),
            file=str(_need(s, "file", where, path)),
            area_level=s.get("area_level"),
            pseudonymise=tuple(str(c) for c in (s.get("pseudonymise") or ())),
            optional=bool(s.get("optional", False)),
            table=s.get("table"),
            fmt=s.get("fmt"),
        )
        _check_source(sources[sid], areas, where, path)
    offence_groups = _offence_groups(raw.get("offence_groups"), path)

    known = {"id", "kind", "source", "unit", "direction", "levels", "name", "targets", "baseline", "headline_area",
             "persons"}
    indicators = []
    for i, ind in enumerate(_need(raw, "indicators", "pipeline", path)):
        where = f"indicators[{i}]"
        iid = str(_need(ind, "id", where, path))
        where = f"indicators.{iid}"
        src = _need(ind, "source", where, path)
        if src not in sources:
            raise ConfigError(f"{path}: '{where}.source' is '{src}', which is not among sources: {', '.join(sources)}.")
        targets = []
        for j, t in enumerate(ind.get("targets", []) or []):
            tw = f"{where}.targets[{j}]"
            ttype = _one_of(_need(t, "type", tw, path), TARGET_TYPES, f"{tw}.type", path)
            if ttype in ("level", "relative", "below_year"):
                _need(t, "year", tw, path)
            if ttype in ("level", "annual_change"):
                _need(t, "value", tw, path)
            if ttype == "relative":
                _need(t, "change", tw, path)
            if ttype == "below_year":
                _need(t, "reference_year", tw, path)
            targets.append(
                Target(
                    type=ttype,
                    text=_names(t.get("text"), f"{tw}.text", path),
                    year=t.get("year"),
                    value=t.get("value"),
                    change=t.get("change"),
                    reference_year=t.get("reference_year"),
                )
            )
        baseline = ind.get("baseline") or {}
        levels = tuple(ind.get("levels", ["city"]))
        for lv in levels:
            _one_of(lv, LEVELS, f"{where}.levels", path)
        headline = ind.get("headline_area")
        if headline is not None and headline not in ids:
            raise ConfigError(f"{path}: '{where}.headline_area' is '{headline}', which is not an area id.")
        kind = _one_of(_need(ind, "kind", where, path), KINDS, f"{where}.kind", path)
        if kind == "rate":
            _check_rate(ind, sources, offence_groups, where, path)
        elif sources[src].format == "statbank":
            raise ConfigError(f"{path}: '{where}' reads the StatBank source '{src}' but its kind is '{kind}'; "
                              "StatBank tables give rates: set 'kind: rate'.")
        indicators.append(
            Indicator(
                id=iid,
                kind=kind,
                source=src,
                unit=str(_need(ind, "unit", where, path)),
                direction=_one_of(_need(ind, "direction", where, path), ("decrease", "increase"),
                                  f"{where}.direction", path),
                levels=levels,
                name=_names(ind.get("name"), f"{where}.name", path),
                targets=tuple(targets),
                baseline_year=baseline.get("year"),
                baseline_value=baseline.get("value"),
                headline_area=headline,
                persons=bool(ind.get("persons", False)),
                options={k: v for k, v in ind.items() if k not in known},
            )
        )

    iids = {i.id for i in indicators}
    breaks = []
    for j, b in enumerate(raw.get("breaks", []) or []):
        bw = f"breaks[{j}]"
        if _need(b, "indicator", bw, path) not in iids:
            raise ConfigError(f"{path}: '{bw}.indicator' is '{b['indicator']}', not an indicator id.")
        breaks.append(Break(indicator=b["indicator"], year=int(_need(b, "year", bw, path)),
                            why=_names(b.get("why"), f"{bw}.why", path)))
    families = []
    for fid, f in (raw.get("families") or {}).items():
        fw = f"families.{fid}"
        families.append(Family(
            id=fid,
            method=_one_of(_need(f, "method", fw, path), ("holm", "fdr_bh", "none"), f"{fw}.method", path),
            levels=tuple(_need(f, "levels", fw, path)),
        ))

    notebooks = tuple(_need(raw, "notebooks", "pipeline", path))
    from .paths import NOTEBOOKS

    for nb in notebooks:
        if not (NOTEBOOKS / f"{nb}.ipynb").is_file():
            raise ConfigError(f"{path}: notebook '{nb}' listed in 'notebooks' has no file notebooks/{nb}.ipynb.")

    return Pipeline(
        id=str(_need(raw, "id", "pipeline", path)),
        path=path,
        name=_names(raw.get("name"), "name", path),
        owner=_names(raw.get("owner"), "owner", path),
        baseline_year=int(_need(raw, "baseline_year", "pipeline", path)),
        default_year=int(_need(raw, "default_year", "pipeline", path)),
        demo_raw=ROOT / str(_need(raw, "demo_raw", "pipeline", path)),
        notebooks=notebooks,
        areas=tuple(areas),
        sources=sources,
        indicators=tuple(indicators),
        breaks=tuple(breaks),
        families=tuple(families),
        disclosure_k=_positive_int((raw.get("disclosure") or {}).get("k", 5), "disclosure.k", path),
        disclosure_mode=_one_of((raw.get("disclosure") or {}).get("mode", "DK"), DISCLOSURE_MODES, "disclosure.mode",
                                path),
        offence_groups=offence_groups,
        peers=tuple(a.id for a in peers),
        map=_map(raw.get("map"), indicators, path),
    )


def _slug(name: str) -> str:
    text = name.lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        text = text.replace(a, b)
    return "-".join("".join(c if c.isalnum() else " " for c in text).split())


def _peers(value: Any, areas: list[Area], path: Path) -> list[Area]:
    """The ``peers:`` list (StatBank names or codes of municipalities, or the whole country) as areas."""
    if value is None:
        return []
    from .sources import statbank

    if not isinstance(value, list) or not value:
        raise ConfigError(f"{path}: 'peers' must be a list of municipality names or codes, e.g. "
                          "[Albertslund, Viborg, Hele landet].")
    levels, english = statbank.area_levels(), statbank.area_english_names()
    root = [a for a in areas if a.level == "city"]
    out = []
    for i, name in enumerate(value):
        code = statbank.areas().code_of(str(name))
        if code is None or levels[code] not in PEER_LEVELS:
            raise ConfigError(f"{path}: 'peers[{i}]' is {name!r}, which is not a Danish municipality or 'Hele landet'"
                              " in Statistics Denmark's list. Write the official name (e.g. Høje-Taastrup) or the "
                              "3-digit code (tryghed/resources/dst_areas.csv).")
        if any(a.code == code for a in (*root, *out)):
            raise ConfigError(f"{path}: 'peers[{i}]' ({name}) repeats an area already in the comparison; remove it.")
        da = statbank.areas().names[code]
        out.append(Area(id=_slug(da), level=levels[code], name={"da": da, "en": english[code]}, code=code))
    if not root or root[0].code is None:
        raise ConfigError(f"{path}: 'peers' needs the area with level 'city' to carry its Statistics Denmark code, "
                          "e.g. {id: ishoej, level: city, code: \"183\", ...}.")
    return out


def _check_source(source: Source, areas: list[Area], where: str, path: Path) -> None:
    if source.optional and source.format != "statbank":
        raise ConfigError(f"{path}: '{where}.optional' is only supported for 'format: statbank'; remove it, or "
                          "provide the file.")
    if source.format != "statbank":
        return
    from .sources import statbank

    if source.table is not None:
        _one_of(source.table, STATBANK_TABLES, f"{where}.table", path)
    if source.fmt is not None:
        _one_of(source.fmt, ("CSV", "BULK"), f"{where}.fmt", path)
    if source.area_level is not None:
        _one_of(source.area_level, LEVELS, f"{where}.area_level", path)
    mapped = [a for a in areas if source.area_level in (None, a.level)]
    for a in mapped:
        if a.code is None or statbank.areas().code_of(a.code) is None:
            raise ConfigError(f"{path}: area '{a.id}' is read from the StatBank source in '{where}', so it needs its "
                              f"3-digit Statistics Denmark 'code' (e.g. \"101\" for København); it has "
                              f"{a.code!r}. Set the code, or set '{where}.area_level' to the level that has codes.")


def _offence_groups(value: Any, path: Path) -> dict[str, OffenceGroup]:
    if value is None:
        return {}
    from .sources import statbank

    if not isinstance(value, dict):
        raise ConfigError(f"{path}: 'offence_groups' must map a group id to its name, codes and definition.")
    out = {}
    for gid, g in value.items():
        where = f"offence_groups.{gid}"
        codes = _need(g, "codes", where, path,
                      "List the STRAF11 offence codes (tryghed/resources/straf11_offences.csv).")
        codes = tuple(str(c) for c in (codes if isinstance(codes, list) else [codes]))
        for c in codes:
            if c not in statbank.offences().names:
                raise ConfigError(f"{path}: '{where}.codes' has {c!r}, which is not a STRAF11 offence code. Use a "
                                  "code from tryghed/resources/straf11_offences.csv (e.g. 1320 residential burglary).")
            inside = [a for a in statbank.offence_ancestors(c) if a in codes]
            if inside:
                raise ConfigError(f"{path}: '{where}.codes' has both {c} and {inside[0]}, which already contains it: "
                                  f"the offences would be counted twice. Keep one of them.")
        if len(set(codes)) != len(codes):
            raise ConfigError(f"{path}: '{where}.codes' repeats a code; list each once.")
        definition = _names(g.get("definition"), f"{where}.definition", path)
        for lang, text in definition.items():
            unnamed = [c for c in codes if not re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", text)]
            if unnamed:
                raise ConfigError(f"{path}: '{where}.definition.{lang}' does not mention code {unnamed[0]}; the "
                                  "definition printed in the report must name every code of 'codes'.")
        comparability = g.get("comparability")
        out[gid] = OffenceGroup(
            id=gid, name=_names(g.get("name"), f"{where}.name", path), codes=codes,
            definition=definition,
            comparability=_names(comparability, f"{where}.comparability", path) if comparability else None,
        )
    return out


def _check_rate(ind: dict, sources: dict[str, Source], groups: dict[str, OffenceGroup], where: str,
                path: Path) -> None:
    """A rate is offences of one group (a STRAF11 source) over the population (a FOLK1A source)."""
    src = sources[ind["source"]]
    if src.format != "statbank" or src.table != "STRAF11":
        raise ConfigError(f"{path}: '{where}.source' must be a StatBank source with 'table: STRAF11' for a rate; "
                          f"'{src.id}' is {src.format}" + (f" ({src.table})" if src.table else "") + ".")
    pop = _need(ind, "population", where, path, "Name the StatBank source with 'table: FOLK1A'.")
    if pop not in sources or sources[pop].format != "statbank" or sources[pop].table != "FOLK1A":
        raise ConfigError(f"{path}: '{where}.population' is {pop!r}; it must name a source with 'format: statbank' "
                          "and 'table: FOLK1A'.")
    group = _need(ind, "offence_group", where, path, "Name one of the 'offence_groups'.")
    if group not in groups:
        raise ConfigError(f"{path}: '{where}.offence_group' is {group!r}, which is not among offence_groups: "
                          f"{', '.join(groups) or 'none declared'}.")


def _map(value: Any, indicators: list[Indicator], path: Path) -> MapSpec | None:
    if value is None:
        return None
    rates = [i.id for i in indicators if i.kind == "rate"]
    indicator = value.get("indicator", rates[0] if rates else None) if isinstance(value, dict) else None
    if indicator not in rates:
        raise ConfigError(f"{path}: 'map.indicator' is {indicator!r}; the map shows a rate indicator: "
                          f"{', '.join(rates) or 'declare one'}.")
    return MapSpec(file=str(_need(value, "file", "map", path, "Give the GeoJSON file, relative to the raw folder.")),
                   code_property=str(_need(value, "code_property", "map", path,
                                           "Name the feature property holding the municipality code, e.g. lau_1.")),
                   indicator=indicator)


def _positive_int(value: Any, where: str, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{path}: '{where}' is {value!r}; expected a whole number of at least 1 (e.g. 5).")
    return value
