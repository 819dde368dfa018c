import pytest

from tryghed import demo


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
    from pathlib import Path

    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs the real notebook chain (deselect with -m 'not slow')")
