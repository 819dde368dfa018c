"""Kernels forked from a warm process (tryghed._forkserver): they are real kernels of their own, that answer an
interrupt, die with their kernel manager's kill and leave nothing behind; without a server, or for a command it does
not fork, the client is the ordinary process. (That forked kernels write exactly what ordinary ones write is checked
by the sweep test in test_runner.py, whose pool runs ordinary kernels.)"""

import os
import socket
import struct
import subprocess
import sys
import time

import pytest

from tryghed import _forkserver
from tryghed.run import NOTEBOOKS, _encrypted_kernel_manager

CLIENT = [sys.executable, "-S", str(_forkserver.CLIENT)]


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_without_a_server_the_client_is_the_ordinary_process(tmp_path):
    done = subprocess.run([*CLIENT, str(tmp_path / "no-socket"), "--", sys.executable, "-c",
                           "import sys; print('plain', sys.argv[1:]); sys.exit(3)", "x"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert done.stdout == "plain ['x']\n"


def test_a_command_that_is_not_a_kernel_is_not_forked():
    server = _forkserver.ForkServer()
    try:
        command = server.kernel_command([sys.executable, "-c", "import os; print(os.getppid())"])
        assert server.path and server.process.poll() is None
        # a request cut off half-way, and one that is not a kernel's: the server declines and goes on
        whole = b'{"argv": ["python", "-c", "pass"], "cwd": "/", "env": {}}'
        for payload, size in ((b'{"argv": [', 1000), (whole, len(whole))):   # the client leaves without an answer
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as broken:
                broken.connect(server.path)
                socket.send_fds(broken, [struct.pack("!Q", size)], [0, 1, 2])
                broken.sendall(payload)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert server.process.poll() is None
        assert done.returncode == 0
        assert int(done.stdout) != server.process.pid   # exec'd by the client, not forked by the server
    finally:
        server.close()
    assert server.process is None


def test_a_server_that_cannot_start_leaves_the_ordinary_kernel_command(monkeypatch):
    tries = []

    def refuse(*args, **kwargs):
        tries.append(args)
        raise OSError("no processes left")

    monkeypatch.setattr(_forkserver.subprocess, "Popen", refuse)
    server = _forkserver.ForkServer()
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", "kernel.json"]
    assert server.kernel_command(command) == command
    assert server.kernel_command(command) == command
    assert len(tries) == 1   # it does not try again for every kernel
    server.close()
    assert server.folder is None


@pytest.mark.slow
def test_a_forked_kernel_runs_answers_an_interrupt_and_dies_with_its_manager():
    from jupyter_core.utils import run_sync

    server = _forkserver.ForkServer()
    manager = _encrypted_kernel_manager(None, server)(kernel_name="python3")
    run_sync(manager.start_kernel)(extra_arguments=["--IPKernelApp.exec_lines=import json"], cwd=str(NOTEBOOKS))
    client = manager.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=120)
        out = []

        def run(code: str) -> dict:
            return run_sync(client.execute_interactive)(
                code, timeout=120, output_hook=lambda m: m["msg_type"] == "stream" and out.append(m["content"]["text"]))

        reply = run("import os, sys, subprocess; print(os.getppid(), os.getpid(), os.getcwd(), "
                    "'pandas' in sys.modules, os.environ.get('JPY_PARENT_PID'), 'json' in globals(), "
                    "os.getpgid(0) == os.getpid(), sys.stdin.closed, subprocess.Popen(['sleep', '300']).pid)")
        assert reply["content"]["status"] == "ok"
        parent, pid, cwd, pandas_loaded, jpy_parent, exec_lines_ran, own_group, stdin_closed, sleeper = (
            "".join(out).split())
        assert int(parent) == server.process.pid          # forked by the server, with pandas imported there
        assert pandas_loaded == "True" and exec_lines_ran == "True"
        assert own_group == "True" and stdin_closed == "False"   # its own process group, and a stdin, as usual
        # the kernel's own folder and environment (jupyter_client names this process as the kernel's parent)
        assert cwd == str(NOTEBOOKS) and jpy_parent == str(os.getpid())
        # an interrupt reaches the kernel through the client
        client.execute("import time; time.sleep(60)")
        time.sleep(1)
        run_sync(manager.interrupt_kernel)()
        reply = run_sync(client.get_shell_msg)(timeout=30)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
        # the manager's kill (SIGKILL to the client's process group) takes the kernel and what it started with it
        run_sync(manager.shutdown_kernel)(now=True)
        assert _gone(int(pid)) and _gone(int(sleeper))
    finally:
        client.stop_channels()
        if manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)
        process = server.process
        server.close()
    assert process.poll() is not None and server.folder is None


def test_a_sweeps_tasks_in_one_process_share_one_fork_server(monkeypatch, caplog):
    """The runs of one sweep process (a pool or Dask worker, a serial sweep) keep one fork server: a later run's
    kernels fork from the modules the earlier runs imported, and its log says so; a run outside a sweep gets a
    server of its own, closed after it; a server that died is replaced; the sweep closes what it kept."""
    import logging

    from tryghed import run as run_mod

    monkeypatch.delenv("TRYGHED_FORK", raising=False)
    monkeypatch.setitem(run_mod._SWEEP_FORKS, "server", None)
    alone, kept = run_mod._fork_server(None)
    again, kept_again = run_mod._fork_server(None)
    assert alone is not again and (kept, kept_again) == (False, False)
    monkeypatch.setattr(run_mod._TASK, "keep", True, raising=False)
    first, kept = run_mod._fork_server(None)
    try:
        command = [sys.executable, "-c", "pass"]
        first.kernel_command(command)                       # the first run's first kernel starts the server
        pid = first.process.pid
        second, kept_again = run_mod._fork_server(None)
        assert second is first and (kept, kept_again) == (True, True)
        with caplog.at_level(logging.INFO, logger="tryghed"):
            second.kernel_command(command)
            second.kernel_command(command)
        said = [r.getMessage() for r in caplog.records if "kept from this worker's earlier runs" in r.getMessage()]
        assert said == [f"kernels are forked from a warm process (pid {pid}), kept from this worker's earlier "
                        "runs"]                               # once per run, in its log
        first.process.kill()
        first.process.wait()
        third, _ = run_mod._fork_server(None)
        assert third is not first                            # a dead server is not used again
        third.kernel_command(command)
        assert third.process.poll() is None
        run_mod.close_sweep_forks()
        assert third.process is None and run_mod._SWEEP_FORKS["server"] is None
    finally:
        first.close()
        run_mod.close_sweep_forks()
    monkeypatch.setenv("TRYGHED_FORK", "0")
    assert run_mod._fork_server(None) == (None, False)


def test_a_task_leaves_the_sweep_mark_as_it_found_it(tmp_path, monkeypatch):
    from tryghed import run as run_mod

    task = run_mod.Task("no-such-pipeline", 2017, str(tmp_path), "da", str(tmp_path))
    for found in (False, True):
        monkeypatch.setattr(run_mod._TASK, "keep", found, raising=False)
        done = run_mod.run_task(task, keep_forks=not found)
        assert done.error and done.code == 2
        assert run_mod._TASK.keep is found


def test_a_never_started_kept_server_writes_to_the_log_of_the_run_that_starts_it(tmp_path, monkeypatch):
    """A sweep's first run may start no kernel (every step skipped, or it failed first): the next run that starts
    the kept server gets the server's own output in its log, not in the first run's (maybe removed) folder."""
    from tryghed import run as run_mod

    monkeypatch.delenv("TRYGHED_FORK", raising=False)
    monkeypatch.setitem(run_mod._SWEEP_FORKS, "server", None)
    monkeypatch.setattr(run_mod._TASK, "keep", True, raising=False)
    first, _ = run_mod._fork_server(tmp_path / "gone" / "run.log")
    second, _ = run_mod._fork_server(tmp_path / "run.log")
    try:
        assert second is first and second.stderr_log == tmp_path / "run.log"
        second.kernel_command([sys.executable, "-c", "pass"])
        assert second.process.poll() is None and (tmp_path / "run.log").exists()
    finally:
        run_mod.close_sweep_forks()


def test_a_server_whose_process_goes_away_removes_its_socket_and_folder():
    """A sweep worker keeps its server and exits without closing it: the server, seeing its standard input close,
    removes its socket and folder itself (no tryghed-fork-* folder is left in the temporary folder)."""
    server = _forkserver.ForkServer()
    try:
        server.kernel_command([sys.executable, "-c", "pass"])
        folder, path = server.folder, server.path
        assert os.path.exists(path)
        server.process.stdin.close()            # what the worker's exit does
        server.process.wait(timeout=30)
        assert not os.path.exists(path) and not os.path.exists(folder)
    finally:
        server.close()
