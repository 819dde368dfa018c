"""A municipality among its peers: ranks of its rates, the peer table, offence-group definitions, map boundaries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import i18n
from .config import PEER_LEVELS, Pipeline
from .errors import InputError

RANK_COLUMNS = ["indicator_id", "area_id", "level", "period", "estimate", "ci_low", "ci_high", "rank", "of"]


@dataclass(frozen=True)
class Rank:
    """The place of one area's estimate among a group of areas."""

    #: 1 = the highest estimate; None when the area has no estimate.
    rank: int | None
    #: How many areas with an estimate were ranked.
    of: int


def rank_among(estimates: Mapping[str, float], area_id: str) -> Rank:
    """Rank ``area_id`` among ``estimates`` (area id -> value), the highest first.

    Ties share the best place (competition ranking "1224"); areas without a finite estimate are not ranked.

    Parameters
    ----------
    estimates : mapping of str to float
        The estimate of every area of the group, the ranked area included.
    area_id : str
        The area to place.

    Returns
    -------
    Rank
        ``rank`` = 1 + the number of areas with a strictly higher estimate, and ``of`` = the number ranked.
    """
    finite = {a: float(v) for a, v in estimates.items() if v is not None and np.isfinite(v)}
    if area_id not in finite:
        return Rank(None, len(finite))
    return Rank(1 + sum(v > finite[area_id] for v in finite.values()), len(finite))


def _compared(pipeline: Pipeline) -> list:
    """The indicators that are computed for the peers."""
    return [i for i in pipeline.indicators if any(lv in PEER_LEVELS for lv in i.levels)]


def compared_year(table: pd.DataFrame, indicator_id: str, area_id: str, year: int) -> int | None:
    """The latest period, at most ``year``, in which ``area_id`` has a usable estimate of the indicator (or None).

    A StatBank file may end before the report year (STRAF11 by offence type ends in 2019Q3): its measures are
    compared in their last complete year, and the rank table's ``period`` says which.
    """
    sub = table[(table["indicator_id"] == indicator_id) & (table["area_id"] == area_id)
                & (table["period"] <= year) & ~table["suppressed"].astype(bool)]
    sub = sub[np.isfinite(sub["estimate"].astype(float))]
    return int(sub["period"].max()) if len(sub) else None


def rank_table(pipeline: Pipeline, table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Every compared indicator's estimate in the root area and its peers, with each municipality's rank.

    Each indicator is compared in ``year``, or, when the root area has no estimate then, in the latest earlier year
    it has one (:func:`compared_year`; the row's ``period`` names it). The root area and the peer municipalities are
    ranked together (1 = the highest rate); the whole country is shown for reference and not ranked. Columns:
    :data:`RANK_COLUMNS`.
    """
    areas = [pipeline.city.id, *pipeline.peers]
    ranked = {pipeline.city.id, *(a for a in pipeline.peers if pipeline.area(a).level == "municipality")}
    rows = []
    asked = year
    for ind in _compared(pipeline):
        year = compared_year(table, ind.id, pipeline.city.id, asked)
        if year is None:
            continue
        sub = table[(table["indicator_id"] == ind.id) & (table["period"] == year) & table["area_id"].isin(areas)
                    & ~table["suppressed"].astype(bool)].set_index("area_id")
        estimates = {a: float(sub.loc[a, "estimate"]) for a in ranked if a in sub.index}
        for a in areas:
            if a not in sub.index:
                continue
            r = rank_among(estimates, a) if a in ranked else Rank(None, len(estimates))
            rows.append(dict(indicator_id=ind.id, area_id=a, level=pipeline.area(a).level, period=year,
                             estimate=float(sub.loc[a, "estimate"]), ci_low=float(sub.loc[a, "ci_low"]),
                             ci_high=float(sub.loc[a, "ci_high"]), rank=r.rank if r.rank is not None else np.nan,
                             of=r.of))
    out = pd.DataFrame(rows, columns=RANK_COLUMNS)
    return out.astype({"period": "int64", "rank": "float64", "of": "int64"})


def _label(pipeline: Pipeline, indicator_id: str, lang: str) -> str:
    ind = pipeline.indicator(indicator_id)
    group = pipeline.offence_groups.get(ind.options.get("offence_group", ""))
    return group.name[lang] if group else ind.name[lang]


def peer_table(pipeline: Pipeline, ranks: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The published comparison: one row per area, one column per measure with "rate (95 % CI) · rank/of"."""
    L = i18n.PEER_LABELS[lang]
    if ranks.empty:
        return pd.DataFrame({L["area"]: []})
    out = pd.DataFrame({L["area"]: [pipeline.area(a).name[lang] for a in dict.fromkeys(ranks["area_id"])]},
                       index=list(dict.fromkeys(ranks["area_id"])))
    for ind_id, g in ranks.groupby("indicator_id", sort=False):
        unit = i18n.UNITS[lang].get(pipeline.indicator(ind_id).unit, "")
        cells = {}
        for r in g.itertuples():
            text = f"{i18n.number(r.estimate, lang, 1)} ({i18n.number(r.ci_low, lang, 1)}–" \
                   f"{i18n.number(r.ci_high, lang, 1)})"
            if np.isfinite(r.rank):
                text += f" · {int(r.rank)}/{r.of}"
            cells[r.area_id] = text
        out[f"{_label(pipeline, ind_id, lang)} ({unit})"] = pd.Series(cells)
    return out.fillna("–").reset_index(drop=True)


def rank_statements(pipeline: Pipeline, ranks: pd.DataFrame, lang: str) -> list[str]:
    """One sentence per measure: the root area's place among the ranked municipalities."""
    root = pipeline.city.id
    mine = ranks[(ranks["area_id"] == root) & ranks["rank"].notna()]
    return [i18n.rank_statement(pipeline.city.name[lang], _label(pipeline, r.indicator_id, lang), int(r.rank), r.of,
                                int(r.period), lang) for r in mine.itertuples()]


def rank_summary(pipeline: Pipeline, ranks: pd.DataFrame, lang: str) -> str:
    """Markdown: the root area's place for each measure, and how to read ranks (or that there are no peers)."""
    L = i18n.PEER_LABELS[lang]
    lines = [f"- {s}" for s in rank_statements(pipeline, ranks, lang)]
    return "\n".join([*lines, "", L["rank_note"] if pipeline.peers else L["no_peers"]]).strip()


def map_note(pipeline: Pipeline, lang: str) -> str:
    """Why there is no map: the boundary file is absent, or the pipeline declares none."""
    return i18n.map_skipped(pipeline.map.file, lang) if pipeline.map else i18n.PEER_LABELS[lang]["no_map"]


def group_definitions(pipeline: Pipeline, lang: str) -> pd.DataFrame:
    """The offence groups: name, STRAF11 codes and the definition in words."""
    L = i18n.PEER_LABELS[lang]
    return pd.DataFrame([{L["group"]: g.name[lang], L["codes"]: ", ".join(g.codes), L["definition"]: g.definition[lang]}
                         for g in pipeline.offence_groups.values()])


def load_boundaries(path: Path, code_property: str) -> dict[str, list[np.ndarray]]:
    """Polygons of a GeoJSON file per area code: code -> list of rings, each an ``(n, 2)`` array of lon/lat.

    Polygons and multipolygons are read; holes are kept as rings (drawn even-odd). Codes are zero-padded to 3 digits.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(path, f"the boundary file cannot be read as GeoJSON ({exc})",
                         "Download the boundaries again, or remove the file to skip the map.") from None
    shapes: dict[str, list[np.ndarray]] = {}
    for i, feature in enumerate(data.get("features", [])):
        props = feature.get("properties") or {}
        if code_property not in props:
            raise InputError(path, f"feature {i} has no property '{code_property}' (it has: {', '.join(props)})",
                             "Set 'map.code_property' in the pipeline YAML to the property holding the municipality "
                             "code.")
        geom = feature.get("geometry") or {}
        polygons = {"Polygon": [geom.get("coordinates")], "MultiPolygon": geom.get("coordinates")}.get(
            geom.get("type"), [])
        rings = [np.asarray(ring, dtype=float)[:, :2] for poly in polygons for ring in poly]
        shapes.setdefault(str(props[code_property]).strip().zfill(3), []).extend(rings)
    return shapes


def map_values(pipeline: Pipeline, ranks: pd.DataFrame, indicator_id: str) -> dict[str, float]:
    """Area code -> estimate of the root area and the peer municipalities (the whole country has no polygon)."""
    sub = ranks[(ranks["indicator_id"] == indicator_id) & (ranks["level"] != "country")]
    return {pipeline.area(a).code.zfill(3): float(v) for a, v in zip(sub["area_id"], sub["estimate"])}


# ------------------------------------------------------------------------------------- STRAF44: decisions, ages 15-24
#: Columns of :func:`youth_decision_rates`.
YOUTH_COLUMNS = ["area_code", "area_name", "period", "offence_code", "decision_type", "decisions", "population",
                 "estimate", "ci_low", "ci_high", "unit", "flags", "method"]
#: What the measure counts, for every table and sentence that shows it: decisions, never persons.
YOUTH_UNIT = "decisions per 1,000 residents aged 15-24"
YOUTH_METHOD = ("STRAF44 criminal decisions (afgørelser: verdicts, fines, withdrawals and acquittals; one person may "
                "have several) of ages 15-24 in the year over FOLK1A residents aged 15-24 on 1 January; exact "
                "Poisson (Garwood) interval")


@dataclass(frozen=True)
class YouthDecisions:
    """STRAF44 decisions for ages 15–24 per 1,000 residents aged 15–24, or why there are none."""

    #: One row per area and year: :data:`YOUTH_COLUMNS`.
    table: pd.DataFrame
    #: ``"ok"``, or ``"not supplied"`` when the optional STRAF44 file is absent.
    status: str


def youth_decision_rates(*, straf44: pd.DataFrame | None, folk1a: pd.DataFrame, offence: str = "12",
                         decision: str = "000", ages=None) -> YouthDecisions:
    """STRAF44 criminal decisions of ages 15–24 per 1,000 residents aged 15–24 (FOLK1A on 1 January).

    Parameters
    ----------
    straf44 : pandas.DataFrame or None
        A tidy STRAF44 table (:func:`tryghed.sources.statbank.read_statbank`) with the single ages 15–24, sex
        ``TOT``; None when the optional source is not supplied (the result says "not supplied").
    folk1a : pandas.DataFrame
        A tidy FOLK1A table with the single ages 15–24 (sex and civil status ``TOT``), quarterly or yearly.
    offence : str
        The OVERTRÆD code counted (default ``"12"``, crimes of violence).
    decision : str
        The AFGØRELSE code counted (default ``"000"``, every decision type, acquittals included).
    ages : sequence of str, optional
        The single ages (default 15–24: STRAF44 has no single age 25).

    Returns
    -------
    YouthDecisions
        ``decisions`` (the STRAF44 count), ``population`` (FOLK1A ages 15–24 on 1 January: the first quarter, or
        the yearly value) and ``estimate`` = decisions per 1,000 with the exact Poisson interval. A year whose
        decisions or population miss an age is left out of the estimate (flag ``missing``), never filled with 0.

    Notes
    -----
    STRAF44 counts decisions, not distinct persons (``../shared/STATBANK.md`` §3.4): the rate is labelled
    "decisions per 1,000 residents aged 15–24" and never a share of persons. The interval is Garwood's exact
    Poisson interval (METHODS.md §2.1).
    """
    from . import stats
    from .sources.statbank import YOUTH_AGES, sum_ages

    ages = tuple(str(a) for a in (ages or YOUTH_AGES))
    if straf44 is None or straf44.empty:
        return YouthDecisions(pd.DataFrame(columns=YOUTH_COLUMNS), "not supplied")
    dec = straf44[(straf44["offence_code"] == str(offence)) & (straf44["measure"] == str(decision))
                  & (straf44["sex"] == "TOT")]
    dec = sum_ages(dec, ages)
    pop = folk1a[(folk1a["sex"] == "TOT") & (folk1a["marital_status"] == "TOT") & folk1a["quarter"].isin([0, 1])]
    pop = sum_ages(pop, ages).set_index(["area_code", "year"])
    rows = []
    for r in dec.itertuples(index=False):
        key = (r.area_code, int(r.year))
        p = pop.loc[key] if key in pop.index else None
        base = dict(area_code=r.area_code, area_name=r.area_name, period=int(r.year), offence_code=str(offence),
                    decision_type=str(decision), decisions=float(r.value), population=np.nan, estimate=np.nan,
                    ci_low=np.nan, ci_high=np.nan, unit=YOUTH_UNIT, flags="", method=YOUTH_METHOD)
        if p is None or bool(p["missing"]) or bool(r.missing) or float(p["value"]) <= 0:
            rows.append({**base, "flags": "missing", "method": "not estimated"})
            continue
        ci = stats.rate_confint(count=float(r.value), exposure=float(p["value"]), per=1000.0)
        rows.append({**base, "population": float(p["value"]), "estimate": ci.estimate, "ci_low": ci.ci_low,
                     "ci_high": ci.ci_high})
    out = pd.DataFrame(rows, columns=YOUTH_COLUMNS).sort_values(["area_code", "period"]).reset_index(drop=True)
    return YouthDecisions(out, "ok")
