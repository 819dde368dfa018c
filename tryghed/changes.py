"""Change, trend and target tables for one report year, keyed like the indicator table (calls tryghed.stats)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats
from .config import Indicator, Pipeline

TESTED_SHARES = ("survey_share", "person_share", "unit_share", "published_share")


def headline_area(pipeline: Pipeline, ind: Indicator) -> str:
    return ind.headline_area or pipeline.city.id


def _crosses_break(pipeline: Pipeline, indicator_id: str, ref: int, year: int) -> bool:
    return any(ref < b <= year for b in pipeline.break_years(indicator_id))


#: Fixed seed of the bootstrap over institutions, so reruns give identical tables.
BOOTSTRAP_SEED = 20140101


def _unit_values(units: pd.DataFrame | None, ind: Indicator, area_id: str, ref: int, year: int):
    """Per-unit values (e.g. closure days per institution) of two periods, 0 where a unit had none."""
    if units is None or units.empty:
        return None
    u = units[(units["indicator_id"] == ind.id) & (units["area_id"] == area_id)
              & units["period"].isin([ref, year])]
    if u.empty:
        return None
    wide = u.pivot_table(index="unit", columns="period", values="value", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=[ref, year], fill_value=0).sort_index()
    return wide[ref].to_numpy(float), wide[year].to_numpy(float)


def compare(ind: Indicator, ref_row: pd.Series, row: pd.Series, unit_values=None,
            dispersion: float = 1.0) -> stats.Change:
    """The change from ``ref_row`` to ``row`` of one indicator, by the test its kind calls for."""
    if ind.kind in TESTED_SHARES:
        c = stats.compare_shares(share1=ref_row["estimate"] / 100, n_eff1=ref_row["n_effective"],
                                 share2=row["estimate"] / 100, n_eff2=row["n_effective"])
        method = c.method if ind.kind == "survey_share" else c.method.replace("Kish effective n", "counts as n")
        return stats.Change(100 * c.estimate, 100 * c.ci_low, 100 * c.ci_high, c.statistic, c.pvalue,
                            "difference (percentage points)", method)
    if ind.kind == "rate":
        return stats.compare_rates(count1=ref_row["numerator"], exposure1=ref_row["denominator"],
                                   count2=row["numerator"], exposure2=row["denominator"], dispersion=dispersion)
    d = float(row["estimate"] - ref_row["estimate"])
    if ind.kind == "clustered_count" and unit_values is not None and len(unit_values[0]) >= 2:
        b = stats.bootstrap_change(values1=unit_values[0], values2=unit_values[1], seed=BOOTSTRAP_SEED)
        return stats.Change(b.difference, b.ci_low, b.ci_high, np.nan, b.pvalue, "difference",
                            f"bootstrap over {b.n_units} institutions ({b.n_boot} resamples, percentile interval)")
    return stats.Change(d, np.nan, np.nan, np.nan, np.nan, "difference", "descriptive (not a sample: no test)")


def _dispersion(pipeline: Pipeline, ind: Indicator, g: pd.DataFrame, year: int) -> float:
    """φ̂ of the Poisson trend over the series segment up to ``year`` (1 when not a rate or too short; §2.2)."""
    if ind.kind != "rate":
        return 1.0
    start = segment_start(pipeline, ind.id, year, int(g.index.min()))
    seg = g[(g.index >= start) & (g.index <= year) & ~g["suppressed"]]
    if len(seg) < 3:
        return 1.0
    phi = stats.poisson_trend(periods=seg.index, counts=seg["numerator"], exposure=seg["denominator"]).dispersion
    return float(phi) if np.isfinite(phi) and phi > 1 else 1.0


def _detectable(ind: Indicator, ref_row: pd.Series, row: pd.Series) -> tuple[float, float]:
    """For shares: the smallest significant change and the 80 %-power MDD at these sizes, in percentage points."""
    if ind.kind not in TESTED_SHARES:
        return np.nan, np.nan
    p = (float(ref_row["estimate"]) + float(row["estimate"])) / 200
    d = stats.detectable_change(share=p, n_eff1=float(ref_row["n_effective"]), n_eff2=float(row["n_effective"]))
    return 100 * d.significant_from, 100 * d.mdd


def change_table(pipeline: Pipeline, table: pd.DataFrame, year: int, units: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """Year-on-year and since-baseline changes for ``year`` for every indicator and area, with family q-values.

    ``units`` holds per-unit values of clustered counts (``indicator_id, area_id, period, unit, value``), which
    turns their description into a bootstrap over the units. For shares, ``significant_from`` and ``mdd`` give the
    smallest change that could be significant and the minimum detectable difference (80 % power) at the actual sizes.
    """
    rows = []
    for ind in pipeline.indicators:
        sub = table[table["indicator_id"] == ind.id]
        for (area_id, level), g in sub.groupby(["area_id", "level"], sort=False):
            g = g.set_index("period")
            if year not in g.index:
                continue
            row = g.loc[year]
            for comparison, ref in (("previous_year", year - 1), ("baseline", pipeline.baseline_year)):
                if ref >= year or ref not in g.index:
                    continue
                ref_row = g.loc[ref]
                base = dict(pipeline=pipeline.id, indicator_id=ind.id, area_id=area_id, level=level, period=year,
                            comparison=comparison, ref_period=ref, ref_estimate=ref_row["estimate"],
                            estimate=row["estimate"])
                if row["suppressed"] or ref_row["suppressed"]:
                    few = "too_few_answers" in f"{row['flags']} {ref_row['flags']}"
                    rows.append({**base, "flags": "too_few_answers" if few else "suppressed",
                                 "method": "not estimated"})
                    continue
                base["significant_from"], base["mdd"] = _detectable(ind, ref_row, row)
                if _crosses_break(pipeline, ind.id, ref, year):
                    d = float(row["estimate"] - ref_row["estimate"])
                    rows.append({**base, "change": d, "flags": "series_break",
                                 "method": "no test across a series break"})
                    continue
                c = compare(ind, ref_row, row, _unit_values(units, ind, area_id, ref, year),
                            _dispersion(pipeline, ind, g, year))
                rows.append({**base, "change": c.estimate, "ci_low": c.ci_low, "ci_high": c.ci_high,
                             "statistic": c.statistic, "pvalue": c.pvalue, "scale": c.scale, "method": c.method,
                             "flags": ""})
    cols = ["pipeline", "indicator_id", "area_id", "level", "period", "comparison", "ref_period", "ref_estimate",
            "estimate", "change", "ci_low", "ci_high", "statistic", "pvalue", "scale", "method", "flags",
            "significant_from", "mdd"]
    out = pd.DataFrame(rows).reindex(columns=cols)
    out["family"] = ""
    out["qvalue"] = np.nan
    for fam in pipeline.families:
        for comparison in ("previous_year", "baseline"):
            mask = out["level"].isin(fam.levels) & (out["comparison"] == comparison) & out["pvalue"].notna()
            if mask.any():
                out.loc[mask, "family"] = fam.id
                out.loc[mask, "qvalue"] = stats.adjust_pvalues(pvalues=out.loc[mask, "pvalue"], method=fam.method)
    out["significant"] = out["qvalue"] < 0.05
    return out


def _series(table: pd.DataFrame, ind: Indicator, area_id: str) -> pd.DataFrame:
    s = table[(table["indicator_id"] == ind.id) & (table["area_id"] == area_id)]
    return s.set_index("period").sort_index()


def segment_start(pipeline: Pipeline, indicator_id: str, year: int, first: int) -> int:
    """The first period of the series segment that holds ``year``: after the latest break up to ``year``."""
    return max([first, *[b for b in pipeline.break_years(indicator_id) if b <= year]])


TREND_COLUMNS = ["pipeline", "indicator_id", "area_id", "level", "period", "first_period", "last_period",
                 "n_points", "method", "slope", "slope_unit", "ci_low", "ci_high", "pvalue", "chi2", "marker",
                 "dispersion", "target_slope", "target_z", "target_pvalue", "target_ci_met", "flags"]


def _target_slope(ind: Indicator) -> float:
    return next((t.value for t in ind.targets if t.type == "annual_change"), np.nan)


def _share_slope(seg: pd.DataFrame) -> stats.Trend:
    """Inverse-variance slope of a share series (percent) with SEs from its effective n (METHODS.md §1.5 (i))."""
    p = seg["estimate"].to_numpy(float) / 100
    n = seg["n_effective"].to_numpy(float)
    return stats.weighted_trend(years=seg.index.to_numpy(float), values=p, se=np.sqrt(p * (1 - p) / n))


def _trend_row(pipeline: Pipeline, ind: Indicator, seg: pd.DataFrame) -> dict:
    """The trend of one area's series segment by the method its kind calls for (METHODS.md §1.5, §2.3)."""
    r: dict = {"n_points": len(seg), "first_period": int(seg.index.min()), "last_period": int(seg.index.max())}
    t = seg.index.to_numpy(float)
    if ind.kind in TESTED_SHARES:
        p = seg["estimate"].to_numpy(float) / 100
        n = seg["n_effective"].to_numpy(float)
        w = _share_slope(seg)
        m = stats.chi2_trend(periods=t, counts=p * n, totals=n)
        r.update(method="WLS slope with design SEs (§1.5 i); chi-square test for trend, Fingertips rules (§1.5 ii)",
                 slope=100 * w.slope, slope_unit="pp/yr", ci_low=100 * w.ci_low, ci_high=100 * w.ci_high,
                 pvalue=w.pvalue, chi2=m.chi2, marker=m.marker)
        target = _target_slope(ind)
        if np.isfinite(target) and np.isfinite(w.slope):
            st = stats.compare_slope(trend=w, target_slope=target / 100, direction=ind.direction)
            r.update(target_slope=target, target_z=st.z, target_pvalue=st.pvalue, target_ci_met=st.ci_meets_target)
    elif ind.kind == "rate":
        g = stats.poisson_trend(periods=t, counts=seg["numerator"], exposure=seg["denominator"])
        r.update(method=f"{g.model}, log-population offset (§2.3)", slope=g.rate_ratio, slope_unit="rate ratio/yr",
                 ci_low=g.ci_low, ci_high=g.ci_high, pvalue=g.pvalue, dispersion=g.dispersion)
    else:
        y = seg["estimate"].to_numpy(float)
        slope = float(np.polyfit(t, y, 1)[0]) if len(t) >= 2 else np.nan
        r.update(method="descriptive: least-squares change per year, no test (a stock or clustered count, §2.1)",
                 slope=slope, slope_unit="per yr")
    return r


def trend_table(pipeline: Pipeline, table: pd.DataFrame, year: int) -> pd.DataFrame:
    """The trend up to ``year`` of every indicator and area, within the series segment that holds ``year``.

    Segments start at the baseline year (or the first period) and after the latest declared break; suppressed
    periods are left out. Fewer than 3 periods give no trend (flag ``too_few_periods``).
    """
    rows = []
    for ind in pipeline.indicators:
        sub = table[(table["indicator_id"] == ind.id) & (table["period"] <= year)]
        for (area_id, level), g in sub.groupby(["area_id", "level"], sort=False):
            g = g.set_index("period").sort_index()
            if year not in g.index:
                continue
            start = segment_start(pipeline, ind.id, year, int(g.index.min()))
            seg = g[(g.index >= start) & ~g["suppressed"]]
            base = dict(pipeline=pipeline.id, indicator_id=ind.id, area_id=area_id, level=level, period=year)
            if len(seg) < 3:
                rows.append({**base, "n_points": len(seg), "first_period": start, "last_period": year,
                             "method": "no trend: fewer than 3 periods in the segment", "flags": "too_few_periods"})
                continue
            rows.append({**base, **_trend_row(pipeline, ind, seg), "flags": ""})
    out = pd.DataFrame(rows).reindex(columns=TREND_COLUMNS)
    out["target_ci_met"] = out["target_ci_met"].astype("boolean")
    return out


def _slope_note(pipeline: Pipeline, ind: Indicator, s: pd.DataFrame, base_year: int, year: int) -> str:
    """The inverse-variance slope per year since the baseline, within the series segment that holds ``year``."""
    if ind.kind not in TESTED_SHARES:
        return ""
    start = segment_start(pipeline, ind.id, year, base_year)
    seg = s[(s.index >= start) & (s.index <= year) & ~s["suppressed"]]
    if len(seg) < 3:
        return f"; too few years since {start} for a trend"
    t = _share_slope(seg)
    return (f"; WLS slope {seg.index.min()}–{year}: {100 * t.slope:+.2f} pp/yr "
            f"(95% CI {100 * t.ci_low:+.2f} to {100 * t.ci_high:+.2f})")


def target_table(pipeline: Pipeline, table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Every target of every indicator, assessed for ``year`` on its headline area."""
    rows = []
    for ind in pipeline.indicators:
        area_id = headline_area(pipeline, ind)
        s = _series(table, ind, area_id)
        value = float(s.loc[year, "estimate"]) if year in s.index else np.nan
        base_year = ind.baseline_year or pipeline.baseline_year
        base_value = float(s.loc[base_year, "estimate"]) if base_year in s.index else np.nan
        for j, t in enumerate(ind.targets):
            r = dict(pipeline=pipeline.id, indicator_id=ind.id, area_id=area_id, period=year, target_no=j,
                     target_type=t.type, target_year=t.year, target_value=np.nan, value=value,
                     base_year=base_year, base_value=base_value, status="not_assessable", detail="",
                     projection_status="not_classified")
            if not np.isfinite(value):
                rows.append(r)
                continue
            if t.type in ("level", "relative"):
                target_value = t.value if t.type == "level" else base_value * (1 + t.change)
                r["target_value"] = target_value
                if year >= t.year:
                    met = value <= target_value if ind.direction == "decrease" else value >= target_value
                    r["status"] = "achieved" if met else "not_achieved"
                elif np.isfinite(base_value):
                    a = stats.assess_target(base_value=base_value, base_year=base_year, value=value, year=year,
                                            target_value=target_value, target_year=t.year, direction=ind.direction)
                    # a point target in percentage points is judged linearly, a relative one by growth rates (§3.1)
                    r["status"] = a.category_cagr if t.type == "relative" else a.category_linear
                    r.update(status_linear=a.category_linear, status_cagr=a.category_cagr, status_un=a.category_un)
                    r["detail"] = (f"R_lin={a.ratio_linear:.3f}; required {a.required_per_year:+.3f}/yr, "
                                   f"observed {a.observed_per_year:+.3f}/yr; CAGR rule: {a.category_cagr} "
                                   f"(R={a.ratio_cagr:.3f}); UN rule: {a.category_un} (ratio {a.ratio_un:.3f})")
                    start = segment_start(pipeline, ind.id, year, base_year)
                    seg = s[(s.index >= start) & (s.index <= year) & ~s["suppressed"]]
                    pr = stats.project_to_target(periods=seg.index, values=seg["estimate"], target_period=t.year,
                                                 target_value=target_value, direction=ind.direction)
                    r.update(projection=pr.projection, pi_low=pr.pi_low, pi_high=pr.pi_high,
                             projection_status=pr.category, required_per_year=pr.required_per_year)
            elif t.type == "annual_change":
                r["target_value"] = t.value
                if year - 1 in s.index:
                    d = value - float(s.loc[year - 1, "estimate"])
                    r["detail"] = f"change since {year - 1}: {d:+.2f}"
                    if _crosses_break(pipeline, ind.id, year - 1, year):
                        r["status"] = "not_assessable"
                        r["detail"] += " (series break)"
                    else:
                        r["status"] = "met_this_year" if d <= t.value else "not_met_this_year"
                r["detail"] += _slope_note(pipeline, ind, s, base_year, year)
            elif t.type == "annual_decrease":
                if year - 1 in s.index:
                    prev = float(s.loc[year - 1, "estimate"])
                    r["target_value"] = prev
                    r["status"] = "met_this_year" if value < prev else "not_met_this_year"
            elif t.type == "below_year":
                if t.reference_year in s.index:
                    ref = float(s.loc[t.reference_year, "estimate"])
                    r["target_value"] = ref
                    below = value < ref
                    if year >= t.year:
                        r["status"] = "achieved" if below else "not_achieved"
                    elif year > t.reference_year:
                        r["status"] = "on_track" if below else "moving_away"
            rows.append(r)
    return pd.DataFrame(rows).reindex(columns=TARGET_COLUMNS)


TARGET_COLUMNS = ["pipeline", "indicator_id", "area_id", "period", "target_no", "target_type", "target_year",
                  "target_value", "value", "base_year", "base_value", "status", "status_linear", "status_cagr",
                  "status_un", "projection", "pi_low", "pi_high", "projection_status", "required_per_year", "detail"]
