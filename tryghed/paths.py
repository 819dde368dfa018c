"""Every default path of the project, derived from the package's own location (no side effects)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"
NOTEBOOKS = ROOT / "notebooks"
DATA_RAW = ROOT / "data" / "raw"
DEMO_RAW = DATA_RAW / "demo"
#: Interactive runs of a notebook (JupyterLab, nbval) write here, never over a published run.
SCRATCH = ROOT / "build" / "notebooks"
#: The marker file the demo generator writes into a synthetic raw folder (``tryghed.demo.MARKER``).
DEMO_MARKER = "SYNTHETIC.md"
#: Where runs build their outputs before moving them into place, relative to the output root.
STAGING = ".staging"


def source_name(raw_dir: str | Path) -> str:
    """The data source's name in output paths: ``demo`` for the synthetic data set, else the raw folder's name.

    Characters other than letters, digits, ``.``, ``_`` and ``-`` become ``_`` so the name is a safe folder name.
    """
    raw = Path(raw_dir)
    if (raw / DEMO_MARKER).is_file():
        return "demo"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", raw.resolve().name).strip("._") or "raw"
    return name


@dataclass(frozen=True)
class RunPaths:
    """Where one run of one pipeline for one year, data source and language reads and writes.

    The standard layout below an output root keeps every source and language apart, so no run replaces another's::

        data/processed/<pipeline>/<year>/<source>-<lang>/   tables (scorecard statements are in the language)
        figures/<pipeline>/<year>/<source>-<lang>/          figures (labels are in the language)
        reports/<pipeline>/<year>/<source>-<lang>/          index.html, rendered notebooks, exports, run.log
        reports/<pipeline>/_failed/<year>/<source>-<lang>/  the executed notebook of a failed run

    ``<source>`` is ``demo`` or the raw folder's name (:func:`source_name`).
    """

    raw_dir: Path
    processed_dir: Path
    figures_dir: Path
    report_dir: Path

    @staticmethod
    def run_id(raw_dir: str | Path, lang: str) -> str:
        """The ``<source>-<lang>`` folder name of a run."""
        return f"{source_name(raw_dir)}-{lang}"

    @classmethod
    def under(cls, out_root: Path, pipeline: str, year: int, raw_dir: Path, lang: str | None = None) -> RunPaths:
        """The standard layout below ``out_root``; without ``lang`` the plain ``<pipeline>/<year>`` folders."""
        out_root = Path(out_root)
        tail = Path(pipeline) / str(year)
        if lang is not None:
            tail = tail / cls.run_id(raw_dir, lang)
        return cls(
            raw_dir=Path(raw_dir),
            processed_dir=out_root / "data" / "processed" / tail,
            figures_dir=out_root / "figures" / tail,
            report_dir=out_root / "reports" / tail,
        )

    @staticmethod
    def failed_dir(out_root: Path, pipeline: str, year: int, raw_dir: Path, lang: str) -> Path:
        """Where the executed notebook of a failed run is kept (removed again by the next successful run)."""
        return Path(out_root) / "reports" / pipeline / "_failed" / str(year) / RunPaths.run_id(raw_dir, lang)

    @classmethod
    def for_notebook(
        cls,
        pipeline: str,
        year: int,
        raw_dir: str | None = None,
        processed_dir: str | None = None,
        figures_dir: str | None = None,
        report_dir: str | None = None,
    ) -> RunPaths:
        """Resolve a notebook's path parameters; empty ones fall back to the demo data and the scratch tree."""
        default = cls.under(SCRATCH, pipeline, year, Path(raw_dir) if raw_dir else DEMO_RAW)
        return cls(
            raw_dir=default.raw_dir,
            processed_dir=Path(processed_dir) if processed_dir else default.processed_dir,
            figures_dir=Path(figures_dir) if figures_dir else default.figures_dir,
            report_dir=Path(report_dir) if report_dir else default.report_dir,
        )

    def make(self) -> RunPaths:
        """Create the output folders (never the raw folder)."""
        for p in (self.processed_dir, self.figures_dir, self.report_dir):
            p.mkdir(parents=True, exist_ok=True)
        return self
