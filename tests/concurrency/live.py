"""Real `ijw serve` processes for the concurrency tests: a PostgreSQL database of their own, several
servers (instances, and workers of one instance) on it, and requests fired at them at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text

from tests.conftest import POSTGRES_ENV

ROOT = Path(__file__).resolve().parents[2]


def postgres_database(suffix: str) -> str:
    """A fresh database `<IJW_TEST_POSTGRES_URL's database>_<suffix>` (dropped first)."""
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        pytest.skip(f"the multi-process tests need PostgreSQL: set {POSTGRES_ENV}")
    base = make_url(url)
    name = f"{base.database}_{suffix}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One `ijw serve` (with its workers) on a free port."""

    url: str
    today: date
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        env = {
            **os.environ,
            "IJW_DATABASE_URL": self.url,
            "IJW_TODAY": self.today.isoformat(),
            **self.env,
        }
        cmd = [sys.executable, "-m", "app.bootstrap", "serve", "--port", str(self.port)]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        # stderr to a file, not a pipe nobody drains (a full pipe would block the server)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self._log
        )
        return self

    def wait_ready(self, timeout: float = 90) -> Server:
        """Until /healthz answers (and, with workers, until every worker does)."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited: {self.log()[-2000:]}")
            if len(self.worker_pids()) >= (self.workers if self.workers > 1 else 0):
                try:
                    if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        pytest.fail(f"the server did not start: {self.log()[-2000:]}")

    def worker_pids(self) -> list[int]:
        """The worker processes of a `--workers N` server (its children)."""
        assert self.proc is not None
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            pids = [int(p) for p in path.read_text().split()]
        except OSError:
            return []
        # multiprocessing's resource tracker is a child too; workers run app.bootstrap code
        return [p for p in pids if "resource_tracker" not in _cmdline(p)]

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def kill(self) -> None:
        """kill -9 the whole server (no shutdown of any kind)."""
        assert self.proc is not None
        for pid in self.worker_pids():
            os.kill(pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def start_all(servers: Sequence[Server]) -> list[Server]:
    """Start every server at once (their start-ups overlap), then wait for all."""
    for s in servers:
        s.start()
    return [s.wait_ready() for s in servers]


def at_once(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread, released together; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


class Client:
    """Calls to one server as one party (a fresh connection per call)."""

    def __init__(self, server: Server, token: str) -> None:
        self.base = server.base
        self.headers = {"Authorization": f"Bearer {token}"}

    def post_xml(self, body: bytes) -> httpx.Response:
        headers = {**self.headers, "Content-Type": "application/xml"}
        return httpx.post(f"{self.base}/v1/berichten", content=body, headers=headers, timeout=120)

    def post_json(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=120)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", params=params, headers=self.headers, timeout=120)

    def feed(self) -> list[dict[str, Any]]:
        """Every message in this party's feed, polled to the end."""
        items: list[dict[str, Any]] = []
        cursor = "0"
        while True:
            page = self.get("/v1/berichten", since=cursor, limit=500).json()
            items += page["items"]
            if not page["items"]:
                return items
            cursor = page["next_cursor"]
