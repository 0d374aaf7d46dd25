"""What the GGk channel costs next to the direct API (side-by-side ratios, not targets).

    .venv/bin/python bench/ggk_bench.py [--messages 200] [--entries 300] [--prestaties 20000]
                                        [--postgres URL]

1. Inbound, in-process over the ASGI test client: the same kind of JW315 (each distinct) posted
   to `POST /v1/berichten` and, wrapped in a Di01, to `POST /ggk/OntvangAsynchroon`; ms per
   message and the ratio.  The GGk side adds the envelope (parse, our schema, C14N, base64),
   the inbound row, and the outbox entry with the JW316 in a Du01.
2. The envelope alone on a big payload: `read_request` of a Di01 carrying a JW323 with N
   prestaties next to the intake's level 1 (`xml.read`) of that JW323.
3. Outbound: entries per second delivered to a simulator by 1 and by 4 worker processes (the
   simulator runs in the bench process and is part of what is measured).

PostgreSQL runs when --postgres names a database; that database is WIPED (schema public
dropped) - use a scratch database.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

G, AGB = "0363", "12345678"
TODAY = date(2026, 6, 15)


def _fresh(url: str) -> None:

    from app.db.migrate import upgrade

    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
    if url.startswith("postgresql"):
        from testkit.store import wipe

        wipe(url)
    upgrade(url)


def inbound(url: str, n: int) -> tuple[float, float]:
    """ms per message: (POST /v1/berichten, POST /ggk/OntvangAsynchroon)."""
    from fastapi.testclient import TestClient

    from app.bootstrap import Wiring, create_app
    from app.clock import FixedClock
    from app.config import Settings
    from app.db.base import make_engine
    from app.ggk.config import GgkSettings
    from tests.conftest import Api
    from tests.ggk import support as g

    _fresh(url)
    app = create_app(Settings(database_url=url), FixedClock(TODAY), Wiring(ggk=GgkSettings()))
    with TestClient(app) as client:
        api = Api(client, make_engine(url), None)
        chain = g.setup(api)
        direct = [g.jw315(f"D{i}", bsn_n=i + 1) for i in range(n)]
        wrapped = [g.wrap(g.jw315(f"E{i}", bsn_n=n + i + 1))[0] for i in range(n)]
        for body in (g.jw315("W0", 10**5), g.wrap(g.jw315("W1", 10**5 + 1))[0]):  # warm up
            api.post(chain.provider, body) if b"Envelope" not in body else g.post(
                api, chain.ggk, body
            )
        # interleaved, so both sides see the same machine load and the same database size
        t_direct = t_ggk = 0.0
        for plain, enveloped in zip(direct, wrapped, strict=True):
            start = time.perf_counter()
            assert api.post(chain.provider, plain).status_code == 200
            middle = time.perf_counter()
            assert g.post(api, chain.ggk, enveloped).status_code == 200
            t_direct += middle - start
            t_ggk += time.perf_counter() - middle
        t_direct, t_ggk = t_direct / n * 1000, t_ggk / n * 1000
    app.state.service.engine.dispose()
    return t_direct, t_ggk


def envelope_alone(prestaties: int) -> tuple[int, float, float]:
    """(payload bytes, ms of the intake's level 1 on it, ms of read_request on its Di01)."""
    from app.ggk import envelope as e
    from app.ijw import render, xml
    from testkit.samples import declaration_with_allocations

    bundle = declaration_with_allocations(prestaties, gemeente=G, aanbieder=AGB)
    payload = render.render("JW323", bundle.declaration)
    routing = e.Routing(
        "Di01", e.System(AGB, "Zorgsoft"), e.System(G, "GGk"), e.new_reference(),
        "20260615120000", None, "JW323",
    )  # fmt: skip
    versions = e.Versions("0001", "0000", "0003", "0002")
    soap = e.soap_message(
        e.serialize(e.build_envelope(e.Envelope(e.DI01, routing, versions, payload)))
    )

    def best(fn) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times) * 1000

    return len(payload), best(lambda: xml.read(payload)), best(lambda: e.read_request(soap))


def _worker(url: str, endpoint: str) -> None:
    from app.clock import SystemClock
    from app.db.base import make_engine, session_factory
    from app.ggk.config import GgkSettings
    from app.ggk.delivery import Deliverer

    settings = GgkSettings(url=endpoint, timeout=10, lease=30)
    Deliverer(session_factory(make_engine(url)), settings, SystemClock()).deliver_due()


def outbound(url: str, entries: int, workers: int) -> float:
    """Entries per second delivered to a simulator (in this process) by `workers` processes."""
    import multiprocessing

    from sqlalchemy import update

    from app.db.base import make_engine, session_factory, transaction
    from app.ggk.models import OutboxEntry
    from app.ggk.simulator import Link, Simulator
    from tests.ggk.live import serving

    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:  # every entry queued again, due now
        s.execute(update(OutboxEntry).values(state="queued", lease_until=None, lease_token=None,
                                             next_attempt_at=OutboxEntry.created_at))  # fmt: skip
    engine.dispose()
    sim = Simulator(Link("http://127.0.0.1:9"), echo=False)
    ctx = multiprocessing.get_context("fork")
    with serving(sim.app()) as base:
        procs = [
            ctx.Process(target=_worker, args=(url, f"{base}/ggk/OntvangAsynchroon"))
            for _ in range(workers)
        ]
        start = time.perf_counter()
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - start
    assert len(sim.state.received) == entries, (len(sim.state.received), entries)
    return entries / elapsed


def fill_outbox(url: str, entries: int) -> None:
    """`entries` JW315s through the GGk, so the outbox holds that many Du01s."""
    from fastapi.testclient import TestClient

    from app.bootstrap import Wiring, create_app
    from app.clock import FixedClock
    from app.config import Settings
    from app.db.base import make_engine
    from app.ggk.config import GgkSettings
    from tests.conftest import Api
    from tests.ggk import support as g

    _fresh(url)
    app = create_app(Settings(database_url=url), FixedClock(TODAY), Wiring(ggk=GgkSettings()))
    with TestClient(app) as client:
        api = Api(client, make_engine(url), None)
        chain = g.setup(api)
        for i in range(entries):
            assert (
                g.post(api, chain.ggk, g.wrap(g.jw315(f"O{i}", bsn_n=i + 1))[0]).status_code == 200
            )
    app.state.service.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--prestaties", type=int, default=20000)
    parser.add_argument("--postgres", default=os.environ.get("IJW_BENCH_POSTGRES_URL", ""))
    args = parser.parse_args()
    os.environ.pop("IJW_GGK_URL", None)
    backends = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/ggk-bench.sqlite"}
    if args.postgres:
        backends["postgresql"] = args.postgres

    print(f"1. inbound, {args.messages} JW315s each way (ms per message)")
    print(f"   {'backend':11} {'/v1/berichten':>14} {'/ggk (Di01)':>12} {'ratio':>6}")
    for name, url in backends.items():
        direct, ggk = inbound(url, args.messages)
        print(f"   {name:11} {direct:14.1f} {ggk:12.1f} {ggk / direct:6.2f}")

    size, level1, env = envelope_alone(args.prestaties)
    print(f"\n2. a JW323 with {args.prestaties} prestaties ({size / 1e6:.1f} MB): ")
    print(f"   intake level 1 {level1:7.0f} ms, envelope read_request {env:7.0f} ms, "
          f"ratio {env / level1:.2f}")  # fmt: skip

    print(f"\n3. outbound, {args.entries} Du01s to a simulator (entries per second)")
    print(f"   {'backend':11} {'1 process':>10} {'4 processes':>12}")
    for name, url in backends.items():
        fill_outbox(url, args.entries)
        one = outbound(url, args.entries, 1)
        four = outbound(url, args.entries, 4)
        print(f"   {name:11} {one:10.0f} {four:12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
