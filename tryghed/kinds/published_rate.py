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

from .. import stats
from . import long_table
from .base import Kind, flags, row

IMPLIED = "exposure_implied"
NO_COUNT = "published_rate_only"


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the value of the source's indicator column (one: published rates cannot be added)
    select: str | None = None
    #: the rate is per this many residents
    per: float = 1000.0
    #: a level whose areas are each compared with the others of the level (exact test; needs counts)
    against_rest: str | None = None


class PublishedRate(Kind):
    name = "published_rate"
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

    def rows(self, ind, pipeline, tables, level):
        """The published rate of each area at ``level`` that the source publishes, with its exact interval."""
        per = ind.spec.per
        values = long_table.at_level(long_table.measure(ind, tables[ind.source]), pipeline, level)
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

    def compare(self, ind, ref_row, row, *, units=None, dispersion=1.0, alpha=stats.ALPHA):
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

    def trend(self, ind, seg, alpha=stats.ALPHA):
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
