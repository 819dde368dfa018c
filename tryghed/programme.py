"""The programme's own figures as run-time checks, and relative targets on the programme's baselines.

A programme document states its baselines (Sikker By: 17.5 % unsafe at night in 2013, 283 closure days over 9
institutions in 2013). When the data disagree with them, the run log and the method notes say so, in Danish and
English; a relative target (−33 % by 2017) is computed from the programme's baseline, with the data's own value
shown beside it.

Agreement rules (a published figure is rounded to its last decimal, so it stands for an interval of half a unit
either side):

* a share or rate with an interval agrees when the data's confidence interval for the baseline year overlaps the
  programme figure's rounding interval (e.g. 17.5 stands for 17.45–17.55);
* a count without an interval (days, institutions, local areas) agrees when it lies within the rounding interval
  (a whole number: equal).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import i18n
from .config import Indicator, Pipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgrammeCheck:
    """One programme baseline held against the data's value for the same year and area."""

    indicator_id: str
    area_id: str
    year: int
    unit: str
    programme_value: float
    data_value: float
    ci_low: float
    ci_high: float
    #: "interval" (the data's CI against the figure) or "value" (a count against the figure)
    rule: str
    #: False when the data's interval excludes the programme's figure (or the count differs from it)
    agrees: bool
    #: no data for the baseline year: nothing to check
    checked: bool = True


def _half_unit(value: float) -> float:
    """Half a unit of the last decimal a figure is written with (17.5 -> 0.05, 283 -> 0.5, 1.1 -> 0.05)."""
    text = repr(float(value))
    decimals = 0 if text.endswith(".0") or "." not in text else len(text.split(".")[1])
    return 0.5 * 10 ** -decimals


def check_baseline(*, ind: Indicator, row: pd.Series | None, area_id: str) -> ProgrammeCheck | None:
    """Hold ``ind``'s programme baseline against the indicator-table row of its baseline year.

    Returns None when the indicator states no baseline value; ``checked=False`` when the data have no usable value
    for the baseline year.
    """
    if ind.baseline is None or ind.baseline.value is None:
        return None
    prog = float(ind.baseline.value)
    base = dict(indicator_id=ind.id, area_id=area_id, year=int(ind.baseline.year), unit=ind.unit,
                programme_value=prog)
    est = float(row["estimate"]) if row is not None else math.nan
    if row is None or bool(row.get("suppressed", False)) or not np.isfinite(est):
        return ProgrammeCheck(**base, data_value=math.nan, ci_low=math.nan, ci_high=math.nan, rule="value",
                              agrees=True, checked=False)
    lo, hi = float(row.get("ci_low", math.nan)), float(row.get("ci_high", math.nan))
    half = _half_unit(prog)
    if np.isfinite(lo) and np.isfinite(hi):
        agrees = lo <= prog + half and hi >= prog - half
        return ProgrammeCheck(**base, data_value=est, ci_low=lo, ci_high=hi, rule="interval", agrees=bool(agrees))
    agrees = abs(est - prog) < half
    return ProgrammeCheck(**base, data_value=est, ci_low=math.nan, ci_high=math.nan, rule="value",
                          agrees=bool(agrees))


def programme_checks(pipeline: Pipeline, table: pd.DataFrame) -> list[ProgrammeCheck]:
    """Every indicator's programme baseline held against the indicator table (headline area, baseline year)."""
    out = []
    for ind in pipeline.indicators:
        if ind.baseline is None or ind.baseline.value is None:
            continue
        area_id = ind.headline_area or pipeline.city.id
        hit = table[(table["indicator_id"] == ind.id) & (table["area_id"] == area_id)
                    & (table["period"] == ind.baseline.year)]
        c = check_baseline(ind=ind, row=hit.iloc[0] if len(hit) else None, area_id=area_id)
        if c is not None:
            out.append(c)
    return out


def check_text(check: ProgrammeCheck, ind: Indicator, lang: str) -> str:
    """The sentence of the run log and the method notes for a check whose data disagree with the programme."""
    name = ind.name[lang]
    prog = i18n.value(check.programme_value, check.unit, lang, _decimals(check.programme_value))
    data = i18n.value(check.data_value, check.unit, lang)
    y = check.year
    if check.rule == "interval":
        ci = i18n.with_unit(i18n.interval(check.ci_low, check.ci_high, lang,
                                          i18n.decimals_for(check.data_value, check.unit)), check.unit, lang)
        if lang == "da":
            return (f"{name}: programmets udgangspunkt {prog} ({y}) ligger uden for dataenes 95 %-konfidensinterval "
                    f"for {y} ({data}, {ci}). Tjek at data og program måler det samme; målene regnes fra "
                    "programmets tal.")
        return (f"{name}: the programme's baseline {prog} ({y}) lies outside the data's 95% confidence interval for "
                f"{y} ({data}, {ci}). Check that the data and the programme measure the same thing; the targets are "
                "computed from the programme's figure.")
    if lang == "da":
        return (f"{name}: dataene giver {data} i {y}, programmets udgangspunkt er {prog}. Tjek at data og program "
                "tæller det samme; relative mål regnes fra programmets tal, med dataenes tal ved siden af.")
    return (f"{name}: the data give {data} in {y}, the programme's baseline is {prog}. Check that the data and the "
            "programme count the same thing; relative targets are computed from the programme's figure, with the "
            "data's value beside it.")


def _decimals(x: float) -> int:
    text = repr(float(x))
    return 0 if text.endswith(".0") else len(text.split(".")[1])


def disagreements(pipeline: Pipeline, checks: list[ProgrammeCheck], lang: str) -> list[str]:
    """The method notes' sentences (in ``lang``) for every check where the data disagree with the programme."""
    return [check_text(c, pipeline.indicator(c.indicator_id), lang) for c in checks if c.checked and not c.agrees]


def log_checks(pipeline: Pipeline, checks: list[ProgrammeCheck], logger: logging.Logger = log) -> int:
    """Write a warning to the run log for each disagreement (English, then Danish); return how many."""
    bad = [c for c in checks if c.checked and not c.agrees]
    for c in bad:
        ind = pipeline.indicator(c.indicator_id)
        logger.warning("%s", check_text(c, ind, "en"))
        logger.warning("%s", check_text(c, ind, "da"))
    for c in checks:
        if not c.checked:
            logger.info("%s: no data for the programme's baseline year %d: not checked", c.indicator_id, c.year)
    return len(bad)


@dataclass(frozen=True)
class RelativeTarget:
    """A relative target on the programme's baseline, with the one the data's own baseline value would give."""

    target_value: float
    base_value: float
    data_base_value: float
    data_target_value: float
    #: "programme" when the programme states the baseline value, else "data"
    base_from: str


def relative_target(*, ind: Indicator, change: float, data_base_value: float) -> RelativeTarget:
    """``base × (1 + change)`` with the programme's baseline (e.g. 283 × 0.67 = 189.61); the data's beside it.

    Without a programme baseline value the data's value is the base (``base_from = "data"``).
    """
    data_target = data_base_value * (1 + change) if np.isfinite(data_base_value) else math.nan
    if ind.baseline is not None and ind.baseline.value is not None:
        prog = float(ind.baseline.value)
        return RelativeTarget(prog * (1 + change), prog, float(data_base_value), data_target, "programme")
    return RelativeTarget(data_target, float(data_base_value), float(data_base_value), data_target, "data")
