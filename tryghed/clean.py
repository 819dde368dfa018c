"""Pure DataFrame -> DataFrame cleaning steps: recodes, de-duplication, periods; each reports what it dropped.

Steps that belong to a source format (a closure's year, a register's year-end stock) run here; steps that belong to
one indicator (a survey item's recode) are its kind's ``prepare``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .config import Pipeline
from .sources import load_staged


def year_end_stock(df: pd.DataFrame) -> pd.DataFrame:
    """The stock at the end of each year per area: its last quarter present, flagged when not the fourth.

    An area with no quarter at all in a year has no row (missing, never zero).
    """
    last = df.groupby(["area_id", "year"])["quarter"].transform("max")
    out = df[df["quarter"] == last].copy()
    out["flags"] = np.where(out["quarter"] < 4, "year_end_from_Q" + out["quarter"].astype(str), "")
    return out.reset_index(drop=True)


def closure_years(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``year``: the year of the closure's first day."""
    out = df.copy()
    out["year"] = out["start"].dt.year.astype("int64")
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
        if not df.empty and source.format == "closure_log":
            df = closure_years(df)
        elif not df.empty and source.format == "gang_log":
            before = len(df)
            df = year_end_stock(df)
            log.append({"table": sid, "dropped": before - len(df),
                        "why": "quarters other than the year's last (the stock is counted at year end)"})
        for ind in pipeline.indicators:
            if ind.source == sid and not df.empty:
                df, entries = ind.impl.prepare(ind, df)
                log.extend(entries)
        df.to_parquet(clean_dir / f"{sid}.parquet", index=False)
    return pd.DataFrame(log)
