import pytest

from tryghed import demo


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """A fresh copy of the seeded demo data set."""
    d = tmp_path_factory.mktemp("demo")
    demo.write_demo(d)
    return d
