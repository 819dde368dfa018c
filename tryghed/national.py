"""The national view: every municipality against the national rate (funnel limits), its most similar
municipalities on socio-economic indicators, positions in words, and a page per municipality.

Funnel limits follow Spiegelhalter (2005): exact Poisson limits for the expected count at each population, interpolated
between integer counts, widened for overdispersion by the family's φ̂ (:func:`tryghed.changes.family_dispersion`, the
same φ̂ as the year-on-year tests) when φ̂ > 1. Most similar groups follow the Home Office's most similar groups:
standardised socio-economic variables and the Euclidean distance between municipalities.
"""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import i18n
from .errors import InputError
# the national block of a pipeline (pipelines/shared/national.yml), here for the callers of tryghed.national
from .national_spec import FunnelSpec, NationalSpec, SimilarSpec, SimilarVariable, load_spec  # noqa: F401

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------------------------------------------
# Funnel limits (Spiegelhalter 2005)
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelLimits:
    """Control limits around a target rate at each exposure, on the rate scale (events per ``per``).

    ``lower`` and ``upper`` have one row per coverage (in the order of ``coverage``) and one column per exposure.
    """

    target: float
    exposure: np.ndarray
    coverage: tuple[float, ...]
    lower: np.ndarray
    upper: np.ndarray
    dispersion: float
    per: float
    method: str


def _exact_count_limit(p: np.ndarray | float, theta: np.ndarray) -> np.ndarray:
    """Spiegelhalter's interpolated Poisson quantile: ``y_p − α`` with α = (F(y_p) − p) / (F(y_p) − F(y_p − 1))."""
    from scipy import stats as sps     # here, not at the top: reading a configuration must stay light

    y = sps.poisson.ppf(p, theta)
    f_y = sps.poisson.cdf(y, theta)
    f_below = sps.poisson.cdf(y - 1, theta)
    step = f_y - f_below
    alpha = np.divide(f_y - p, step, out=np.zeros_like(theta, dtype=float), where=step > 0)
    return np.maximum(y - alpha, 0.0)


def funnel_limits(*, target_rate: float, exposure, coverage=(0.95, 0.998), per: float = 1000.0,
                  dispersion: float = 1.0, method: str = "exact_poisson") -> FunnelLimits:
    """Funnel-plot control limits for a rate against ``target_rate`` at each exposure (Spiegelhalter 2005).

    H0 (for each unit): its events are Poisson with mean ``target_rate × exposure / per`` (times φ for the
    variance when overdispersed); a unit outside the p-limit is "divergent" at level 1 − p, two-sided.

    Parameters
    ----------
    target_rate : float
        The target (the national rate), events per ``per``; finite and ≥ 0.
    exposure : array_like
        Exposures (residents), > 0.
    coverage : sequence of float
        Coverages of the limits, each in (0, 1), e.g. 95 % and 99.8 %.
    per : float
        Rate unit (1,000 residents).
    dispersion : float
        φ̂ of the family; limits are widened only when φ̂ > 1.
    method : {"exact_poisson", "normal"}
        Exact Poisson quantiles of the expected count, or the normal approximation on the rate scale.

    Returns
    -------
    FunnelLimits

    Notes
    -----
    Exact: the expected count θ = target × exposure / per; the limit for tail probability p is the interpolated
    quantile ``y_p − α``, y_p the p-quantile of Poisson(θ) and α = (F(y_p) − p)/(F(y_p) − F(y_p − 1)), divided by
    the exposure (Spiegelhalter 2005, Stat Med 24:1185–1202, appendix A.1.2). Normal: target ± z·√(target·per /
    exposure). Overdispersion (§6 of the paper, multiplicative model): the distance of each limit from the target is
    multiplied by √φ̂ when φ̂ > 1; a lower limit below 0 is 0.
    """
    target = float(target_rate)
    if not math.isfinite(target) or target < 0:
        raise ValueError(f"target_rate must be a finite rate ≥ 0; got {target_rate!r}")
    e = np.asarray(exposure, dtype=float).ravel()
    if e.size == 0 or not np.all(np.isfinite(e)) or np.any(e <= 0):
        raise ValueError("exposure must hold finite values > 0")
    cov = tuple(float(c) for c in coverage)
    if not cov or any(not 0 < c < 1 for c in cov):
        raise ValueError(f"coverage must hold values strictly between 0 and 1; got {coverage!r}")
    phi = float(dispersion)
    if not math.isfinite(phi) or phi <= 0:
        raise ValueError(f"dispersion must be a finite value > 0; got {dispersion!r}")
    per = float(per)
    if method not in ("exact_poisson", "normal"):
        raise ValueError(f"method must be 'exact_poisson' or 'normal'; got {method!r}")
    theta = target * e / per
    lower, upper = [], []
    for c in cov:
        tail = (1 - c) / 2
        if method == "exact_poisson":
            lo = _exact_count_limit(tail, theta) / e * per
            hi = _exact_count_limit(1 - tail, theta) / e * per
        else:
            from scipy import stats as sps

            half = sps.norm.isf(tail) * np.sqrt(target * per / e)
            lo, hi = target - half, target + half
        if phi > 1:
            w = math.sqrt(phi)
            lo, hi = target - w * (target - lo), target + w * (hi - target)
        lower.append(np.maximum(lo, 0.0))
        upper.append(hi)
    name = ("exact Poisson limits, interpolated (Spiegelhalter 2005)" if method == "exact_poisson"
            else "normal approximation on the rate scale (Spiegelhalter 2005)")
    if phi > 1:
        name += f", widened by √φ̂ (φ̂ = {phi:.2f})"
    return FunnelLimits(target, e, cov, np.vstack(lower), np.vstack(upper), phi, per, name)


#: Positions of a unit in the funnel, from the highest to the lowest, and "no data" (missing is never zero).
POSITIONS = ("above_outer", "above_inner", "within", "below_inner", "below_outer", "no_data")


def funnel_position(*, estimate: float, inner: tuple[float, float], outer: tuple[float, float]) -> str:
    """Where a rate lies against its inner and outer limits: one of :data:`POSITIONS`.

    A rate on a limit is within it; a missing rate is ``no_data``.
    """
    if estimate is None or not np.isfinite(estimate):
        return "no_data"
    if estimate > outer[1]:
        return "above_outer"
    if estimate > inner[1]:
        return "above_inner"
    if estimate < outer[0]:
        return "below_outer"
    if estimate < inner[0]:
        return "below_inner"
    return "within"


def position_counts(funnel: pd.DataFrame, pipeline, coverage: tuple[float, float], lang: str) -> pd.DataFrame:
    """How many municipalities lie in each position, one row per measure (its name), one column per position."""
    counts = (funnel.groupby(["indicator_id", "position"]).size().unstack(fill_value=0)
              if len(funnel) else pd.DataFrame())
    order = [i.id for i in pipeline.indicators if i.id in counts.index]
    counts = counts.reindex(index=order, columns=list(POSITIONS), fill_value=0).fillna(0).astype("int64")
    counts.index = [pipeline.indicator(i).name[lang] for i in counts.index]
    counts.columns = [position_words(p, coverage, lang) for p in POSITIONS]
    return counts


def _pct(c: float, lang: str) -> str:
    x = 100 * c
    return i18n.number(x, lang, 0 if abs(x - round(x)) < 1e-9 else 1) + " %"


def position_words(position: str, coverage: tuple[float, float], lang: str) -> str:
    """A funnel position in words, e.g. "above the 99.8 % limit" / "over 99,8 %-grænsen"."""
    inner, outer = (_pct(c, lang) for c in coverage)
    if lang == "da":
        return {"above_outer": f"over {outer}-grænsen", "above_inner": f"over {inner}-grænsen (inden for {outer})",
                "within": "inden for grænserne", "below_inner": f"under {inner}-grænsen (inden for {outer})",
                "below_outer": f"under {outer}-grænsen", "no_data": "ingen data"}[position]
    return {"above_outer": f"above the {outer} limit", "above_inner": f"above the {inner} limit (within {outer})",
            "within": "within the limits", "below_inner": f"below the {inner} limit (within {outer})",
            "below_outer": f"below the {outer} limit", "no_data": "no data"}[position]


FUNNEL_COLUMNS = ["indicator_id", "area_id", "code", "period", "numerator", "denominator", "estimate", "target",
                  "inner_low", "inner_high", "outer_low", "outer_high", "dispersion", "dispersion_note", "method",
                  "position"]


def funnel_table(pipeline, table: pd.DataFrame, year: int, spec: FunnelSpec | None = None,
                 level: str = "municipality") -> pd.DataFrame:
    """Every municipality's rate in ``year`` against the national rate, with its limits and position.

    The target is the root area's rate (the whole country). φ̂ is the family's (indicator × ``level``) from
    :func:`tryghed.changes.family_dispersion`, the one the year-on-year tests use. A municipality without a published
    rate gets the position ``no_data``. Columns: :data:`FUNNEL_COLUMNS`.
    """
    from .changes import family_dispersion

    spec = spec or FunnelSpec()
    rows = []
    root = pipeline.city.id
    for ind in pipeline.indicators:
        if ind.kind != "rate" or level not in ind.levels:
            continue
        sub = table[(table["indicator_id"] == ind.id) & (table["period"] == year)]
        national = sub[sub["area_id"] == root]
        if national.empty or not np.isfinite(national["estimate"].iloc[0]):
            log.warning("no national rate of %s in %s: no funnel", ind.id, year)
            continue
        target = float(national["estimate"].iloc[0])
        disp = family_dispersion(pipeline, ind, table, level, year) if spec.overdispersion == "family" else None
        phi = float(disp.phi) if disp is not None and disp.estimated else 1.0
        note = (f"φ̂ = {disp.phi:.2f} ({disp.model}, {disp.n_areas} areas, df {disp.df_resid})"
                if disp is not None and disp.estimated else (disp.reason if disp is not None else "not used"))
        muni = sub[(sub["level"] == level)].set_index("area_id")
        ok = muni[~muni["suppressed"].astype(bool) & np.isfinite(muni["estimate"]) & (muni["denominator"] > 0)]
        lim = funnel_limits(target_rate=target, exposure=ok["denominator"].to_numpy(float), coverage=spec.limits,
                            dispersion=phi, method=spec.method) if len(ok) else None
        where = {a: j for j, a in enumerate(ok.index)}
        for a in pipeline.areas_at(level):
            base = dict(indicator_id=ind.id, area_id=a.id, code=a.code, period=year, target=target, dispersion=phi,
                        dispersion_note=note)
            if a.id not in where:
                r = muni.loc[a.id] if a.id in muni.index else None
                rows.append({**base, "denominator": float(r["denominator"]) if r is not None else np.nan,
                             "method": lim.method if lim else "", "position": "no_data"})
                continue
            j, r = where[a.id], ok.loc[a.id]
            inner = (float(lim.lower[0, j]), float(lim.upper[0, j]))
            outer = (float(lim.lower[1, j]), float(lim.upper[1, j]))
            rows.append({**base, "numerator": float(r["numerator"]), "denominator": float(r["denominator"]),
                         "estimate": float(r["estimate"]), "inner_low": inner[0], "inner_high": inner[1],
                         "outer_low": outer[0], "outer_high": outer[1], "method": lim.method,
                         "position": funnel_position(estimate=float(r["estimate"]), inner=inner, outer=outer)})
    out = pd.DataFrame(rows).reindex(columns=FUNNEL_COLUMNS)
    return out.astype({"period": "int64"})


# ----------------------------------------------------------------------------------------------------------------
# Most similar groups
# ----------------------------------------------------------------------------------------------------------------


def read_socio(path: str | Path, spec: SimilarSpec, year: int) -> pd.DataFrame:
    """The socio-economic variables of one year, one row per municipality, indexed by its 3-digit code.

    Municipality names are matched to Statistics Denmark's codes (``tryghed/resources/dst_areas.csv``, aliases
    included). Columns: ``name`` and one per variable (raw values, before any log).

    Raises
    ------
    InputError
        When the file, a column or the year is absent, a name is not a municipality, a value is not a number or a
        municipality appears twice in the year.
    """
    from .sources.statbank import areas

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "the socio-economic file does not exist",
                         "Put the file in the raw folder, or correct 'similar.file' in the national block.")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        need = [spec.name_column, spec.year_column, *(v.column for v in spec.variables)]
        absent = [c for c in need if c not in header]
        if absent:
            raise InputError(path, f"column {absent[0]!r} is not in the header ({', '.join(header)})",
                             "Correct the column names in the national block's 'similar' settings.")
        rows, seen_years = {}, set()
        for line, rec in enumerate(reader, start=2):
            y = str(rec[spec.year_column]).strip()
            seen_years.add(y)
            if y != str(year):
                continue
            name = str(rec[spec.name_column]).strip()
            code = areas().code_of(name)
            if code is None:
                raise InputError(path, f"{name!r} is not a Danish municipality in Statistics Denmark's list",
                                 "Use the official name, or add the spelling as an alias in "
                                 "tryghed/resources/dst_areas.csv.", where=f"row {line}")
            if code in rows:
                raise InputError(path, f"{name} appears twice in {year}", "Keep one row per municipality and year.",
                                 where=f"row {line}")
            values = {}
            for v in spec.variables:
                cell = str(rec[v.column]).strip()
                try:
                    x = float(cell)
                except ValueError:
                    x = float("nan")
                if not math.isfinite(x) or (v.log and x <= 0):
                    raise InputError(path, f"{v.column} is {cell!r} for {name}; expected a number"
                                     + (" > 0 (it is log-transformed)" if v.log else ""),
                                     "Correct the value, or drop the variable from 'similar.variables'.",
                                     where=f"row {line}, column {v.column}")
                values[v.column] = x
            rows[code] = {"name": name, **values}
    if not rows:
        raise InputError(path, f"no row for {year} (years in the file: {', '.join(sorted(seen_years))})",
                         "Choose a year the file covers in 'similar.year', or extend the file.")
    return pd.DataFrame.from_dict(rows, orient="index").sort_index().rename_axis("code")


def standardise(values: pd.DataFrame, spec: SimilarSpec) -> pd.DataFrame:
    """z-scores of each variable over the municipalities (log first where the spec says so; population SD)."""
    out = pd.DataFrame(index=values.index)
    for v in spec.variables:
        x = values[v.column].to_numpy(float)
        x = np.log(x) if v.log else x
        sd = x.std(ddof=0)
        out[v.column] = (x - x.mean()) / sd if sd > 0 else 0.0
    return out


SIMILAR_COLUMNS = ["code", "rank", "neighbour_code", "distance"]


def most_similar(*, z: pd.DataFrame, k: int = 7) -> pd.DataFrame:
    """Each municipality's ``k`` nearest neighbours by Euclidean distance on standardised variables.

    Parameters
    ----------
    z : DataFrame
        One row per municipality (index: code), one column per standardised variable.
    k : int
        Neighbours per municipality (the Home Office's groups have 7 to 15; here 7).

    Returns
    -------
    DataFrame
        :data:`SIMILAR_COLUMNS`: ``rank`` 1 is the nearest; ties are broken by code.
    """
    codes = np.asarray(z.index, dtype=object)
    x = z.to_numpy(float)
    if not np.all(np.isfinite(x)):
        raise ValueError("z must hold finite values")
    if k >= len(codes):
        raise ValueError(f"k must be below the number of municipalities ({len(codes)}); got {k}")
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(d, np.inf)
    order = np.argsort(codes)
    rows = []
    for i, code in enumerate(codes):
        dist = d[i, order]
        nearest = order[np.argsort(dist, kind="stable")[:k]]
        rows += [(code, r + 1, codes[j], float(d[i, j])) for r, j in enumerate(nearest)]
    return pd.DataFrame(rows, columns=SIMILAR_COLUMNS).astype({"rank": "int64"})


@dataclass(frozen=True)
class SimilarGroups:
    """The most similar groups of one year: neighbours, the variables (raw and standardised) and the method."""

    year: int
    groups: pd.DataFrame
    values: pd.DataFrame
    z: pd.DataFrame
    method: str


def similar_groups(*, raw_dir: str | Path, spec: SimilarSpec, year: int) -> SimilarGroups:
    """Read the socio-economic file and build every municipality's most similar group for ``year``.

    ``spec.year`` overrides ``year`` unless it is ``report``. When the file is not in ``raw_dir`` there are no
    groups (empty tables) and ``method`` says that the file was absent; any other problem with it is an error.
    """
    used = year if spec.year == "report" else int(spec.year)
    if not (Path(raw_dir) / spec.file).is_file():
        log.warning("no %s in %s: no most similar groups", spec.file, raw_dir)
        empty = pd.DataFrame(columns=SIMILAR_COLUMNS).astype({"rank": "int64"})
        return SimilarGroups(used, empty, pd.DataFrame(), pd.DataFrame(), f"not built: {spec.file} is not in the raw "
                             "folder")
    values = read_socio(Path(raw_dir) / spec.file, spec, used)
    z = standardise(values, spec)
    names = ", ".join(("log " if v.log else "") + v.column for v in spec.variables)
    method = (f"{spec.k} nearest neighbours by Euclidean distance on z-scores over {len(z)} municipalities of "
              f"{names} ({spec.file}, {used})")
    return SimilarGroups(used, most_similar(z=z, k=spec.k), values, z, method)


def similar_table(pipeline, similar: SimilarGroups, lang: str, top: int = 3) -> pd.DataFrame:
    """Each municipality (rows, by name) and its ``top`` nearest neighbours' names (columns 1..top)."""
    names = {a.code: a.name[lang] for a in pipeline.areas_at("municipality")}
    g = similar.groups[similar.groups["rank"] <= top]
    if g.empty:
        return pd.DataFrame(columns=list(range(1, top + 1)))
    wide = g.assign(neighbour=g["neighbour_code"].map(names).fillna(g["neighbour_code"])).pivot(
        index="code", columns="rank", values="neighbour")
    wide.index = [names.get(c, c) for c in wide.index]
    return wide


# ----------------------------------------------------------------------------------------------------------------
# Pages
# ----------------------------------------------------------------------------------------------------------------

TEXT = {
    "da": {"back": "Tilbage til landsoversigten", "index": "Rapportens forside", "rates": "Anmeldt kriminalitet",
           "measure": "Mål", "rate": "Rate pr. 1.000", "ci": "95 %-interval", "national": "Hele landet",
           "position": "I tragten", "change": "Ændring fra året før", "trend": "Trend", "similar": "Mest lignende "
           "kommuner", "distance": "Afstand", "population": "Indbyggere", "nation_title": "Alle kommuner",
           "funnel": "Tragtdiagrammer", "map": "Kort", "municipalities": "Kommunerne", "positions": "Placering i "
           "tragten", "municipality": "Kommune", "method": "Metode", "counts": "Antal kommuner efter placering",
           "no_group": "Ingen socioøkonomiske data for kommunen i filen: ingen gruppe.",
           "rate_of": "borgervendt kriminalitet pr. 1.000"},
    "en": {"back": "Back to the national overview", "index": "The report's index", "rates": "Reported crime",
           "measure": "Measure", "rate": "Rate per 1,000", "ci": "95% interval", "national": "All Denmark",
           "position": "In the funnel", "change": "Change from the year before", "trend": "Trend",
           "similar": "Most similar municipalities", "distance": "Distance", "population": "Residents",
           "nation_title": "Every municipality", "funnel": "Funnel plots", "map": "Map",
           "municipalities": "The municipalities", "positions": "Position in the funnel",
           "municipality": "Municipality", "method": "Method", "counts": "Municipalities by position",
           "no_group": "No socio-economic data for the municipality in the file: no group.",
           "rate_of": "citizen-directed crime per 1,000"},
}


def method_notes(pipeline, spec: NationalSpec, funnel: pd.DataFrame, similar: SimilarGroups, lang: str) -> list[str]:
    """The method notes of the national view: the funnel limits, the φ̂ of each family, and the similar groups."""
    inner, outer = (_pct(c, lang) for c in spec.funnel.limits)
    da = lang == "da"
    how = ("eksakte Poisson-grænser for det forventede antal ved hver kommunes indbyggertal, interpoleret mellem "
           "hele tal" if spec.funnel.method == "exact_poisson" else "normalapproksimationen på rateskalaen") if da \
        else ("exact Poisson limits for the expected count at each municipality's population, interpolated between "
              "whole numbers" if spec.funnel.method == "exact_poisson" else "the normal approximation on the rate "
              "scale")
    notes = [(f"Tragtdiagrammer (Spiegelhalter 2005): hver kommunes rate mod landsraten med {inner}- og "
              f"{outer}-grænser, {how}. Når familiens overspredning φ̂ (Poisson-GLM med kommune- og årseffekter, "
              "samme φ̂ som i testene af ændringer) er over 1, ganges grænsernes afstand fra landsraten med √φ̂. "
              "Landsraten omfatter anmeldelser uden oplyst kommune.") if da else
             (f"Funnel plots (Spiegelhalter 2005): each municipality's rate against the national rate with {inner} "
              f"and {outer} limits, {how}. When the family's overdispersion φ̂ (a Poisson GLM with municipality and "
              "year effects, the same φ̂ as the tests of changes) exceeds 1, the limits' distance from the national "
              "rate is multiplied by √φ̂. The national rate includes reports with no municipality stated.")]
    for ind_id, g in funnel.groupby("indicator_id", sort=False):
        phi = float(g["dispersion"].iloc[0])
        if phi > 1:
            text = (f"φ̂ = {i18n.number(phi, lang, 2)}: grænsernes afstand fra landsraten × "
                    f"{i18n.number(math.sqrt(phi), lang, 2)}" if da else
                    f"φ̂ = {i18n.number(phi, lang, 2)}: the limits' distance from the national rate × "
                    f"{i18n.number(math.sqrt(phi), lang, 2)}")
        else:
            text = (("ingen udvidelse" if da else "not widened") + f" ({g['dispersion_note'].iloc[0]})")
        notes.append(f"{pipeline.indicator(ind_id).name[lang]}: {text}")
    variables = ", ".join(("log " if v.log else "") + v.name[lang] for v in spec.similar.variables)
    if similar.groups.empty:
        notes.append(("Mest lignende kommuner: ikke dannet; " if da else "Most similar municipalities: ")
                     + similar.method)
        return notes
    notes.append((f"Mest lignende kommuner (i ånden fra Home Office's most similar groups): for hver kommune de "
                  f"{spec.similar.k} nærmeste efter euklidisk afstand på standardiserede variable (z-værdier over "
                  f"kommunerne) fra {spec.similar.file}, {similar.year}: {variables}. Tallene er afledt af "
                  "Danmarks Statistiks tabeller af en tredjepart.") if da else
                 (f"Most similar municipalities (in the spirit of the Home Office's most similar groups): for each "
                  f"municipality the {spec.similar.k} nearest by Euclidean distance on standardised variables "
                  f"(z-scores over the municipalities) from {spec.similar.file}, {similar.year}: {variables}. The "
                  "figures were derived from Statistics Denmark's tables by a third party."))
    return notes


def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates" / "kommuner"), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


@dataclass(frozen=True)
class PageData:
    """The run's tables as plain lookups, built once for every page: (indicator, area) -> record."""

    rates: dict
    changes: dict
    trends: dict
    positions: dict


def page_data(table: pd.DataFrame, changes: pd.DataFrame, trends: pd.DataFrame, funnel: pd.DataFrame,
              year: int) -> PageData:
    """Index the year's rates, the year-on-year changes, the trends and the funnel positions by (indicator, area)."""
    def records(df: pd.DataFrame) -> dict:
        return {(r["indicator_id"], r["area_id"]): r for r in df.to_dict("records")}

    prev = changes[changes["comparison"] == "previous_year"] if "comparison" in changes else changes
    return PageData(records(table[table["period"] == year]), records(prev), records(trends),
                    {k: r["position"] for k, r in records(funnel).items()})


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def municipality_context(pipeline, area_id: str, *, data: PageData, similar: SimilarGroups, spec: NationalSpec,
                         year: int, lang: str) -> dict:
    """What one municipality's page shows: its rates with intervals, the national rate, funnel positions, the
    year-on-year change and trend statements, and its most similar municipalities with their rates."""
    a = pipeline.area(area_id)
    root = pipeline.city.id
    measures = []
    for ind in pipeline.indicators:
        key = (ind.id, area_id)
        r = data.rates.get(key)
        has = r is not None and not bool(r["suppressed"]) and _finite(r["estimate"])
        nat = data.rates.get((ind.id, root))
        pos = data.positions.get(key, "no_data")
        measures.append({
            "name": ind.name[lang],
            "rate": i18n.number(r["estimate"], lang, 1) if has else "–",
            "ci": f"{i18n.number(r['ci_low'], lang, 1)}–{i18n.number(r['ci_high'], lang, 1)}"
            if has and _finite(r["ci_low"]) else "–",
            "count": i18n.number(r["numerator"], lang, 0) if has else "–",
            "national": i18n.number(nat["estimate"], lang, 1) if nat is not None and _finite(nat["estimate"]) else "–",
            "position": position_words(pos, spec.funnel.limits, lang),
            "position_code": pos,
            "change": i18n.change_statement(data.changes[key], ind.unit, lang) if key in data.changes else "–",
            "trend": i18n.trend_statement(data.trends[key], ind.unit, lang) if key in data.trends else "–",
        })
    code_to_area = {x.code: x for x in pipeline.areas_at("municipality")}
    first = pipeline.indicators[0].id
    group = similar.groups[similar.groups["code"] == a.code]
    neighbours = []
    for g in group.itertuples():
        b = code_to_area.get(g.neighbour_code)
        r = data.rates.get((first, b.id)) if b else None
        neighbours.append({"rank": g.rank, "name": b.name[lang] if b else g.neighbour_code,
                           "href": f"{b.id}.html" if b else "", "distance": i18n.number(g.distance, lang, 2),
                           "rate": i18n.number(r["estimate"], lang, 1) if r is not None and _finite(r["estimate"])
                           else "–"})
    own = data.rates.get((first, area_id))
    pop = own["denominator"] if own is not None else None
    return {"name": a.name[lang], "code": a.code, "year": year,
            "population": i18n.number(pop, lang, 0) if _finite(pop) else "–", "measures": measures,
            "neighbours": neighbours, "first_measure": pipeline.indicators[0].name[lang]}


def write_pages(pipeline, *, table: pd.DataFrame, changes: pd.DataFrame, trends: pd.DataFrame,
                funnel: pd.DataFrame, similar: SimilarGroups, spec: NationalSpec, year: int, lang: str,
                report_dir: str | Path, figures: list[str] = (), notes: list[str] = (), banner: str = "") -> Path:
    """Render the national page (``national.html``) and one page per municipality (``kommuner/<id>.html``).

    ``figures`` are paths of the funnel plots and the map relative to ``report_dir``. Returns the national page.
    """
    env = _env()
    report_dir = Path(report_dir)
    (report_dir / "kommuner").mkdir(parents=True, exist_ok=True)
    T = TEXT[lang]
    page = env.get_template("municipality.html.j2")
    rows = []
    data = page_data(table, changes, trends, funnel, year)
    for a in pipeline.areas_at("municipality"):
        ctx = municipality_context(pipeline, a.id, data=data, similar=similar, spec=spec, year=year, lang=lang)
        html = page.render(m=ctx, T=T, lang=lang, banner=banner, figures=[f"../{f}" for f in figures])
        (report_dir / "kommuner" / f"{a.id}.html").write_text(html, encoding="utf-8")
        rows.append({"name": ctx["name"], "href": f"kommuner/{a.id}.html", "population": ctx["population"],
                     "cells": [(m["rate"], m["position"], m["position_code"]) for m in ctx["measures"]]})
    counts = position_counts(funnel, pipeline, spec.funnel.limits, lang)
    count_rows = [{"name": name, "cells": [int(x) for x in row]} for name, row in zip(counts.index, counts.to_numpy())]
    national = env.get_template("national.html.j2").render(
        T=T, lang=lang, banner=banner, title=f"{pipeline.name[lang]} {year}", year=year,
        measures=[i.name[lang] for i in pipeline.indicators], rows=rows, figures=figures, notes=list(notes),
        positions=[position_words(p, spec.funnel.limits, lang) for p in POSITIONS], count_rows=count_rows)
    out = report_dir / "national.html"
    out.write_text(national, encoding="utf-8")
    return out
