"""`ijw serve --workers N`'s supervisor (app/cli/workers.py), on tiny apps: connections are
spread over the workers, a killed worker is replaced, workers that cannot start stop it."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli.workers import free_to_bind, listening_socket

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with listening_socket("127.0.0.1", 0) as sock:
        return int(sock.getsockname()[1])


def _supervisor(app: str, port: int, workers: int = 2) -> subprocess.Popen[bytes]:
    code = (
        "import sys; from app.cli.workers import WorkerSpec, supervise; "
        f"sys.exit(supervise(WorkerSpec({app!r}, '127.0.0.1', {port}), {workers}))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _workers(proc: subprocess.Popen[bytes]) -> set[int]:
    path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    try:
        pids = {int(p) for p in path.read_text().split()}
    except OSError:
        return set()
    return {p for p in pids if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()}


def _served_by(port: int, connections: int) -> list[int]:
    """The pid that answered on each of `connections` keep-alive connections opened at once."""
    opened = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(connections)]
    try:
        for c in opened:
            c.connect()
        out = []
        for c in opened:
            c.request("GET", "/")
            out.append(int(c.getresponse().read()))
        return out
    finally:
        for c in opened:
            c.close()


def _until(check, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail("timed out")


def _ready(port: int, proc: subprocess.Popen[bytes], workers: int) -> set[int]:
    def every_worker_answers() -> set[int]:
        if len(_workers(proc)) != workers:
            return set()
        try:
            served = set(_served_by(port, 16))
            return served if len(served) == workers else set()
        except OSError:
            return set()

    return _until(every_worker_answers)


@pytest.fixture
def supervised():
    started: list[subprocess.Popen[bytes]] = []

    def start(app: str, workers: int = 2) -> tuple[subprocess.Popen[bytes], int]:
        port = _free_port()
        proc = _supervisor(app, port, workers)
        started.append(proc)
        return proc, port

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_connections_opened_at_once_reach_every_worker(supervised):
    proc, port = supervised("tests.cli.worker_apps:pid_app")
    workers = _ready(port, proc, 2)
    # 32 keep-alive connections opened in one burst: the kernel spreads them over the workers'
    # sockets (with one shared socket, one worker took them all).  All on one worker by chance:
    # 2 x 2^-32.
    served = _served_by(port, 32)
    assert set(served) == workers, served


def test_a_killed_worker_is_replaced_and_sigterm_stops_all(supervised):
    proc, port = supervised("tests.cli.worker_apps:pid_app")
    before = _ready(port, proc, 2)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)

    def replaced() -> set[int]:
        now = _workers(proc)
        return now if len(now) == 2 and victim not in now else set()

    after = _until(replaced)
    assert victim not in _ready(port, proc, 2) and after & before == before - {victim}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert all(not Path(f"/proc/{pid}").exists() for pid in after)


def test_workers_that_cannot_start_stop_the_supervisor(supervised):
    proc, _ = supervised("tests.cli.worker_apps:broken_app")
    assert proc.wait(timeout=120) == 1
    assert b"the workers die at their start" in proc.stderr.read()


def test_a_port_in_use_is_one_clear_line():
    with listening_socket("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        # a socket without SO_REUSEPORT holds the port: the workers could not share it
        with socket.socket() as plain:
            plain.bind(("127.0.0.1", 0))
            plain.listen()
            busy = plain.getsockname()[1]
            assert "cannot listen on 127.0.0.1:" in (free_to_bind("127.0.0.1", busy) or "")
        assert free_to_bind("127.0.0.1", port) is None  # another worker's socket: shareable
