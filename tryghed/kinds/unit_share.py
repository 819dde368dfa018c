"""Shares of units (e.g. closures with a reopening plan in time): binomial, Wilson interval."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from .base import ShareKind, at_level, share_rows


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    measure: Literal["reopening_plan"]
    #: a plan counts as in time when made within this many working days (Danish public holidays excluded)
    plan_within_working_days: int = 3


def danish_holidays(years) -> np.ndarray:
    """Danish public holidays of ``years`` (the ``holidays`` package) as datetime64[D]."""
    import holidays

    days = holidays.country_holidays("DK", years=sorted({int(y) for y in years}))
    return np.array(sorted(days), dtype="datetime64[D]")


def closures_by_episode(df: pd.DataFrame, *, plan_within_working_days: int) -> pd.DataFrame:
    """Add ``plan_in_time`` (reopening plan within N working days).

    Working days are Monday to Friday without Danish public holidays.
    """
    out = df.copy()
    start = out["start"].values.astype("datetime64[D]")
    plan = out["plan_date"].values.astype("datetime64[D]")
    has_plan = ~np.isnat(plan)
    lag = np.full(len(out), np.iinfo(np.int64).max)
    years = {y + d for y in out["start"].dt.year.dropna().astype(int) for d in (0, 1)}
    lag[has_plan] = np.busday_count(start[has_plan], plan[has_plan], holidays=danish_holidays(years))
    out["plan_in_time"] = has_plan & (lag <= plan_within_working_days)
    return out


class UnitShare(ShareKind):
    name = "unit_share"
    limits = "share"
    #: the method note of the report (Danish and English)
    note = {
        "da": "andel af enheder (lukninger) med Wilson- eller Clopper–Pearson-interval (METHODS.md §1.3); små antal "
              "testes med score-test og Newcombe-interval (§1.4)",
        "en": "share of units (closures) with a Wilson or Clopper–Pearson interval (METHODS.md §1.3); small numbers "
              "are tested with the score test and the Newcombe interval (§1.4)"}
    Options = Options
    formats = ("closure_log",)

    def prepare(self, ind, df):
        if "plan_in_time" in df.columns:
            return df, []
        return closures_by_episode(df, plan_within_working_days=ind.spec.plan_within_working_days), []

    def rows(self, ind, pipeline, tables, level):
        df = tables[ind.source]
        g = df.groupby([at_level(df, pipeline, level), df["year"]])
        num, den = g["plan_in_time"].sum(), g.size()
        num.index.names = den.index.names = ["area_id", "period"]
        return share_rows(num.astype(float), den.astype(float), "share of closures")
