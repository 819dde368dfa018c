import fcntl
import gc
import hashlib
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

#: Fixtures that run the real notebook chain: their tests are ``slow``.
KERNEL_FIXTURES = {"sikker_by_demo_run", "sikker_by_en_run", "runs", "protected_run", "real_run", "first_run"}

#: The session's shared runs (built once per session, whichever pytest-xdist worker asks first; see _shared_once).
SHARED_RUNS = {"sikker_by_demo_run": "da", "sikker_by_en_run": "en"}   # each with its language

#: Shared runs the collected tests use (filled at collection; a worker waiting for one builds another meanwhile).
_NEEDED: set[str] = set()


def _session_root(tmp_path_factory) -> Path:
    """The folder every pytest-xdist worker of this session shares (the workers' own base folders are inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(path: Path, blocking: bool = True):
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _shared_once(tmp_path_factory, name: str, build, blocking: bool = True):
    """Build ``name`` once in the whole session, across pytest-xdist workers: the first worker to ask builds it into
    ``<session>/shared/<name>`` (``build(folder) -> dict`` of JSON facts), the others wait for it and read it.

    Returns ``(folder, facts)``, or ``None`` when ``blocking`` is false and another worker is building it now.
    A failed build leaves no ``facts.json``: the next asker builds again (and fails the same way, in its own test).
    """
    root = _session_root(tmp_path_factory) / "shared"
    root.mkdir(exist_ok=True)
    folder, facts = root / name, root / name / "facts.json"
    with _locked(root / f"{name}.lock", blocking) as got:
        if not got:
            return None
        if not facts.is_file():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            done = build(folder)
            facts.write_text(json.dumps(done), encoding="utf-8")
        return folder, json.loads(facts.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """The seeded demo data set, written once per session (shared by the pytest-xdist workers); read it, never write.
    A test that changes files copies it first."""
    from tryghed import demo  # imported here: the pytest-xdist controller (it runs no test) then never imports pandas

    folder, _ = _shared_once(tmp_path_factory, "demo", lambda d: (demo.write_demo(d / "demo"), {})[1])
    return folder / "demo"


@pytest.fixture(scope="session")
def sikker_by_demo_steps(demo_dir, tmp_path_factory):
    """Steps 01-03 of sikker-by on the demo, in-process (``sources.ingest``, ``clean.clean_all``,
    ``indicators.compute_all``), done once per session like ``demo_dir`` (test_ishoej.py and
    test_disclosure_pipeline.py both need them); read them, never write.

    Returns ``staged`` and ``clean`` (the step folders) and ``table()``: the indicator table, a new copy at each call
    (kept as a pickle, which gives the frame back exactly).
    """
    import pandas as pd

    def build(folder: Path) -> dict:
        from tryghed import clean, config, indicators, sources

        pipeline = config.load_pipeline("sikker-by")
        sources.ingest(pipeline, demo_dir, folder / "staged")
        clean.clean_all(pipeline, folder / "staged", folder / "clean")
        indicators.compute_all(pipeline, folder / "clean").to_pickle(folder / "table.pkl")
        return {}

    folder, _ = _shared_once(tmp_path_factory, "sikker_by_demo_steps", build)
    return SimpleNamespace(staged=folder / "staged", clean=folder / "clean",
                           table=lambda: pd.read_pickle(folder / "table.pkl"))


@pytest.fixture(scope="session")
def norrebro_demo(tmp_path_factory):
    """The Nørrebro demo data set at its own seed (``tryghed.demo_norrebro.SEED``; ``demo_dir``'s norrebro folder is
    written with the main demo's seed), written once per session like ``demo_dir``; read it, never write (a test
    that changes files copies it first)."""
    from tryghed import demo_norrebro

    folder, _ = _shared_once(tmp_path_factory, "norrebro_demo",
                             lambda d: (demo_norrebro.write_norrebro_demo(d / "norrebro"), {})[1])
    return folder / "norrebro"


@pytest.fixture(scope="session")
def shared_data():
    """The shared real-data folder ``../shared/data`` next to the project (present in CI; may be absent locally).

    ``TRYGHED_SHARED_DATA`` names another copy (e.g. from a git worktree). A test that needs a file from it must fail
    when ``CI == "true"`` and skip otherwise, naming the missing file (``realdata.need``).
    """
    return Path(os.environ.get("TRYGHED_SHARED_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data")


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _sikker_by_builder(raw: Path, lang: str):
    """The Danish run is run here, serially (``run_pipeline``); the English one is a one-task sweep on a Dask
    LocalCluster (``run_sweep(executor="dask-local")``), so that the sweep test compares the process pool with both a
    serial run and a Dask run without a run of its own for Dask."""
    def build(folder: Path) -> dict:
        from tryghed.run import Task, run_pipeline, run_sweep

        raw_before = _snapshot(raw)
        if lang == "da":
            index = run_pipeline("sikker-by", 2017, raw_dir=raw, lang=lang, out_root=folder / "out", progress=False)
        else:
            # its Dask worker starts every kernel the ordinary way (TRYGHED_FORK=0, inherited when the cluster
            # starts it), so the sweep test compares it with forked kernels' files
            before = os.environ.get("TRYGHED_FORK")
            os.environ["TRYGHED_FORK"] = "0"
            try:
                (done,) = run_sweep([Task("sikker-by", 2017, str(raw), lang, str(folder / "out"))],
                                    executor="dask-local", workers=1)
            finally:
                if before is None:
                    del os.environ["TRYGHED_FORK"]
                else:
                    os.environ["TRYGHED_FORK"] = before
            if done.error is not None:
                raise RuntimeError(f"the English run on a Dask LocalCluster failed: {done.error}")
            index = done.index
        return {"index": str(index), "raw_before": raw_before}
    return build


def _sikker_by_run(name: str, tmp_path_factory, raw: Path) -> SimpleNamespace:
    """The shared run ``name``; while another worker builds it, build the other shared runs this session needs."""
    lang = SHARED_RUNS
    got = _shared_once(tmp_path_factory, name, _sikker_by_builder(raw, lang[name]), blocking=False)
    if got is None:
        for other in sorted(_NEEDED - {name}):
            _shared_once(tmp_path_factory, other, _sikker_by_builder(raw, lang[other]), blocking=False)
        got = _shared_once(tmp_path_factory, name, _sikker_by_builder(raw, lang[name]))
    folder, facts = got
    return SimpleNamespace(raw=raw, out=folder / "out", index=Path(facts["index"]), code=0,
                           raw_before=facts["raw_before"])


@pytest.fixture(scope="session")
def sikker_by_demo_run(demo_dir, tmp_path_factory):
    """The sikker-by chain run once in the session (demo data, 2017, Danish), shared by the end-to-end tests on every
    pytest-xdist worker; read it, never write (copy it first).

    Returns ``raw`` (the demo folder), ``out`` (the output root), ``index`` (the index page), ``code`` (0) and
    ``raw_before`` (every raw file's sha256 before the run).
    """
    return _sikker_by_run("sikker_by_demo_run", tmp_path_factory, demo_dir)


@pytest.fixture(scope="session")
def sikker_by_en_run(demo_dir, tmp_path_factory):
    """The same chain in English (demo data, 2017), shared like :func:`sikker_by_demo_run`; read it, never write. It
    is run as a one-task sweep on a Dask LocalCluster whose kernels are started the ordinary way, not forked
    (test_runner.py compares it with the process pool's run, whose kernels are forked)."""
    run = _sikker_by_run("sikker_by_en_run", tmp_path_factory, demo_dir)
    return SimpleNamespace(raw=run.raw, out=run.out, index=run.index, code=0)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs the real notebook chain (deselect with -m 'not slow')")


def pytest_collection_modifyitems(config, items):
    """Mark every test that starts a notebook kernel (a run fixture, or an nbval cell) ``slow``; note which shared
    runs the session needs."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if Path(str(item.fspath)).suffix == ".ipynb" or used & KERNEL_FIXTURES:
            item.add_marker(pytest.mark.slow)
        _NEEDED.update(used & set(SHARED_RUNS))
    _order_heavy_first(items)


def pytest_collection_finish(session):
    """Move what collection left in memory (every module the tests import, some 200,000 objects) out of the cyclic
    garbage collector's reach (``gc.freeze``): its full collections during the tests then no longer walk them
    (measured on 10 modules in one process: GC 1.4-1.6 -> 0.5 s, user CPU 2.6-5 s less of 41-46 s). Nothing else
    changes: reference counting frees them as before; only a reference cycle among objects made before the first
    test would stay in memory."""
    gc.freeze()


# ---------------------------------------------------------------------------------------------- pytest-xdist
#: Notebooks nbval runs as one chain on one worker, in order (a later one reads the scratch tables of an earlier one;
#: each chain writes its own scratch folder, build/notebooks/<pipeline>/<year>). 09_partnership (norrebro) runs
#: steps 01-04 itself (upstream.ensure) and goes alone.
NOTEBOOK_CHAINS = {"0": "notebooks:sikker-by", "i": "notebooks:sikker-by-indsatser"}
NOTEBOOK_ALONE = {"09_partnership.ipynb"}

#: Seconds a module takes on one worker of a 2-core machine (``--durations``, 2026-11-30), for the modules that start
#: kernels or read the real files: the scheduler starts the longest first, so no worker is left with one at the end.
#: A module not listed counts 0.2 s a test; an nbval cell 3 s.
COST = {"test_runner.py": 300, "test_kommuner.py": 120, "test_ishoej.py": 110, "test_pipeline_e2e.py": 100,
        "test_effects_norrebro.py": 80, "test_protection_e2e.py": 80, "test_browser.py": 60, "test_halfyear.py": 45,
        "test_bad_inputs.py": 45, "test_disclosure.py": 40, "test_disclosure_rounding.py": 40,
        "test_long_pipeline.py": 35, "test_nothing_lost.py": 30, "test_disclosure_pipeline.py": 30}


def _scope_of(nodeid: str) -> str:
    """The scheduling unit of a test: its module, or its notebook chain."""
    module = nodeid.split("::", 1)[0]
    name = Path(module).name
    if name.endswith(".ipynb") and name not in NOTEBOOK_ALONE:
        return NOTEBOOK_CHAINS.get(name[0], module)
    return module


def _order_heavy_first(items) -> None:
    """Reorder the items, whole scheduling units at a time (their own order kept), longest unit first."""
    units: dict[str, list] = {}
    for item in items:
        units.setdefault(_scope_of(item.nodeid), []).append(item)

    def cost(scope):
        name = Path(scope.split("::")[0]).name
        if scope.startswith("notebooks:") or name.endswith(".ipynb"):
            return 3.0 * len(units[scope])
        return COST.get(name, 0.2 * len(units[scope]))

    items[:] = [i for scope in sorted(units, key=cost, reverse=True) for i in units[scope]]


def _plain_n(config) -> bool:
    """``-n N`` with no ``--dist`` (pytest-xdist's default, ``load``, spreads one module's tests over the workers, so
    each worker builds the module's fixtures again: ``make test-fast`` ran the real-data ingests twice). An explicit
    ``--dist load`` (on the command line or in PYTEST_ADDOPTS) keeps pytest-xdist's own scheduling."""
    args = [*config.invocation_params.args, *os.environ.get("PYTEST_ADDOPTS", "").split()]
    return config.getvalue("dist") == "load" and not any(a == "-d" or a.startswith("--dist") for a in args)


def pytest_xdist_make_scheduler(config, log):
    """Schedule whole modules on a worker (a module's fixtures are built once) and each nbval notebook chain on one
    worker in order, the longest units first (items ordered in :func:`pytest_collection_modifyitems`, kept so by
    turning off pytest-xdist's reordering by number of tests). The session's shared runs are built once across the
    workers (:func:`_shared_once`), so their readers need no common worker.

    pytest-xdist's ``--dist loadgroup`` would group from ``xdist_group`` marks, but with pytest 9.2 its grouping
    silently does nothing (it renames node ids, which pytest 9.2 no longer allows: pytest-dev/pytest-xdist#1386);
    this scheduler needs only the node ids. It applies to ``--dist loadscope``, ``--dist loadgroup`` and a plain ``-n``
    (:func:`_plain_n`).
    """
    if config.getvalue("dist") not in ("loadscope", "loadgroup") and not _plain_n(config):
        return None
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope_of(nodeid)

    return UnitScheduling(config, log)
