"""The earlier steps of a chain, for a later notebook opened on its own (JupyterLab, nbval).

A notebook run by the runner finds its inputs in the processed folder the runner passes. Opened on its own, with
the scratch tree as its processed folder, a later notebook (e.g. ``09_partnership``) would find nothing there: this
module runs the same package calls as ``01``–``04`` into that folder first, once.
"""

from __future__ import annotations

import dataclasses
import json
import os

from . import changes, clean, disclosure, indicators, sources
from .config import Pipeline
from .paths import RunPaths


def ensure(pipeline: Pipeline, year: int, run: RunPaths) -> bool:
    """Write the staged and clean sources, the published indicator table and the change, trend and target tables
    into ``run.processed_dir`` unless ``published.parquet`` is already there; return True when it ran them."""
    out = run.processed_dir
    if (out / "published.parquet").is_file():
        return False
    sources.ingest(pipeline, run.raw_dir, out / "staged", environ=os.environ)
    clean.clean_all(pipeline, out / "staged", out / "clean")
    table = indicators.compute_all(pipeline, out / "clean", year)
    table.to_parquet(out / "indicators.parquet", index=False)
    units = indicators.cluster_units(pipeline, out / "clean")
    units.to_parquet(out / "cluster_units.parquet", index=False)
    protected = disclosure.protect_pipeline_table(pipeline, table, min_answers=indicators.MIN_ANSWERS)
    protected.table.to_parquet(out / "published.parquet", index=False)
    (out / "disclosure.json").write_text(json.dumps(dataclasses.asdict(protected.record), ensure_ascii=False, indent=2)
                                         + "\n", encoding="utf-8")
    published = protected.table
    disclosure.protect_change_table(changes.change_table(pipeline, published, year, units), published) \
        .to_parquet(out / "changes.parquet", index=False)
    changes.trend_table(pipeline, published, year).to_parquet(out / "trends.parquet", index=False)
    changes.target_table(pipeline, published, year).to_parquet(out / "targets.parquet", index=False)
    return True
