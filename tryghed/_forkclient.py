"""The kernel process jupyter_client starts when a run forks its kernels (:mod:`tryghed._forkserver`).

``python -S _forkclient.py SOCKET -- PYTHON -m ipykernel_launcher -f CONNECTION ...`` asks the fork server at
``SOCKET`` for a kernel forked from its warm process, hands it this process's standard streams, passes on every signal
it receives (an interrupt, a terminate) and exits with the kernel's exit code, so that the kernel manager sees an
ordinary kernel process. When there is no server, or it declines, it becomes the ordinary kernel (``exec`` of the
command after ``--``). Standard library only, run by path: it starts in milliseconds.
"""

import json
import os
import signal
import socket
import struct
import sys


def _exec(command: list[str]) -> None:
    os.execv(command[0], command)


def _signal(pid: int, signum: int) -> None:
    """Send ``signum`` to the kernel's process group (what it started gets it too), or to the kernel alone when its
    group is not made yet."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signum)
            return
        except ProcessLookupError:
            pass


def main(argv: list[str]) -> None:
    path, command = argv[0], argv[argv.index("--") + 1:]
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        payload = json.dumps({"argv": command, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
        socket.send_fds(sock, [struct.pack("!Q", len(payload))], [0, 1, 2])
        sock.sendall(payload)
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = sock.recv(64)
            if not chunk:
                break
            answer += chunk
        pid = int(answer.split()[1]) if answer.startswith(b"pid ") else 0
    except (OSError, ValueError, IndexError):
        pid = 0
    if pid <= 0:  # no server, or it declined: be the ordinary kernel
        _exec(command)

    def forward(signum, _frame):
        _signal(pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, forward)
    status = b""
    while True:
        try:
            chunk = sock.recv(64)
        except InterruptedError:
            continue
        if not chunk:
            break
        status += chunk
    if status.startswith(b"exit "):
        code = int(status.split()[1])
        if code < 0:   # the kernel died of a signal: so does this process, as the kernel manager expects
            signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
        sys.exit(code if code >= 0 else 1)
    _signal(pid, signal.SIGKILL)   # the server went away without a word: the kernel must not outlive this process
    sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
