"""Counts clustered in units (METHODS.md §2.1): closure days summed over institutions; changes bootstrapped over
the institutions, never tested as Poisson counts."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from .._lazy import lazy_module
from ..significance import ALPHA
from .base import Kind, count_rows
from .stock_count import _zero_filled

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed

#: Fixed seed of the bootstrap over institutions, so reruns give identical tables.
BOOTSTRAP_SEED = 20140101


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    measure: Literal["days"]


class ClusteredCount(Kind):
    name = "clustered_count"
    limits = "clustered"
    #: the method note of the report (Danish and English)
    note = {
        "da": "lukkedage klumper sig i institutioner og episoder: ingen Poisson-test på dagetallet; ændringen har "
              "et interval fra genudtræk over institutioner (METHODS.md §2.1)",
        "en": "closure days cluster within institutions and episodes: no Poisson test on the day total; the change "
              "has a bootstrap interval over institutions (METHODS.md §2.1)"}
    Options = Options
    formats = ("closure_log",)
    test = "bootstrap"

    def rows(self, ind, pipeline, tables, level):
        df = tables[ind.source]
        if df.empty:
            return []
        source = pipeline.sources[ind.source]
        values = _zero_filled(df.groupby(["area_id", "year"])["days"].sum(), pipeline, source.area_level,
                              df["year"]).rename(columns={"year": "period"})
        values["flags"] = ""
        return count_rows(values, pipeline, level, df["year"].unique(),
                          "working days summed over closures (clustered by institution; descriptive)",
                          source.area_level)

    def compare(self, ind, ref_row, row, *, units=None, dispersion=1.0, alpha=ALPHA):
        if units is None or len(units[0]) < 2:
            return super().compare(ind, ref_row, row)
        b = stats.bootstrap_change(values1=units[0], values2=units[1], seed=BOOTSTRAP_SEED, alpha=alpha)
        return stats.Change(b.difference, b.ci_low, b.ci_high, np.nan, b.pvalue, "difference",
                            f"bootstrap over {b.n_units} institutions ({b.n_boot} resamples, percentile interval)",
                            p_exact=b.pvalue, p_adjusted=b.pvalue, tested=b.tested, reason=b.reason)

    def units(self, ind, pipeline, df, level):
        """Per-institution values behind the count: ``area_id, period, unit, value`` (for the bootstrap)."""
        from .base import at_level

        g = df.groupby([at_level(df, pipeline, level), df["year"], df["institution"]])["days"].sum()
        g.index.names = ["area_id", "period", "unit"]
        return g.rename("value").reset_index()
