"""Orchestration: validate, run the notebook chain through papermill into a staging folder, render, then move
the finished outputs into place (a failed run leaves the previous outputs untouched)."""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import papermill as pm
from tqdm.auto import tqdm

from . import config, demo, i18n, report, sources
from .errors import InputError, TryghedError
from .paths import NOTEBOOKS, ROOT, RunPaths
from .sources.statbank import complete_years

log = logging.getLogger(__name__)

#: Where 01_ingest records the sha256 of every raw file it read, relative to a run's processed folder.
MANIFEST = Path("staged") / "manifest.json"


def _encrypted_kernel_manager():
    """A kernel manager that asks for CurveZMQ transport encryption where the kernelspec supports it.

    ipykernel 7 warns on every start when its local TCP sockets are unencrypted; with ``transport_encryption="auto"``
    the traffic between the runner and the notebook kernel is encrypted and the warning goes away.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class EncryptedKernelManager(AsyncKernelManager):
        transport_encryption = CaselessStrEnum(["disabled", "auto", "required"], default_value="auto", config=True)

    return EncryptedKernelManager


class NotebookFailed(TryghedError):
    """A notebook raised: names the notebook, the failing cell and the saved executed notebook."""

    def __init__(self, notebook: str, cell: str, saved: Path, error: str):
        self.notebook, self.cell, self.saved = notebook, cell, saved
        super().__init__(f"notebook {notebook} failed in {cell}: {error}\n"
                         f"The executed notebook, with papermill's error banner, is saved at {saved}")


@dataclass(frozen=True)
class Coverage:
    source: str
    first: int
    last: int


def coverage(pipeline: config.Pipeline, raw_dir: Path, environ=None) -> list[Coverage]:
    """Read every source (writing nothing) and return the years each covers.

    A StatBank table covers the years it holds completely (four quarters; FOLK1A: the first). An optional source
    that is absent is left out (its measures are reported as missing).
    """
    out = []
    absent = sources.missing_optional(pipeline, raw_dir)
    for sid, source in pipeline.sources.items():
        if sid in absent:
            log.debug("optional source %s (%s) is not in %s", sid, source.file, raw_dir)
            continue
        df = sources.read_source(pipeline, sid, raw_dir, environ)
        if source.format == "statbank":
            years = pd.Series(complete_years(df), dtype="int64")
            if years.empty:
                raise InputError(Path(raw_dir) / source.file, "the table holds no complete year (four quarters, or "
                                 "the first quarter for FOLK1A)", "Extract whole years.")
        else:
            years = df["year"] if "year" in df else df["start"].dt.year
        out.append(Coverage(sid, int(years.min()), int(years.max())))
    return out


def validate(pipeline: config.Pipeline, raw_dir: Path, year: int | None = None, environ=None) -> list[Coverage]:
    """Check the configuration and every input without running anything; error when ``year`` is not covered.

    ``environ`` (the caller's ``os.environ``) supplies the pseudonymisation key of sources that declare one.
    """
    cov = coverage(pipeline, raw_dir, environ)
    if year is not None:
        outside = [c for c in cov if not c.first <= year <= c.last]
        if outside:
            c = outside[0]
            raise InputError(Path(raw_dir) / pipeline.sources[c.source].file,
                             f"year {year} is outside the data of source '{c.source}' ({c.first}–{c.last})",
                             f"Choose a year in {c.first}–{c.last}, or add the {year} extract to the raw folder.")
    return cov


@dataclass(frozen=True)
class RawChange:
    """A raw file whose content differs from the one the previous run of the same pipeline and year read."""

    file: str
    old_sha256: str
    new_sha256: str


def raw_changes(previous_manifest: Path, current: dict[str, str]) -> list[RawChange]:
    """Compare the raw files' sha256 with those recorded in a previous run's ``manifest.json``.

    Parameters
    ----------
    previous_manifest : Path
        The previous run's manifest (``raw_files``: file name -> sha256). When it is missing there is nothing to
        compare; when it cannot be read, a warning says so.
    current : dict of str to str
        File name (as the pipeline's ``sources`` spell it) -> sha256 of the file now.

    Returns
    -------
    list of RawChange
        One per file the previous run read whose sha256 differs now, in file-name order. A file the previous run
        did not read is not a change.
    """
    previous_manifest = Path(previous_manifest)
    if not previous_manifest.is_file():
        return []
    try:
        recorded = json.loads(previous_manifest.read_text(encoding="utf-8"))["raw_files"]
        recorded = {str(k): str(v) for k, v in recorded.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("cannot read the previous run's %s (%s); changes of the raw files are not reported",
                    previous_manifest, exc)
        return []
    return [RawChange(name, recorded[name], sha) for name, sha in sorted(current.items())
            if name in recorded and recorded[name] != sha]


def data_notes(pipeline: config.Pipeline, lang: str, raw_dir: Path, absent: list[str]) -> list[str]:
    """Method notes on the data behind the rates: the offence groups' definitions (and why a published figure of
    the same name is not comparable), the optional sources that were absent, and a map that was skipped."""
    notes = [i18n.offence_group_note(g, lang) for g in pipeline.offence_groups.values()]
    notes += [g.comparability[lang] for g in pipeline.offence_groups.values() if g.comparability]
    if absent:
        names = [i.name[lang] for i in pipeline.indicators if {i.source, i.options.get("population")} & set(absent)]
        notes.append(i18n.missing_source_note([pipeline.sources[sid].file for sid in absent], names, lang))
    if pipeline.map is not None and not (Path(raw_dir) / pipeline.map.file).is_file():
        notes.append(i18n.map_skipped(pipeline.map.file, lang))
    return notes


def resolve_raw(pipeline: config.Pipeline, raw_dir: str | Path | None) -> Path:
    raw = Path(raw_dir) if raw_dir else pipeline.demo_raw
    if not raw.is_dir():
        hint = "Run `tryghed demo-data` to create the demo data." if not raw_dir else "Check the --raw path."
        raise InputError(raw, "the raw data folder does not exist", hint)
    return raw.resolve()


def _first_error(executed: Path) -> tuple[str, str]:
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    code_no = 0
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        code_no += 1
        for o in c.get("outputs", []):
            if o.get("output_type") == "error":
                return f"code cell {code_no}", f"{o.get('ename')}: {o.get('evalue')}"
    return "an unknown cell", "see the executed notebook"


def _replace(staged: Path, final: Path) -> None:
    """Move ``staged`` to ``final``, replacing what was there only once the new folder is complete."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    staged.rename(final)
    if old.exists():
        shutil.rmtree(old)


def run_pipeline(pipeline_name: str | Path, year: int | None = None, *, raw_dir: str | Path | None = None,
                 lang: str = "da", out_root: Path = ROOT, progress: bool = True, environ=None) -> Path:
    """Run a pipeline's notebook chain for one year and return the path of its index page.

    Parameters
    ----------
    pipeline_name : str or Path
        Pipeline name (``pipelines/<name>.yml``) or YAML path.
    year : int, optional
        Report year (default: the pipeline's ``default_year``).
    raw_dir : path, optional
        Folder with the raw extracts (default: the pipeline's demo data).
    lang : {"da", "en"}
    out_root : Path
        Folder under which ``data/processed``, ``figures`` and ``reports`` are written.
    environ : mapping, optional
        The caller's environment (``os.environ``) for the pseudonymisation key; the notebooks' kernel inherits the
        process environment.
    """
    if lang not in config.LANGS:
        raise config.ConfigError(f"--lang is {lang!r}; use one of {', '.join(config.LANGS)}.")
    pipeline = config.load_pipeline(pipeline_name)
    year = int(year or pipeline.default_year)
    raw = resolve_raw(pipeline, raw_dir)
    validate(pipeline, raw, year, environ)
    is_demo = demo.is_demo(raw)
    out_root = Path(out_root).resolve()
    final = RunPaths.under(out_root, pipeline.id, year, raw)
    staging_root = out_root / ".staging" / f"{pipeline.id}-{year}-{os.getpid()}"
    if staging_root.exists():
        shutil.rmtree(staging_root)
    staged = RunPaths.under(staging_root, pipeline.id, year, raw).make()
    executed_dir = staged.report_dir / "executed"
    executed_dir.mkdir(parents=True)
    handler = logging.FileHandler(staged.report_dir / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("tryghed").addHandler(handler)
    try:
        log.info("run %s %s raw=%s lang=%s demo=%s", pipeline.id, year, raw, lang, is_demo)
        absent = sources.missing_optional(pipeline, raw)
        current = {s.file: sources.sha256(raw / s.file) for sid, s in pipeline.sources.items() if sid not in absent}
        for change in raw_changes(final.processed_dir / MANIFEST, current):
            log.warning("raw file %s changed since the last run of %s %s: sha256 was %s, is now %s",
                        change.file, pipeline.id, year, change.old_sha256, change.new_sha256)
        params = dict(pipeline=str(pipeline.path), year=year, lang=lang, raw_dir=str(raw),
                      processed_dir=str(staged.processed_dir), figures_dir=str(staged.figures_dir),
                      report_dir=str(staged.report_dir))
        bar = tqdm(pipeline.notebooks, desc=f"{pipeline.id} {year}", unit="notebook", disable=not progress)
        for name in bar:
            bar.set_postfix_str(name)
            out_nb = executed_dir / f"{name}.ipynb"
            try:
                pm.execute_notebook(NOTEBOOKS / f"{name}.ipynb", out_nb, parameters=params, kernel_name="python3",
                                    progress_bar=False, cwd=str(NOTEBOOKS),
                                    kernel_manager_class=_encrypted_kernel_manager())
            except pm.PapermillExecutionError as exc:
                failed = out_root / "reports" / pipeline.id / "_failed" / str(year)
                failed.mkdir(parents=True, exist_ok=True)
                saved = failed / out_nb.name
                shutil.copyfile(out_nb, saved)
                cell, _ = _first_error(out_nb)
                log.error("notebook %s failed: %s", name, exc.evalue)
                raise NotebookFailed(name, cell, saved, f"{exc.ename}: {exc.evalue}") from None
            log.info("executed %s", name)
        notebooks = []
        for name in pipeline.notebooks:
            report.render_notebook(executed_dir / f"{name}.ipynb", staged.report_dir / f"{name}.html",
                                   demo=is_demo, lang=lang)
            notebooks.append((name, f"{name}.html"))
        card = pd.read_parquet(staged.processed_dir / "scorecard.parquet")
        changes = pd.read_parquet(staged.processed_dir / "changes.parquet")
        rel = os.path.relpath(final.figures_dir, final.report_dir)
        figs = [f"{rel}/{p.name}" for p in sorted(staged.figures_dir.glob("*.svg"))]
        page = report.index_page(pipeline, year, lang, card, notebooks, figs, demo=is_demo,
                                 notes=report.method_notes(pipeline, changes, lang, disclosure=json.loads(
                                     (staged.processed_dir / "disclosure.json").read_text(encoding="utf-8")))
                                 + data_notes(pipeline, lang, raw, absent))
        (staged.report_dir / "index.html").write_text(page, encoding="utf-8")
        log.info("rendered %d notebooks and the index page", len(notebooks))
    except BaseException:
        shutil.rmtree(staging_root, ignore_errors=True)
        raise
    finally:
        logging.getLogger("tryghed").removeHandler(handler)
        handler.close()
    for s, f in ((staged.processed_dir, final.processed_dir), (staged.figures_dir, final.figures_dir),
                 (staged.report_dir, final.report_dir)):
        _replace(s, f)
    shutil.rmtree(staging_root, ignore_errors=True)
    failed = out_root / "reports" / pipeline.id / "_failed" / str(year)
    if failed.exists():
        shutil.rmtree(failed)
    return final.report_dir / "index.html"
