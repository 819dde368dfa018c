"""Pure DataFrame -> DataFrame cleaning steps: recodes, de-duplication, periods; each reports what it dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .config import Pipeline
from .sources import load_staged


def recode_binary(df: pd.DataFrame, *, item: str, positive_codes, missing_codes) -> pd.Series:
    """1 where the answer is one of ``positive_codes``, NaN where it is a missing code, else 0."""
    answer = df[item]
    y = answer.isin(list(positive_codes)).astype(float)
    return y.mask(answer.isin(list(missing_codes)))


def closures_by_episode(df: pd.DataFrame, *, plan_within_working_days: int) -> pd.DataFrame:
    """Add ``year`` (of the closure's first day) and ``plan_in_time`` (reopening plan within N working days)."""
    out = df.copy()
    out["year"] = out["start"].dt.year.astype("int64")
    start = out["start"].values.astype("datetime64[D]")
    plan = out["plan_date"].values.astype("datetime64[D]")
    has_plan = ~np.isnat(plan)
    lag = np.full(len(out), np.iinfo(np.int64).max)
    lag[has_plan] = np.busday_count(start[has_plan], plan[has_plan])
    out["plan_in_time"] = has_plan & (lag <= plan_within_working_days)
    return out


def year_end_stock(df: pd.DataFrame) -> pd.DataFrame:
    """The stock at the end of each year: the last quarter present (flagged when it is not the fourth)."""
    last = df.groupby("year")["quarter"].transform("max")
    out = df[df["quarter"] == last].copy()
    out["flags"] = np.where(out["quarter"] < 4, "year_end_from_Q" + out["quarter"].astype(str), "")
    return out


def drop_exact_duplicates(df: pd.DataFrame, name: str) -> tuple[pd.DataFrame, dict]:
    dup = df.duplicated()
    return df[~dup].reset_index(drop=True), {"table": name, "dropped": int(dup.sum()),
                                             "why": "exact duplicate row"}


def clean_all(pipeline: Pipeline, staged_dir: Path, clean_dir: Path) -> pd.DataFrame:
    """Clean every staged source into ``clean_dir``; return one row per cleaning step with what it dropped."""
    clean_dir = Path(clean_dir)
    clean_dir.mkdir(parents=True, exist_ok=True)
    log = []
    for sid, source in pipeline.sources.items():
        df = load_staged(staged_dir, sid)
        df, entry = drop_exact_duplicates(df, sid)
        log.append(entry)
        if source.format == "survey_microdata":
            for ind in pipeline.indicators:
                if ind.source == sid:
                    y = recode_binary(df, item=ind.options["item"], positive_codes=ind.options["positive_codes"],
                                      missing_codes=ind.options.get("missing_codes", ()))
                    df[f"y_{ind.id}"] = y
                    log.append({"table": sid, "dropped": int(y.isna().sum()),
                                "why": f"{ind.id}: answer missing or 'ved ikke' (excluded from both sums)"})
        elif source.format == "closure_log":
            days = next((i.options.get("plan_within_working_days") for i in pipeline.indicators
                         if i.source == sid and "plan_within_working_days" in i.options), 3)
            df = closures_by_episode(df, plan_within_working_days=days)
        elif source.format == "gang_log":
            before = len(df)
            df = year_end_stock(df)
            log.append({"table": sid, "dropped": before - len(df),
                        "why": "quarters other than the year's last (the stock is counted at year end)"})
        df.to_parquet(clean_dir / f"{sid}.parquet", index=False)
    return pd.DataFrame(log)
