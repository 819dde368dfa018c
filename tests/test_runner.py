"""The runner: step manifests (a warm rerun starts no kernel; an edited notebook reruns from itself), output paths
per source and language, sweeps, and the command line (--debug after the subcommand, --version, help, Ctrl-C).

The fast tests replace papermill and the rendering with stand-ins that write one file per step; the slow tests run
the real chain for 2017 in Danish and English on a process pool and compare the outputs byte for byte with the
session's two shared runs (conftest.py: the Danish one serial, the English one on a Dask LocalCluster), and rerun the
last step of a copy of the Danish run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from tryghed import __version__, cli, config, paths
from tryghed import run as run_mod
from tryghed.paths import RunPaths

PIPELINE, YEAR = "sikker-by", 2016


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def fake_chain(monkeypatch, tmp_path):
    """A copy of the notebooks, a papermill stand-in that records which notebooks it ran and writes one table per
    step (its content: the step and the text of the notebook's code), and rendering stand-ins."""
    nbs = tmp_path / "notebooks"
    shutil.copytree(paths.NOTEBOOKS, nbs)
    monkeypatch.setattr(run_mod, "NOTEBOOKS", nbs)
    monkeypatch.setenv("TRYGHED_PRESTART", "0")   # no real kernel is started ahead for the stand-in
    calls: list[str] = []

    def execute(input_path, output_path, parameters, **kwargs):
        name = Path(input_path).stem
        calls.append(name)
        nb = nbformat.read(input_path, as_version=4)
        code = "".join(c.source for c in nb.cells if c.cell_type == "code")
        (Path(parameters["processed_dir"]) / f"{name}.txt").write_text(f"{name}\n{code}", encoding="utf-8")
        nbformat.write(nb, output_path)

    def render(pipeline, year, lang, raw, final, staged, executed_dir, is_demo, period="year"):
        before = run_mod._stat_snapshot(staged)
        (staged.report_dir / "index.html").write_text(f"{pipeline.id} {year} {lang}", encoding="utf-8")
        return run_mod._written(staged, before)

    def page(self, name):
        (self.staged.report_dir / f"{name}.html").write_text(name, encoding="utf-8")

    monkeypatch.setattr(run_mod.pm, "execute_notebook", execute)
    monkeypatch.setattr(run_mod, "_render", render)
    monkeypatch.setattr(run_mod._Renderer, "_render", page)
    return nbs, calls


def _no_kernel(*args, **kwargs):
    raise AssertionError("a kernel was started")


def _edit_code(path: Path) -> Path:
    """Append a comment to the first code cell of the notebook at ``path`` that is not its parameters cell."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    cell.source += "\n# edited"
    nbformat.write(nb, path)
    return path


def _chain() -> list[str]:
    return list(config.load_pipeline(PIPELINE).notebooks)


def test_warm_rerun_starts_no_kernel_and_an_edited_notebook_reruns_from_itself(fake_chain, demo_dir, tmp_path,
                                                                                   monkeypatch):
    nbs, calls = fake_chain
    out = tmp_path / "out"
    chain = _chain()
    assert len(chain) == 6

    index = run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=demo_dir, out_root=out, progress=False)
    assert index == out / "reports" / PIPELINE / str(YEAR) / "demo-da" / "index.html"
    assert calls == chain
    final = RunPaths.under(out, PIPELINE, YEAR, demo_dir, "da")
    first = {p.name: _sha(p) for p in final.processed_dir.glob("0*.txt")}
    assert sorted(first) == [f"{n}.txt" for n in chain]

    # nothing changed: no kernel, the same index page
    calls.clear()
    with monkeypatch.context() as mp:
        mp.setattr(run_mod.pm, "execute_notebook", _no_kernel)
        assert run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=demo_dir, out_root=out, progress=False) == index

    # an edited notebook (a code cell's text) reruns it and every step after it; only their pages are redrawn
    pages = {n: (final.report_dir / f"{n}.html").stat().st_mtime_ns for n in chain}
    edited = _edit_code(nbs / f"{chain[3]}.ipynb")
    run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=demo_dir, out_root=out, progress=False)
    assert calls == chain[3:]
    now = {p.name: _sha(p) for p in final.processed_dir.glob("0*.txt")}
    assert [n for n in sorted(now) if now[n] != first[n]] == [f"{chain[3]}.txt"]
    assert [n for n in chain if (final.report_dir / f"{n}.html").stat().st_mtime_ns != pages[n]] == chain[3:]

    # saving outputs into a notebook (as JupyterLab does) is not an edit
    calls.clear()
    nb = nbformat.read(edited, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    cell.execution_count = 7
    nbformat.write(nb, edited)
    run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=demo_dir, out_root=out, progress=False)
    assert calls == []

    # an output that was changed by hand reruns the step that wrote it and what follows
    (final.processed_dir / f"{chain[1]}.txt").write_text("tampered", encoding="utf-8")
    run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=demo_dir, out_root=out, progress=False)
    assert calls == chain[1:]
    assert (final.processed_dir / f"{chain[1]}.txt").read_text(encoding="utf-8").startswith(chain[1])

    # --force reruns everything
    calls.clear()
    assert cli.main(["run", PIPELINE, "--year", str(YEAR), "--raw", str(demo_dir), "--out", str(out), "--quiet",
                     "--force"]) == 0
    assert calls == chain
    assert not (out / paths.STAGING).exists()


def test_changed_raw_file_reruns_every_step(fake_chain, demo_dir, tmp_path):
    nbs, calls = fake_chain
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(demo_dir, raw)
    run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=raw, out_root=out, progress=False)
    calls.clear()
    survey = raw / "tryghedsundersoegelse_2010-2017.csv"
    survey.write_bytes(survey.read_bytes().replace(b"\n", b"\r\n", 1))
    run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=raw, out_root=out, progress=False)
    assert calls == _chain()


def test_a_run_that_skips_the_first_step_does_not_validate_again(fake_chain, demo_dir, tmp_path, monkeypatch):
    """The inputs are read and checked again only when the first step reruns: its key holds the sha256 of every raw
    file, the YAML and the package. A new previous-year report (a sweep settles each year after the year before it,
    run_sweep) redraws the pages only, and an edited later notebook reruns from itself, neither reading the inputs
    again; a changed raw file is read and checked again."""
    nbs, calls = fake_chain
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(demo_dir, raw)
    validated = []
    real_validate = run_mod.validate
    monkeypatch.setattr(run_mod, "validate", lambda *a, **k: validated.append(a[2]) or real_validate(*a, **k))
    index = run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=raw, out_root=out, progress=False)
    assert (calls, validated) == (_chain(), [YEAR])
    record = index.parents[2] / str(YEAR - 1) / index.parent.name / "report.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"year": YEAR - 1}), encoding="utf-8")
    calls.clear()
    before = index.stat().st_mtime_ns
    assert run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=raw, out_root=out, progress=False) == index
    assert (calls, validated) == ([], [YEAR])
    assert index.stat().st_mtime_ns != before
    _edit_code(nbs / f"{_chain()[3]}.ipynb")
    run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=raw, out_root=out, progress=False)
    assert (calls, validated) == (_chain()[3:], [YEAR])
    calls.clear()
    survey = raw / "tryghedsundersoegelse_2010-2017.csv"
    survey.write_bytes(survey.read_bytes().replace(b"\n", b"\r\n", 1))
    run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=raw, out_root=out, progress=False)
    assert (calls, validated) == (_chain(), [YEAR, YEAR])


def test_a_pool_worker_draws_in_its_own_process_and_starts_no_kernel_ahead(tmp_path, monkeypatch):
    """Beside other tasks (a pool or Dask worker) a run neither starts kernels ahead nor draws on more processes, as
    the serial baseline of the sweep's target has it; the caller's own setting wins."""
    names = ("TRYGHED_PRESTART", "TRYGHED_FIGURE_WORKERS")
    for k in names:
        monkeypatch.setenv(k, "")
        monkeypatch.delenv(k)   # restored (absent again) after the test
    seen = []
    monkeypatch.setattr(run_mod, "run_pipeline", lambda *a, **k: seen.append([os.environ.get(n) for n in names])
                        or tmp_path / "index.html")
    task = run_mod.Task(PIPELINE, YEAR, out_root=str(tmp_path))
    run_mod.run_task(task)
    monkeypatch.setenv("TRYGHED_PRESTART", "2")
    run_mod.run_task(task, cores_shared=True)
    monkeypatch.delenv("TRYGHED_PRESTART")
    run_mod.run_task(task, cores_shared=True)
    assert seen == [[None, None], ["2", "1"], ["0", "1"]]


def test_a_sweep_shares_the_cores_unless_it_has_fewer_tasks_than_workers(tmp_path, monkeypatch):
    """Each task of a sweep is told whether other tasks share its cores: on a local pool with at least as many
    tasks as workers, and always on Dask; not when a pool has cores to spare."""
    from contextlib import contextmanager

    told = []

    @contextmanager
    def executor(spec, workers):
        yield run_mod._Serial()

    monkeypatch.setattr(run_mod, "make_executor", executor)
    monkeypatch.setattr(run_mod, "run_task", lambda task, staging, shared=False, keep_forks=False:
                        told.append((shared, keep_forks))
                        or run_mod.TaskResult(task, str(tmp_path / "index.html"), 0.0))
    tasks = [run_mod.Task(PIPELINE, y, out_root=str(tmp_path)) for y in (2015, 2016)]
    # a pool: the two runs, then each settled; one worker: the runs one after another in this process, all its own.
    # Workers that end with the sweep keep their fork server between tasks; a cluster of one's own does not
    for spec, workers, expected in ((None, 2, [(True, True)] * 4), ("process", 4, [(False, True)] * 4),
                                    ("dask-local", 4, [(True, True)] * 4), ("process", 1, [(False, True)] * 2),
                                    ("dask://scheduler:8786", 2, [(True, False)] * 4)):
        told.clear()
        run_mod.run_sweep(tasks, executor=spec, workers=workers)
        assert told == expected, (spec, workers)


def test_a_task_in_a_new_worker_process_logs_its_steps_in_run_log(fake_chain, demo_dir, tmp_path, monkeypatch):
    """A pool or Dask worker has no logging set up (the command line sets it in its own process only); the run.log
    of its runs still holds every step, as a run from the command line does, and the level is left as it was."""
    import logging

    monkeypatch.setattr(logging.getLogger("tryghed"), "level", logging.NOTSET)
    result = run_mod.run_task(run_mod.Task(PIPELINE, YEAR, str(demo_dir), "da", str(tmp_path)), cores_shared=True)
    log_text = (Path(result.index).parent / "run.log").read_text(encoding="utf-8")
    assert [n for n in _chain() if f"INFO tryghed.run: executed {n}" not in log_text] == []
    assert logging.getLogger("tryghed").level == logging.NOTSET


def test_skipped_run_prints_the_index_path_last(fake_chain, demo_dir, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", PIPELINE, "--year", str(YEAR), "--raw", str(demo_dir), "--out", str(out)]
    assert cli.main(argv + ["--quiet"]) == 0
    for extra in (["--quiet"], []):
        capsys.readouterr()
        assert cli.main(argv + extra) == 0
        printed = capsys.readouterr().out.splitlines()
        assert printed[-1] == str(out / "reports" / PIPELINE / str(YEAR) / "demo-da" / "index.html")


def test_languages_and_sources_get_their_own_folders(fake_chain, demo_dir, tmp_path):
    nbs, calls = fake_chain
    out, raw = tmp_path / "out", tmp_path / "kbh 2017"
    shutil.copytree(demo_dir, raw)
    (raw / paths.DEMO_MARKER).unlink()
    da = run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=demo_dir, out_root=out, progress=False)
    en = run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=demo_dir, lang="en", out_root=out, progress=False)
    real = run_mod.run_pipeline(PIPELINE, YEAR, raw_dir=raw, out_root=out, progress=False)
    base = out / "reports" / PIPELINE / str(YEAR)
    assert (da, en, real) == (base / "demo-da" / "index.html", base / "demo-en" / "index.html",
                              base / "kbh_2017-da" / "index.html")
    assert [p.read_text(encoding="utf-8") for p in (da, en, real)] == [f"{PIPELINE} {YEAR} da",
                                                                       f"{PIPELINE} {YEAR} en",
                                                                       f"{PIPELINE} {YEAR} da"]
    for root in ("data/processed", "figures"):
        assert sorted(p.name for p in (out / root / PIPELINE / str(YEAR)).iterdir()) == ["demo-da", "demo-en",
                                                                                         "kbh_2017-da"]


def test_ctrl_c_prints_one_line_and_leaves_no_staging_folder(fake_chain, demo_dir, tmp_path, monkeypatch, capsys):
    nbs, calls = fake_chain
    out = tmp_path / "out"

    def interrupted(input_path, output_path, **kwargs):
        if Path(input_path).stem == _chain()[2]:
            raise KeyboardInterrupt
        shutil.copyfile(input_path, output_path)

    monkeypatch.setattr(run_mod.pm, "execute_notebook", interrupted)
    code = cli.main(["run", PIPELINE, "--year", str(YEAR), "--raw", str(demo_dir), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 130
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err and "Traceback" not in err
    assert not (out / paths.STAGING).exists()
    assert not (out / "reports").exists()


def test_notebook_sha_ignores_outputs_and_counts(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", id="a")])
    plain, ran = tmp_path / "plain.ipynb", tmp_path / "ran.ipynb"
    nbformat.write(nb, plain)
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=3)]
    nb.cells[0].execution_count = 3
    nbformat.write(nb, ran)
    assert plain.read_bytes() != ran.read_bytes()
    assert run_mod.notebook_sha(plain) == run_mod.notebook_sha(ran)
    nb.cells[0].source = "x = 2"
    nbformat.write(nb, ran)
    assert run_mod.notebook_sha(plain) != run_mod.notebook_sha(ran)


@pytest.mark.parametrize(("text", "years"), [("2010-2013", [2010, 2011, 2012, 2013]), ("2014,2016", [2014, 2016]),
                                             ("2017, 2010-2011,2017", [2010, 2011, 2017]), ("2015", [2015])])
def test_parse_years(text, years):
    assert cli.parse_years(text) == years


@pytest.mark.parametrize("text", ["2017-2010", "20x0", ""])
def test_parse_years_rejects(text):
    with pytest.raises(cli.ConfigError):
        cli.parse_years(text)


def test_sweep_tasks_and_serial_sweep(fake_chain, demo_dir, tmp_path):
    nbs, calls = fake_chain
    out = tmp_path / "out"
    args = cli.build_parser().parse_args(["run", PIPELINE, "--years", "2015-2016", "--raw", str(demo_dir),
                                          "--out", str(out)])
    tasks = cli._tasks(args)
    assert [(t.pipeline, t.year) for t in tasks] == [(PIPELINE, 2015), (PIPELINE, 2016)]
    seen = []
    results = run_mod.run_sweep(tasks, executor="serial", on_done=lambda n, total, r: seen.append((n, total)))
    assert seen == [(1, 2), (2, 2)]
    assert [r.index for r in results] == [str(out / "reports" / PIPELINE / str(y) / "demo-da" / "index.html")
                                          for y in (2015, 2016)]
    assert not (out / paths.STAGING).exists()
    all_args = cli.build_parser().parse_args(["run", "--all", "--year", "2016"])
    assert sorted(t.pipeline for t in cli._tasks(all_args)) == sorted(config.available())


def test_debug_after_the_subcommand_version_and_help_for_every_option(capsys):
    parser = cli.build_parser()
    assert parser.parse_args(["run", PIPELINE, "--debug"]).debug is True
    assert parser.parse_args(["--debug", "run", PIPELINE]).debug is True
    assert parser.parse_args(["run", PIPELINE]).debug is False
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"tryghed {__version__}"
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subs.choices) >= {"run", "validate", "list", "demo-data", "fetch"}
    for name, sub in [("tryghed", parser), *subs.choices.items()]:
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)


def _tree(root: Path) -> dict[str, str]:
    """Every output file with its sha256, but the run logs and executed notebooks (they carry times)."""
    return {p.relative_to(root).as_posix(): _sha(p) for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "run.log" and "executed" not in p.parts
            and ".pipelines" not in p.parts}


def _run_tree(root: Path, lang: str) -> dict[str, str]:
    """The files of one sikker-by 2017 run (one language) under ``root``, by path below its run folder."""
    out = {}
    for top in ("data/processed", "figures", "reports"):
        base = root / top / PIPELINE / "2017" / f"demo-{lang}"
        out |= {f"{top}/{k}": v for k, v in _tree(base).items()}
    return out


@pytest.mark.slow
def test_sweeps_on_a_process_pool_and_dask_equal_serial_runs_byte_for_byte(sikker_by_demo_run, sikker_by_en_run,
                                                                             tmp_path, monkeypatch):
    """A sweep of two tasks at once (2017 in Danish and in English) on a process pool gives, file for file, what the
    session's shared runs gave: the Danish one run serially in a test process, the English one a one-task sweep on a
    Dask LocalCluster (conftest.py). So the process pool agrees with a serial run and with Dask, and a second run on
    the same inputs is byte identical (only the run log and papermill's executed notebooks, which carry times, are
    left out). The pool's kernels and the Danish run's are forked from a warm process (tryghed._forkserver) and the
    English Dask run's are ordinary ones (``TRYGHED_FORK=0``), so forked kernels write exactly what ordinary ones
    write, the rendered notebook pages included."""
    monkeypatch.delenv("TRYGHED_FORK", raising=False)   # the pool's workers inherit the environment
    shared = {"da": _run_tree(sikker_by_demo_run.out, "da"), "en": _run_tree(sikker_by_en_run.out, "en")}
    assert len(shared["da"]) > 40 and any(k.endswith("index.html") for k in shared["da"])
    assert {Path(k).suffix for k in shared["da"]} >= {".parquet", ".svg", ".png", ".csv", ".xlsx", ".html", ".json"}
    assert sorted(shared["en"]) == sorted(shared["da"])   # the same files in both languages
    forked = "kernels are forked from a warm process"
    logs = [p / "reports" / PIPELINE / "2017" / f"demo-{lang}" / "run.log"
            for p, lang in ((sikker_by_demo_run.out, "da"), (sikker_by_en_run.out, "en"))]
    assert [forked in p.read_text(encoding="utf-8") for p in logs] == [True, False]
    ts = [run_mod.Task(PIPELINE, 2017, str(sikker_by_demo_run.raw), lang, str(tmp_path)) for lang in ("da", "en")]
    results = run_mod.run_sweep(ts, executor="process", workers=2)
    assert [r.error for r in results] == [None, None]
    for lang, how in (("da", "serial"), ("en", "dask-local")):
        log_text = (tmp_path / "reports" / PIPELINE / "2017" / f"demo-{lang}" / "run.log").read_text(encoding="utf-8")
        assert forked in log_text and "INFO tryghed.run: executed 06_report" in log_text, how
        swept = _run_tree(tmp_path, lang)
        assert sorted(swept) == sorted(shared[lang]), how
        assert [k for k in swept if swept[k] != shared[lang][k]] == [], how
    manifest = json.loads((tmp_path / "data/processed" / PIPELINE / "2017" / "demo-da" /
                           run_mod.STEPS).read_text(encoding="utf-8"))
    assert [s["name"] for s in manifest["steps"]] == _chain()


@pytest.mark.slow
def test_real_chain_warm_rerun_and_an_edited_notebook(sikker_by_demo_run, tmp_path, monkeypatch):
    """On the real chain: a rerun with nothing changed starts no kernel; a harmless edit of the last notebook
    (06_report) reruns it only, from the earlier steps' outputs, and gives the same files as the full run. (That an
    edit reruns every later step is checked on the stand-in chain above; the figures' redraw is byte identical in the
    sweep test.)"""
    out = tmp_path / "out"
    shutil.copytree(sikker_by_demo_run.out, out)
    full = _tree(out)
    with monkeypatch.context() as mp:
        mp.setattr(run_mod.pm, "execute_notebook", _no_kernel)
        index = run_mod.run_pipeline(PIPELINE, 2017, raw_dir=sikker_by_demo_run.raw, out_root=out, progress=False)
    assert index == out / sikker_by_demo_run.index.relative_to(sikker_by_demo_run.out)
    assert _tree(out) == full

    nbs = tmp_path / "notebooks"
    shutil.copytree(paths.NOTEBOOKS, nbs)
    monkeypatch.setattr(run_mod, "NOTEBOOKS", nbs)
    chain = _chain()
    edited = nbs / f"{chain[-1]}.ipynb"
    nb = nbformat.read(edited, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    cell.source = "# an edit that changes nothing\n" + cell.source
    nbformat.write(nb, edited)
    ran = []
    real = run_mod.pm.execute_notebook

    def counting(input_path, *args, **kwargs):
        ran.append(Path(input_path).stem)
        return real(input_path, *args, **kwargs)

    monkeypatch.setattr(run_mod.pm, "execute_notebook", counting)
    run_mod.run_pipeline(PIPELINE, 2017, raw_dir=sikker_by_demo_run.raw, out_root=out, progress=False)
    assert ran == chain[-1:]
    after = _tree(out)
    steps = f"data/processed/{PIPELINE}/2017/demo-da/{run_mod.STEPS}"
    assert {k: v for k, v in after.items() if k != steps} == {k: v for k, v in full.items() if k != steps}


def test_speed_settings_are_not_in_a_step_key_and_the_pseudonym_key_is(monkeypatch):
    """A sweep's workers set TRYGHED_FIGURE_WORKERS=1: that (or the prestart depth) must not make the next run redo
    every step, while a new pseudonymisation key must."""
    facts = run_mod.PipelineFacts.of(config.load_pipeline(PIPELINE), run_mod.yaml_path(PIPELINE))
    for k in ("TRYGHED_PRESTART", "TRYGHED_FIGURE_WORKERS", "TRYGHED_PSEUDONYM_KEY"):
        monkeypatch.delenv(k, raising=False)

    def keys():
        return [k for _, k, _ in run_mod.step_keys(facts, YEAR, "da", paths.DEMO_RAW)]

    plain = keys()
    monkeypatch.setenv("TRYGHED_FIGURE_WORKERS", "1")
    monkeypatch.setenv("TRYGHED_PRESTART", "0")
    assert keys() == plain
    monkeypatch.setenv("TRYGHED_PSEUDONYM_KEY", "another key of sixteen bytes or more")
    assert all(a != b for a, b in zip(keys(), plain))


def test_a_serial_sweep_keeps_one_fork_server_for_its_runs_and_closes_it(fake_chain, demo_dir, tmp_path,
                                                                        monkeypatch):
    """The runs of a serial sweep share one fork server, closed once when the sweep ends (not after each run); a
    run outside a sweep has a server of its own, closed after it."""
    from tryghed import _forkserver

    made, closed = [], []
    real_init, real_close = _forkserver.ForkServer.__init__, _forkserver.ForkServer.close

    def init(self, *args, **kwargs):
        made.append(self)
        real_init(self, *args, **kwargs)

    def close(self):
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(_forkserver.ForkServer, "__init__", init)
    monkeypatch.setattr(_forkserver.ForkServer, "close", close)
    monkeypatch.delenv("TRYGHED_FORK", raising=False)
    tasks = [run_mod.Task(PIPELINE, y, str(demo_dir), "da", str(tmp_path / "out")) for y in (2015, 2016)]
    assert [r.error for r in run_mod.run_sweep(tasks, executor="serial")] == [None, None]
    assert len(made) == 1 and closed == made
    made.clear()
    closed.clear()
    run_mod.run_pipeline(PIPELINE, 2015, raw_dir=demo_dir, out_root=tmp_path / "alone", progress=False)
    assert len(made) == 1 and closed == made
