"""Nothing lost: a failed run leaves the previous outputs byte-identical, no run writes into the raw folder, and a
raw file that changed since the previous run of the same pipeline and year is reported with both sha256s.

The module reads a copy of the session's shared sikker-by run (conftest.py: one real run in the whole session); every
later run either fails before the notebooks or replays that run's executed notebooks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import nbformat
import papermill as pm
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tryghed import cli, config, demo, sources
from tryghed import run as run_mod

PIPELINE, YEAR = "sikker-by", 2017


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (relative path) with its sha256."""
    return {p.relative_to(folder).as_posix(): _sha(p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


def _year_dirs(out: Path) -> dict[str, Path]:
    return {"reports": out / "reports" / PIPELINE / str(YEAR) / "demo-da",
            "figures": out / "figures" / PIPELINE / str(YEAR) / "demo-da",
            "processed": out / "data" / "processed" / PIPELINE / str(YEAR) / "demo-da"}


def _outputs(out: Path) -> dict[str, dict[str, str]]:
    return {k: _snapshot(d) for k, d in _year_dirs(out).items()}


def _run(raw: Path, out: Path, *extra: str) -> int:
    return cli.main(["run", PIPELINE, "--year", str(YEAR), "--raw", str(raw), "--out", str(out), "--quiet", *extra])


@pytest.fixture(scope="module")
def first_run(sikker_by_demo_run, tmp_path_factory):
    """One real, successful run on the demo data (a copy of the session's shared run, conftest.py, so the failed
    runs below leave it alone), with snapshots taken before and after."""
    shared = sikker_by_demo_run
    out = tmp_path_factory.mktemp("nothing_lost") / "out"
    shutil.copytree(shared.out, out)
    return SimpleNamespace(raw=shared.raw, out=out, code=shared.code, raw_before=shared.raw_before,
                           outputs=_outputs(out))


def test_first_run_succeeds_and_writes_nothing_into_the_raw_folder(first_run):
    assert first_run.code == 0
    assert (_year_dirs(first_run.out)["reports"] / "index.html").is_file()
    assert all(first_run.outputs.values())
    assert _snapshot(first_run.raw) == first_run.raw_before


def test_first_run_reports_no_raw_change(first_run):
    log_text = (_year_dirs(first_run.out)["reports"] / "run.log").read_text(encoding="utf-8")
    assert "changed since the last run" not in log_text


def test_bad_input_leaves_earlier_outputs_byte_identical(first_run, tmp_path, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(first_run.raw, raw)
    survey = raw / demo.FILES["survey"]
    lines = survey.read_text(encoding="utf-8").splitlines()
    survey.write_text("\n".join(lines[: len(lines) // 2]) + "\n" + lines[len(lines) // 2][:12], encoding="utf-8")
    assert _run(raw, first_run.out) == 2
    err = capsys.readouterr().err
    assert err.startswith("tryghed: error: ") and len(err.splitlines()) == 1
    assert _outputs(first_run.out) == first_run.outputs
    staging = first_run.out / ".staging"
    assert not staging.exists() or not any(staging.iterdir())


def _fail_at(notebook: str):
    def execute(input_path, output_path, **kwargs):
        cell = new_code_cell("1 / 0")
        failing = Path(input_path).stem == notebook
        if failing:
            cell.outputs = [new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]
        nbformat.write(new_notebook(cells=[cell]), output_path)
        if failing:
            raise pm.PapermillExecutionError(1, 1, "1 / 0", "ZeroDivisionError", "division by zero", [])
    return execute


def test_failing_notebook_leaves_earlier_outputs_byte_identical(first_run, monkeypatch, capsys):
    monkeypatch.setattr(run_mod.pm, "execute_notebook", _fail_at("04_change_tests"))
    monkeypatch.setenv("TRYGHED_PRESTART", "0")   # no real kernel is started ahead for the stand-in
    assert _run(first_run.raw, first_run.out, "--force") == 1   # nothing changed: only --force runs the notebooks
    assert "04_change_tests" in capsys.readouterr().err
    assert _outputs(first_run.out) == first_run.outputs
    assert _snapshot(first_run.raw) == first_run.raw_before


def test_raw_changes_compares_with_the_previous_manifest(tmp_path, caplog):
    old, new, same = _sha(b"old"), _sha(b"new"), _sha(b"same")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"pipeline": PIPELINE, "raw_files": {"a.csv": old, "b.csv": same}}),
                        encoding="utf-8")
    current = {"a.csv": new, "b.csv": same, "c.csv": new}
    assert run_mod.raw_changes(manifest, current) == [run_mod.RawChange("a.csv", old, new)]
    assert run_mod.raw_changes(manifest, {"a.csv": old, "b.csv": same}) == []
    assert run_mod.raw_changes(tmp_path / "none.json", current) == []
    manifest.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="tryghed"):
        assert run_mod.raw_changes(manifest, current) == []
    assert str(manifest) in caplog.text


def _replay(first_out: Path):
    """An executor that replays the first run's executed notebooks; 01_ingest really ingests the raw folder."""
    done = _year_dirs(first_out)

    def execute(input_path, output_path, parameters, **kwargs):
        name = Path(input_path).stem
        shutil.copyfile(done["reports"] / "executed" / f"{name}.ipynb", output_path)
        if name == "01_ingest":
            shutil.copytree(done["processed"], parameters["processed_dir"], dirs_exist_ok=True)
            shutil.copytree(done["figures"], parameters["figures_dir"], dirs_exist_ok=True)
            sources.ingest(config.load_pipeline(parameters["pipeline"]), Path(parameters["raw_dir"]),
                           Path(parameters["processed_dir"]) / "staged")
    return execute


@contextmanager
def _cli_logging():
    """Let the command configure logging as it does outside pytest: its own handler on stderr."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    for h in saved:
        root.removeHandler(h)
    try:
        yield
    finally:
        for h in root.handlers[:]:
            root.removeHandler(h)
        for h in saved:
            root.addHandler(h)
        root.setLevel(level)


def test_changed_raw_file_is_reported_on_stderr_and_in_the_run_log(first_run, tmp_path, monkeypatch, capsys):
    out, raw = tmp_path / "out", tmp_path / "raw"
    shutil.copytree(first_run.out, out)
    shutil.copytree(first_run.raw, raw)
    changed = raw / demo.FILES["youth_charged"]
    before = changed.read_bytes()
    lines = before.decode("utf-8").splitlines()
    year, area, count = lines[5].split(";")
    lines[5] = f"{year};{area};{int(count) + 1}"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    old, new = _sha(before), _sha(changed.read_bytes())
    monkeypatch.setattr(run_mod.pm, "execute_notebook", _replay(first_run.out))
    monkeypatch.setenv("TRYGHED_PRESTART", "0")   # no real kernel is started ahead for the stand-in

    with _cli_logging():
        assert _run(raw, out) == 0

    others = {_sha((raw / name).read_bytes()) for name in demo.FILES.values() if name != changed.name}
    err = capsys.readouterr().err.splitlines()
    run_log = (_year_dirs(out)["reports"] / "run.log").read_text(encoding="utf-8").splitlines()
    for lines in (err, run_log):
        reported = [line for line in lines if old in line or new in line]
        assert len(reported) == 1
        assert changed.name in reported[0] and reported[0].index(old) < reported[0].index(new)
        assert not any(sha in line for sha in others for line in lines)
    manifest = json.loads((_year_dirs(out)["processed"] / run_mod.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["raw_files"][changed.name] == new
