"""A live `ijw serve` in a subprocess for tests and benches that need the real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


class ServerDidNotStart(RuntimeError):
    """`ijw serve` exited or did not answer /healthz in time; the message holds its stderr."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(
    database_url: str, today: date | None = None, *extra: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`ijw db upgrade` then `ijw serve` on a free port; yields the base URL."""
    env = {**os.environ, "IJW_DATABASE_URL": database_url, **(env or {})}
    if today is not None:
        env["IJW_TODAY"] = today.isoformat()
    cli = [sys.executable, "-m", "app.bootstrap"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=ROOT)
    port = free_port()
    # The server logs every message to stderr: a file, not a pipe nobody reads while the
    # scenarios run (a full pipe buffer would block the server mid-request).
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in the finally below)
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), *extra],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                err = log.read().decode(errors="replace")
                raise ServerDidNotStart(err[-2000:])
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
