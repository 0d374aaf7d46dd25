"""Fixtures for the flow tests: the service on a fresh database with a chosen "today"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest

from tests.conftest import Api


@pytest.fixture
def make_api(db_engine) -> Iterator[Callable[[date], Api]]:
    """`make_api(today, wiring=None)`: the app (in-process, over httpx) with its clock pinned
    to `today`, wired as `wiring` says (the composition root's default otherwise)."""
    from fastapi.testclient import TestClient

    from app.bootstrap import Wiring, create_app
    from app.clock import FixedClock
    from app.config import Settings

    opened: list[tuple[TestClient, object]] = []

    def make(today: date, wiring: Wiring | None = None) -> Api:
        clock = FixedClock(today)
        settings = Settings(database_url=db_engine.url.render_as_string(False))
        app = create_app(settings, clock, wiring)
        client = TestClient(app)
        client.__enter__()
        opened.append((client, app))
        return Api(client, db_engine, clock)

    yield make
    for client, app in opened:
        client.__exit__(None, None, None)
        app.state.service.engine.dispose()  # type: ignore[attr-defined]
