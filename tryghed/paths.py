"""Every default path of the project, derived from the package's own location (no side effects)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"
NOTEBOOKS = ROOT / "notebooks"
DATA_RAW = ROOT / "data" / "raw"
DEMO_RAW = DATA_RAW / "demo"
#: Interactive runs of a notebook (JupyterLab, nbval) write here, never over a published run.
SCRATCH = ROOT / "build" / "notebooks"


@dataclass(frozen=True)
class RunPaths:
    """Where one run of one pipeline for one year reads and writes."""

    raw_dir: Path
    processed_dir: Path
    figures_dir: Path
    report_dir: Path

    @classmethod
    def under(cls, out_root: Path, pipeline: str, year: int, raw_dir: Path) -> RunPaths:
        """The standard layout below ``out_root``: data/processed, figures and reports per pipeline and year."""
        out_root = Path(out_root)
        return cls(
            raw_dir=Path(raw_dir),
            processed_dir=out_root / "data" / "processed" / pipeline / str(year),
            figures_dir=out_root / "figures" / pipeline / str(year),
            report_dir=out_root / "reports" / pipeline / str(year),
        )

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
