"""Orchestration: validate, run the notebook chain through papermill into a staging folder, render, then move
the finished outputs into place (a failed run leaves the previous outputs untouched).

Each notebook step records a manifest (``steps.json`` in the run's processed folder): the sha256 of the notebook
without outputs, the parameters, every raw file the pipeline reads, the YAML, the package version and a hash of the
package source, hashes of the ``TRYGHED_*`` environment variables (the pseudonymisation key; not the speed settings
of :data:`SPEED_ONLY`), chained with the previous step's key; and the sha256 of every file the step wrote (the
last step to write a file owns it; executed notebooks, which carry timings, are recorded as existing). A step whose
manifest and outputs are unchanged is skipped, so a rerun with nothing changed starts no kernel (and imports neither
pandas nor papermill); changing one notebook reruns it and every step after it. ``force=True`` reruns every step.

:func:`run_sweep` fans several runs (years, pipelines) out over a ``concurrent.futures`` executor: a local process
pool, a Dask ``LocalCluster`` (``dask-local``) or a Dask distributed scheduler (``dask://HOST:PORT``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import ConfigError, InputError, TryghedError
from .paths import NOTEBOOKS, PIPELINES, ROOT, STAGING, RunPaths, source_name

log = logging.getLogger(__name__)

#: Where 01_ingest records the sha256 of every raw file it read, relative to a run's processed folder.
MANIFEST = Path("staged") / "manifest.json"
#: The step manifest of a run, relative to its processed folder.
STEPS = Path("steps.json")
#: Files that are never a step's output: the step manifest itself and the run log (it grows with every run).
_UNTRACKED = {f"processed/{STEPS.as_posix()}", "report/run.log"}
#: Executed notebooks carry timings: the manifest records that they exist, not their bytes.
_EXISTS_ONLY = "report/executed/"
_RENDER = "render"
#: Report languages (``config.LANGS``).
LANGS = ("da", "en")


if TYPE_CHECKING:
    from . import config


def __getattr__(name: str):
    """``run.pm`` is papermill, imported on first use (a warm rerun never needs it)."""
    if name == "pm":
        import papermill

        return papermill
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _encrypted_kernel_manager(stderr_log: Path | None = None, forks=None):
    """A kernel manager that asks for CurveZMQ transport encryption where the kernelspec supports it.

    ipykernel 7 warns on every start when its local TCP sockets are unencrypted; with ``transport_encryption="auto"``
    the traffic between the runner and the notebook kernel is encrypted and the warning goes away. With
    ``stderr_log`` the kernel process's own stderr (its log, and the traceback it prints when Ctrl-C stops the run
    mid-cell) is appended to that file instead of the terminal; cell output reaches the notebook either way.
    With ``forks`` (a :class:`tryghed._forkserver.ForkServer`) each kernel is forked from the run's warm process.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class EncryptedKernelManager(AsyncKernelManager):
        transport_encryption = CaselessStrEnum(["disabled", "auto", "required"], default_value="auto", config=True)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if forks is not None:
                kernel_cmd = forks.kernel_command(kernel_cmd)
            if stderr_log is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            with open(stderr_log, "ab") as err:   # the child keeps its own copy of the descriptor
                kw.setdefault("stderr", err)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return EncryptedKernelManager


def notebook_imports(notebook: Path) -> str:
    """The top-level import lines of a notebook's code cells, in order (what its kernel imports before any work)."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            lines += [line for line in source.splitlines()
                      if line.startswith(("import ", "from ")) and "__future__" not in line]
    return "\n".join(lines)


#: Environment settings that change how fast a run goes, never what it writes: not part of a step's key.
SPEED_ONLY = frozenset({"TRYGHED_PRESTART", "TRYGHED_FIGURE_WORKERS", "TRYGHED_FORK"})

#: How many of the next notebooks' kernels are started while a notebook runs (``TRYGHED_PRESTART=N``; 0: none).
PRESTART_AHEAD = 2

#: Seconds a kernel may take to answer (papermill's ``start_timeout``, 60 by default). A started kernel imports its
#: notebook's modules before it answers; on a machine busy with a sweep and other runs that can pass a minute.
KERNEL_START_TIMEOUT = 300


class _KernelPrestart:
    """Starts the kernels of the next notebooks (:data:`PRESTART_AHEAD`) while the current one runs, so their
    start-up and imports take no wall time on a machine with a core to spare.

    The kernel is an ordinary fresh kernel of the run's kernel manager class, started in the notebooks' folder; it
    imports the notebook's own import lines, and the modules they bind lazily (:func:`tryghed._lazy.load_for`), as
    ``IPKernelApp.exec_lines`` (outside the history: execution counts still start at 1) before it answers, and
    papermill then runs the whole notebook in it as usual. Each notebook still has a kernel of its own.
    ``TRYGHED_PRESTART=N`` starts the next N (default :data:`PRESTART_AHEAD`); ``0`` turns this off (a kernel is
    then started per notebook when its turn comes).
    """

    def __init__(self, manager_class, enabled: bool = True):
        self.manager_class, self.enabled = manager_class, enabled
        self.started: dict[str, object] = {}

    def start(self, name: str) -> None:
        if not self.enabled or name in self.started:
            return
        from jupyter_core.utils import run_sync

        from ._forkserver import EXEC_LINES

        km = self.manager_class(kernel_name="python3")
        imports = notebook_imports(NOTEBOOKS / f"{name}.ipynb")
        if imports:   # and what the imports bound lazily (tryghed._lazy), which the notebook is about to use
            imports += ("\nimport sys as _sys\n_sys.modules.get('tryghed._lazy') and "
                        "_sys.modules['tryghed._lazy'].load_for(globals())\ndel _sys")
        extra = [f"{EXEC_LINES}{imports}"] if imports else []
        try:
            run_sync(km.start_kernel)(extra_arguments=extra, cwd=str(NOTEBOOKS))
        except Exception as exc:  # noqa: BLE001 - papermill starts the kernel itself when its turn comes
            log.debug("could not prestart the kernel of %s: %s", name, exc)
            return
        # papermill's client does not close the channels of a kernel it did not start: keep them to close here
        km._tryghed_clients = clients = []
        make_client = km.client

        def client(**kwargs):
            clients.append(make_client(**kwargs))
            return clients[-1]

        km.client = client
        self.started[name] = km

    def take(self, name: str) -> dict:
        """``execute_notebook`` keyword arguments for ``name``: its started kernel's manager, when it is alive."""
        km = self.started.pop(name, None)
        if km is None:
            return {}
        from jupyter_core.utils import run_sync

        if run_sync(km.is_alive)():
            return {"km": km}
        self._stop(km)
        return {}

    @staticmethod
    def _stop(km) -> None:
        from jupyter_core.utils import run_sync

        for kc in getattr(km, "_tryghed_clients", ()):
            kc.stop_channels()
        try:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        except Exception as exc:  # noqa: BLE001 - a kernel that is already gone needs no shutdown
            log.debug("kernel shutdown: %s", exc)

    def stop(self, kwargs: dict) -> None:
        """Shut down a kernel handed out by :meth:`take` (papermill leaves a kernel it did not start running)."""
        if "km" in kwargs:
            self._stop(kwargs["km"])

    def close(self) -> None:
        for km in self.started.values():
            self._stop(km)
        self.started.clear()


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
    import pandas as pd

    from . import sources
    from .sources.statbank import complete_years

    out = []
    absent = sources.missing_optional(pipeline, raw_dir)
    for sid, source in pipeline.sources.items():
        if sid in absent:
            log.debug("optional source %s (%s) is not in %s", sid, source.file, raw_dir)
            continue
        df = sources.read_source(pipeline, sid, raw_dir, environ)
        if source.format == "assessment":   # a text, not a series: no years to cover
            continue
        if source.format == "statbank":
            years = pd.Series(complete_years(df), dtype="int64")
            if years.empty:
                raise InputError(Path(raw_dir) / source.file, "the table holds no complete year (four quarters, or "
                                 "the first quarter for FOLK1A)", "Extract whole years.")
        else:
            years = df["year"] if "year" in df else df["start"].dt.year
        years = pd.Series(years).dropna()
        if years.empty:
            continue
        out.append(Coverage(sid, int(years.min()), int(years.max())))
    return out


def validate(pipeline: config.Pipeline, raw_dir: Path, year: int | None = None, environ=None) -> list[Coverage]:
    """Check the configuration and every input without running anything; error when ``year`` is not covered.

    ``environ`` (the caller's ``os.environ``) supplies the pseudonymisation key of sources that declare one.
    """
    cov = coverage(pipeline, raw_dir, environ)
    if pipeline.efforts is not None:
        # the effort registers are checked here too, so a bad sheet row exits 2 before any kernel starts
        from .efforts import read_registers

        read_registers(pipeline.efforts, raw_dir)
    if year is not None:
        outside = [c for c in cov if not c.first <= year <= c.last]
        # a source that ended (or is measured every second year, or holds one year of a series) does not block the
        # year: its measures say "not measured this year"; the year must be in at least one required source
        required = [c for c in cov if not pipeline.sources[c.source].optional]
        blocking = [c for c in outside if not pipeline.sources[c.source].optional] if required else \
            (outside if len(outside) == len(cov) else [])
        if blocking and len(blocking) == len(required or cov):
            c = blocking[0]
            together = _common_years(cov)
            hint = f" The sources cover {together} together." if together else ""
            raise InputError(Path(raw_dir) / pipeline.sources[c.source].file,
                             f"year {year} is outside the data of source '{c.source}' ({c.first}–{c.last})",
                             f"Choose a year in {c.first}–{c.last}, or add the {year} extract to the raw folder."
                             + hint)
        for c in outside:
            log.info("source %s covers %d–%d: its measures are not measured in %d", c.source, c.first, c.last,
                     year)
    return cov


def _common_years(cov: list[Coverage]) -> str:
    """The years every source covers, as ``first–last`` (empty when they share none)."""
    if not cov:
        return ""
    first, last = max(c.first for c in cov), min(c.last for c in cov)
    return f"{first}–{last}" if first <= last else ""


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
    from . import i18n

    notes = [i18n.offence_group_note(g, lang) for g in pipeline.offence_groups.values()]
    notes += [g.comparability[lang] for g in pipeline.offence_groups.values() if g.comparability]
    if absent:
        names = [i.name[lang] for i in pipeline.indicators if {i.source, i.options.get("population")} & set(absent)]
        notes.append(i18n.missing_source_note([pipeline.sources[sid].file for sid in absent], names, lang))
    if pipeline.map is not None and not (Path(raw_dir) / pipeline.map.file).is_file():
        notes.append(i18n.map_skipped(pipeline.map.file, lang))
    return notes


def resolve_raw(pipeline: config.Pipeline, raw_dir: str | Path | None) -> Path:
    raw = Path(raw_dir) if raw_dir else Path(pipeline.demo_raw)
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


# --- fingerprints and the step manifest -------------------------------------------------------------------------

def sha256_file(path: Path) -> str:
    """The sha256 (hex) of a file's bytes."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _sha_json(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def notebook_sha(path: Path) -> str:
    """The sha256 of a notebook without outputs, execution counts and execution metadata.

    Re-saving a notebook after running it in JupyterLab does not change it; editing a cell does.
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
        for key in ("execution", "papermill", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(key, None)
    nb.get("metadata", {}).pop("papermill", None)
    return _sha_json(nb)


_PACKAGE_SHA: str | None = None


def package_sha() -> str:
    """A hash over the package source (every file below ``tryghed/`` but byte-code), computed once per process."""
    global _PACKAGE_SHA
    if _PACKAGE_SHA is None:
        pkg = Path(__file__).resolve().parent
        h = hashlib.sha256()
        for p in sorted(pkg.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}:
                h.update(p.relative_to(pkg).as_posix().encode("utf-8") + b"\0" + sha256_file(p).encode() + b"\n")
        _PACKAGE_SHA = h.hexdigest()
    return _PACKAGE_SHA


@dataclass(frozen=True)
class PipelineFacts:
    """What the skip check needs from a pipeline; cached per YAML and package hash so that a warm rerun neither
    parses nor validates the YAML again."""

    id: str
    path: str
    notebooks: tuple[str, ...]
    files: tuple[str, ...]
    default_year: int
    demo_raw: str
    #: the YAML's ``period`` (``half_year``: the StatBank rates are also reported by half-year)
    period: str = "year"

    @classmethod
    def of(cls, pipeline: config.Pipeline, path: Path) -> PipelineFacts:
        files = [s.file for s in pipeline.sources.values()]
        map_spec = getattr(pipeline, "map", None)
        if map_spec is not None and getattr(map_spec, "file", None):
            files.append(map_spec.file)
        return cls(pipeline.id, str(path), tuple(pipeline.notebooks), tuple(sorted(set(map(str, files)))),
                   int(pipeline.default_year), str(pipeline.demo_raw), str(getattr(pipeline, "period", "year")))


def yaml_path(name_or_path: str | Path) -> Path:
    """A pipeline's YAML: a path to a ``.yml``/``.yaml`` file, or the name of one in ``pipelines/``."""
    p = Path(name_or_path)
    return (p if p.suffix in (".yml", ".yaml") else PIPELINES / f"{name_or_path}.yml").resolve()


def _facts_cache(out_root: Path, yaml: Path) -> Path | None:
    if not yaml.is_file():
        return None
    key = _sha_json({"yaml": sha256_file(yaml), "path": str(yaml), "package": package_sha()})
    return out_root / "data" / "processed" / ".pipelines" / f"{key[:32]}.json"


def _cached_facts(cache: Path | None) -> PipelineFacts | None:
    if cache is None or not cache.is_file():
        return None
    try:
        d = json.loads(cache.read_text(encoding="utf-8"))
        return PipelineFacts(d["id"], d["path"], tuple(d["notebooks"]), tuple(d["files"]), int(d["default_year"]),
                             d["demo_raw"], d.get("period", "year"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def raw_fingerprint(facts: PipelineFacts, raw: Path) -> dict[str, str | None]:
    """sha256 of every file the pipeline reads from ``raw`` (its sources and a map file); ``None`` when absent."""
    return {f: (sha256_file(raw / f) if (raw / f).is_file() else None) for f in facts.files}


def step_keys(facts: PipelineFacts, year: int, lang: str, raw: Path) -> list[tuple[str, str, dict]]:
    """Each notebook step with its key and the inputs the key hashes; the previous step's key is one input."""
    common = {
        "parameters": {"pipeline": facts.id, "year": year, "lang": lang, "raw_dir": str(raw)},
        "raw_files": raw_fingerprint(facts, raw),
        "yaml": sha256_file(Path(facts.path)),
        "package": {"version": __version__, "source": package_sha()},
        # the notebooks' kernel inherits the environment: a new pseudonymisation key changes the outputs (the
        # settings of how fast a run goes do not: their outputs are byte-identical)
        "environment": {k: hashlib.sha256(f"tryghed\0{k}\0{v}".encode()).hexdigest()
                        for k, v in sorted(os.environ.items()) if k.startswith("TRYGHED_") and k not in SPEED_ONLY},
    }
    out, previous = [], None
    for name in facts.notebooks:
        inputs = {"notebook": notebook_sha(NOTEBOOKS / f"{name}.ipynb"), **common, "previous": previous}
        previous = _sha_json(inputs)
        out.append((name, previous, inputs))
    return out


def _roots(paths: RunPaths) -> dict[str, Path]:
    return {"processed": paths.processed_dir, "figures": paths.figures_dir, "report": paths.report_dir}


def _stat_snapshot(paths: RunPaths) -> dict[str, tuple[int, int]]:
    """Every output file (``processed/…``, ``figures/…``, ``report/…``) with its (mtime_ns, size)."""
    snap = {}
    for prefix, root in _roots(paths).items():
        if root.is_dir():
            for p in root.rglob("*"):
                if p.is_file():
                    st = p.stat()
                    snap[f"{prefix}/{p.relative_to(root).as_posix()}"] = (st.st_mtime_ns, st.st_size)
    return snap


def _written(paths: RunPaths, before: dict[str, tuple[int, int]]) -> dict[str, str]:
    """The files written since ``before`` with their sha256 (``exists`` for executed notebooks)."""
    after = _stat_snapshot(paths)
    out = {}
    for rel, st in sorted(after.items()):
        if rel in _UNTRACKED or before.get(rel) == st:
            continue
        out[rel] = "exists" if rel.startswith(_EXISTS_ONLY) else sha256_file(_resolve(paths, rel))
    return out


def _resolve(paths: RunPaths, rel: str) -> Path:
    prefix, _, tail = rel.partition("/")
    return _roots(paths)[prefix] / tail


def _outputs_intact(paths: RunPaths, outputs: dict[str, str]) -> bool:
    for rel, sha in outputs.items():
        p = _resolve(paths, rel)
        if not p.is_file() or (sha != "exists" and sha256_file(p) != sha):
            return False
    return True


def _read_steps(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("steps"), list) else None
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Plan:
    """What a run must do: ``first`` is the index of the first notebook to execute (``len(notebooks)`` when only
    the rendering is out of date; ``None`` when nothing is)."""

    keys: list[tuple[str, str, dict]]
    first: int | None
    previous: dict | None
    reason: str
    #: sha256 of the previous year's report record (its "since last year's report" section reads it), or None
    earlier_report: str | None = None
    #: the reporting period (``half_year``: the index page has a half-year section)
    period: str = "year"

    @property
    def render_key(self) -> str:
        return _sha_json({"render": self.keys[-1][1] if self.keys else None, "earlier": self.earlier_report,
                          "period": self.period})


def plan_run(facts: PipelineFacts, year: int, lang: str, raw: Path, final: RunPaths,
             force: bool = False, period: str = "year") -> Plan:
    """Compare each step's key and recorded outputs with the previous run's ``steps.json``."""
    keys = step_keys(facts, year, lang, raw)
    previous = _read_steps(final.processed_dir / STEPS)
    record = final.report_dir.parents[1] / str(year - 1) / final.report_dir.name / "report.json"
    earlier = sha256_file(record) if record.is_file() else None

    def plan(first: int | None, reason: str) -> Plan:
        return Plan(keys, first, previous, reason, earlier, period)

    if force:
        return plan(0, "--force")
    if previous is None:
        return plan(0, "no previous run")
    steps = previous["steps"]
    for i, (name, key, _) in enumerate(keys):
        rec = steps[i] if i < len(steps) and isinstance(steps[i], dict) else {}
        if rec.get("name") != name or rec.get("key") != key:
            return plan(i, f"{name}: its inputs changed")
        if not _outputs_intact(final, rec.get("outputs", {})):
            return plan(i, f"{name}: an output is missing or changed")
    rend = previous.get(_RENDER) or {}
    unchanged = plan(None, "nothing changed")
    if (rend.get("key") != unchanged.render_key or not _outputs_intact(final, rend.get("outputs", {}))
            or not (final.report_dir / "index.html").is_file()):
        return plan(len(keys), "the rendered pages are missing or changed")
    return unchanged


# --- one run ------------------------------------------------------------------------------------------------------

def _copy_into(final: RunPaths, staged: RunPaths) -> None:
    """Start an incremental run from the previous outputs (file times kept, so unchanged files stay unchanged)."""
    for src, dst in ((final.processed_dir, staged.processed_dir), (final.figures_dir, staged.figures_dir),
                     (final.report_dir, staged.report_dir)):
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def run_pipeline(pipeline_name: str | Path, year: int | None = None, *, raw_dir: str | Path | None = None,
                 lang: str = "da", out_root: Path = ROOT, progress: bool = True, environ=None,
                 force: bool = False, staging_dir: Path | None = None, period: str | None = None) -> Path:
    """Run a pipeline's notebook chain for one year and return the path of its index page.

    Steps whose manifest and outputs are unchanged since the previous run into the same folders are skipped (see
    the module docstring); when nothing changed, nothing is validated, executed or rendered.

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
        Folder under which ``data/processed``, ``figures`` and ``reports`` are written (layout:
        :class:`tryghed.paths.RunPaths`).
    progress : bool
        Show a progress bar over the notebooks.
    environ : mapping, optional
        The caller's environment (``os.environ``) for the pseudonymisation key; the notebooks' kernel inherits the
        process environment.
    force : bool
        Rerun every step even when nothing changed.
    staging_dir : Path, optional
        Build the outputs in a new folder inside this one (default: ``<out_root>/.staging``).
    period : {"year", "half_year"}, optional
        The reporting period (default: the YAML's ``period``). ``half_year`` also reports the StatBank rates by
        half-year from the quarterly files (:func:`tryghed.periods.half_year_report`): ``half_years.csv``,
        ``half_year_changes.csv``, ``half_year_trends.csv`` and ``half_years.md`` beside the scorecard.
    """
    if period not in (None, "year", "half_year"):
        raise ConfigError(f"--period is {period!r}; use year or half_year.")
    if lang not in LANGS:
        raise ConfigError(f"--lang is {lang!r}; use one of {', '.join(LANGS)}.")
    out_root = Path(out_root).resolve()
    yaml = yaml_path(pipeline_name)
    cache = _facts_cache(out_root, yaml)
    facts, pipeline = _cached_facts(cache), None
    if facts is None:
        from . import config

        pipeline = config.load_pipeline(pipeline_name)
        facts = PipelineFacts.of(pipeline, yaml)
    year = int(year or facts.default_year)
    raw = resolve_raw(facts, raw_dir)
    final = RunPaths.under(out_root, facts.id, year, raw, lang)
    failed = RunPaths.failed_dir(out_root, facts.id, year, raw, lang)
    period = period or facts.period
    plan = plan_run(facts, year, lang, raw, final, force, period)
    if plan.first is None:
        log.info("%s %s %s: nothing changed since the last run; every step skipped", facts.id, year,
                 final.report_dir.name)
        _write_facts(cache, facts)
        return final.report_dir / "index.html"
    if pipeline is None:
        from . import config

        pipeline = config.load_pipeline(pipeline_name)
    if plan.first == 0:
        validate(pipeline, raw, year, environ)
    else:   # the first step's key holds the raw files, the YAML and the package: those the last run validated
        log.debug("%s %s: the inputs are those the last run validated", pipeline.id, year)
    is_demo = source_name(raw) == "demo"
    parent = Path(staging_dir) if staging_dir else out_root / STAGING
    parent.mkdir(parents=True, exist_ok=True)
    staging_root = Path(tempfile.mkdtemp(prefix=f"{pipeline.id}-{year}-{final.report_dir.name}-", dir=parent))
    staged = RunPaths.under(staging_root, pipeline.id, year, raw, lang)
    if plan.first > 0:
        _copy_into(final, staged)
    staged.make()
    executed_dir = staged.report_dir / "executed"
    executed_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(staged.report_dir / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    package_log = logging.getLogger("tryghed")
    level = package_log.level
    if level == logging.NOTSET:   # no caller set it (a pool or Dask worker, a notebook): run.log keeps every step
        package_log.setLevel(logging.INFO)
    package_log.addHandler(handler)
    try:
        log.info("run %s %s raw=%s lang=%s demo=%s: from step %d (%s)", pipeline.id, year, raw, lang, is_demo,
                 plan.first + 1, plan.reason)
        _warn_raw_changes(pipeline, year, raw, final)
        render_before = _stat_snapshot(staged)
        with _Renderer(staged, executed_dir, is_demo, lang) as renderer:
            steps = _execute(pipeline, facts, year, lang, raw, plan, staged, executed_dir, failed, progress,
                             renderer.submit)
            for name in pipeline.notebooks:   # a notebook skipped this time keeps its page, unless it is missing
                if not (staged.report_dir / f"{name}.html").is_file():
                    renderer.submit(name)
        rendered = _written(staged, render_before)
        rendered = {k: v for k, v in rendered.items() if k.startswith("report/") and k.endswith(".html")}
        kept = ((plan.previous or {}).get(_RENDER) or {}).get("outputs", {})
        drawn = _render(pipeline, year, lang, raw, final, staged, executed_dir, is_demo, period)
        # what the last rendering wrote and this one kept (not what it removed: a period's half-year files)
        render_outputs = {**{k: v for k, v in kept.items() if _resolve(staged, k).is_file()}, **rendered, **drawn}
        manifest = {"format": 1, "pipeline": pipeline.id, "year": year, "lang": lang, "source": source_name(raw),
                    "steps": steps, _RENDER: {"key": plan.render_key, "outputs": render_outputs}}
        (staged.processed_dir / STEPS).write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False)
                                                  + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(staging_root, ignore_errors=True)
        if not staging_dir:
            _remove_if_empty(parent)
        raise
    finally:
        package_log.removeHandler(handler)
        package_log.setLevel(level)
        handler.close()
    for s, f in ((staged.processed_dir, final.processed_dir), (staged.figures_dir, final.figures_dir),
                 (staged.report_dir, final.report_dir)):
        _replace(s, f)
    shutil.rmtree(staging_root, ignore_errors=True)
    if not staging_dir:
        _remove_if_empty(parent)
    if failed.exists():
        shutil.rmtree(failed)
        _remove_if_empty(failed.parent)
        _remove_if_empty(failed.parent.parent)
    from . import report

    report.write_catalogue(out_root / "reports")   # only a finished run updates the catalogue
    _write_facts(cache, facts)
    return final.report_dir / "index.html"


def _half_years(pipeline, year: int, lang: str, staged: RunPaths, period: str, demo: bool = False):
    """With ``period`` half_year: the half-year tables of ``year`` (:class:`tryghed.periods.HalfYears`) from the
    run's cleaned StatBank tables, their files written beside the scorecard. Otherwise None, and the files of an
    earlier half-year run are removed (the page no longer shows them)."""
    from . import periods

    if period != "half_year":
        for name in (*periods.HALF_FILES, "half_years.md"):
            (staged.report_dir / name).unlink(missing_ok=True)
        return None
    half = periods.half_year_report(pipeline, staged.processed_dir / "clean", year)
    written = periods.write_half_year_tables(pipeline, half, staged.report_dir, lang, demo=demo)
    for note in half.dropped:
        log.info("%s half-years: %s", pipeline.id, note)
    log.info("%s %s: %d complete half-years, %d tests of %s against the same half-year a year earlier; written %s",
             pipeline.id, year, half.rates["period"].nunique(), int(half.changes["p_exact"].notna().sum()),
             "/".join(sorted(set(half.changes["period"].dropna()))) or "no half-year",
             ", ".join(p.name for p in written))
    return half


def _write_facts(cache: Path | None, facts: PipelineFacts) -> None:
    """Keep the pipeline's facts for the next skip check (written only beside a successful run's outputs)."""
    if cache is None or cache.is_file():
        return
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(facts.__dict__, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, cache)


class _Renderer:
    """Renders executed notebooks to HTML on a background thread, so a page is drawn while the next notebook runs
    (the kernel is another process; on two cores the rendering costs almost no wall time)."""

    def __init__(self, staged: RunPaths, executed_dir: Path, is_demo: bool, lang: str):
        from concurrent.futures import ThreadPoolExecutor

        self.staged, self.executed_dir, self.is_demo, self.lang = staged, executed_dir, is_demo, lang
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tryghed-render")
        self.futures = []

    def _render(self, name: str) -> None:
        from . import report

        report.render_notebook(self.executed_dir / f"{name}.ipynb", self.staged.report_dir / f"{name}.html",
                               demo=self.is_demo, lang=self.lang)

    def submit(self, name: str) -> None:
        self.futures.append(self.pool.submit(self._render, name))

    def __enter__(self) -> _Renderer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            for f in self.futures:
                f.cancel()
            self.pool.shutdown(wait=True)
            return
        self.pool.shutdown(wait=True)
        for f in self.futures:
            f.result()   # a rendering error surfaces here


def _warn_raw_changes(pipeline, year: int, raw: Path, final: RunPaths) -> None:
    from . import sources

    absent = sources.missing_optional(pipeline, raw)
    current = {s.file: sources.sha256(raw / s.file) for sid, s in pipeline.sources.items() if sid not in absent}
    for change in raw_changes(final.processed_dir / MANIFEST, current):
        log.warning("raw file %s changed since the last run of %s %s: sha256 was %s, is now %s",
                    change.file, pipeline.id, year, change.old_sha256, change.new_sha256)


def _execute(pipeline, facts: PipelineFacts, year, lang, raw, plan: Plan, staged: RunPaths, executed_dir: Path,
             failed: Path, progress: bool, render: Callable[[str], None]) -> list[dict]:
    """Execute the notebooks from ``plan.first`` on, handing each executed notebook to ``render``; return every
    step's manifest entry."""
    previous = plan.previous["steps"] if plan.previous else []
    steps = [dict(previous[i]) for i in range(plan.first)]
    todo = plan.keys[plan.first:]
    if not todo:
        return steps
    import papermill as pm
    from tqdm.auto import tqdm

    # one configuration per run: the notebooks read the snapshot of the YAML that was validated for this run
    snapshot = staged.processed_dir / "pipeline" / Path(facts.path).name
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(facts.path, snapshot)
    params = dict(pipeline=str(snapshot), year=year, lang=lang, raw_dir=str(raw),
                  processed_dir=str(staged.processed_dir), figures_dir=str(staged.figures_dir),
                  report_dir=str(staged.report_dir))
    for name in pipeline.notebooks[:plan.first]:
        log.info("skipped %s: unchanged", name)
    pages = {f"report/{n}.html" for n in pipeline.notebooks}
    forks, kept = _fork_server(staged.report_dir / "run.log")
    manager = _encrypted_kernel_manager(staged.report_dir / "run.log", forks)
    ahead = os.environ.get("TRYGHED_PRESTART", "").strip()
    ahead = int(ahead) if ahead.isdigit() else PRESTART_AHEAD
    prestart = _KernelPrestart(manager, enabled=ahead > 0)
    names = [name for name, _, _ in todo]
    bar = tqdm(todo, desc=f"{pipeline.id} {year} {staged.report_dir.name}", unit="notebook", disable=not progress)
    try:
        for i, (name, key, inputs) in enumerate(bar):
            bar.set_postfix_str(name)
            prestart.start(name)
            kernel = prestart.take(name)
            for later in names[i + 1:i + 1 + ahead]:
                prestart.start(later)
            out_nb = executed_dir / f"{name}.ipynb"
            before = _stat_snapshot(staged)
            try:
                pm.execute_notebook(NOTEBOOKS / f"{name}.ipynb", out_nb, parameters=params, kernel_name="python3",
                                    progress_bar=False, cwd=str(NOTEBOOKS), kernel_manager_class=manager,
                                    start_timeout=KERNEL_START_TIMEOUT, **kernel)
            except pm.PapermillExecutionError as exc:
                failed.mkdir(parents=True, exist_ok=True)
                saved = failed / out_nb.name
                shutil.copyfile(out_nb, saved)
                cell, _ = _first_error(out_nb)
                log.error("notebook %s failed: %s", name, exc.evalue)
                raise NotebookFailed(name, cell, saved, f"{exc.ename}: {exc.evalue}") from None
            finally:
                prestart.stop(kernel)
            # the pages the background thread draws meanwhile belong to the rendering, not to this step
            written = {k: v for k, v in _written(staged, before).items() if k not in pages}
            render(name)
            for earlier in steps:   # the last step to write a file owns it
                earlier["outputs"] = {k: v for k, v in earlier.get("outputs", {}).items() if k not in written}
            steps.append({"name": name, "key": key, "inputs": inputs, "outputs": written})
            log.info("executed %s", name)
    finally:
        prestart.close()
        if forks is not None and not kept:
            forks.close()
    return steps


#: The fork server of a sweep's tasks in this process (a process-pool or ``dask-local`` worker, or a serial sweep's
#: own process, all of which end with the sweep): started by its first run and kept for the next, whose kernels then
#: fork from modules imported already (each notebook still gets a fresh kernel process). It exits with the process
#: (its standard input closes, and it removes its socket); a serial sweep closes it when it ends
#: (:func:`close_sweep_forks`). What the server's own imports print goes to the log of the run that started it.
#: Workers of a cluster of one's own (``dask://``) outlive a sweep: their runs start a server each, as before.
_SWEEP_FORKS: dict = {"server": None}
_SWEEP_LOCK = threading.Lock()
#: Whether this thread runs a sweep task that keeps its fork server (:func:`run_task` ``keep_forks``).
_TASK = threading.local()


def _fork_server(stderr_log: Path):
    """The run's fork server and whether it is kept after the run (a sweep task's): ``(None, False)`` when runs
    start their kernels the ordinary way (``TRYGHED_FORK=0``, not Linux)."""
    from ._forkserver import ForkServer, enabled

    if not enabled():
        return None, False
    if not getattr(_TASK, "keep", False):
        return ForkServer(stderr_log), False
    with _SWEEP_LOCK:
        server = _SWEEP_FORKS["server"]
        if server is not None and server.alive():
            if server.process is None:   # never started (its first run started no kernel): this run's log
                server.stderr_log = stderr_log
            return server.reuse(), True
        _SWEEP_FORKS["server"] = ForkServer(stderr_log)
        return _SWEEP_FORKS["server"], True


def close_sweep_forks() -> None:
    """Close the fork server a sweep's tasks kept in this process, if any."""
    with _SWEEP_LOCK:
        server, _SWEEP_FORKS["server"] = _SWEEP_FORKS["server"], None
    if server is not None:
        server.close()


def _render(pipeline, year, lang, raw, final: RunPaths, staged: RunPaths, executed_dir: Path,
            is_demo: bool, period: str = "year") -> dict[str, str]:
    """Build the self-contained report folder around the notebooks' pages (rendered by :class:`_Renderer`): the
    index page from templates, the figures, the style sheet and ``report.json`` (with ``period`` half_year, the
    half-year tables and their section too); return the files written."""
    from . import report, sources

    before = _stat_snapshot(staged)
    absent = sources.missing_optional(pipeline, raw)
    half = _half_years(pipeline, year, lang, staged, period, is_demo)
    report.build(pipeline, staged, year, lang, demo=is_demo, source=source_name(raw),
                 extra_notes=data_notes(pipeline, lang, raw, absent), executed_dir=executed_dir,
                 render_notebooks=False, reports_root=final.report_dir.parents[2], half_years=half)
    log.info("rendered the index page")
    return _written(staged, before)


# --- sweeps -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """One run of a sweep (the arguments of :func:`run_pipeline`, all picklable)."""

    pipeline: str
    year: int | None
    raw_dir: str | None = None
    lang: str = "da"
    out_root: str = str(ROOT)
    force: bool = False

    def label(self) -> str:
        return f"{self.pipeline} {self.year or 'default year'} {self.lang}"


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one task: the index page, or the error and the exit code it would give (1 notebook, 2
    input)."""

    task: Task
    index: str | None
    seconds: float
    error: str | None = None
    code: int = 0


def run_task(task: Task, staging_dir: str | None = None, cores_shared: bool = False,
             keep_forks: bool = False) -> TaskResult:
    """Run one task in this process (what a pool worker calls); errors come back as values, not exceptions.

    ``cores_shared``: other tasks run beside this one (a pool worker), so its figures are drawn in the notebook's
    own process (``TRYGHED_FIGURE_WORKERS=1``) and its next kernels are not started ahead (``TRYGHED_PRESTART=0``),
    unless the caller's environment sets them: with every core busy running tasks, both only add work (a two-year
    sikker-by sweep on 2 cores used 3-5 CPU-s more with kernels started ahead, and took no less time)."""
    if cores_shared:
        os.environ.setdefault("TRYGHED_FIGURE_WORKERS", "1")
        os.environ.setdefault("TRYGHED_PRESTART", "0")
    start = time.perf_counter()
    before, _TASK.keep = getattr(_TASK, "keep", False), keep_forks   # keep the fork server for the next task
    try:
        index = run_pipeline(task.pipeline, task.year, raw_dir=task.raw_dir, lang=task.lang,
                             out_root=Path(task.out_root), progress=False, environ=os.environ, force=task.force,
                             staging_dir=Path(staging_dir) if staging_dir else None)
    except TryghedError as exc:
        return TaskResult(task, None, time.perf_counter() - start, str(exc), 1 if isinstance(exc, NotebookFailed)
                          else 2)
    finally:
        _TASK.keep = before
    return TaskResult(task, str(index), time.perf_counter() - start)


class _Serial:
    """A ``concurrent.futures``-shaped executor that runs each task when it is submitted (``--workers 1``)."""

    def submit(self, fn, *args, **kwargs):
        from concurrent.futures import Future

        fut = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            fut.set_exception(exc)
        return fut

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops them and removes the sweep's staging folders."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def make_executor(spec: str | None = None, workers: int | None = None) -> Iterator:
    """A ``concurrent.futures`` executor for a sweep.

    ``spec``: ``None`` or ``"process"`` (a local process pool of ``workers`` processes, default: the cores),
    ``"serial"`` (in this process), ``"dask-local"`` (a Dask ``LocalCluster`` of ``workers`` single-threaded worker
    processes) or ``"dask://HOST:PORT"`` (an existing Dask distributed scheduler; its workers need this package and
    the same paths to the raw and output folders).
    """
    workers = workers or default_workers()
    if spec in (None, "", "process"):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_ignore_sigint)
        try:
            yield pool
        except BaseException:
            for p in list(getattr(pool, "_processes", {}).values()):
                p.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    elif spec == "serial":
        yield _Serial()
    elif spec == "dask-local" or spec.startswith(("dask://", "tcp://", "tls://")):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigError(f"--executor {spec} needs Dask distributed: pip install distributed") from exc
        if spec == "dask-local":
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            cluster = None
            client = Client(spec.replace("dask://", "tcp://", 1))
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    else:
        raise ConfigError(f"--executor is {spec!r}; use process, serial, dask-local or dask://HOST:PORT.")


def run_sweep(tasks: Iterable[Task], *, executor: str | None = None, workers: int | None = None,
              on_done: Callable[[int, int, TaskResult], None] | None = None) -> list[TaskResult]:
    """Run every task, each in its own staging folder, over a ``concurrent.futures`` executor.

    Results come back in the tasks' order; ``on_done(finished, total, result)`` is called as each task finishes.
    On an interrupt the workers are stopped and every staging folder of the sweep is removed.
    """
    from concurrent.futures import as_completed

    tasks = list(tasks)
    if not tasks:
        return []
    roots = {Path(t.out_root).resolve() for t in tasks}
    parents = {r: r / STAGING for r in roots}
    sweep_dirs = {}
    for r, parent in parents.items():
        parent.mkdir(parents=True, exist_ok=True)
        sweep_dirs[r] = Path(tempfile.mkdtemp(prefix="sweep-", dir=parent))
    results: list[TaskResult | None] = [None] * len(tasks)
    try:
        if executor == "serial" or (workers == 1 and executor in (None, "", "process")):
            for i, t in enumerate(tasks):   # in order, each reported as it finishes
                results[i] = run_task(t, str(sweep_dirs[Path(t.out_root).resolve()]), keep_forks=True)
                if on_done:
                    on_done(i + 1, len(tasks), results[i])
            return results
        # with fewer tasks than local workers, each task may use the cores left over (its figures on several
        # processes, its next kernels started ahead); on a cluster, and otherwise, its worker's core is its own
        shared = executor not in (None, "", "process") or len(tasks) >= (workers or default_workers())
        keep = executor in (None, "", "process", "dask-local")   # workers that end with the sweep
        with make_executor(executor, workers) as pool:
            futures = {pool.submit(run_task, t, str(sweep_dirs[Path(t.out_root).resolve()]), shared, keep): i
                       for i, t in enumerate(tasks)}
            for n, fut in enumerate(as_completed(futures), start=1):
                i = futures[fut]
                results[i] = fut.result()
                if on_done:
                    on_done(n, len(tasks), results[i])
            # a year's page says what changed since the previous year's report, which a parallel run may have
            # finished after it: settle in year order (steps are skipped; only such pages are drawn again), as a
            # serial run has it, one after another in a worker (its modules are imported already)
            for i in sorted(range(len(tasks)), key=lambda j: (tasks[j].pipeline, tasks[j].year or 0)):
                if results[i] is not None and results[i].error is None:
                    staging = str(sweep_dirs[Path(tasks[i].out_root).resolve()])
                    settled = pool.submit(run_task, dataclasses.replace(tasks[i], force=False), staging,
                                          shared, keep).result()
                    if settled.error is None:
                        results[i] = dataclasses.replace(results[i], index=settled.index)
    finally:
        close_sweep_forks()   # the serial sweep's, run in this process (the workers' end with them)
        for r, d in sweep_dirs.items():
            shutil.rmtree(d, ignore_errors=True)
            _remove_if_empty(parents[r])
    return results
