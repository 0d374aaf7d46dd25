"""The scenario files against a live server: `ijw serve` in a subprocess, driven over real HTTP.

One server per backend and per distinct scenario `today` (IJW_TODAY pins the service's date):
SQLite in a temporary file, and PostgreSQL in a database of its own next to the one
IJW_TEST_POSTGRES_URL names (skipped without it).  The harness creates the parties in the
server's database (`--database-url`), exactly as `ijw harness run` does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, text

from app.cli.harness import db_provisioner
from app.harness.runner import Harness
from app.harness.scenario import load
from tests.conftest import POSTGRES_ENV

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "scenarios").rglob("*.json"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(database_url: str, today: date) -> Iterator[str]:
    """`ijw db upgrade` then `ijw serve` on a free port; yields the base URL."""
    env = {**os.environ, "IJW_DATABASE_URL": database_url, "IJW_TODAY": today.isoformat()}
    cli = [sys.executable, "-m", "app.bootstrap"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=ROOT)
    port = _free_port()
    # The server logs every message to stderr: a file, not a pipe nobody reads while the
    # scenarios run (a full pipe buffer would block the server mid-request).
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in the finally below)
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
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
                pytest.fail(f"the server did not start: {err[-2000:]}")
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


def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        pytest.skip(f"PostgreSQL needs {POSTGRES_ENV}")
    base = make_url(url)
    name = f"{base.database}_live"
    from sqlalchemy import create_engine

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_scenario_file_on_a_live_server(backend: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite'}" if backend == "sqlite" else _postgres_url()
    groups: dict[date | None, list] = defaultdict(list)
    for path in FILES:
        scenario = load(path)
        groups[scenario.today].append(scenario)
    failures = []
    ran = 0
    for today, scenarios in sorted(groups.items(), key=lambda g: g[0] or date.min):
        with live_server(url, today or date(2026, 6, 15)) as base:
            harness = Harness(base, provision=db_provisioner(url))
            try:
                for scenario in scenarios:
                    result = harness.run(scenario)
                    ran += 1
                    if result.status != "passed":
                        bad = [f"{s.label}: {s.problems}" for s in result.steps if not s.ok]
                        failures.append(f"{scenario.path.name}: {result.reason} {bad}")
            finally:
                harness.close()
    assert ran == len(FILES)
    assert not failures, "\n".join(failures)
