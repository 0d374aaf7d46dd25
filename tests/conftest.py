"""Shared fixtures.  Third-party reference material stays in ../shared and is read at test time;
tests that need it skip with a reason when it is absent (a fresh clone of the project alone)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path((ROOT / ".." / "shared").resolve())
SHARED_REASON = "needs the shared reference material in ../shared (iJw XSDs, examples, corpus)"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the calling test when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{SHARED_REASON}: {path} is absent")
    return path


@pytest.fixture
def official_xsd_dir() -> Path:
    return shared_path("ijw", "xsd")


@pytest.fixture
def examples_dir() -> Path:
    return shared_path("ijw", "examples")


@pytest.fixture
def corpus_dir() -> Path:
    return shared_path("ijw-corpus")


# --- database fixtures: every database test runs on SQLite and, when configured, PostgreSQL ----

import os  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date  # noqa: E402

from sqlalchemy import Engine, text  # noqa: E402

from app.db.base import Base, make_engine  # noqa: E402
from testkit.store import wipe  # noqa: E402

POSTGRES_ENV = "IJW_TEST_POSTGRES_URL"
_migrated: dict[str, Engine] = {}


def _engine_for(backend: str, tmp_root: Path) -> Engine:
    from app import bootstrap  # noqa: F401  (every table on Base.metadata)
    from app.db.migrate import upgrade

    if backend in _migrated:
        return _migrated[backend]
    if backend == "sqlite":
        url = f"sqlite:///{tmp_root / 'test.sqlite'}"
    else:
        url = os.environ.get(POSTGRES_ENV, "")
        if not url:
            pytest.skip(
                f"PostgreSQL tests need {POSTGRES_ENV} (CI sets it; .ci/run starts a server)"
            )
        wipe(url)
    upgrade(url)
    _migrated[backend] = make_engine(url)
    return _migrated[backend]


def _wipe(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_engine(request, tmp_path_factory) -> Iterator[Engine]:
    """A migrated, empty database on each backend (tables wiped before every test)."""
    engine = _engine_for(request.param, tmp_path_factory.getbasetemp())
    _wipe(engine)
    yield engine


@dataclass
class Api:
    """A running app (in-process, over httpx) plus helpers to create parties."""

    client: object
    engine: Engine
    clock: object

    def add_party(self, role: str, code: str, name: str = "") -> str:
        from app.clock import SystemClock
        from app.db.base import session_factory, transaction
        from app.exchange.parties import add_party

        with transaction(session_factory(self.engine)) as s:
            _, token = add_party(s, role, code, name, SystemClock())
        return token

    def post(self, token: str, body: bytes, **kw):
        return self.client.post(
            "/v1/berichten",
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
            **kw,
        )

    def poll(self, token: str, since: str = "0", limit: int = 100):
        return self.client.get(
            "/v1/berichten",
            params={"since": since, "limit": limit},
            headers={"Authorization": f"Bearer {token}"},
        )


TEST_TODAY = date(2026, 6, 15)


@pytest.fixture
def api(db_engine) -> Iterator[Api]:
    """The service on a fresh database, with the clock pinned to TEST_TODAY."""
    from fastapi.testclient import TestClient

    from app.bootstrap import create_app
    from app.clock import FixedClock
    from app.config import Settings

    clock = FixedClock(TEST_TODAY)
    app = create_app(Settings(database_url=str(db_engine.url.render_as_string(False))), clock)
    with TestClient(app) as client:
        yield Api(client, db_engine, clock)
    app.state.service.engine.dispose()
