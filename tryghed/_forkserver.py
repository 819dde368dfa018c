"""Kernels forked from one warm process: each notebook's kernel starts with pandas, scipy, statsmodels and the
package already imported, instead of importing them again (1.5-2 CPU seconds per kernel).

A run starts one server (:class:`ForkServer`) beside its kernel manager; the runs of a sweep in one process (a
process-pool or ``dask-local`` worker, a serial sweep) keep the server their first run started
(:func:`tryghed.run._fork_server`). Every kernel jupyter_client launches is then
:mod:`tryghed._forkclient`, which asks the server for a kernel: the server imports what that kernel will import
(its notebook's import lines, passed as ``IPKernelApp.exec_lines`` by the runner's prestart), forks, and the child
becomes ``python -m ipykernel_launcher ...`` with the client's working folder, environment and standard streams.
Each notebook still runs in a kernel of its own, a fresh process that shares nothing with the others after the fork.

What the server never imports: ``matplotlib.pyplot``, seaborn and the inline backend. They hook into the IPython
shell that imports them, which exists only in the kernel, so each kernel imports them itself as before.

The server forks only while it runs a single thread, and only kernels of its own Python; otherwise it declines and
the client starts the ordinary kernel, as it does when there is no server at all. It exits when the run (or the
sweep) closes it or its process goes away (its standard input closes), killing the kernels it forked that are still
running and removing its socket. ``TRYGHED_FORK=0`` turns it off. Linux only (fork after these imports is not
safe on macOS).
"""
from __future__ import annotations

import json
import logging
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

#: Never imported by the server: they attach to the IPython shell of the process that imports them.
SHELL_BOUND = ("matplotlib.pyplot", "matplotlib_inline", "seaborn", "IPython.core.pylabtools")

#: What every kernel imports: ipykernel's application and the shell, then the data stack.
BASE = ("ipykernel.kernelapp", "ipykernel.ipkernel", "pandas", "numpy", "pyarrow", "tryghed.config")

CLIENT = Path(__file__).with_name("_forkclient.py")

#: The kernel option that carries a notebook's import lines (the runner's prestart); the server imports them too.
EXEC_LINES = "--IPKernelApp.exec_lines="


def enabled(environ=os.environ) -> bool:
    """Whether runs fork their kernels: on Linux, unless ``TRYGHED_FORK=0``."""
    return sys.platform.startswith("linux") and environ.get("TRYGHED_FORK", "1").strip() != "0"


class ForkServer:
    """The run's side: starts the server process on first use, rewrites kernel commands, and closes it."""

    def __init__(self, stderr_log: Path | None = None):
        self.stderr_log = stderr_log
        self.process: subprocess.Popen | None = None
        self.folder: str | None = None
        self.path: str | None = None
        #: a later run uses this server (:meth:`reuse`): its first kernel says so in that run's log
        self.announce = False

    def alive(self) -> bool:
        """Whether the server process runs (or is not started yet and may still be)."""
        return self.process is None and self.path is None or \
            self.process is not None and self.process.poll() is None

    def reuse(self) -> ForkServer:
        """This server for another run in the same process (a sweep's worker): its modules stay imported."""
        self.announce = True
        return self

    def kernel_command(self, command: list[str]) -> list[str]:
        """``command`` (``PYTHON -m ipykernel_launcher ...``) run through :mod:`tryghed._forkclient`; ``command``
        itself when the server cannot be started."""
        if self.process is None and self.path is None:
            try:
                self._start()
            except OSError:
                self.close()
                self.path = ""   # no server for this run: ordinary kernels
        if not self.path:
            return command
        if self.announce and self.process is not None:
            self.announce = False
            log.info("kernels are forked from a warm process (pid %d), kept from this worker's earlier runs",
                     self.process.pid)
        return [sys.executable, "-S", str(CLIENT), self.path, "--", *command]

    def _start(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="tryghed-fork-")
        self.path = os.path.join(self.folder, "socket")
        env = dict(os.environ)
        # the backend a kernel chooses (ipykernel sets it before any import); matplotlib reads it when imported
        env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        ready_r, ready_w = os.pipe()
        # what its imports print goes where the kernels' own stderr goes (the run's log), never to the run's stdout
        err = open(self.stderr_log, "ab") if self.stderr_log is not None else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tryghed._forkserver", self.path, str(ready_w)], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=self.folder, start_new_session=True,
                pass_fds=(ready_w,))
        except OSError:
            os.close(ready_r)
            raise
        finally:
            os.close(ready_w)
            if err is not subprocess.DEVNULL:
                err.close()
        with os.fdopen(ready_r, "rb") as ready:  # the socket listens (a failed start: the clients fall back)
            ready.read(1)
        log.info("kernels are forked from a warm process (pid %d; TRYGHED_FORK=0 starts them the ordinary way)",
                 self.process.pid)

    def close(self) -> None:
        if self.process is not None:
            try:
                self.process.stdin.close()   # the server kills what it forked and exits
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
            self.process = None
        if self.folder is not None:
            for remove, name in ((os.unlink, self.path), (os.rmdir, self.folder)):
                try:
                    remove(name)
                except OSError:
                    pass
            self.folder = None


# --------------------------------------------------------------------------------------------------------------------
# The server process


class _NoShellBound:
    """A meta path finder that refuses the modules of :data:`SHELL_BOUND` (the server must not import them)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.startswith(SHELL_BOUND):
            raise ImportError(f"{name} is imported in the kernel, not in the fork server")
        return None


def _load(lines: str) -> None:
    """Run ``lines`` (a notebook's import lines) in a scratch namespace, one statement at a time; a statement that
    needs a shell-bound module is left for the kernel."""
    namespace: dict = {}
    for line in lines.splitlines():
        try:
            exec(line, namespace)  # noqa: S102 - the notebooks' own import lines
        except Exception:  # noqa: BLE001 - the kernel imports it itself and reports any error in its cell
            pass


def _exec_lines(argv: list[str]) -> str:
    return "\n".join(a[len(EXEC_LINES):] for a in argv if a.startswith(EXEC_LINES))


def _child(fds: list[int], request: dict, close: list, close_fds: tuple[int, ...]) -> None:
    """In the forked child: become ``python -m ipykernel_launcher ...``; never returns."""
    code = 1
    try:
        # a process group of its own, as jupyter_client starts a kernel: a kill or an interrupt sent to the group
        # reaches what the kernel started too (the figures' worker processes)
        os.setsid()
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for thing in close:
            thing.close()
        for fd in close_fds:
            os.close(fd)
        for target, fd in enumerate(fds):   # the client's stdin, stdout and stderr (sys.stdin reads fd 0)
            os.dup2(fd, target)
            os.close(fd)
        if "numpy.random" in sys.modules:   # a fresh global generator, as a new process would have
            sys.modules["numpy.random"].seed()
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _NoShellBound)]
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import runpy

        sys.argv = ["ipykernel_launcher", *request["argv"][3:]]
        # ipykernel reads JPY_PARENT_PID when it is imported (here: in the server); give it the kernel's own
        if os.environ.get("JPY_PARENT_PID"):
            sys.argv.append(f"--IPKernelApp.parent_handle={int(os.environ['JPY_PARENT_PID'])}")
        sys.path.insert(0, os.getcwd())   # as `python -m` puts it; the launcher takes it out again
        code = 0
        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the kernel's own failure, shown on its stderr
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def _kill(pid: int) -> None:
    """SIGKILL a forked kernel and its process group (what it started)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def serve(path: str, ready_fd: int) -> None:
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]   # as ipykernel_launcher does: the server's folder is no package folder
    sys.meta_path.insert(0, _NoShellBound())
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    os.write(ready_fd, b"1")
    os.close(ready_fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "listen")
    selector.register(sys.stdin, selectors.EVENT_READ, "parent")
    selector.register(wake_r, selectors.EVENT_READ, "child")
    children: dict[int, socket.socket] = {}   # pid -> its client's connection
    _load("\n".join(f"import {m}" for m in BASE))

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = children.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                try:
                    selector.unregister(conn)
                except (KeyError, ValueError):
                    pass   # unregistered when its client went away
                conn.close()

    def answer(conn: socket.socket) -> None:
        conn.settimeout(30)   # a client sends its request at once
        fds: list[int] = []
        try:
            head, fds, _, _ = socket.recv_fds(conn, 8, 3)
            size = struct.unpack("!Q", head)[0]
            data = b""
            while len(data) < size:
                chunk = conn.recv(size - len(data))
                if not chunk:
                    raise OSError("the client went away")
                data += chunk
            request = json.loads(data)
            argv = request["argv"]
            if len(fds) != 3 or argv[:3] != [sys.executable, "-m", "ipykernel_launcher"]:
                raise ValueError("not a kernel of this Python")
            _load(_exec_lines(argv))
            if threading.active_count() > 1:   # an import started a thread: forking now is not safe
                raise ValueError("threads running")
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            pid = os.fork()
        except (OSError, ValueError, KeyError, TypeError, struct.error):   # the client starts the ordinary kernel
            for fd in fds:
                os.close(fd)
            try:
                conn.sendall(b"decline\n")
            except OSError:
                pass
            conn.close()
            return
        if pid == 0:
            _child(fds, request, [selector, listener, conn, *children.values()], (wake_r, wake_w))
        for fd in fds:
            os.close(fd)
        children[pid] = conn
        selector.register(conn, selectors.EVENT_READ, pid)
        try:
            conn.sendall(f"pid {pid}\n".encode())
        except OSError:   # the client is gone already: so is its kernel
            _kill(pid)

    try:
        while True:
            for key, _ in selector.select():
                if key.data == "listen":
                    try:
                        conn, _ = listener.accept()
                    except OSError:   # out of descriptors, say: that client falls back to an ordinary kernel
                        continue
                    answer(conn)
                elif key.data == "parent":
                    if not os.read(sys.stdin.fileno(), 4096):
                        return
                elif key.data == "child":
                    try:
                        while os.read(wake_r, 4096):
                            pass
                    except BlockingIOError:
                        pass
                    reap()
                else:   # a client went away (its kernel manager killed it): so does its kernel
                    pid = key.data
                    try:
                        if not key.fileobj.recv(64):
                            selector.unregister(key.fileobj)
                            _kill(pid)
                    except OSError:
                        pass
    finally:
        for pid in list(children):
            _kill(pid)
        listener.close()
        # its socket and folder too: a sweep worker that keeps its server exits without closing it
        for remove, name in ((os.unlink, path), (os.rmdir, os.path.dirname(path))):
            try:
                remove(name)
            except OSError:
                pass


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
