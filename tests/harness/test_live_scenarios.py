"""The scenario files against a live server: `ijw serve` in a subprocess, driven over real HTTP.

One server per backend and per distinct scenario `today` (IJW_TODAY pins the service's date):
SQLite in a temporary file, and PostgreSQL in a database of its own next to the one
IJW_TEST_POSTGRES_URL names (skipped without it).  The harness creates the parties in the
server's database (`--database-url`), exactly as `ijw harness run` does.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from app.cli.harness import db_provisioner
from app.harness.runner import Harness
from app.harness.scenario import load
from testkit.live import live_server
from tests.conftest import POSTGRES_ENV

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "scenarios").rglob("*.json"))


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
