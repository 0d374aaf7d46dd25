"""The delivery worker: every envelope reaches the GGk once it acknowledges, retries keep the
referentienummer, nothing is lost while the GGk is down, no entry is delivered twice."""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.bootstrap import Wiring, create_app
from app.clock import FixedClock, SystemClock
from app.config import Settings
from app.db.base import session_factory, transaction
from app.ggk.config import GgkSettings
from app.ggk.delivery import Deliverer
from app.ggk.models import OutboxEntry
from tests.conftest import TEST_TODAY
from tests.ggk import support as g
from tests.ggk.live import wait_for


def settings(url: str, **kw) -> GgkSettings:
    base = {"url": url, "timeout": 2.0, "lease": 4.0, "backoff_base": 0.05, "backoff_max": 0.2}
    return GgkSettings(**{**base, **kw})


def deliverer(api, url: str, **kw) -> Deliverer:
    return Deliverer(session_factory(api.engine), settings(url, **kw), SystemClock())


def send_jw315s(api, chain, n: int = 1) -> list[str]:
    refs = []
    for i in range(n):
        body, ref = g.wrap(g.jw315(f"V{i}", bsn_n=i + 1))
        assert g.post(api, chain.ggk, body).status_code == 200
        refs.append(ref)
    return refs


def test_an_acknowledged_envelope_is_never_sent_again(api, receiver):
    sim, url = receiver
    chain = g.setup(api)
    [ref] = send_jw315s(api, chain)
    worker = deliverer(api, url)
    [attempt] = worker.deliver_due()
    assert attempt.delivered and attempt.attempt == 1
    [got] = sim.state.received
    assert (got.operation, got.functie, got.cross_ref) == ("ggk_Du01", "JW316", ref)
    assert g.outbox(api)[0].state == "delivered"
    assert worker.deliver_due() == [] and len(sim.state.received) == 1


def test_while_the_ggk_is_down_nothing_is_lost_and_retries_keep_the_referentienummer(api, receiver):
    sim, url = receiver
    chain = g.setup(api)
    send_jw315s(api, chain, 3)
    worker = deliverer(api, url, backoff_base=30, backoff_max=60)
    sim.state.down = True
    first = worker.deliver_due()
    assert len(first) == 3 and not any(a.delivered for a in first)
    assert all("HTTP 503" in (e.last_error or "") for e in g.outbox(api))
    assert worker.deliver_due() == []  # nothing is due before its backoff ends
    sim.state.faults = 2  # the GGk is back, but answers two calls with a Fo03 fault
    sim.state.down = False
    for _ in range(3):
        time_passes(api)
        worker.deliver_due()
    entries = g.outbox(api)
    assert [e.state for e in entries] == ["delivered"] * 3
    assert sorted(e.attempts for e in entries) == [2, 3, 3]
    refs = sorted(e.referentienummer for e in entries)
    assert sorted(r.referentienummer for r in sim.state.received) == refs
    assert sim.state.redeliveries == 0


def time_passes(api) -> None:
    """Every queued entry is due now (as if its backoff had run out)."""
    with transaction(session_factory(api.engine)) as s:
        s.execute(update(OutboxEntry).values(next_attempt_at=OutboxEntry.created_at))


def test_a_dead_endpoint_is_retried_with_a_growing_backoff(api):
    chain = g.setup(api)
    send_jw315s(api, chain)
    worker = deliverer(api, "http://127.0.0.1:9/ggk", backoff_base=10, backoff_max=40)
    [attempt] = worker.deliver_due()
    assert not attempt.delivered and attempt.error.startswith("TRANSPORT")
    [entry] = g.outbox(api)
    wait = (entry.next_attempt_at - entry.updated_at).total_seconds()
    assert 5 <= wait <= 10
    assert [worker.backoff(n) <= cap for n, cap in ((2, 20), (3, 40), (9, 40))] == [True] * 3
    assert worker.backoff(9) >= 20  # capped at 40, jitter keeps at least half


def test_the_service_delivers_in_the_background_within_seconds(db_engine, receiver):
    from fastapi.testclient import TestClient

    from tests.conftest import Api

    sim, url = receiver
    wiring = Wiring(ggk=settings(url, poll_interval=0.05))
    app = create_app(
        Settings(database_url=db_engine.url.render_as_string(False)), FixedClock(TEST_TODAY), wiring
    )
    with TestClient(app) as client:
        api = Api(client, db_engine, None)
        chain = g.setup(api)
        [ref] = send_jw315s(api, chain)
        got = wait_for(lambda: sim.state.received, timeout=10)
        assert got[0].cross_ref == ref and got[0].functie == "JW316"
        wait_for(lambda: g.outbox(api)[0].state == "delivered")
    app.state.service.engine.dispose()


def _deliver(database_url: str, url: str, loop: bool, results) -> None:
    """A worker process: its own engine, delivering what is due (or forever with `loop`)."""
    from app.db.base import make_engine
    from app.ggk.delivery import Worker

    engine = make_engine(database_url)
    worker = Deliverer(session_factory(engine), settings(url, poll_interval=0.05), SystemClock())
    if loop:
        Worker(worker).run()
    results.put(sum(a.delivered for a in worker.deliver_due()))


def _processes(api, url: str, n: int, loop: bool = False):
    """`n` worker processes (forked: real processes that start at once, without re-importing
    the service) on the test's database."""
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    database_url = api.engine.url.render_as_string(False)
    procs = [
        ctx.Process(target=_deliver, args=(database_url, url, loop, results)) for _ in range(n)
    ]
    for p in procs:
        p.start()
    return procs, results


@pytest.mark.postgres
def test_several_worker_processes_never_deliver_one_entry_twice(api, receiver):
    if api.engine.dialect.name != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL")
    sim, url = receiver
    chain = g.setup(api)
    n = 30
    send_jw315s(api, chain, n)
    sim.state.delay = 0.02  # a GGk that takes a moment: the workers overlap
    procs, results = _processes(api, url, 4)
    counts = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(10)
    assert all(p.exitcode == 0 for p in procs)
    assert sum(counts) == n and sum(c > 0 for c in counts) >= 2, counts  # they shared the work
    refs = [r.referentienummer for r in sim.state.received]
    assert len(refs) == len(set(refs)) == n and sim.state.redeliveries == 0
    assert {e.state for e in g.outbox(api)} == {"delivered"}


def test_a_worker_killed_mid_delivery_loses_nothing_and_the_retry_is_a_redelivery(api, receiver):
    sim, url = receiver
    chain = g.setup(api)
    [ref] = send_jw315s(api, chain)
    sim.state.delay = 1.5  # the GGk takes the envelope, then acknowledges late
    [proc], _ = _processes(api, url, 1, loop=True)
    try:
        wait_for(lambda: sim.state.received, timeout=30)  # in flight: taken, not acknowledged
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
    finally:
        if proc.is_alive():
            proc.kill()
    assert proc.exitcode == -signal.SIGKILL
    [entry] = g.outbox(api)
    assert entry.state == "queued" and entry.attempts == 1  # the claim died with the worker
    sim.state.delay = 0
    assert deliverer(api, url).deliver_due() == []  # its lease still holds: nobody sends it
    # the lease runs out (shortened here rather than waited for), then another worker delivers
    # the same bytes with the same referentienummer: a redelivery, acknowledged again
    with transaction(session_factory(api.engine)) as s:
        s.execute(update(OutboxEntry).values(lease_until=entry.lease_until - timedelta(seconds=10)))
    [attempt] = deliverer(api, url).deliver_due()
    assert attempt.delivered and attempt.attempt == 2
    assert attempt.referentienummer == entry.referentienummer
    assert len(sim.state.received) == 1 and sim.state.redeliveries == 1
    assert sim.state.received[0].cross_ref == ref
    assert g.outbox(api)[0].state == "delivered"
