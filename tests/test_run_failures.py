"""A failing notebook: exit code 1, a message naming notebook, cell and saved notebook; earlier outputs intact."""

import nbformat
import papermill as pm
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tryghed import cli
from tryghed import run as run_mod


def _fake_execute(fail_at):
    def execute(input_path, output_path, **kwargs):
        name = input_path.stem
        cells = [new_code_cell("x = 1"), new_code_cell("1 / 0")]
        if name == fail_at:
            cells[1].outputs = [new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                           traceback=[])]
        nbformat.write(new_notebook(cells=cells), output_path)
        if name == fail_at:
            raise pm.PapermillExecutionError(1, 2, "1 / 0", "ZeroDivisionError", "division by zero", [])
    return execute


def test_failing_notebook_exit_1_and_previous_outputs_kept(monkeypatch, demo_dir, tmp_path, capsys):
    final = tmp_path / "reports" / "sikker-by" / "2016" / "demo-da"
    final.mkdir(parents=True)
    (final / "index.html").write_text("previous run", encoding="utf-8")
    monkeypatch.setattr(run_mod.pm, "execute_notebook", _fake_execute("03_indicators"))
    monkeypatch.setenv("TRYGHED_PRESTART", "0")   # no real kernel is started ahead for the stand-in
    code = cli.main(["run", "sikker-by", "--year", "2016", "--raw", str(demo_dir), "--out", str(tmp_path),
                     "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    saved = tmp_path / "reports" / "sikker-by" / "_failed" / "2016" / "demo-da" / "03_indicators.ipynb"
    assert "notebook 03_indicators failed in code cell 2" in err
    assert str(saved) in err and saved.is_file()
    assert "Traceback" not in err
    assert (final / "index.html").read_text(encoding="utf-8") == "previous run"
    assert not (tmp_path / ".staging").exists() or not any((tmp_path / ".staging").iterdir())
