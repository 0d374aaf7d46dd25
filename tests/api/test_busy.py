"""A write that cannot get its turn waits a bounded time and then answers 503 with Retry-After,
never 500 (issue 10, defect 4); reads never wait for a writer."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from app.bootstrap import create_app
from app.clock import FixedClock
from app.config import Settings
from app.db.base import writer_queue
from app.ijw.render import render
from testkit import messages as m
from tests.conftest import TEST_TODAY, Api

WAIT = 0.3  # seconds: IJW_WRITE_WAIT of the app under test
RELEASE_AFTER = 5.0  # the holder lets go by itself, so a wait that is not bounded shows as 200


@pytest.fixture
def short_wait(db_engine) -> Iterator[tuple[Api, str]]:
    """The service with a 0.3 s write wait; the provider's token."""
    url = db_engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, write_wait=WAIT), FixedClock(TEST_TODAY))
    with TestClient(app) as client:
        api = Api(client, db_engine, None)
        api.add_party("gemeente", m.GEMEENTE)
        yield api, api.add_party("aanbieder", m.AANBIEDER)
    app.state.service.engine.dispose()


def _jw315(n: int) -> bytes:
    data = m.jw315()
    data["Header"]["BerichtIdentificatie"]["Identificatie"] = f"BUSY{n}"
    for i, product in enumerate(data["Client"]["AangevraagdeProducten"]["AangevraagdProduct"]):
        product["ReferentieAanbieder"] = f"BUSY{n}-{i}"
    data["Client"]["Bsn"] = m.bsn(700 + n)
    return render("JW315", data)


def _assert_busy(r) -> None:
    assert r.status_code == 503, r.text[:300]
    assert r.json()["code"] == "BUSY"
    assert int(r.headers["Retry-After"]) >= 1


def _assert_reads_and_writes_around(api: Api, token: str, release) -> None:
    """While the writer is held: a POST answers 503, a GET 200; after release the POST goes."""
    _assert_busy(api.post(token, _jw315(1)))
    assert api.poll(token).status_code == 200
    release()
    r = api.post(token, _jw315(1))
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("X-Resend") is None  # the refused attempt left nothing behind


def test_a_writer_queued_in_this_process_gets_503_after_the_bounded_wait(short_wait):
    api, token = short_wait
    if api.engine.dialect.name != "sqlite":
        pytest.skip("the in-process writer queue is SQLite's")
    found = writer_queue(api.client.app.state.service.engine)
    assert found is not None
    queue, wait = found
    assert wait == WAIT
    assert queue.acquire(1)
    timer = threading.Timer(RELEASE_AFTER, queue.release)
    timer.start()

    def release() -> None:
        if timer.is_alive():
            timer.cancel()
            queue.release()

    _assert_reads_and_writes_around(api, token, release)


def test_a_lock_held_by_another_process_gives_503_not_500(short_wait):
    # SQLite: another process holds the write lock ("database is locked" used to be a 500 after
    # 30 s); PostgreSQL: another process holds the provider's row lock (waited forever).
    api, token = short_wait
    url = api.engine.url
    if api.engine.dialect.name == "sqlite":
        other = sqlite3.connect(url.database, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
    else:
        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        other = psycopg.connect(plain)
        other.execute("SELECT id FROM parties WHERE code = %s FOR UPDATE", (m.AANBIEDER,))
    timer = threading.Timer(RELEASE_AFTER, other.rollback)
    timer.start()

    def release() -> None:
        timer.cancel()
        other.rollback()
        other.close()

    _assert_reads_and_writes_around(api, token, release)


def test_a_write_is_committed_before_it_is_answered(api, monkeypatch):
    """The request's transaction commits before the answer leaves: a commit that cannot get its
    turn is answered 503 BUSY, never a 2xx for a change that was not stored."""
    from sqlalchemy import select
    from sqlalchemy.orm import SessionTransaction

    from app.db.base import Busy, session_factory
    from app.steering.models import Webhook

    token = api.add_party("gemeente", m.GEMEENTE)
    headers = {"Authorization": f"Bearer {token}"}

    commit = SessionTransaction.commit

    def busy_commit(self, *args, **kwargs):
        if self.nested or self._parent is not None:  # a savepoint inside the route: as it was
            return commit(self, *args, **kwargs)
        raise Busy("the database is busy", 1)  # the request's own commit

    with monkeypatch.context() as patch:
        patch.setattr(SessionTransaction, "commit", busy_commit)
        r = api.client.put(
            "/v1/alerts/webhook", json={"url": "https://example.org/hook"}, headers=headers
        )
    _assert_busy(r)
    with session_factory(api.engine)() as s:
        assert s.scalars(select(Webhook)).all() == []
    ok = api.client.put(
        "/v1/alerts/webhook", json={"url": "https://example.org/hook"}, headers=headers
    )
    assert ok.status_code == 200, ok.text
