"""Change, trend and target tables for one report year, keyed like the indicator table (calls tryghed.stats).

Each indicator's kind chooses its change test and trend (``tryghed/kinds/``); :func:`tryghed.stats.verdict` is the
one function that decides significant / not significant / not tested, with the pipeline's ``alpha``. A
multiple-testing family is one indicator × one area level × one comparison unless the YAML pools indicators
explicitly; rows without a test (no events, too small, across a break) stay outside every family.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import programme
from ._lazy import lazy_module
from .config import Indicator, Pipeline

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed


def headline_area(pipeline: Pipeline, ind: Indicator) -> str:
    return ind.headline_area or pipeline.city.id


def _crosses_break(pipeline: Pipeline, indicator_id: str, ref: int, year: int) -> bool:
    return any(ref < b <= year for b in pipeline.break_years(indicator_id))


def segment_start(pipeline: Pipeline, indicator_id: str, year: int, first: int) -> int:
    """The first period of the series segment that holds ``year``: after the latest break up to ``year``."""
    return max([first, *[b for b in pipeline.break_years(indicator_id) if b <= year]])


def _usable(g: pd.DataFrame) -> pd.Series:
    """Rows with a published estimate (not withheld, not missing)."""
    return ~g["suppressed"].astype(bool) & np.isfinite(g["estimate"].astype(float))


#: The flag of a share whose sample size the YAML declares as an assumption (tryghed.kinds.published_share).
ASSUMED_N = "assumed_n"
#: What the ``method`` of a row resting on an assumed sample size says (the words in i18n.ASSUMED_N_TEXT).
ASSUMED_N_METHOD = f"n assumed, not published (flag {ASSUMED_N})"


def _rests_on_assumed_n(*rows) -> bool:
    return any(ASSUMED_N in str(r.get("flags", "") or "").split(";") for r in rows)


def mark_assumed_n(target, mask=None):
    """Flag a change or trend row (a dict) or the rows ``mask`` of a table that rest on an assumed sample size:
    ``flags`` gains ``assumed_n`` and ``method`` says "n assumed, not published" (once), whatever the row's test
    (a row not tested, e.g. across a series break, is flagged too). Returns ``target``."""
    def flag(f) -> str:
        parts = [x for x in str(f if isinstance(f, str) else "").split(";") if x]
        return ";".join(dict.fromkeys([*parts, ASSUMED_N]))

    def meth(m) -> str:
        m = m if isinstance(m, str) else ""
        return m if ASSUMED_N_METHOD in m else "; ".join(x for x in (m, ASSUMED_N_METHOD) if x)

    if isinstance(target, dict):
        target["flags"], target["method"] = flag(target.get("flags")), meth(target.get("method"))
        return target
    idx = target.index[mask]
    target["flags"] = target["flags"].astype(object)
    target["method"] = target["method"].astype(object)
    target.loc[idx, "flags"] = [flag(f) for f in target.loc[idx, "flags"]]
    target.loc[idx, "method"] = [meth(m) for m in target.loc[idx, "method"]]
    return target


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


def family_dispersion(pipeline: Pipeline, ind: Indicator, table: pd.DataFrame, level: str, year: int):
    """φ̂ of one family (one rate indicator at one level) over the series segment up to ``year`` (METHODS §2.2).

    A Poisson GLM with area and year effects; a level with a single area takes φ̂ from its trend model (≥ 6
    points). Returns :class:`tryghed.stats.Dispersion`, or None for kinds that are not rates.
    """
    if ind.impl.test != "rate":
        return None
    sub = table[(table["indicator_id"] == ind.id) & (table["level"] == level) & (table["period"] <= year)]
    start = segment_start(pipeline, ind.id, year, int(sub["period"].min())) if len(sub) else year
    sub = sub[(sub["period"] >= start) & _usable(sub) & (sub["denominator"] > 0)]
    if sub.empty:
        return None
    return stats.family_dispersion(areas=sub["area_id"].to_numpy(), periods=sub["period"].to_numpy(),
                                   counts=sub["numerator"].to_numpy(float),
                                   exposure=sub["denominator"].to_numpy(float))


def _detectable(ind: Indicator, ref_row: pd.Series, row: pd.Series, alpha: float) -> tuple[float, float]:
    """For shares: the smallest significant change and the 80 %-power MDD at these sizes, in percentage points."""
    if ind.impl.test != "share":
        return np.nan, np.nan
    p = (float(ref_row["estimate"]) + float(row["estimate"])) / 200
    d = stats.detectable_change(share=p, n_eff1=float(ref_row["n_effective"]), n_eff2=float(row["n_effective"]),
                                alpha=alpha)
    return 100 * d.significant_from, 100 * d.mdd


CHANGE_COLUMNS = ["pipeline", "indicator_id", "area_id", "level", "period", "comparison", "ref_period",
                  "ref_estimate", "estimate", "change", "ci_low", "ci_high", "statistic", "p_exact", "p_adjusted",
                  "pvalue", "dispersion", "scale", "method", "flags", "significant_from", "mdd", "family",
                  "q_exact", "q_adjusted", "qvalue", "significant", "verdict", "verdict_reason"]


def change_table(pipeline: Pipeline, table: pd.DataFrame, year: int, units: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """Year-on-year and since-baseline changes for ``year`` for every indicator and area, with family q-values.

    ``units`` holds per-unit values of clustered counts (``indicator_id, area_id, period, unit, value``), which
    turns their description into a bootstrap over the units. For shares, ``significant_from`` and ``mdd`` give the
    smallest change that could be significant and the minimum detectable difference (80 % power) at the actual sizes.
    Rates report the exact conditional p (``p_exact``) and, in an overdispersed family, ``p_adjusted`` (never
    below ``p_exact``); ``pvalue`` is the one that drives the verdict and ``qvalue`` its family q.
    """
    alpha = pipeline.alpha
    rows = []
    # the units of each indicator and area, split once (not filtered from the whole table for every comparison)
    unit_cells = {} if units is None or units.empty else \
        dict(list(units.groupby(["indicator_id", "area_id"], sort=False, observed=True)))
    for ind in pipeline.indicators:
        sub = table[table["indicator_id"] == ind.id]
        dispersions = {lv: family_dispersion(pipeline, ind, table, lv, year) for lv in sub["level"].unique()}
        for (area_id, level), g in sub.groupby(["area_id", "level"], sort=False):
            g = g.set_index("period")
            if year not in g.index:
                continue
            row = g.loc[year]
            disp = dispersions.get(level)
            phi = float(disp.phi) if disp is not None else 1.0
            # the previous year, or a biennial series' previous survey (labelled with its actual year in ref_period)
            prev = ind.previous_period(year, g.index)
            last = (ind.comparison_name(year, prev), prev) if prev is not None else ("previous_year", year - 1)
            for comparison, ref in (last, ("baseline", pipeline.baseline_year)):
                if ref >= year or ref not in g.index:
                    continue
                ref_row = g.loc[ref]
                base = dict(pipeline=pipeline.id, indicator_id=ind.id, area_id=area_id, level=level, period=year,
                            comparison=comparison, ref_period=ref, ref_estimate=ref_row["estimate"],
                            estimate=row["estimate"], verdict="not_tested",
                            _assumed=_rests_on_assumed_n(row, ref_row))
                if row["suppressed"] or ref_row["suppressed"]:
                    few = "too_few_answers" in f"{row['flags']} {ref_row['flags']}"
                    why = "too_few_answers" if few else "suppressed"
                    rows.append({**base, "flags": why, "method": "not estimated", "verdict_reason": why})
                    continue
                if not (np.isfinite(row["estimate"]) and np.isfinite(ref_row["estimate"])):
                    rows.append({**base, "flags": "missing", "method": "not estimated", "verdict_reason": "missing"})
                    continue
                base["significant_from"], base["mdd"] = _detectable(ind, ref_row, row, alpha)
                if _crosses_break(pipeline, ind.id, ref, year):
                    d = float(row["estimate"] - ref_row["estimate"])
                    rows.append({**base, "change": d, "flags": "series_break",
                                 "method": "no test across a series break", "verdict_reason": "series_break"})
                    continue
                cell_units = unit_cells.get((ind.id, area_id))
                c = ind.impl.compare(ind, ref_row, row, units=_unit_values(cell_units, ind, area_id, ref, year),
                                     dispersion=phi, alpha=alpha)
                tested = bool(c.tested and np.isfinite(c.pvalue))
                reason = c.reason or ("" if tested else "descriptive")
                p_exact = c.p_exact if np.isfinite(c.p_exact) else c.pvalue
                p_adjusted = c.p_adjusted if np.isfinite(c.p_adjusted) else c.pvalue
                rows.append({**base, "change": c.estimate, "ci_low": c.ci_low, "ci_high": c.ci_high,
                             "statistic": c.statistic, "p_exact": p_exact, "p_adjusted": p_adjusted,
                             "pvalue": c.pvalue,
                             "dispersion": phi if ind.impl.test == "rate" else np.nan, "scale": c.scale,
                             "method": c.method, "flags": "" if tested else reason, "verdict_reason": reason,
                             "_tested": tested})
    out = pd.DataFrame(rows).reindex(columns=[*CHANGE_COLUMNS, "_tested", "_assumed"])
    out["_tested"] = out["_tested"].astype("boolean").fillna(False).astype(bool)
    mark_assumed_n(out, out["_assumed"].astype("boolean").fillna(False).astype(bool))
    out = out.drop(columns="_assumed")
    _families(pipeline, out)
    for i in out.index[out["_tested"]]:
        null = 1.0 if out.at[i, "scale"] == "ratio" else 0.0
        v = stats.verdict(estimate=out.at[i, "change"], pvalue=out.at[i, "qvalue"], alpha=alpha, null=null)
        out.at[i, "verdict"] = v.code
        out.at[i, "verdict_reason"] = v.reason
    out["significant"] = out["verdict"].isin(["significant_increase", "significant_decrease"])
    out = out.drop(columns="_tested")
    rest = against_rest_table(pipeline, table, year)
    return pd.concat([out, rest], ignore_index=True) if len(rest) else out


def _families(pipeline: Pipeline, out: pd.DataFrame) -> None:
    """Fill ``family``, ``q_exact``, ``q_adjusted`` and ``qvalue`` in place (METHODS.md §4).

    A family is one indicator × one level × one comparison, unless a declared family pools the indicators of its
    levels (``pool_indicators: true``). The method is the declared family's (Holm for the root area's level and
    Benjamini–Hochberg for the others when none is declared). Rows without a test are in no family.
    """
    out["family"] = ""
    tested = out[out["_tested"]]
    for (ind_id, level, comparison), g in tested.groupby(["indicator_id", "level", "comparison"], sort=False):
        declared = pipeline.family_of(level)
        method = declared.method if declared else ("holm" if level == "city" else "fdr_bh")
        fid = f"{declared.id}:{comparison}" if declared and declared.pool_indicators else \
            f"{ind_id}:{level}:{comparison}"
        out.loc[g.index, "family"] = fid
        out.loc[g.index, "_method"] = method
    for _fid, g in out[out["family"] != ""].groupby("family", sort=False):
        method = g["_method"].iloc[0]
        for p_col, q_col in (("p_exact", "q_exact"), ("p_adjusted", "q_adjusted"), ("pvalue", "qvalue")):
            p = g[p_col].astype(float)
            out.loc[g.index, q_col] = p if method == "none" else stats.adjust_pvalues(pvalues=p, method=method)
    if "_method" in out:
        del out["_method"]


TREND_COLUMNS = ["pipeline", "indicator_id", "area_id", "level", "period", "first_period", "last_period",
                 "n_points", "method", "slope", "slope_unit", "ci_low", "ci_high", "pvalue", "chi2", "marker",
                 "dispersion", "target_slope", "target_z", "target_pvalue", "target_ci_met", "flags", "verdict",
                 "verdict_reason"]


def trend_table(pipeline: Pipeline, table: pd.DataFrame, year: int) -> pd.DataFrame:
    """The trend up to ``year`` of every indicator and area, within the series segment that holds ``year``.

    Segments start at the first period and after the latest declared break; withheld and missing periods are left
    out. Fewer than 3 periods give no trend (flag ``too_few_periods``).
    """
    rows = []
    for ind in pipeline.indicators:
        sub = table[(table["indicator_id"] == ind.id) & (table["period"] <= year)]
        for (area_id, level), g in sub.groupby(["area_id", "level"], sort=False):
            g = g.set_index("period").sort_index()
            if year not in g.index:
                continue
            start = segment_start(pipeline, ind.id, year, int(g.index.min()))
            seg = g[(g.index >= start) & _usable(g)]
            base = dict(pipeline=pipeline.id, indicator_id=ind.id, area_id=area_id, level=level, period=year)
            if len(seg) < 3:
                rows.append({**base, "n_points": len(seg), "first_period": start, "last_period": year,
                             "method": "no trend: fewer than 3 periods in the segment", "flags": "too_few_periods",
                             "verdict": "not_tested", "verdict_reason": "too_few_periods"})
                continue
            r = {**base, "n_points": len(seg), "first_period": int(seg.index.min()),
                 "last_period": int(seg.index.max()), **ind.impl.trend(ind, seg, pipeline.alpha)}
            r.setdefault("flags", "")
            if np.isfinite(r.get("pvalue", np.nan)):
                null = 1.0 if r.get("slope_unit") == "rate ratio/yr" else 0.0
                v = stats.verdict(estimate=r["slope"], pvalue=r["pvalue"], alpha=pipeline.alpha, null=null)
                r.update(verdict=v.code, verdict_reason=v.reason)
            else:
                r.update(verdict="not_tested", verdict_reason=r.get("reason") or r["flags"] or "descriptive")
            r.pop("reason", None)
            if any(ASSUMED_N in str(f).split(";") for f in seg["flags"]):
                mark_assumed_n(r)
            rows.append(r)
    out = pd.DataFrame(rows).reindex(columns=TREND_COLUMNS)
    out["target_ci_met"] = out["target_ci_met"].astype("boolean")
    return out


def _series(table: pd.DataFrame, ind: Indicator, area_id: str) -> pd.DataFrame:
    s = table[(table["indicator_id"] == ind.id) & (table["area_id"] == area_id)]
    s = s.set_index("period").sort_index()
    return s[_usable(s)]


def _slope_note(pipeline: Pipeline, ind: Indicator, s: pd.DataFrame, base_year: int, year: int) -> str:
    """The inverse-variance slope per year since the baseline, within the series segment that holds ``year``."""
    from .kinds.base import share_slope

    if ind.impl.test != "share":
        return ""
    start = segment_start(pipeline, ind.id, year, base_year)
    seg = s[(s.index >= start) & (s.index <= year)]
    if len(seg) < 3:
        return f"; too few years since {start} for a trend"
    t = share_slope(seg, pipeline.alpha)
    return (f"; WLS slope {seg.index.min()}–{year}: {100 * t.slope:+.2f} pp/yr "
            f"(95% CI {100 * t.ci_low:+.2f} to {100 * t.ci_high:+.2f})")


def _better(value: float, than: float, direction: str) -> bool:
    return value < than if direction == "decrease" else value > than


def target_table(pipeline: Pipeline, table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Every target of every indicator, assessed for ``year`` on its headline area.

    Every rule follows the indicator's ``direction``; a target whose comparison crosses a declared series break is
    judged all the same where the rule is a plain comparison of values, and the row says so (flag
    ``across_series_break``).
    """
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
                     projection_status="not_classified", flags="" if np.isfinite(value) else "missing")
            if not np.isfinite(value):
                rows.append(r)
                continue
            if t.type == "compliance":
                # a rule every unit must follow every year (e.g. 100 % of closures with a plan in time)
                r["target_value"] = t.value
                met = value >= t.value if ind.direction == "increase" else value <= t.value
                r["status"] = "met_this_year" if met else "not_met_this_year"
                rows.append(r)
                continue
            if t.type in ("level", "relative"):
                if t.type == "relative":
                    # on the programme's baseline (e.g. -33 % of 283), with the data's own value beside it
                    rel = programme.relative_target(ind=ind, change=t.change, data_base_value=base_value)
                    target_value = rel.target_value
                    r["base_value"] = rel.base_value
                    r["data_base_value"] = rel.data_base_value
                else:
                    target_value = t.value
                if t.type == "relative" and _crosses_break(pipeline, ind.id, base_year, year):
                    r["flags"] = "across_series_break"
                r["target_value"] = target_value
                if year >= t.year:
                    # a target whose year has passed is judged on that year's value, and the row says so
                    judged = value if year == t.year else \
                        (float(s.loc[t.year, "estimate"]) if t.year in s.index else np.nan)
                    if np.isfinite(judged):
                        met = not _better(target_value, judged, ind.direction)
                        r["status"] = "achieved" if met else "not_achieved"
                        if year != t.year:
                            r["detail"] = f"judged on {t.year}: {judged:.2f}"
                elif np.isfinite(r["base_value"]):
                    if _crosses_break(pipeline, ind.id, base_year, year):
                        r["flags"] = "across_series_break"
                    a = stats.assess_target(base_value=r["base_value"], base_year=base_year, value=value, year=year,
                                            target_value=target_value, target_year=t.year, direction=ind.direction)
                    # a point target in percentage points is judged linearly, a relative one by growth rates (§3.1)
                    r["status"] = a.category_cagr if t.type == "relative" else a.category_linear
                    r.update(status_linear=a.category_linear, status_cagr=a.category_cagr, status_un=a.category_un)
                    r["detail"] = (f"R_lin={a.ratio_linear:.3f}; required {a.required_per_year:+.3f}/yr, "
                                   f"observed {a.observed_per_year:+.3f}/yr; CAGR rule: {a.category_cagr} "
                                   f"(R={a.ratio_cagr:.3f}); UN rule: {a.category_un} (ratio {a.ratio_un:.3f})")
                    start = segment_start(pipeline, ind.id, year, base_year)
                    seg = s[(s.index >= start) & (s.index <= year)]
                    se = _sampling_se(ind, seg)
                    pr = stats.project_to_target(periods=seg.index, values=seg["estimate"], target_period=t.year,
                                                 target_value=target_value, direction=ind.direction, se=se,
                                                 alpha=pipeline.alpha)
                    r.update(projection=pr.projection, pi_low=pr.pi_low, pi_high=pr.pi_high,
                             projection_status=pr.category, required_per_year=pr.required_per_year)
            elif t.type == "annual_change":
                r["target_value"] = t.value
                if year - 1 in s.index:
                    d = value - float(s.loc[year - 1, "estimate"])
                    r["detail"] = f"change since {year - 1}: {d:+.2f}"
                    if _crosses_break(pipeline, ind.id, year - 1, year):
                        r["status"] = "not_assessable"
                        r["flags"] = "across_series_break"
                        r["detail"] += " (series break)"
                    else:
                        # the target's value is signed (−1 = a fall of at least 1): met when the change is at least as
                        # large in the desired direction
                        met = d <= t.value if ind.direction == "decrease" else d >= t.value
                        r["status"] = "met_this_year" if met else "not_met_this_year"
                r["detail"] += _slope_note(pipeline, ind, s, base_year, year)
            elif t.type == "annual_decrease":
                if year - 1 in s.index:
                    prev = float(s.loc[year - 1, "estimate"])
                    r["target_value"] = prev
                    if _crosses_break(pipeline, ind.id, year - 1, year):
                        r["flags"] = "across_series_break"
                    r["status"] = "met_this_year" if _better(value, prev, ind.direction) else "not_met_this_year"
            elif t.type == "below_year":
                if t.reference_year in s.index:
                    ref = float(s.loc[t.reference_year, "estimate"])
                    r["target_value"] = ref
                    if _crosses_break(pipeline, ind.id, t.reference_year, year):
                        r["flags"] = "across_series_break"
                    better = _better(value, ref, ind.direction)
                    if year >= t.year:
                        r["status"] = "achieved" if better else "not_achieved"
                    elif year > t.reference_year:
                        r["status"] = "on_track" if better else "moving_away"
            rows.append(r)
    return pd.DataFrame(rows).reindex(columns=TARGET_COLUMNS)


def _sampling_se(ind: Indicator, seg: pd.DataFrame) -> np.ndarray | None:
    """Each year's sampling SE (in the estimate's units) for shares, from the effective n; None for other kinds."""
    if ind.impl.test != "share":
        return None
    return 100 * stats.share_se(share=seg["estimate"].to_numpy(float) / 100,
                                n_effective=seg["n_effective"].to_numpy(float))


TARGET_COLUMNS = ["pipeline", "indicator_id", "area_id", "period", "target_no", "target_type", "target_year",
                  "target_value", "value", "base_year", "base_value", "status", "status_linear", "status_cagr",
                  "status_un", "projection", "pi_low", "pi_high", "projection_status", "required_per_year", "detail",
                  "flags", "data_base_value"]


#: The machine-readable twin of the report (``changes.csv``, ``trends.csv``): these columns first, then
#: :data:`MACHINE_EXTRA`.
MACHINE_COLUMNS = ["area_id", "area_name", "indicator_id", "comparison", "period", "ref_period", "estimate", "ci_low",
                   "ci_high", "p_exact", "q_exact", "p_adjusted", "q_adjusted", "significant", "method"]
#: What a reader needs to read ``estimate`` (its scale), and the row's level, values, family, verdict and flags.
MACHINE_EXTRA = ["level", "scale", "value", "ref_value", "family", "verdict", "flags"]


def machine_changes(pipeline: Pipeline, change_tab: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """``changes.csv``'s rows: one per indicator × area × comparison of the change table.

    ``estimate``, ``ci_low`` and ``ci_high`` are the change (a difference or a rate ratio: ``scale``), ``value`` and
    ``ref_value`` the two periods' estimates. ``area_name`` is in ``lang``.
    """
    c = change_tab
    out = pd.DataFrame({
        "area_id": c["area_id"], "area_name": c["area_id"].map(lambda a: pipeline.area(a).name[lang]),
        "indicator_id": c["indicator_id"], "comparison": c["comparison"], "period": c["period"],
        "ref_period": c["ref_period"], "estimate": c["change"], "ci_low": c["ci_low"], "ci_high": c["ci_high"],
        "p_exact": c["p_exact"], "q_exact": c["q_exact"], "p_adjusted": c["p_adjusted"],
        "q_adjusted": c["q_adjusted"], "significant": c["significant"].astype("boolean"), "method": c["method"],
        "level": c["level"], "scale": c["scale"], "value": c["estimate"], "ref_value": c["ref_estimate"],
        "family": c["family"], "verdict": c["verdict"], "flags": c["flags"],
    })
    return out.reset_index(drop=True)


def machine_trends(pipeline: Pipeline, trend_tab: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """``trends.csv``'s rows: one per indicator × area, ``comparison`` ``trend``, from ``ref_period`` (the segment's
    first period) to ``period``; ``estimate`` is the slope in ``scale`` (e.g. ``pp/yr``, ``rate ratio/yr``). A trend
    is in no multiple-testing family: ``p_exact`` is its p, the q columns are empty."""
    t = trend_tab
    nan = np.full(len(t), np.nan)
    out = pd.DataFrame({
        "area_id": t["area_id"], "area_name": t["area_id"].map(lambda a: pipeline.area(a).name[lang]),
        "indicator_id": t["indicator_id"], "comparison": "trend", "period": t["last_period"],
        "ref_period": t["first_period"], "estimate": t["slope"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
        "p_exact": t["pvalue"], "q_exact": nan, "p_adjusted": nan, "q_adjusted": nan,
        "significant": t["verdict"].isin(["significant_increase", "significant_decrease"]).astype("boolean"),
        "method": t["method"], "level": t["level"], "scale": t["slope_unit"], "value": nan, "ref_value": nan,
        "family": "", "verdict": t["verdict"], "flags": t["flags"],
    })
    return out.reset_index(drop=True)


def _cell(value, decimal: str) -> str:
    """One CSV cell: floats at full precision (``repr``, the shortest text that reads back to the same float), whole
    periods as integers, booleans ``true``/``false``, missing empty; the decimal mark ``decimal``."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        text = repr(float(value))
        return text.replace(".", decimal) if decimal != "." else text
    return str(value)


def write_machine_csv(df: pd.DataFrame, path, lang: str = "en") -> None:
    """Write ``df`` in the report's CSV convention: Danish ``;``, decimal comma and a UTF-8 BOM (Excel opens it as
    it is); English ``,`` and a decimal point. Numbers stay numbers at full precision (see :func:`_cell`)."""
    import csv
    from pathlib import Path

    da = lang == "da"
    decimal = "," if da else "."
    whole = ("period", "ref_period")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig" if da else "utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";" if da else ",", lineterminator="\n")
        w.writerow(df.columns)
        for rec in df.itertuples(index=False):
            w.writerow([_cell(int(v) if col in whole and pd.notna(v) else v, decimal)
                        for col, v in zip(df.columns, rec)])


def write_machine_tables(pipeline: Pipeline, change_tab: pd.DataFrame, trend_tab: pd.DataFrame, report_dir,
                         lang: str = "en", demo: bool = False):
    """Write ``changes.csv`` and ``trends.csv`` into ``report_dir`` (beside the scorecard); return both paths.
    ``demo``: the run read the synthetic demo data; every row says so (:data:`tryghed.report.DEMO_COLUMN`)."""
    from pathlib import Path

    from .report import synthetic_marked

    report_dir = Path(report_dir)
    paths = (report_dir / "changes.csv", report_dir / "trends.csv")
    for frame, path in ((machine_changes(pipeline, change_tab, lang), paths[0]),
                        (machine_trends(pipeline, trend_tab, lang), paths[1])):
        frame = frame[MACHINE_COLUMNS + MACHINE_EXTRA]
        write_machine_csv(synthetic_marked(frame, lang, demo), path, lang)
    return paths


def against_rest_table(pipeline: Pipeline, table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Each area against the other areas of its level in ``year``, for indicators that declare ``against_rest``.

    Rows in the change table's layout (``comparison`` ``rest_of_level``), with their own family per indicator ×
    level (Benjamini–Hochberg unless the YAML declares one for the level) and the verdict of
    :func:`tryghed.stats.verdict` on the family q; empty when no indicator asks for it.
    """
    from .kinds.published_rate import against_rest

    rows = [r for ind in pipeline.indicators if getattr(ind.spec, "against_rest", None)
            for r in getattr(ind.impl, "against_rest", against_rest)(ind, pipeline, table, year,
                                                                     alpha=pipeline.alpha)]
    out = pd.DataFrame(rows).reindex(columns=[*CHANGE_COLUMNS, "_tested"])
    out["_tested"] = out["_tested"].astype("boolean").fillna(False).astype(bool)
    _families(pipeline, out)
    for i in out.index[out["_tested"]]:
        null = 1.0 if out.at[i, "scale"] == "ratio" else 0.0
        v = stats.verdict(estimate=out.at[i, "change"], pvalue=out.at[i, "qvalue"], alpha=pipeline.alpha, null=null)
        out.at[i, "verdict"] = v.code
        out.at[i, "verdict_reason"] = v.reason
    out["significant"] = out["verdict"].isin(["significant_increase", "significant_decrease"])
    return out.drop(columns="_tested")
