import hashlib
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from tryghed import demo

#: Fixtures that run the real notebook chain: their tests are ``slow``; each module runs on one pytest-xdist worker
#: (``make test`` uses ``-n auto --dist loadscope`` with :func:`pytest_xdist_make_scheduler`), so each runs once.
KERNEL_FIXTURES = {"sikker_by_demo_run", "sikker_by_en_run", "runs", "protected_run", "real_run", "first_run"}
SHARED_RUN_GROUP = "sikker-by-demo-run"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """A fresh copy of the seeded demo data set."""
    d = tmp_path_factory.mktemp("demo")
    demo.write_demo(d)
    return d


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


@pytest.fixture(scope="session")
def sikker_by_demo_run(demo_dir, tmp_path_factory):
    """The sikker-by chain run once (demo data, 2017, Danish), shared by the end-to-end tests; read it, never write.

    Returns ``raw`` (the demo folder), ``out`` (the output root), ``index`` (the index page), ``code`` (0) and
    ``raw_before`` (every raw file's sha256 before the run).
    """
    from tryghed.run import run_pipeline

    out = tmp_path_factory.mktemp("sikker_by_demo_run")
    raw_before = _snapshot(demo_dir)
    index = run_pipeline("sikker-by", 2017, raw_dir=demo_dir, lang="da", out_root=out, progress=False)
    return SimpleNamespace(raw=demo_dir, out=out, index=index, code=0, raw_before=raw_before)


@pytest.fixture(scope="session")
def sikker_by_en_run(demo_dir, tmp_path_factory):
    """The same chain in English (demo data, 2017), shared like :func:`sikker_by_demo_run`; read it, never write."""
    from tryghed.run import run_pipeline

    out = tmp_path_factory.mktemp("sikker_by_en_run")
    index = run_pipeline("sikker-by", 2017, raw_dir=demo_dir, lang="en", out_root=out, progress=False)
    return SimpleNamespace(raw=demo_dir, out=out, index=index, code=0)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs the real notebook chain (deselect with -m 'not slow')")


def pytest_collection_modifyitems(config, items):
    """Mark every test that starts a notebook kernel (a run fixture, or an nbval cell) ``slow``."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if Path(str(item.fspath)).suffix == ".ipynb" or used & KERNEL_FIXTURES:
            item.add_marker(pytest.mark.slow)


#: The test modules that read the session's shared runs (found by name, so a new user is counted by itself).
SHARED_RUN_MODULES = frozenset(
    p.name for p in Path(__file__).parent.glob("test_*.py")
    if any(f in p.read_text(encoding="utf-8") for f in ("sikker_by_demo_run", "sikker_by_en_run")))


def pytest_xdist_make_scheduler(config, log):
    """Schedule whole modules on a worker (each module's run fixture is built once), and every module that reads
    the session's shared runs on the same worker (those runs are built once in the whole session).

    pytest-xdist's ``--dist loadgroup`` would do this from ``xdist_group`` marks, but with pytest 9.2 its grouping
    silently does nothing (it renames node ids, which pytest 9.2 no longer allows: pytest-dev/pytest-xdist#1386);
    this scheduler needs only the node ids. It applies to ``--dist loadscope`` and ``--dist loadgroup``.
    """
    if config.getvalue("dist") not in ("loadscope", "loadgroup"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedRunScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return SHARED_RUN_GROUP if Path(module).name in SHARED_RUN_MODULES else module

    return SharedRunScheduling(config, log)
