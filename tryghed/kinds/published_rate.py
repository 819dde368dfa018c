"""A published rate (e.g. reported offences per 1,000 residents) with its count or population, or alone.

The value is shown exactly as published. With the count, the exposure is the population where the source gives
one, else the population implied by count and rate (``count / rate × per``; flag ``exposure_implied``), and the
change between two rows is the exact conditional test of two Poisson rates (METHODS.md §2.2). Without a count the
rate is described, not tested. Published rates never add up: an area is shown only where the source publishes it.
Option ``against_rest`` (a level) adds, in :func:`tryghed.changes.against_rest_table`, each area of that level
against the sum of the others.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from .._lazy import lazy_module
from ..significance import ALPHA
from . import long_table
from .base import Kind, flags, row

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed

IMPLIED = "exposure_implied"
NO_COUNT = "published_rate_only"


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the value of the source's indicator column (one: published rates cannot be added)
    select: str | None = None
    #: further long sources of the same series (e.g. one file per edition); a value two give alike is taken once
    more_sources: tuple[str, ...] = ()
    #: the rate is per this many residents
    per: float = 1000.0
    #: a level whose areas are each compared with the others of the level (exact test; needs counts)
    against_rest: str | None = None


class PublishedRate(Kind):
    name = "published_rate"
    limits = "rate"
    #: the method note of the report (Danish and English); :meth:`note_for` adds the indicator's comparison of areas
    note = {
        "da": "offentliggjort rate, vist som offentliggjort; med det offentliggjorte antal: eksakt Poisson-interval "
              "og eksakt betinget test (METHODS.md §2.1–2.2), med eksponeringen = antal / rate × 1.000 (den "
              "befolkning, antal og rate giver), når befolkningen ikke er offentliggjort; uden antal beskrives "
              "raten uden test",
        "en": "published rate, shown as published; with the published count: the exact Poisson interval and the "
              "exact conditional test (METHODS.md §2.1–2.2), the exposure being count / rate × 1,000 (the "
              "population implied by count and rate) where no population is published; without a count the rate "
              "is described, not tested"}
    Options = Options
    formats = ("long",)
    test = "rate"

    def check(self, ind, pipeline):
        long_table.check_select(ind, pipeline)
        src = pipeline.sources[ind.source]
        if "value" not in src.columns:
            raise ValueError(f"indicator '{ind.id}': a published rate is read from a value column; source "
                             f"'{src.id}' names none (columns: {{value: ...}})")
        if ind.spec.per <= 0:
            raise ValueError(f"indicator '{ind.id}': per must be above 0 (e.g. 1000)")
        if ind.spec.against_rest is not None and ind.spec.against_rest not in ind.levels:
            raise ValueError(f"indicator '{ind.id}': against_rest is {ind.spec.against_rest!r}, which is not among "
                             f"its levels ({', '.join(ind.levels)})")

    def sources(self, ind):
        return long_table.source_ids(ind)

    def note_for(self, ind, pipeline, lang: str) -> str:
        """The method note (report.method_notes)."""
        rest = ind.spec.against_rest
        if lang == "da":
            per = f"{ind.spec.per:,.0f}".replace(",", ".")
            text = ("offentliggjort rate, vist som offentliggjort; med det offentliggjorte antal: eksakt "
                    "Poisson-interval og eksakt betinget test (METHODS.md §2.1–2.2), med eksponeringen = antal / rate "
                    f"× {per} (den befolkning, antal og rate giver), når befolkningen ikke er offentliggjort; uden "
                    "antal beskrives raten uden test")
            if rest:
                text += "; hvert område testes desuden mod de øvrige områder på sit niveau tilsammen"
            return text
        text = ("published rate, shown as published; with the published count: the exact Poisson interval and the "
                f"exact conditional test (METHODS.md §2.1–2.2), the exposure being count / rate × {ind.spec.per:,.0f} "
                "(the population implied by count and rate) where no population is published; without a count the "
                "rate is described, not tested")
        if rest:
            text += "; each area is also tested against the other areas of its level together"
        return text

    def rows(self, ind, pipeline, tables, level):
        """The published rate of each area at ``level`` that the source publishes, with its exact interval."""
        per = ind.spec.per
        values = long_table.at_level(long_table.measure(ind, tables, pipeline), pipeline, level)
        out = []
        for v in values.itertuples(index=False):
            value, count, pop = float(v.value), float(v.count), float(v.population)
            if not np.isfinite(value):
                out.append(row(v.area_id, v.period, flags=v.flags or "missing", method="not published"))
                continue
            if not np.isfinite(count):
                out.append(row(v.area_id, v.period, estimate=value, flags=flags(v.flags, NO_COUNT),
                               method="published rate, shown as published; no count published: described, "
                               "not tested"))
                continue
            implied = not (np.isfinite(pop) and pop > 0)
            if implied and value <= 0:
                out.append(row(v.area_id, v.period, numerator=count, estimate=value, flags=flags(v.flags, NO_COUNT),
                               method="published rate of 0: no exposure can be implied; described, not tested"))
                continue
            exposure = count / value * per if implied else pop
            ci = stats.rate_confint(count=count, exposure=exposure, per=per)
            how = (f"exposure = count / rate × {per:,.0f} = {exposure:,.0f} (the population implied by the "
                   "published count and rate)" if implied else "exposure = the published population")
            out.append(row(v.area_id, v.period, numerator=count, denominator=exposure, estimate=value,
                           ci_low=ci.ci_low, ci_high=ci.ci_high, flags=flags(v.flags, IMPLIED if implied else ""),
                           method=f"published rate, shown as published; {ci.method} on the published count; {how}"))
        return out

    def compare(self, ind, ref_row, row, *, units=None, dispersion=1.0, alpha=ALPHA):
        ok = all(np.isfinite(r["numerator"]) and np.isfinite(r["denominator"]) and r["denominator"] > 0
                 for r in (ref_row, row))
        if not ok:
            ratio = row["estimate"] / ref_row["estimate"] if ref_row["estimate"] else np.nan
            return long_table.not_tested(ratio, "ratio", "published rates without their counts: described, not "
                                         "tested", "no count published")
        c = stats.compare_rates(count1=ref_row["numerator"], exposure1=ref_row["denominator"],
                                count2=row["numerator"], exposure2=row["denominator"], dispersion=dispersion,
                                alpha=alpha)
        if IMPLIED in f"{row['flags']};{ref_row['flags']}".split(";"):
            import dataclasses

            c = dataclasses.replace(c, method=f"{c.method}; exposure = the population implied by the published "
                                    "count and rate")
        return c

    def trend(self, ind, seg, alpha=ALPHA):
        counts = seg["numerator"].to_numpy(float)
        exposure = seg["denominator"].to_numpy(float)
        if len(seg) and np.isfinite(counts).all() and np.isfinite(exposure).all():
            g = stats.poisson_trend(periods=seg.index.to_numpy(float), counts=counts, exposure=exposure,
                                    alpha=alpha)
            return dict(method=f"{g.model}, log-exposure offset (§2.3)", slope=g.rate_ratio,
                        slope_unit="rate ratio/yr", ci_low=g.ci_low, ci_high=g.ci_high, pvalue=g.pvalue,
                        dispersion=g.dispersion, reason=g.reason)
        r = super().trend(ind, seg, alpha)
        r["method"] = "published rates without their counts: least-squares change per year, described, no test"
        return r


def against_rest(ind, pipeline, table, year: int, *, alpha: float | None = None) -> list[dict]:
    """Each area of level ``ind.spec.against_rest`` against the sum of the level's other areas in ``year``.

    H0: the area's rate equals the rate of the other areas together; H1: it differs (two-sided). The exact conditional
    test of :func:`tryghed.stats.compare_rates` with the other areas' counts and exposures summed (the exposure of a
    published rate with its count is the population implied by count and rate). Without φ̂ (one year, no series):
    Poisson. An area without a count, or a level where some area lacks one (the rest would be incomplete), is not
    tested. Returns rows in the change table's layout (``comparison`` ``rest_of_level``; ``ref_estimate`` the rest's
    rate; ``change`` the rate ratio area / rest).
    """
    alpha = ALPHA if alpha is None else alpha
    level = ind.spec.against_rest
    if level is None:
        return []
    sub = table[(table["indicator_id"] == ind.id) & (table["level"] == level) & (table["period"] == year)]
    if sub.empty:
        return []
    sub = sub.set_index("area_id")
    usable = (np.isfinite(sub["numerator"].astype(float)) & np.isfinite(sub["denominator"].astype(float))
              & ~sub["suppressed"].astype(bool))
    complete = bool(usable.all()) and len(sub) == len(pipeline.areas_at(level))
    per = ind.spec.per
    rows = []
    for area_id, r in sub.iterrows():
        base = dict(pipeline=pipeline.id, indicator_id=ind.id, area_id=area_id, level=level, period=year,
                    comparison="rest_of_level", ref_period=year, estimate=r["estimate"], verdict="not_tested",
                    _tested=False)
        if not complete:
            absent = [pipeline.area(a).name["da"] for a in sub.index[~usable]] or ["an area without a row"]
            rows.append({**base, "flags": "incomplete_rest", "method": "not tested: the other areas' counts are "
                         f"incomplete ({', '.join(absent)})", "verdict_reason": "incomplete_rest"})
            continue
        rest = sub.drop(index=area_id)
        k_rest, e_rest = float(rest["numerator"].sum()), float(rest["denominator"].sum())
        c = stats.compare_rates(count1=k_rest, exposure1=e_rest, count2=r["numerator"], exposure2=r["denominator"],
                                alpha=alpha)
        rows.append({**base, "ref_estimate": k_rest / e_rest * per, "change": c.estimate, "ci_low": c.ci_low,
                     "ci_high": c.ci_high, "statistic": c.statistic, "p_exact": c.p_exact, "p_adjusted": c.pvalue,
                     "pvalue": c.pvalue, "dispersion": 1.0, "scale": c.scale,
                     "method": f"{c.method}; against the other {len(rest)} areas of the level together (their "
                     "counts and exposures summed); exposure = the population implied by the published count and "
                     "rate; Poisson (one year: no overdispersion estimate)",
                     "flags": "" if c.tested else c.reason, "verdict_reason": c.reason, "_tested": bool(c.tested)})
    return rows
