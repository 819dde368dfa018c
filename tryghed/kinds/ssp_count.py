"""Person counts of the SSP log: the young people under 18 identified with gang behaviour in a period
(``measure: identified``), or the concern talks held in it (``measure: talks``). Described, not tested (a register
count, METHODS.md §2.1); persons: publish under disclosure control (``persons: true``). Areas as for
:mod:`tryghed.kinds.coverage`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .._lazy import lazy_module
from ..significance import ALPHA
from .base import Kind
from .coverage import Coverage

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: identified: young people identified in the period; talks: concern talks held in it
    measure: Literal["identified", "talks"]
    #: the areas the partnership's overview shows
    report_areas: tuple[str, ...] = ()


class SspCount(Coverage):
    """The SSP log's counts (see the module docstring): descriptive, like a stock."""

    name = "ssp_count"
    #: the report's method note (tryghed.report.method_notes)
    note = {
        "da": "antal personer (identificerede unge) eller samtaler i SSP-loggen i perioden, beskrevet uden test "
              "(METHODS.md §2.1)",
        "en": "number of persons (identified young people) or talks in the SSP log in the period, described without "
              "a test (METHODS.md §2.1)"}
    Options = Options
    test = "descriptive"

    @property
    def measure(self):  # the indicator's own measure is read in period_rows
        return None

    def period_rows(self, ind, pipeline, log, level, periods, labels):
        from .coverage import coverage_counts, coverage_rows

        counts = coverage_counts(pipeline, log, level, periods)
        method = ("young people identified in the period (SSP log; persons)" if ind.spec.measure == "identified"
                  else "concern talks held in the period (SSP log)")
        return coverage_rows(counts, ind.spec.measure, {p.label: y for p, y in zip(periods, labels)}, method)

    def compare(self, ind, ref_row, row, *, units=None, dispersion=1.0, alpha=ALPHA):
        return Kind.compare(self, ind, ref_row, row)

    def trend(self, ind, seg, alpha=ALPHA):
        return Kind.trend(self, ind, seg, alpha)
