"""kill -9 mid-declaration, restart, resend: the declaration is either fully processed with its
stored answer or not at all (issue 10).  PostgreSQL: the workers of `ijw serve --workers 2` are
killed and the supervisor starts new ones; SQLite: the one process is killed and started again.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from app.clock import SystemClock
from app.db.base import make_engine, session_factory, transaction
from app.db.migrate import upgrade
from app.exchange.models import FeedEntry, MessageRecord
from app.exchange.parties import add_party
from app.flows.declarations.models import Declaration, PrestatieLine
from app.ijw.catalogue import Role
from testkit.samples import declaration_with_allocations
from testkit.store import rows_of, seed_allocations
from tests.concurrency.live import Client, Server, postgres_database

TODAY = date(2026, 6, 15)
G, AGB = "0363", "12345678"
PRESTATIES = 2000  # about 2 MB: a second or so of work to be killed in the middle of
ROUNDS = 2  # kills per backend, each at a random moment of the declaration's processing


def _bundle(seed: int):
    return declaration_with_allocations(
        PRESTATIES,
        seed=seed,
        periode=date(2026, 4, 1),
        gemeente=G,
        aanbieder=AGB,
        first_toewijzingnummer=1_000_000 + 100_000 * seed,
    )


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_mid_declaration_then_resend(backend, tmp_path):
    url = f"sqlite:///{tmp_path / 'kill.sqlite'}" if backend == "sqlite" else None
    url = url or postgres_database("kill")
    upgrade(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        add_party(s, Role.GEMEENTE, G, "kill", SystemClock())
        token = add_party(s, Role.AANBIEDER, AGB, "kill", SystemClock())[1]
    bundles = [_bundle(seed) for seed in range(ROUNDS + 1)]
    for b in bundles:
        seed_allocations(engine, G, AGB, rows_of(b.allocations))
    workers = 1 if backend == "sqlite" else 2
    server = Server(url, TODAY, workers=workers).start().wait_ready()
    rng = random.Random(10)
    try:
        # how long one declaration takes here and now: the kills land inside that window
        started = time.monotonic()
        first = Client(server, token).post_xml(bundles[0].xml())
        took = time.monotonic() - started
        assert first.status_code == 200, first.text[:300]
        for round_ in range(1, ROUNDS + 1):
            body = bundles[round_].xml()
            posted = threading.Thread(target=_post_quietly, args=(server, token, body))
            posted.start()
            time.sleep(took * rng.uniform(0.15, 0.95))
            server = _kill_and_restart(server)
            posted.join()
            again = Client(server, token).post_xml(body)
            assert again.status_code == 200, again.text[:300]
            _assert_exactly_once(engine, bundles[round_], again)
    finally:
        server.stop()
        engine.dispose()


def _post_quietly(server: Server, token: str, body: bytes) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the connection dies with the server: the point
        Client(server, token).post_xml(body)


def _kill_and_restart(server: Server) -> Server:
    if server.workers > 1:
        old = set(server.worker_pids())
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # the supervisor replaces every killed worker
            pids = set(server.worker_pids())
            if len(pids) == server.workers and not pids & old:
                return server.wait_ready()
            time.sleep(0.1)
        pytest.fail("the killed workers were not replaced")
    server.kill()
    return Server(server.url, server.today, port=server.port).start().wait_ready()


def _assert_exactly_once(engine, bundle, answer: httpx.Response) -> None:
    nummer = bundle.declaration["Declaratie"]["DeclaratieNummer"]
    ident = bundle.declaration["Header"]["BerichtIdentificatie"]["Identificatie"]
    with session_factory(engine)() as s:
        inbound = s.scalars(
            select(MessageRecord).where(
                MessageRecord.message_type == "JW323",
                MessageRecord.identificatie == ident,
                MessageRecord.direction == "in",
            )
        ).all()
        assert len(inbound) == 1  # processed once: the killed attempt left nothing, or all
        record = inbound[0]
        assert record.verdict != "pending" and record.answer_id is not None
        stored = s.get(MessageRecord, record.answer_id)
        assert stored is not None and stored.raw == answer.content  # the stored answer, sent
        decls = s.scalars(select(Declaration).where(Declaration.nummer == nummer)).all()
        assert len(decls) == 1 and decls[0].message_id == record.id
        lines = s.scalar(select(func.count()).where(PrestatieLine.declaration_id == decls[0].id))
        assert lines == bundle.n_prestaties == decls[0].n_prestaties
        fed = s.scalar(
            select(func.count()).where(FeedEntry.message_id.in_((record.id, record.answer_id)))
        )
        assert fed == 2  # the JW323 in the gemeente's feed, the JW325 in the provider's
