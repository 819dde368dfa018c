"""environment.yml, requirements.lock and pyproject.toml agree."""

import re
import tomllib

import yaml

from tryghed.paths import ROOT


def _lock():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_environment_installs_the_lock_and_the_package():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-r requirements.lock" in pip
    assert "-e ." in pip


def test_lock_pins_every_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = _lock()
    for req in declared:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ]", req)[0]).lower()
        assert name in pins, f"{name} is declared in pyproject.toml but not pinned in requirements.lock"
