"""Pure DataFrame -> DataFrame cleaning steps: recodes, de-duplication, periods; each reports what it dropped.

Steps that belong to a source format (a closure's year, a register's year-end stock) run here; steps that belong to
one indicator (a survey item's recode) are its kind's ``prepare``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Pipeline
from .errors import ConfigError
from .periods import aggregate
from .sources import load_staged

log = logging.getLogger(__name__)


def year_end_stock(df: pd.DataFrame) -> pd.DataFrame:
    """The stock at the end of each year per area: its last quarter present, flagged when not the fourth.

    An area with no quarter at all in a year has no row (missing, never zero).
    """
    last = df.groupby(["area_id", "year"])["quarter"].transform("max")
    out = df[df["quarter"] == last].copy()
    out["flags"] = np.where(out["quarter"] < 4, "year_end_from_Q" + out["quarter"].astype(str), "")
    return out.reset_index(drop=True)


#: Word beginnings that mark a closure's reason as unrest (Sikker By counts closures "pga. uro" only), Danish and
#: English, matched case-insensitively at the start of a word ("Skudepisode", "Uroligheder"; not "Europa", not a
#: plain "brand" (fire)).
UNREST_WORDS = ("uro", "utryg", "skud", "skyd", "trusl", "true", "truet", "konflikt", "hærværk", "brandstift",
                "ildspåsæt", "vold", "bande", "knivstik", "optøj", "chikane", "unrest", "threat", "shoot", "conflict",
                "vandal", "arson", "violen", "riot", "harass", "gang-", "gangs")


def is_unrest(reason: pd.Series) -> pd.Series:
    """Whether each closure reason names unrest (a word of :data:`UNREST_WORDS`); NaN where no reason is given."""
    text = reason.fillna("").astype(str).str.strip().str.lower()
    hit = text.str.contains(r"(?<!\w)(?:" + "|".join(map(re.escape, UNREST_WORDS)) + ")", regex=True)
    return hit.astype("boolean").mask(text.eq(""))


def unrest_closures(df: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[dict]]:
    """The closures whose reason is unrest; closures for other reasons are left out and said so.

    A closure without a reason is kept (the log does not say; the entry counts them), so a log without a reason
    column counts every closure, as the programme's own figures do.
    """
    if "reason" not in df:
        return df, []
    unrest = is_unrest(df["reason"])
    other = unrest.eq(False).fillna(False).to_numpy(dtype=bool)
    entries = []
    if other.any():
        shown = ", ".join(sorted(set(df.loc[other, "reason"].astype(str)))[:5])
        entries.append({"table": name, "dropped": int(other.sum()),
                        "why": f"closures for another reason than unrest ({shown})"})
        log.info("%s: %d closure(s) for other reasons than unrest left out", name, int(other.sum()))
    unknown = int(unrest.isna().sum())
    if unknown:
        entries.append({"table": name, "dropped": 0,
                        "why": f"{unknown} closure(s) without a reason: counted (the log does not say)"})
    return df[~other].reset_index(drop=True), entries


def closure_years(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``year``: the year of the closure's first day."""
    out = df.copy()
    out["year"] = out["start"].dt.year.astype("int64")
    return out


#: The cleaned long table's columns (:func:`long_to_period`).
LONG_COLUMNS = ["area_id", "area_name", "indicator", "period", "period_type", "year", "row", "count", "population",
                "value", "n", "flags"]


def long_to_period(df: pd.DataFrame, *, to: str, name: str) -> tuple[pd.DataFrame, list[dict]]:
    """A staged long table at the pipeline's reporting period: finer periods summed, complete periods only.

    Counts are summed and populations averaged (a population is a stock; its mean over the months is the exposure
    of the year) per area and measure; a period with an empty count or population in any of its parts is missing,
    never a partial sum. Periods with some of their parts absent are left out, each with the note of
    :func:`tryghed.periods.incomplete_note` ("2024 has only 3 of 12 months: left out"), logged and returned.
    Published values (``value``, ``n``) cannot be added up: given for finer periods they are an error.

    Returns the table (``period`` the year as an integer; the indicator table is yearly) and the log entries.
    """
    if to != "year":
        raise ConfigError(f"period: {to} — the indicator table is yearly; reporting by {to.replace('_', '-')} is "
                          "not supported yet. Set 'period: year' in the pipeline YAML (finer periods are summed "
                          "to whole years).")
    if df.empty:
        return df.reindex(columns=LONG_COLUMNS), []
    finer = df["period_type"] != to
    published = finer & (df["value"].notna() | df["n"].notna())
    if published.any():
        r = df[published].iloc[0]
        raise ConfigError(f"source '{name}' has published values (a share or rate with its n) by "
                          f"{r['period_type'].replace('_', '-')} (row {int(r['row'])}, {r['period']}); published "
                          f"values cannot be added up to a {to}. Give them per {to}, or report by the file's period.")
    names = df.groupby("area_id", sort=False)["area_name"].first()
    agg = aggregate(df, to=to, by=["area_id", "indicator"], period="period",
                    columns=["row", "count", "population", "value", "n"],
                    how={"row": "min", "count": "sum", "population": "mean", "value": "first", "n": "first"})
    out = agg.table
    out["period"] = out["year"].astype("int64")
    out["area_name"] = out["area_id"].map(names)
    out["flags"] = ""
    out["count"] = out["count"].astype("Float64").round().astype("Int64")
    out["n"] = out["n"].astype("Float64").round().astype("Int64")
    for c in ("population", "value"):
        out[c] = out[c].astype("float64")
    entries = []
    if len(agg.dropped):
        for note, g in agg.dropped.groupby("note", sort=False):
            what = (f"{g['area_id'].nunique()} area(s)" + (f" × {g['indicator'].nunique()} measure(s)"
                                                          if (g["indicator"] != "").any() else ""))
            log.info("%s: %s (%s)", name, note, what)
            entries.append({"table": name, "dropped": int(g["have"].sum()), "why": f"{note} ({what})"})
    return out[LONG_COLUMNS].sort_values(["indicator", "area_id", "period"]).reset_index(drop=True), entries


def drop_exact_duplicates(df: pd.DataFrame, name: str) -> tuple[pd.DataFrame, dict]:
    dup = df.duplicated()
    return df[~dup].reset_index(drop=True), {"table": name, "dropped": int(dup.sum()),
                                             "why": "exact duplicate row"}


def clean_all(pipeline: Pipeline, staged_dir: Path, clean_dir: Path) -> pd.DataFrame:
    """Clean every staged source into ``clean_dir``; return one row per cleaning step with what it dropped."""
    clean_dir = Path(clean_dir)
    clean_dir.mkdir(parents=True, exist_ok=True)
    steps = []
    for sid, source in pipeline.sources.items():
        df = load_staged(staged_dir, sid)
        df, entry = drop_exact_duplicates(df, sid)
        steps.append(entry)
        if not df.empty and source.format == "closure_log":
            df, entries = unrest_closures(df, sid)
            steps.extend(entries)
            df = closure_years(df)
        elif source.format == "long":
            df, entries = long_to_period(df, to=pipeline.period, name=sid)
            steps.extend(entries)
        elif not df.empty and source.format == "gang_log":
            before = len(df)
            df = year_end_stock(df)
            steps.append({"table": sid, "dropped": before - len(df),
                          "why": "quarters other than the year's last (the stock is counted at year end)"})
        for ind in pipeline.indicators:
            if ind.source == sid and not df.empty:
                df, entries = ind.impl.prepare(ind, df)
                steps.extend(entries)
        df.to_parquet(clean_dir / f"{sid}.parquet", index=False)
    return pd.DataFrame(steps)
