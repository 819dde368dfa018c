"""Load and validate a pipeline YAML into typed objects (pydantic v2 models).

Every model forbids unknown keys. A bad YAML raises :class:`~tryghed.errors.ConfigError` naming the file, the key
path, the line (where the YAML parser knows it), what was wrong and the fix; an unknown key comes with a "did you
mean" hint. Each indicator kind declares its own options model in ``tryghed/kinds/``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator,
                      model_validator)

from .effects_spec import Evaluation
from .efforts_spec import EffortModel
from .errors import ConfigError
from .names import Names, Text  # noqa: F401 - Names is config.Names to the callers
from .national_spec import NationalSpec
from .paths import NOTEBOOKS, PIPELINES, ROOT
from .significance import ALPHA

#: Area levels. ``police_district`` sits above the city (Copenhagen Police District: the municipality and its
#: neighbours), the others below it or beside it (peers).
LEVELS = ("police_district", "city", "district", "survey_district", "municipality", "country")
#: Levels of the comparison areas of a municipality's pipeline (its peers and the whole country): not nested below
#: the root area, and taken from Statistics Denmark's area codes (``peers:`` in the YAML).
PEER_LEVELS = ("municipality", "country")
TARGET_TYPES = ("level", "relative", "annual_change", "annual_decrease", "below_year", "compliance")
SOURCE_FORMATS = ("survey_microdata", "safety_index", "closure_log", "register_counts", "gang_log", "population",
                  "statbank", "long", "police_monthly", "police_incidents", "neighbourhood_population",
                  "gang_register", "ssp_log", "activity_log", "assessment")
#: StatBank tables a ``statbank`` source may declare (tryghed.sources.statbank).
STATBANK_TABLES = ("STRAF11", "STRAF22", "FOLK1A", "STRAF44")
LANGS = ("da", "en")
#: Disclosure control (METHODS.md §6): "DK" suppresses small person counts, "rounding" rounds them (NHS style).
DISCLOSURE_MODES = ("DK", "rounding")
PERIODS = ("year", "half_year", "quarter", "month")


class KeyProblem(ValueError):
    """A cross-reference problem at a key path below the model that found it (for the error's key path and line)."""

    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc = tuple(loc)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Area(_Model):
    id: str
    level: Literal[LEVELS]  # type: ignore[valid-type]
    name: Text
    parent: str | None = None
    code: str | None = None
    aliases: tuple[str, ...] = ()


    @field_validator("id", "code", "parent", mode="before")
    @classmethod
    def _text(cls, v):
        return None if v is None else str(v)


class Source(_Model):
    id: str = ""
    format: Literal[SOURCE_FORMATS]  # type: ignore[valid-type]
    file: str
    area_level: Literal[LEVELS] | None = None  # type: ignore[valid-type]
    #: Raw columns that hold person identifiers on purpose: not flagged by the identifier scan, replaced by a keyed
    #: hash (key from the environment) wherever a reader keeps them.
    pseudonymise: tuple[str, ...] = ()
    #: A missing file is not an error: the measures built on it are reported as "not supplied".
    optional: bool = False
    #: StatBank table (``STRAF11``, ``STRAF22``, ``FOLK1A``) and, for the API's long layout, ``CSV`` or ``BULK``.
    table: Literal[STATBANK_TABLES] | None = None  # type: ignore[valid-type]
    fmt: Literal["CSV", "BULK"] | None = None
    #: A long table: the file's header for each role (area, period, indicator, count, population, value, n).
    columns: dict[Literal["area", "period", "indicator", "count", "population", "value", "n"], str] | None = None
    sheet: str | None = None
    #: Bounds of what the file may hold (a month, quarter or date outside them is an input error).
    months: tuple[str, str] | None = None
    quarters: tuple[str, str] | None = None
    dates: tuple[str, str] | None = None
    #: Several levels whose area names the file may use (instead of one ``area_level``).
    area_levels: tuple[Literal[LEVELS], ...] | None = None  # type: ignore[valid-type]
    #: Who wrote a verbatim text source (the police's assessment).
    attribution: Text | None = None

    @model_validator(mode="after")
    def _fits_format(self):
        if self.format == "statbank" and self.table is None:
            raise ValueError("a StatBank source needs 'table' (STRAF11, STRAF22 or FOLK1A)")
        if self.format != "statbank" and (self.table or self.fmt):
            raise ValueError("'table' and 'fmt' belong to 'format: statbank' sources only")
        if self.format == "long" and not self.columns:
            raise ValueError("a long table needs 'columns', e.g. {area: bydel, period: år, indicator: type, "
                             "count: antal}")
        if self.format != "long" and self.columns:
            raise ValueError("'columns' belongs to 'format: long' sources only")
        return self


class OffenceGroup(_Model):
    """A group of STRAF11 offence types reported as one rate (e.g. citizen-directed crime)."""

    id: str = ""
    name: Text
    codes: tuple[str, ...]
    definition: Text
    #: Why a published figure of the same name is not comparable (printed in the method notes), if any.
    comparability: Text | None = None


    @field_validator("codes", mode="before")
    @classmethod
    def _codes(cls, v):
        return tuple(str(c) for c in (v if isinstance(v, (list, tuple)) else [v]))

    @model_validator(mode="after")
    def _check_codes(self):
        from .sources.statbank import offence_ancestors, offences

        known = offences().names
        for c in self.codes:
            if c not in known:
                raise ValueError(f"codes has {c!r}, which is not a STRAF11 offence code; use a code from "
                                 "tryghed/resources/straf11_offences.csv (e.g. 1320 residential burglary)")
            inside = [a for a in offence_ancestors(c) if a in self.codes]
            if inside:
                raise ValueError(f"codes has both {c} and {inside[0]}, which already contains it: the offences would "
                                 "be counted twice; keep one of them")
        if len(set(self.codes)) != len(self.codes):
            raise ValueError("codes repeats a code; list each once")
        for lang in LANGS:
            text = self.definition[lang]
            unnamed = [c for c in self.codes if not re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", text)]
            if unnamed:
                raise ValueError(f"definition.{lang} does not mention code {unnamed[0]}; the definition printed in "
                                 "the report must name every code of 'codes'")
        return self


class MapSpec(_Model):
    """Boundaries for a map of the root area and its peers: a GeoJSON file relative to the raw folder."""

    file: str
    code_property: str
    indicator: str | None = None


class DistrictMapLayer(_Model):
    """One boundary file of a district map: its polygons are matched to areas by name (``name_property``)."""

    file: str
    name_property: str
    #: area id -> the polygon names that together make it (e.g. Indre Nørrebro = two neighbourhoods); a polygon not
    #: named here is matched to the area whose name (or alias) it bears
    groups: dict[str, tuple[str, ...]] = {}
    #: polygon names of the earlier layers that this layer's polygons replace (e.g. Nørrebro, split in two)
    replaces: tuple[str, ...] = ()


class DistrictMapSpec(_Model):
    """Maps of a city's districts, one per indicator, shaded by the report year's value (tryghed.figures)."""

    layers: tuple[DistrictMapLayer, ...] = Field(min_length=1)
    indicators: tuple[str, ...] = Field(min_length=1)
    #: the area level the maps show (the survey districts)
    level: str = "district"


class Target(_Model):
    type: Literal[TARGET_TYPES]  # type: ignore[valid-type]
    text: Text
    year: int | None = None
    value: float | None = None
    change: float | None = None
    reference_year: int | None = None


    @model_validator(mode="after")
    def _needs(self):
        need = {"level": ("year", "value"), "relative": ("year", "change"), "annual_change": ("value",),
                "below_year": ("year", "reference_year"), "annual_decrease": (), "compliance": ("value",)}[self.type]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a '{self.type}' target needs {' and '.join(repr(k) for k in missing)}")
        return self


class EarlierBaseline(_Model):
    year: int
    value: float


class Baseline(_Model):
    """The programme's own baseline (shown beside the data's), and optionally an earlier one."""

    year: int
    value: float | None = None
    earlier: EarlierBaseline | None = None


#: Keys every indicator has; everything else in an indicator's mapping belongs to its kind's options model.
COMMON_INDICATOR_KEYS = ("id", "kind", "source", "unit", "direction", "levels", "name", "targets", "baseline",
                         "headline_area", "persons", "every", "goal", "unit_label", "unit_label_one")
#: Units whose numbers count things: the ones a ``unit_label`` ("lokalområder", "institutioner") may name.
COUNT_UNITS = ("count", "days")


class Indicator(_Model):
    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    kind: str
    source: str
    unit: str
    direction: Literal["decrease", "increase"]
    levels: tuple[Literal[LEVELS], ...] = ("city",)  # type: ignore[valid-type]
    name: Text
    targets: tuple[Target, ...] = ()
    baseline: Baseline | None = None
    headline_area: str | None = None
    #: The numerator counts persons: published cells pass disclosure control (METHODS.md §6).
    persons: bool = False
    #: Measured every ``every`` years (e.g. 2: a biennial survey): a year is compared with the previous survey.
    #: Without it the interval is inferred from the periods the data holds (:meth:`previous_period`).
    every: int | None = Field(None, ge=1, le=10)
    #: The id of the programme goal (top-level ``goals:``) the measure serves; it groups the scorecard.
    goal: str | None = None
    #: What a count counts, in words ("lokalområder"/"local areas"): shown after every number of the measure, in
    #: the exports' unit column and on the figures' value axis. Without it a count is a bare number ("antal" in
    #: unit columns) and days are "dage".
    unit_label: Text | None = None
    #: The singular of ``unit_label`` ("lokalområde"/"local area"), shown after a count of exactly one ("1
    #: lokalområde", "−1 institution"); without it the plural is shown there too.
    unit_label_one: Text | None = None
    _spec: BaseModel | None = PrivateAttr(default=None)


    @field_validator("levels", mode="before")
    @classmethod
    def _levels(cls, v):
        if isinstance(v, str):
            raise ValueError(f"levels must be a list, e.g. [{v}]")
        return v

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data):
        """The kind must exist and every key must be a common key or one of the kind's options."""
        from . import kinds

        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            return data
        kind = data["kind"]
        if kind not in kinds.REGISTRY:
            hint = difflib.get_close_matches(kind, list(kinds.REGISTRY), n=1)
            raise ValueError(f"kind {kind!r} is not a known kind ({', '.join(kinds.REGISTRY)})"
                             + (f"; did you mean {hint[0]!r}?" if hint else ""))
        options = kinds.REGISTRY[kind].Options.model_fields
        allowed = sorted({*options, *COMMON_INDICATOR_KEYS})
        for key in data:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                raise ValueError(f"unknown key {key!r} for a '{kind}' indicator"
                                 + (f"; did you mean {hint[0]!r}?" if hint else "")
                                 + f" (its own options: {', '.join(options) or 'none'})")
        return data

    @model_validator(mode="after")
    def _kind_options(self):
        from . import kinds

        if self.unit_label is not None and self.unit not in COUNT_UNITS:
            raise ValueError(f"unit_label is given, but the unit is {self.unit!r}: a unit_label names what a count "
                             f"counts and belongs to measures with unit {' or '.join(COUNT_UNITS)}; remove it")
        if self.unit_label_one is not None and self.unit_label is None:
            raise ValueError("unit_label_one is given without unit_label: give the plural (unit_label: {da: "
                             "lokalområder, en: local areas}) beside the singular")
        self._spec = kinds.REGISTRY[self.kind].Options.model_validate(dict(self.model_extra or {}))
        return self

    @property
    def spec(self) -> BaseModel:
        """The kind's validated options (a pydantic model of ``tryghed.kinds.<kind>.Options``)."""
        return self._spec

    @property
    def options(self) -> Mapping[str, Any]:
        """The kind's options as a read-only mapping (defaults filled in)."""
        return MappingProxyType(self._spec.model_dump() if self._spec is not None else {})

    @property
    def baseline_year(self) -> int | None:
        return self.baseline.year if self.baseline else None

    @property
    def baseline_value(self) -> float | None:
        return self.baseline.value if self.baseline else None

    def previous_period(self, year: int, periods) -> int | None:
        """The period ``year`` is compared with: the previous year, or the previous survey of a series measured
        every second (third, ...) year.

        With ``every`` set, the latest period before ``year`` at most ``every`` years back; without it, the interval
        is inferred from ``periods`` (the years the series holds): when every gap between consecutive periods up to
        ``year`` is the same g > 1, the series is measured every g years. None when there is no such period (e.g. a
        source that ended, or a gap longer than the series' interval: "no data last time", never a guess).
        """
        have = sorted({int(p) for p in periods if int(p) < int(year)})
        if not have:
            return None
        every = self.every
        if every is None:
            gaps = {b - a for a, b in zip([*have, int(year)], [*have, int(year)][1:])}
            every = gaps.pop() if len(gaps) == 1 and int(year) in {int(p) for p in periods} else 1
        return have[-1] if int(year) - have[-1] <= every else None

    def comparison_name(self, year: int, ref: int) -> str:
        """``previous_year`` when ``ref`` is the year before, else ``previous_survey`` (labelled with ``ref``)."""
        return "previous_year" if int(year) - int(ref) == 1 else "previous_survey"

    @property
    def impl(self):
        """The kind's implementation (``tryghed.kinds.REGISTRY[kind]``)."""
        from . import kinds

        return kinds.REGISTRY[self.kind]


class Break(_Model):
    indicator: str
    year: int
    why: Text



class Family(_Model):
    """How the tests at some levels are adjusted for multiple testing (METHODS.md §4).

    By default a family is one indicator × one area level × one comparison. ``pool_indicators: true`` pools every
    indicator at these levels into one family (e.g. the city's headline measures under Holm): an explicit choice.
    """

    id: str = ""
    method: Literal["holm", "fdr_bh", "none"]
    levels: tuple[Literal[LEVELS], ...]  # type: ignore[valid-type]
    pool_indicators: bool = False


class ReportingYear(_Model):
    """A reporting year from ``start_month`` of Y−1 to ``end_month`` of Y (e.g. August to June)."""

    start_month: int = Field(ge=1, le=12)
    end_month: int = Field(ge=1, le=12)


class Hotspot(_Model):
    id: str
    area: str
    name: Text
    lon: float
    lat: float


class Goal(_Model):
    """A goal of the programme (e.g. ØGET TRYGHED): the scorecard shows its measures under its name."""

    id: str
    name: Text

    @field_validator("id", mode="before")
    @classmethod
    def _text(cls, v):
        return str(v)


class Disclosure(_Model):
    k: int = Field(5, ge=1)
    mode: Literal[DISCLOSURE_MODES] = "DK"  # type: ignore[valid-type]


class Pipeline(_Model):
    id: str
    path: Path = Path()
    name: Text
    owner: Text
    baseline_year: int
    default_year: int
    demo_raw: Path
    notebooks: tuple[str, ...]
    areas: tuple[Area, ...]
    sources: dict[str, Source]
    indicators: tuple[Indicator, ...]
    breaks: tuple[Break, ...] = ()
    families: tuple[Family, ...] = ()
    disclosure: Disclosure = Disclosure()
    offence_groups: dict[str, OffenceGroup] = {}
    #: Municipality names or codes (StatBank) compared with the root area; resolved into areas on load.
    peers: tuple[str, ...] = ()
    map: MapSpec | None = None
    #: Maps of the city's districts from boundary files, matched by name (tryghed.figures.district_maps).
    district_map: DistrictMapSpec | None = None
    #: Significance level of every test of the pipeline (METHODS.md §0).
    alpha: float = Field(ALPHA, gt=0, lt=0.5)
    #: The period the pipeline reports at (long tables aggregate finer periods to it, complete ones only).
    period: Literal[PERIODS] = "year"  # type: ignore[valid-type]
    #: The effort register and its effect-and-evidence model (tryghed.efforts), for pipelines that score efforts.
    efforts: EffortModel | None = None
    #: A partnership's reporting year (``--year Y`` is the year that ends in ``end_month`` of Y).
    reporting_year: ReportingYear | None = None
    #: Who the report goes to (its title page).
    recipients: tuple[Text, ...] = ()
    #: Places named on the maps.
    hotspots: tuple[Hotspot, ...] = ()
    #: Activity goals, planned against held (tryghed.activities.parse_goals checks each entry).
    activity_goals: tuple[dict[str, Any], ...] = ()
    #: The national view (most similar groups, funnel plots; tryghed.national), inline or a shared file's name.
    national: NationalSpec | None = None
    #: Evaluations of whether an effort in some areas worked (tryghed.effects: ITS, DiD, placebo, synthetic control).
    effects: tuple[Evaluation, ...] = ()
    #: The programme's goals, in the order the scorecard shows them; each indicator names its own with ``goal:``.
    goals: tuple[Goal, ...] = ()


    @field_validator("sources", mode="before")
    @classmethod
    def _source_ids(cls, v):
        if not isinstance(v, dict):
            raise ValueError("sources must map a source id to its format and file, e.g. {survey: {format: ..., "
                             "file: ...}}")
        return {k: {**s, "id": k} if isinstance(s, dict) else s for k, s in v.items()}

    @field_validator("offence_groups", mode="before")
    @classmethod
    def _group_ids(cls, v):
        if v is None:
            return {}
        if isinstance(v, str):  # a YAML file in pipelines/ that several pipelines share (one definition for all)
            shared = PIPELINES / v
            if not shared.is_file():
                raise ValueError(f"offence_groups names the file {v!r}, which is not in {PIPELINES}")
            v = yaml.load(shared.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        if not isinstance(v, dict):
            raise ValueError("offence_groups must map a group id to its name, codes and definition")
        return {k: {**g, "id": k} if isinstance(g, dict) else g for k, g in v.items()}

    @field_validator("national", mode="before")
    @classmethod
    def _national_file(cls, v):
        if isinstance(v, str):  # a YAML file under pipelines/ (e.g. shared/national.yml)
            shared = PIPELINES / v
            if not shared.is_file():
                raise ValueError(f"national names the file {v!r}, which is not in {PIPELINES}")
            return yaml.load(shared.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        return v

    @field_validator("families", mode="before")
    @classmethod
    def _family_ids(cls, v):
        if v is None:
            return ()
        if not isinstance(v, dict):
            raise ValueError("families must map a family id to its method and levels")
        return tuple({**f, "id": k} if isinstance(f, dict) else f for k, f in v.items())

    @field_validator("demo_raw", mode="after")
    @classmethod
    def _demo(cls, v):
        return v if v.is_absolute() else ROOT / v

    @model_validator(mode="before")
    @classmethod
    def _all_peers(cls, data):
        """``peers: all``: every municipality in Statistics Denmark's list and the whole country, but the root."""
        if isinstance(data, dict) and data.get("peers") == "all":
            from .sources.statbank import area_levels

            roots = {str(a.get("code")) for a in data.get("areas") or () if isinstance(a, dict)}
            data = {**data, "peers": [code for code, level in area_levels().items()
                                      if level in PEER_LEVELS and code not in roots]}
        return data

    @field_validator("peers", mode="before")
    @classmethod
    def _peer_names(cls, v):
        if v is None:
            return ()
        if not isinstance(v, list) or not v:
            raise ValueError("peers must be a list of municipality names or codes, e.g. [Albertslund, Viborg, "
                             "Hele landet]")
        return tuple(str(x) for x in v)

    @model_validator(mode="after")
    def _cross_references(self):
        peer_areas = _peer_areas(self)
        object.__setattr__(self, "areas", self.areas + peer_areas)
        #: from here on ``peers`` holds the comparison areas' ids, in the YAML's order
        object.__setattr__(self, "peers", tuple(a.id for a in peer_areas))
        ids = [a.id for a in self.areas]
        dupes = sorted({x for x in ids if ids.count(x) > 1})
        if dupes:
            raise ValueError(f"area ids must be unique; repeated: {', '.join(dupes)}")
        parents = {a.id: a.parent for a in self.areas}
        for a in self.areas:
            if a.parent is not None and a.parent not in parents:
                raise ValueError(f"area '{a.id}' names parent '{a.parent}', which is not an area id")
            seen, p = {a.id}, a.parent
            while p is not None:
                if p in seen:
                    raise ValueError(f"the areas' parents form a cycle through '{a.id}'; every chain of parents must "
                                     "end at the root area")
                seen.add(p)
                p = parents[p]
        if sum(a.level == "city" for a in self.areas) != 1:
            raise ValueError("exactly one area must have level 'city' (the root: the whole city or municipality)")
        for sid, s in self.sources.items():
            _check_statbank_areas(s, self.areas, sid)
        iids = [i.id for i in self.indicators]
        dupes = sorted({x for x in iids if iids.count(x) > 1})
        if dupes:
            raise ValueError(f"indicator ids must be unique; repeated: {', '.join(dupes)}")
        gids = [g.id for g in self.goals]
        dupes = sorted({x for x in gids if gids.count(x) > 1})
        if dupes:
            raise ValueError(f"goal ids must be unique; repeated: {', '.join(dupes)}")
        for i, ind in enumerate(self.indicators):
            if ind.goal is not None and ind.goal not in gids:
                hint = difflib.get_close_matches(ind.goal, gids, n=1)
                raise KeyProblem(("indicators", i, "goal"), (
                    f"goal {ind.goal!r} is not among goals: {', '.join(gids)}"
                    + (f"; did you mean {hint[0]!r}?" if hint else "")) if gids else (
                    f"goal {ind.goal!r} names a goal, but the pipeline declares no 'goals:'; add a top-level "
                    f"list, e.g. goals: [{{id: {ind.goal}, name: {{da: ..., en: ...}}}}]"))
            if ind.source not in self.sources:
                raise KeyProblem(("indicators", i, "source"), f"source '{ind.source}' is not among sources: "
                                 f"{', '.join(self.sources)}")
            if ind.headline_area is not None and ind.headline_area not in ids:
                raise KeyProblem(("indicators", i, "headline_area"),
                                 f"headline_area '{ind.headline_area}' is not an area id")
            try:
                ind.impl.check(ind, self)
            except KeyProblem:
                raise
            except ValueError as exc:
                text = re.sub(rf"^indicator '{re.escape(ind.id)}'(: | )", "", str(exc))
                key = re.match(r"(\w+) (?:is|must|needs)\b", text)
                raise KeyProblem(("indicators", i, *((key.group(1),) if key else ())), text) from None
        names = {n.lower(): a.id for a in self.areas for n in (a.id, *a.name.values(), *a.aliases)}
        for j, ev in enumerate(self.effects):
            if ev.indicator not in iids:
                raise ValueError(f"effects[{j}]: indicator '{ev.indicator}' is not an indicator id")
            for key in ("treated", "comparison"):
                unknown = [a for a in (getattr(ev, key) or ()) if str(a).lower() not in names]
                if unknown:
                    raise ValueError(f"effects[{j}].{key}: {unknown[0]!r} is not an area id or name of the pipeline")
            treated = {names[str(a).lower()] for a in ev.treated}
            if ev.comparison and treated & {names[str(a).lower()] for a in ev.comparison}:
                raise ValueError(f"effects[{j}]: the comparison areas include a treated area; remove it from "
                                 "'comparison'")
        for h in self.hotspots:
            if h.area not in ids:
                raise ValueError(f"hotspot '{h.id}': area '{h.area}' is not an area id")
        if self.activity_goals:
            from .activities import parse_goals

            try:
                parse_goals(self.activity_goals, where=str(self.path))
            except ConfigError as exc:
                raise ValueError(str(exc).removeprefix(f"{self.path}: ")) from None
        for b in self.breaks:
            if b.indicator not in iids:
                raise ValueError(f"breaks: indicator '{b.indicator}' is not an indicator id")
        for nb in self.notebooks:
            if not (NOTEBOOKS / f"{nb}.ipynb").is_file():
                raise ValueError(f"notebook '{nb}' listed in 'notebooks' has no file notebooks/{nb}.ipynb")
        if self.map is not None:
            rates = [i.id for i in self.indicators if i.kind == "rate"]
            chosen = self.map.indicator or (rates[0] if rates else None)
            if chosen not in rates:
                raise KeyProblem(("map", "indicator"), f"map.indicator is {chosen!r}; the map shows a rate "
                                 f"indicator: {', '.join(rates) or 'declare one'}")
            object.__setattr__(self, "map", self.map.model_copy(update={"indicator": chosen}))
        if self.district_map is not None:
            for j, iid in enumerate(self.district_map.indicators):
                if iid not in iids:
                    raise KeyProblem(("district_map", "indicators", j), f"district_map.indicators names '{iid}', "
                                     f"which is not an indicator id: {', '.join(sorted(iids))}")
            for j, layer in enumerate(self.district_map.layers):
                for aid in layer.groups:
                    if aid not in parents:
                        raise KeyProblem(("district_map", "layers", j, "groups"), f"district_map.layers[{j}].groups "
                                         f"names area '{aid}', which is not an area id")
        self._index = {a.id: a for a in self.areas}
        return self

    _index: dict = PrivateAttr(default_factory=dict)

    # -- the API the rest of the package uses ---------------------------------------------------------------------
    @property
    def disclosure_k(self) -> int:
        return self.disclosure.k

    @property
    def disclosure_mode(self) -> str:
        return self.disclosure.mode

    @property
    def city(self) -> Area:
        return next(a for a in self.areas if a.level == "city")

    def area(self, area_id: str) -> Area:
        try:
            return self._index[area_id]
        except KeyError:
            raise KeyError(area_id) from None

    def indicator(self, indicator_id: str) -> Indicator:
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        raise KeyError(indicator_id)

    def areas_at(self, level: str) -> list[Area]:
        return [a for a in self.areas if a.level == level]

    def ancestor_at(self, area_id: str, level: str) -> str | None:
        """The id of ``area_id``'s ancestor (or itself) at ``level``."""
        a = self._index.get(area_id)
        while a is not None:
            if a.level == level:
                return a.id
            a = self._index.get(a.parent) if a.parent else None
        return None

    def break_years(self, indicator_id: str) -> list[int]:
        return sorted(b.year for b in self.breaks if b.indicator == indicator_id)

    def family_of(self, level: str) -> Family | None:
        """The declared family (method, pooling) that covers ``level``, if any."""
        return next((f for f in self.families if level in f.levels), None)


def _peer_areas(p: Pipeline) -> tuple[Area, ...]:
    """The ``peers:`` list (StatBank names or codes of municipalities, or the whole country) as areas."""
    if not p.peers:
        return ()
    from .sources.statbank import area_english_names, area_levels, areas

    levels, english = area_levels(), area_english_names()
    root = [a for a in p.areas if a.level == "city"]
    out: list[Area] = []
    for i, name in enumerate(p.peers):
        code = areas().code_of(name)
        if code is None or levels[code] not in PEER_LEVELS:
            raise KeyProblem(("peers", i), f"peers[{i}] is {name!r}, which is not a Danish municipality or "
                             "'Hele landet' in Statistics Denmark's list; write the official name (e.g. "
                             "Høje-Taastrup) or the 3-digit code (tryghed/resources/dst_areas.csv)")
        if any(a.code == code for a in (*root, *out)):
            raise ValueError(f"peers[{i}] ({name}) repeats an area already in the comparison; remove it")
        da = areas().names[code]
        out.append(Area(id=slug(da), level=levels[code], name={"da": da, "en": english[code]}, code=code))
    if not root or root[0].code is None:
        raise ValueError("peers needs the area with level 'city' to carry its Statistics Denmark code, e.g. "
                         "{id: ishoej, level: city, code: \"183\", ...}")
    return tuple(out)


def _check_statbank_areas(source: Source, areas: tuple[Area, ...], sid: str) -> None:
    if source.format != "statbank":
        return
    from .sources.statbank import areas as dst_areas

    for a in areas:
        if source.area_levels and a.level not in source.area_levels:
            continue  # the source is read for the areas of its levels only
        if source.area_level in (None, a.level) and (a.code is None or dst_areas().code_of(a.code) is None):
            raise KeyProblem(("areas", areas.index(a), "code"), f"area '{a.id}' is read from the StatBank source "
                             f"'{sid}', so it needs its 3-digit "
                             f"Statistics Denmark 'code' (e.g. \"101\" for København); it has {a.code!r}. Set the "
                             f"code, or set sources.{sid}.area_level to the level that has codes")


def slug(name: str) -> str:
    """An id from a name: lower case, Danish letters transliterated, words joined by hyphens."""
    text = name.lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        text = text.replace(a, b)
    return "-".join("".join(c if c.isalnum() else " " for c in text).split())


def pipeline_path(name_or_path: str | Path) -> Path:
    """A pipeline's YAML: a path to a file, or the name of one in ``pipelines/``."""
    p = Path(name_or_path)
    if p.suffix in (".yml", ".yaml"):
        return p
    return PIPELINES / f"{name_or_path}.yml"


def available() -> list[str]:
    return sorted(p.stem for p in PIPELINES.glob("*.yml"))


def _node_at(node: yaml.Node | None, loc: tuple) -> yaml.Node | None:
    """The YAML node at a pydantic error location (mapping keys and sequence indices), as deep as it goes."""
    best = node
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, int) and part < len(node.value):
            best, node = node.value[part]
        elif isinstance(node, yaml.MappingNode):
            hit = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if hit is None:
                return best
            best, node = hit[0], hit[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = best = node.value[part]
        else:
            return best
    return best


def _where(raw: dict, loc: tuple) -> str:
    """A readable key path: list items named by their id where they have one (``indicators.unsafe_night.unit``)."""
    parts, node = [], raw
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            item = node[part]
            parts.append(str(item["id"]) if isinstance(item, dict) and "id" in item else f"[{part}]")
            node = item
        elif isinstance(node, dict) and isinstance(part, int) and part < len(node):  # a mapping read as a list
            key = list(node)[part]
            parts.append(str(key))
            node = node[key]
        elif isinstance(node, dict) and part in node:
            parts.append(str(part))
            node = node[part]
        elif isinstance(part, str) and not part.startswith(("function-", "literal[", "tagged-union")):
            parts.append(part)
    return ".".join(parts).replace(".[", "[")


def _fix(err: dict, problem: str) -> str:
    kind = err["type"]
    if problem.startswith("unknown key"):
        return "Remove it or correct its spelling."
    if kind == "missing":
        return "Add it (see pipelines/sikker-by.yml for an example)."
    if kind == "extra_forbidden":
        return "Remove it or correct its spelling."
    if kind.startswith("literal_error") or kind == "enum":
        return "Use one of the values listed."
    return "Correct the value."


#: libyaml's safe loader where PyYAML was built with it (about 10 times faster than the pure-Python one).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _message(path: Path, raw: dict, root: yaml.Node | None, exc: ValidationError) -> str:
    lines = []
    errors = exc.errors(include_url=False)
    # a misspelt key ('tpye') is also a missing one ('type'): name the misspelling first, and only it
    unknown = {(tuple(e["loc"][:-1]), str(e["loc"][-1])) for e in errors if e["type"] == "extra_forbidden"}
    errors = [e for e in errors if not (e["type"] == "missing" and any(
        parent == tuple(e["loc"][:-1]) and difflib.get_close_matches(str(e["loc"][-1]), [key], n=1)
        for parent, key in unknown))]
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            key, parent_loc = loc[-1], loc[:-1]
            parent = _model_at(parent_loc)
            hint = difflib.get_close_matches(str(key), parent, n=1) if parent else []
            problem = f"unknown key {key!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
        else:
            problem = err["msg"].removeprefix("Value error, ")
            if err["type"] != "value_error" and "input" in err and not isinstance(err["input"], (dict, list)):
                problem += f" (got {err['input']!r})"
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, KeyProblem):
            loc = (*loc, *cause.loc)
        elif err["type"] == "value_error":
            lead = re.match(r"([a-z_]+(?:\.[a-z_]+)*) (?:has|does|is)\b", problem)
            if lead and lead.group(1) not in ("codes", "definition") or lead and loc[:1] == ("offence_groups",):
                loc = (*loc, *lead.group(1).split("."))
        # a model-level check names its key in the message: point the key path and the line at that key
        named = re.match(r"(?:unknown key '([^']+)'|(kind) )", problem)
        if named and (not loc or loc[-1] != (named.group(1) or named.group(2))):
            loc = (*loc, named.group(1) or named.group(2))
        node = _node_at(root, loc)
        line = f", line {node.start_mark.line + 1}" if node is not None else ""
        where = _where(raw, loc) or "the top level"
        end = "" if problem.endswith((".", "?")) else "."
        lines.append(f"{path}{line}: '{where}': {problem}{end} {_fix(err, problem)}")
    return "\n".join(lines)


def _model_at(loc: tuple) -> list[str]:
    """The keys allowed at a location (for 'did you mean'), following the models by field name."""
    model: Any = Pipeline
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return list(getattr(model, "model_fields", {}))
        ann = field.annotation
        inner = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
        model = inner[-1] if inner else (ann if isinstance(ann, type) and issubclass(ann, BaseModel) else model)
    return list(getattr(model, "model_fields", {}))


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

    Raises
    ------
    ConfigError
        Naming the file, the line, the key path and the fix, for every problem found.
    """
    path = pipeline_path(name_or_path)
    if not path.is_file():
        raise ConfigError(
            f"No pipeline '{name_or_path}': {path} does not exist. Known pipelines: {', '.join(available()) or 'none'}."
        )
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}). Fix the syntax at the line shown.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys (id, areas, sources, indicators, ...).")
    try:
        return Pipeline.model_validate({**raw, "path": path})
    except ValidationError as exc:
        root = yaml.compose(text, Loader=_YAML_LOADER)   # the nodes' line numbers, for the message only
        raise ConfigError(_message(path, raw, root, exc)) from None
