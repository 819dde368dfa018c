"""The runner starts the next notebook's kernel ahead (:class:`tryghed.run._KernelPrestart`): the kernel has done
the notebook's imports before the notebook starts, the notebook runs in that very kernel with execution counts from
1, and the kernel is gone afterwards."""

from __future__ import annotations

import json
import os
import time

import nbformat
import papermill as pm
import pytest

from tryghed import run as run_mod

PROBE = """import os, time
from pathlib import Path
Path(os.environ["PROBE_OUT"]).write_text(f"{os.getpid()} {time.time()}")
"""


@pytest.mark.slow
def test_prestarted_kernel_has_imported_and_runs_the_notebook(tmp_path, monkeypatch):
    monkeypatch.setattr(run_mod, "NOTEBOOKS", tmp_path)
    probe_out = tmp_path / "imported.txt"
    monkeypatch.setenv("PROBE_OUT", str(probe_out))
    (tmp_path / "warm_probe.py").write_text(PROBE, encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import warm_probe"),
                nbformat.v4.new_code_cell("import os, json\nprint(json.dumps([os.getpid(), os.getcwd()]))")]
    nbformat.write(nb, tmp_path / "probe.ipynb")
    assert run_mod.notebook_imports(tmp_path / "probe.ipynb") == "import warm_probe\nimport os, json"

    prestart = run_mod._KernelPrestart(run_mod._encrypted_kernel_manager())
    prestart.start("probe")
    deadline = time.monotonic() + 60
    while not probe_out.exists() and time.monotonic() < deadline:   # imported before the notebook is executed
        time.sleep(0.1)
    assert probe_out.exists(), "the prestarted kernel did not run the notebook's imports"
    kernel = prestart.take("probe")
    assert set(kernel) == {"km"}
    out = tmp_path / "probe.out.ipynb"
    try:
        pm.execute_notebook(tmp_path / "probe.ipynb", out, kernel_name="python3", progress_bar=False,
                            cwd=str(tmp_path), **kernel)
    finally:
        prestart.stop(kernel)
        prestart.close()
    done = nbformat.read(out, as_version=4)
    code = [c for c in done.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2]
    pid, cwd = json.loads(code[1].outputs[0]["text"])
    assert int(probe_out.read_text().split()[0]) == pid   # the same kernel that imported ahead
    assert os.path.realpath(cwd) == os.path.realpath(tmp_path)
    assert not kernel["km"].has_kernel
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_prestart_off_hands_out_no_kernel(tmp_path, monkeypatch):
    monkeypatch.setattr(run_mod, "NOTEBOOKS", tmp_path)
    prestart = run_mod._KernelPrestart(run_mod._encrypted_kernel_manager(), enabled=False)
    prestart.start("anything")
    assert prestart.take("anything") == {}
