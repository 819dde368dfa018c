"""The indicator table: every catalogue indicator x area x period with numerator, denominator, estimate and CI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import stats
from .config import Indicator, Pipeline
from .sources.statbank import to_annual

COLUMNS = ["pipeline", "indicator_id", "area_id", "level", "period", "numerator", "denominator", "estimate",
           "ci_low", "ci_high", "n_unweighted", "n_effective", "unit", "source", "suppressed", "flags", "method"]
#: Survey shares from fewer unweighted answers are not published (METHODS.md §1.3; configurable per pipeline).
MIN_ANSWERS = 50


def _at_level(df: pd.DataFrame, pipeline: Pipeline, level: str) -> pd.Series:
    return df["area_id"].map(lambda a: pipeline.ancestor_at(a, level))


def _grid(pipeline: Pipeline, level: str, years) -> pd.MultiIndex:
    areas = [a.id for a in pipeline.areas_at(level)]
    return pd.MultiIndex.from_product([areas, sorted(set(int(y) for y in years))], names=["area_id", "period"])


def _survey_share(ind: Indicator, df: pd.DataFrame, pipeline: Pipeline, level: str) -> list[dict]:
    rows = []
    ycol = f"y_{ind.id}"
    area = _at_level(df, pipeline, level)
    for (area_id, year), g in df.groupby([area, df["year"]], sort=True):
        est = stats.weighted_share(y=g[ycol].to_numpy(), weights=g["weight"].to_numpy())
        answered = g[ycol].notna()
        too_few = est.n_unweighted < MIN_ANSWERS
        rows.append(dict(area_id=area_id, period=int(year), numerator=float((g["weight"] * g[ycol])[answered].sum()),
                         denominator=float(g["weight"][answered].sum()), estimate=100 * est.estimate,
                         ci_low=100 * est.ci_low, ci_high=100 * est.ci_high, n_unweighted=est.n_unweighted,
                         n_effective=est.n_effective, suppressed=too_few,
                         flags="too_few_answers" if too_few else
                         ("uncertain" if est.ci_high - est.ci_low > 0.20 else ""), method=est.method))
    return rows


def _counts(values: pd.Series, pipeline: Pipeline, level: str) -> pd.Series:
    return values.reindex(_grid(pipeline, level, values.index.get_level_values("period")), fill_value=0)


def _count_rows(counts: pd.Series, method: str) -> list[dict]:
    return [dict(area_id=a, period=int(y), numerator=float(v), denominator=np.nan, estimate=float(v), ci_low=np.nan,
                 ci_high=np.nan, n_unweighted=np.nan, n_effective=np.nan, suppressed=False, flags="",
                 method=method) for (a, y), v in counts.items()]


def _share_rows(num: pd.Series, den: pd.Series, method_note: str) -> list[dict]:
    rows = []
    for (a, y), d in den.items():
        n = float(num.get((a, y), 0))
        if d <= 0:
            continue
        ci = stats.person_share(count=int(n), population=int(d))
        rows.append(dict(area_id=a, period=int(y), numerator=n, denominator=float(d), estimate=100 * ci.estimate,
                         ci_low=100 * ci.ci_low, ci_high=100 * ci.ci_high, n_unweighted=float(d),
                         n_effective=float(d), suppressed=False, flags="", method=f"{ci.method}; {method_note}"))
    return rows


def _annual(df: pd.DataFrame, how: str) -> pd.DataFrame:
    """Yearly rows of a StatBank table with ``area_id``: quarters summed or Q1 taken, yearly rows as they are."""
    ids = dict(zip(df["area_code"], df["area_id"]))
    if (df["quarter"] == 0).all():
        out = df.copy()
    else:
        out = to_annual(df[df["quarter"] > 0].drop(columns="area_id"), how=how)
    out["area_id"] = out["area_code"].map(ids)
    return out


def offence_counts(offences: pd.DataFrame, codes) -> pd.Series:
    """Reported offences of a group per ``(area_id, period)``: the complete years only.

    A year counts when every code of the group has all four quarters (or a yearly value) and none is missing.
    """
    codes = list(codes)
    sub = offences[offences["offence_code"].isin(codes)]
    if sub.empty:
        return pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=["area_id", "period"]))
    year = _annual(sub, "sum")
    g = year.groupby(["area_id", "year"])
    out = pd.DataFrame({"count": g["value"].sum(), "ok": ~g["missing"].any(), "n": g["offence_code"].nunique()})
    out = out[out["ok"] & (out["n"] == len(codes))]["count"]
    out.index.names = ["area_id", "period"]
    return out


def population_1_january(population: pd.DataFrame) -> pd.Series:
    """FOLK1A's total population on 1 January (the first quarter) per ``(area_id, period)``; missing years left out."""
    total = population[(population["sex"] == "TOT") & (population["age"] == "IALT")
                       & (population["marital_status"] == "TOT")]
    if total.empty:
        return pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=["area_id", "period"]))
    year = _annual(total, "first_quarter")
    year = year[~year["missing"]]
    out = year.set_index(["area_id", "year"])["value"]
    out.index.names = ["area_id", "period"]
    return out


def _rate_rows(ind: Indicator, pipeline: Pipeline, tables: dict[str, pd.DataFrame], level: str) -> list[dict]:
    """Reported offences of the indicator's group per 1,000 residents on 1 January, exact Poisson interval."""
    at_level = {a.id for a in pipeline.areas_at(level)}
    offences, population = tables[ind.source], tables[ind.options["population"]]
    group = pipeline.offence_groups[ind.options["offence_group"]]
    num = offence_counts(offences[offences["area_id"].isin(at_level)], group.codes)
    den = population_1_january(population[population["area_id"].isin(at_level)])
    rows = []
    for (a, y), n in num.items():
        if (a, y) not in den.index or den[(a, y)] <= 0:
            continue
        d = float(den[(a, y)])
        ci = stats.rate_confint(count=float(n), exposure=d, per=1000.0)
        rows.append(dict(area_id=a, period=int(y), numerator=float(n), denominator=d, estimate=ci.estimate,
                         ci_low=ci.ci_low, ci_high=ci.ci_high, n_unweighted=np.nan, n_effective=np.nan,
                         suppressed=False, flags="", method=f"{ci.method}; STRAF11 offences in the year over FOLK1A "
                         "population on 1 January"))
    return rows


def compute_indicator(ind: Indicator, pipeline: Pipeline, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One indicator at every level it declares, as rows of the indicator table."""
    df = tables[ind.source]
    rows = []
    for level in ind.levels:
        area = _at_level(df, pipeline, level)
        if ind.kind == "survey_share":
            part = _survey_share(ind, df, pipeline, level)
        elif ind.kind == "stock_count" and pipeline.sources[ind.source].format == "safety_index":
            hit = df[df["category"].isin(ind.options["categories"])]
            counts = hit.groupby([_at_level(hit, pipeline, level), hit["year"]]).size()
            counts.index.names = ["area_id", "period"]
            full = counts.reindex(_grid(pipeline, level, df["year"]), fill_value=0)
            part = _count_rows(full, "count of local areas (descriptive)")
        elif ind.kind == "stock_count" and pipeline.sources[ind.source].format == "gang_log":
            counts = df.groupby([area, df["year"]])["count"].sum()
            counts.index.names = ["area_id", "period"]
            part = _count_rows(_counts(counts, pipeline, level), "register stock at year end (descriptive)")
        elif ind.kind in ("stock_count", "clustered_count") and ind.options.get("measure") in ("days", "institutions"):
            g = df.groupby([area, df["year"]])
            counts = g["days"].sum() if ind.options["measure"] == "days" else g["institution"].nunique()
            counts.index.names = ["area_id", "period"]
            note = "working days summed over closures (clustered by institution; descriptive)" \
                if ind.options["measure"] == "days" else "distinct institutions (descriptive)"
            part = _count_rows(_counts(counts, pipeline, level), note)
        elif ind.kind == "unit_share":
            g = df.groupby([area, df["year"]])
            num, den = g["plan_in_time"].sum(), g.size()
            num.index.names = den.index.names = ["area_id", "period"]
            part = _share_rows(num, den, "share of closures")
        elif ind.kind == "rate":
            part = _rate_rows(ind, pipeline, tables, level)
        elif ind.kind == "person_share":
            pop = tables["population"]
            pop = pop[pop["age_band"] == ind.options["population_age_band"]]
            den = pop.groupby([_at_level(pop, pipeline, level), pop["year"]])["population"].sum()
            num = df.groupby([area, df["year"]])["count"].sum()
            num.index.names = den.index.names = ["area_id", "period"]
            part = _share_rows(num, den, "register population (random variation)")
        else:
            raise NotImplementedError(f"indicator kind {ind.kind} from a {pipeline.sources[ind.source].format} source")
        for r in part:
            r["level"] = level
        rows.extend(part)
    if not rows:  # e.g. an optional source that is absent: the measure has no data
        return pd.DataFrame(columns=COLUMNS)
    out = pd.DataFrame(rows)
    out["pipeline"] = pipeline.id
    out["indicator_id"] = ind.id
    out["unit"] = ind.unit
    out["source"] = ind.source
    return out


def compute_all(pipeline: Pipeline, clean_dir: Path) -> pd.DataFrame:
    """The full indicator table of a pipeline from its cleaned sources, sorted and typed for stable output."""
    tables = {sid: pd.read_parquet(Path(clean_dir) / f"{sid}.parquet") for sid in pipeline.sources}
    parts = [compute_indicator(ind, pipeline, tables) for ind in pipeline.indicators]
    out = pd.concat([p for p in parts if len(p)] or [pd.DataFrame(columns=COLUMNS)], ignore_index=True)[COLUMNS]
    level_order = {"city": 0, "district": 1, "survey_district": 2, "municipality": 3, "country": 4}
    area_order = {a.id: i for i, a in enumerate(pipeline.areas)}
    out = out.sort_values(["indicator_id", "level", "area_id", "period"],
                          key=lambda s: s.map(level_order) if s.name == "level" else
                          (s.map(area_order) if s.name == "area_id" else s)).reset_index(drop=True)
    out["period"] = out["period"].astype("int64")
    out["suppressed"] = out["suppressed"].astype(bool)
    return out



def cluster_units(pipeline: Pipeline, clean_dir: Path) -> pd.DataFrame:
    """Per-unit values behind each clustered count (closure days per institution, area and year).

    The change tests bootstrap over these units (METHODS.md §2.1). Columns: ``indicator_id, area_id, level, period,
    unit, value``.
    """
    parts = []
    for ind in pipeline.indicators:
        if ind.kind != "clustered_count":
            continue
        df = pd.read_parquet(Path(clean_dir) / f"{ind.source}.parquet")
        for level in ind.levels:
            g = df.groupby([_at_level(df, pipeline, level), df["year"], df["institution"]])["days"].sum()
            g.index.names = ["area_id", "period", "unit"]
            part = g.rename("value").reset_index()
            part.insert(0, "level", level)
            part.insert(0, "indicator_id", ind.id)
            parts.append(part)
    cols = ["indicator_id", "area_id", "level", "period", "unit", "value"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)[cols]
    out["period"] = out["period"].astype("int64")
    return out.sort_values(cols[:5]).reset_index(drop=True)
