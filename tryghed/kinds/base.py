"""The interface every indicator kind implements, and the row builders the kinds share."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from .._lazy import lazy_module
from ..significance import ALPHA

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed

if TYPE_CHECKING:
    from ..config import Indicator, Pipeline


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind:
    """An indicator kind. Subclasses set the class attributes and override what differs."""

    #: the YAML's ``kind``
    name: ClassVar[str]
    #: which limits the report states ("share", "person_share", "rate", "stock", "clustered" or "descriptive")
    limits: ClassVar[str] = "descriptive"
    #: the report's method note on the kind, ``{"da": ..., "en": ...}`` (may hold ``{min_answers}``)
    note: ClassVar[dict[str, str]]
    #: the kind's own YAML keys (extra keys forbidden)
    Options: ClassVar[type[BaseModel]] = NoOptions
    #: source formats the kind can be built from
    formats: ClassVar[tuple[str, ...]] = ()
    #: "share": changes are differences in percentage points; "rate": ratios of rates (exact Poisson); "bootstrap":
    #: differences bootstrapped over units; "descriptive": no test
    test: ClassVar[str] = "descriptive"
    #: the kind's rows count persons whenever the indicator says ``persons: true`` (METHODS.md §6); survey shares are
    #: controlled for precision instead (n_unweighted)
    survey: ClassVar[bool] = False
    #: the denominator counts persons too (not a public population): disclosure control covers it as well
    denominator_persons: ClassVar[bool] = False

    # -- configuration ---------------------------------------------------------------------------------------------
    def check(self, ind: Indicator, pipeline: Pipeline) -> None:
        """Raise ``ValueError`` (reported as a ConfigError) when the indicator does not fit its sources."""
        fmt = pipeline.sources[ind.source].format
        if self.formats and fmt not in self.formats:
            raise ValueError(f"indicator '{ind.id}' is a {self.name}, which is built from a source of format "
                             f"{' or '.join(self.formats)}; source '{ind.source}' is {fmt}")

    def note_for(self, ind: Indicator, pipeline: Pipeline, lang: str) -> str:
        """The method note of this indicator (a kind whose note depends on its source overrides this)."""
        return self.note[lang]

    def sources(self, ind: Indicator) -> tuple[str, ...]:
        """Every source id the indicator reads (its own and e.g. a population source)."""
        return (ind.source,)

    # -- the clean step --------------------------------------------------------------------------------------------
    def prepare(self, ind: Indicator, df: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
        """Add what the indicator needs to its cleaned source table; return it and what was dropped."""
        return df, []

    # -- the indicator table ---------------------------------------------------------------------------------------
    def rows(self, ind: Indicator, pipeline: Pipeline, tables: dict[str, pd.DataFrame], level: str) -> list[dict]:
        raise NotImplementedError

    # -- changes and trends ----------------------------------------------------------------------------------------
    def compare(self, ind: Indicator, ref_row: pd.Series, row: pd.Series, *, units=None,
                dispersion: float = 1.0, alpha: float = ALPHA) -> stats.Change:
        d = float(row["estimate"] - ref_row["estimate"])
        return stats.Change(d, np.nan, np.nan, np.nan, np.nan, "difference", "descriptive (not a sample: no test)",
                            tested=False, reason="descriptive")

    def trend(self, ind: Indicator, seg: pd.DataFrame, alpha: float = ALPHA) -> dict:
        t = seg.index.to_numpy(float)
        y = seg["estimate"].to_numpy(float)
        slope = float(np.polyfit(t, y, 1)[0]) if len(t) >= 2 else np.nan
        return dict(method="descriptive: least-squares change per year, no test (a stock or clustered count, §2.1)",
                    slope=slope, slope_unit="per yr")


# -- shared row builders ------------------------------------------------------------------------------------------

def at_level(df: pd.DataFrame, pipeline: Pipeline, level: str) -> pd.Series:
    """The ancestor at ``level`` of each row's ``area_id`` (computed once per distinct area)."""
    lookup = {a: pipeline.ancestor_at(a, level) for a in pd.unique(df["area_id"])}
    return df["area_id"].map(lookup)


def grid(pipeline: Pipeline, level: str, years) -> pd.MultiIndex:
    areas = [a.id for a in pipeline.areas_at(level)]
    return pd.MultiIndex.from_product([areas, sorted({int(y) for y in years})], names=["area_id", "period"])


def row(area_id: str, period: int, **values) -> dict:
    """One indicator row with every column present (NaN where the kind has no value)."""
    base = dict(area_id=area_id, period=int(period), numerator=np.nan, denominator=np.nan, estimate=np.nan,
                ci_low=np.nan, ci_high=np.nan, n_unweighted=np.nan, n_effective=np.nan, suppressed=False, flags="",
                method="")
    base.update(values)
    return base


def incomplete_flag(pipeline: Pipeline, area_ids) -> str:
    """The flag of a total over areas without a figure: ``incomplete:`` and their Danish names (what
    :func:`tryghed.i18n.missing_value` reads back)."""
    return "incomplete:" + ", ".join(pipeline.area(a).name["da"] for a in area_ids)


def flags(*parts: str) -> str:
    """Flags joined with ``;`` (empty parts dropped, order kept, no repeats)."""
    return ";".join(dict.fromkeys(p for part in parts for p in str(part).split(";") if p))


def count_rows(values: pd.DataFrame, pipeline: Pipeline, level: str, years, method: str,
               leaf_level: str | None) -> list[dict]:
    """Rows of a count summed from the source's areas to ``level``; missing is never zero.

    ``values`` has ``area_id`` (at the source's level), ``period``, ``value`` and ``flags``. A leaf area without a
    row in a covered period is missing; an aggregate over a missing leaf is missing (flag ``incomplete``), and an
    aggregate over a flagged leaf carries the flag (e.g. ``year_end_from_Q3``) so that it reaches the footnotes.
    """
    leaves = [a.id for a in pipeline.areas_at(leaf_level)] if leaf_level else sorted(values["area_id"].unique())
    full = pd.MultiIndex.from_product([leaves, sorted({int(y) for y in years})], names=["area_id", "period"])
    v = values.set_index(["area_id", "period"]).reindex(full)
    v["parent"] = at_level(v.reset_index(), pipeline, level).to_numpy()
    v = v.reset_index()
    # each (parent, period) cell's rows by position, in the frame's order (the groupby's cells, sorted)
    cells = v.groupby(["parent", "period"], sort=True).indices
    value, absent = v["value"].to_numpy(), v["value"].isna().to_numpy()
    area, flag = v["area_id"].to_numpy(), v["flags"].fillna("").to_numpy()
    out = []
    for (parent, period), at in cells.items():
        missing = absent[at]
        if missing.all():
            out.append(row(parent, period, suppressed=False, flags="missing", method=method))
            continue
        if missing.any():
            out.append(row(parent, period, flags=incomplete_flag(pipeline, area[at][missing]) if level != leaf_level
                           else "missing",
                           method=method))
            continue
        total = float(value[at].sum())
        out.append(row(parent, period, numerator=total, estimate=total, flags=flags(*flag[at]), method=method))
    return out


def share_rows(num: pd.Series, den: pd.Series, method_note: str, gaps=None) -> list[dict]:
    """Person or unit shares (percent) with the Wilson interval; a missing numerator is a missing share, not 0.
    ``gaps``: (area, period) -> the flag of a missing numerator (``incomplete:<areas>`` for a total over missing
    areas; default ``missing``)."""
    rows = []
    for (a, y), d in den.items():
        if not np.isfinite(d) or d <= 0:
            continue
        n = num.get((a, y), np.nan)
        if not np.isfinite(n):
            rows.append(row(a, y, denominator=float(d), flags=(gaps or {}).get((a, y), "missing"),
                            method=method_note))
            continue
        ci = stats.person_share(count=int(n), population=int(d))
        rows.append(row(a, y, numerator=float(n), denominator=float(d), estimate=100 * ci.estimate,
                        ci_low=100 * ci.ci_low, ci_high=100 * ci.ci_high, n_unweighted=float(d),
                        n_effective=float(d), method=f"{ci.method}; {method_note}"))
    return rows


class ShareKind(Kind):
    """Shares in percent: z-test on effective n (Newcombe/score for small cells); WLS + chi-square trend."""

    test = "share"

    def compare(self, ind, ref_row, row, *, units=None, dispersion=1.0, alpha=ALPHA):
        c = stats.compare_shares(share1=ref_row["estimate"] / 100, n_eff1=ref_row["n_effective"],
                                 share2=row["estimate"] / 100, n_eff2=row["n_effective"], alpha=alpha)
        method = c.method if self.survey else c.method.replace("Kish effective n", "counts as n")
        return dataclasses.replace(c, estimate=100 * c.estimate, ci_low=100 * c.ci_low, ci_high=100 * c.ci_high,
                                   scale="difference (percentage points)", method=method)

    def trend(self, ind, seg, alpha=ALPHA):
        p = seg["estimate"].to_numpy(float) / 100
        n = seg["n_effective"].to_numpy(float)
        t = seg.index.to_numpy(float)
        w = share_slope(seg, alpha)
        m = stats.chi2_trend(periods=t, counts=p * n, totals=n)
        r = dict(method="WLS slope with design SEs (§1.5 i); chi-square test for trend, Fingertips rules (§1.5 ii)",
                 slope=100 * w.slope, slope_unit="pp/yr", ci_low=100 * w.ci_low, ci_high=100 * w.ci_high,
                 pvalue=w.pvalue, chi2=m.chi2, marker=m.marker, reason=w.reason)
        target = next((t.value for t in ind.targets if t.type == "annual_change"), np.nan)
        if np.isfinite(target) and np.isfinite(w.slope):
            st = stats.compare_slope(trend=w, target_slope=target / 100, direction=ind.direction)
            r.update(target_slope=target, target_z=st.z, target_pvalue=st.pvalue, target_ci_met=st.ci_meets_target)
        return r


def share_slope(seg: pd.DataFrame, alpha: float | None = None) -> stats.Trend:
    """Inverse-variance slope of a share series (percent) with SEs from its effective n (METHODS.md §1.5 (i));
    ``alpha`` defaults to :data:`tryghed.stats.ALPHA`."""
    alpha = ALPHA if alpha is None else alpha
    p = seg["estimate"].to_numpy(float) / 100
    n = seg["n_effective"].to_numpy(float)
    return stats.weighted_trend(years=seg.index.to_numpy(float), values=p, n_effective=n, alpha=alpha)
