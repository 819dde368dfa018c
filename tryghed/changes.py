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


def compare(ind: Indicator, ref_row: pd.Series, row: pd.Series) -> stats.Change:
    """The change from ``ref_row`` to ``row`` of one indicator, by the test its kind calls for."""
    if ind.kind in TESTED_SHARES:
        c = stats.compare_shares(share1=ref_row["estimate"] / 100, n_eff1=ref_row["n_effective"],
                                 share2=row["estimate"] / 100, n_eff2=row["n_effective"])
        return stats.Change(100 * c.estimate, 100 * c.ci_low, 100 * c.ci_high, c.statistic, c.pvalue,
                            "difference (percentage points)", c.method)
    if ind.kind == "rate":
        return stats.compare_rates(count1=ref_row["numerator"], exposure1=ref_row["denominator"],
                                   count2=row["numerator"], exposure2=row["denominator"])
    d = float(row["estimate"] - ref_row["estimate"])
    return stats.Change(d, np.nan, np.nan, np.nan, np.nan, "difference", "descriptive (not a sample: no test)")


def change_table(pipeline: Pipeline, table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Year-on-year and since-baseline changes for ``year`` for every indicator and area, with family q-values."""
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
                    rows.append({**base, "flags": "too_few_answers", "method": "not estimated"})
                    continue
                if _crosses_break(pipeline, ind.id, ref, year):
                    d = float(row["estimate"] - ref_row["estimate"])
                    rows.append({**base, "change": d, "flags": "series_break",
                                 "method": "no test across a series break"})
                    continue
                c = compare(ind, ref_row, row)
                rows.append({**base, "change": c.estimate, "ci_low": c.ci_low, "ci_high": c.ci_high,
                             "statistic": c.statistic, "pvalue": c.pvalue, "scale": c.scale, "method": c.method,
                             "flags": ""})
    cols = ["pipeline", "indicator_id", "area_id", "level", "period", "comparison", "ref_period", "ref_estimate",
            "estimate", "change", "ci_low", "ci_high", "statistic", "pvalue", "scale", "method", "flags"]
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


def _slope_note(pipeline: Pipeline, ind: Indicator, s: pd.DataFrame, base_year: int, year: int) -> str:
    """The inverse-variance slope per year since the baseline, within the series segment that holds ``year``."""
    if ind.kind not in TESTED_SHARES:
        return ""
    start = max([base_year, *[b for b in pipeline.break_years(ind.id) if b <= year]])
    seg = s[(s.index >= start) & (s.index <= year) & ~s["suppressed"]]
    if len(seg) < 3:
        return f"; too few years since {start} for a trend"
    p = seg["estimate"] / 100
    t = stats.weighted_trend(years=seg.index, values=p, se=np.sqrt(p * (1 - p) / seg["n_effective"]))
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
                     base_year=base_year, base_value=base_value, status="not_assessable", detail="")
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
                    r["status"] = a.category_linear
                    r["detail"] = (f"R_lin={a.ratio_linear:.3f}; required {a.required_per_year:+.3f}/yr, "
                                   f"observed {a.observed_per_year:+.3f}/yr; CAGR rule: {a.category_cagr} "
                                   f"(R={a.ratio_cagr:.3f})")
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
    return pd.DataFrame(rows)
