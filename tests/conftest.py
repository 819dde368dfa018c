import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from tryghed import demo

#: Fixtures that run the real notebook chain: their tests are ``slow`` and stay on one pytest-xdist worker per group,
#: so each such fixture runs once (``make test`` uses ``-n auto --dist loadgroup``).
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

    A test that needs a file from it must fail when ``CI == "true"`` and skip otherwise, naming the missing file.
    """
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
    config.addinivalue_line("markers", "xdist_group(name): run on the same pytest-xdist worker as its group")


def pytest_collection_modifyitems(config, items):
    """Mark every test that starts a notebook kernel ``slow`` and group it for pytest-xdist: each notebook's nbval
    cells together, every user of the shared run together, and each module with its own run fixture together."""
    for item in items:
        path = Path(str(item.fspath))
        used = set(getattr(item, "fixturenames", ()))
        if path.suffix == ".ipynb":
            group = f"nbval-{path.stem}"
        elif used & {"sikker_by_demo_run", "sikker_by_en_run"}:
            group = SHARED_RUN_GROUP
        elif used & KERNEL_FIXTURES or item.get_closest_marker("slow"):
            group = path.stem
        else:
            continue
        item.add_marker(pytest.mark.slow)
        item.add_marker(pytest.mark.xdist_group(group))
