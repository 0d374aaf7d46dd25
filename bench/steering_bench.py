"""What the checks on every allocation and the steering figures cost as a region grows.

    .venv/bin/python bench/steering_bench.py [--sizes 1000,10000] [--postgres URL]

A contract set with 20 providers on one regional default tariff and six kinds of ceilings
(per provider, a pool over every contracted provider, a code set, a gemeente set, a soft
spending room, a school-year period), `n` allocations of 1-3 hours a week spread over the
providers and two gemeenten, and one approved prestatie per allocation.  Per size, in-process
(no HTTP), the median of a few runs:

- a back-office create (one JW301) with the default checks, and the same create with no checks
  (`Wiring(pre_create_checks=())`): the ratio is what the checks on every path add;
- GET /v1/ceilings for the gemeente (`ceilings.statuses`);
- the `volumes` and `process` reports for a year, and the payment export.

The table shows the times side by side and how they grow from the smallest to the largest size
(a linear cost grows with the size ratio).  PostgreSQL runs when --postgres names a scratch
database (its schema public is WIPED).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

G1, G2 = "0363", "0362"
TODAY = date(2026, 6, 15)
PROVIDERS = [f"{56_000_000 + i:08d}" for i in range(20)]


def _document() -> dict[str, Any]:
    return {
        "format": "ijw-contracts/2",
        "regions": [
            {
                "code": "BENCH",
                "administrator": G1,
                "gemeenten": [G1, G2],
                "products": [
                    {
                        "categorie": "45",
                        "code": code,
                        "eenheid": "04",
                        "valid_from": "2020-01-01",
                        "tariffs": [{"eenheid": "04", "tarief": 8730, "valid_from": "2020-01-01"}],
                    }
                    for code in ("45A04", "45A05")
                ],
                "contracts": [
                    {"aanbieder": agb, "codes": ["45A04", "45A05"], "start": "2021-01-01"}
                    for agb in PROVIDERS
                ],
                "ceilings": [
                    {
                        "name": "Per aanbieder",
                        "year": 2026,
                        "amount": 10**13,
                        "aanbieders": [PROVIDERS[0]],
                    },
                    {"name": "Pool", "year": 2026, "amount": 10**13, "all_contracted": True},
                    {
                        "name": "Perceel",
                        "year": 2026,
                        "amount": 10**13,
                        "aanbieders": PROVIDERS,
                        "codes": ["45A04"],
                    },
                    {
                        "name": "Gemeente",
                        "year": 2026,
                        "amount": 10**13,
                        "aanbieders": PROVIDERS,
                        "gemeenten": [G1],
                    },
                    {
                        "name": "Ruimte",
                        "year": 2026,
                        "amount": 10**13,
                        "hard": False,
                        "aanbieders": PROVIDERS[:5],
                    },
                    {
                        "name": "Schooljaar",
                        "start": "2025-08-01",
                        "end": "2026-07-31",
                        "amount": 10**13,
                        "aanbieders": PROVIDERS,
                    },
                ],
            }
        ],
    }


def _seed(url: str, n: int) -> None:
    """The set through the importer; allocations and approved prestaties in bulk."""
    from sqlalchemy import insert, text

    from app.db.base import make_engine, session_factory, transaction
    from app.flows.allocations.models import AllocationRow, AllocationVersionRow
    from app.flows.declarations.models import Declaration, PrestatieLine
    from app.reference.contracts import import_document
    from testkit.messages import bsn
    from testkit.store import seed_message

    engine = make_engine(url)
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with transaction(session_factory(engine)) as s:
        import_document(s, _document())
        msg = seed_message(s, G1, PROVIDERS[0], "BENCH", "bench", now)
        decl = Declaration(
            message_id=msg.id,
            gemeente=G1,
            aanbieder=PROVIDERS[0],
            nummer="BENCH",
            identificatie="BENCH",
            dagtekening=now.date(),
            periode_begin=date(2026, 1, 1),
            periode_end=date(2026, 1, 31),
            status="accepted",
            codes=[],
            findings=[],
            checks={},
            ingediend=0,
            toegekend=0,
            n_prestaties=n,
            n_approved=n,
            received_at=now,
        )
        s.add(decl)
        s.flush()
        rows, versions, lines = [], [], []
        for i in range(1, n + 1):
            gem, agb = (G1, G2)[i % 2], PROVIDERS[i % len(PROVIDERS)]
            rows.append(
                {
                    "id": i,
                    "gemeente": gem,
                    "nummer": 100_000 + i,
                    "bsn": bsn(i),
                    "aanbieder": agb,
                    "leading_version_id": i,
                    "latest_version_id": i,
                    "change_seq": 0,
                    "created_at": now,
                }
            )
            versions.append(
                {
                    "id": i,
                    "allocation_id": i,
                    "message_id": msg.id,
                    "position": 1,
                    "gemeente": gem,
                    "nummer": 100_000 + i,
                    "bsn": bsn(i),
                    "aanbieder": agb,
                    "categorie": "45",
                    "code": "45A05" if i % 3 == 0 else "45A04",
                    "ingangsdatum": date(2026, 1, 1),
                    "einddatum": date(2026, 12, 31),
                    "reden_wijziging": None,
                    "volume": 1 + i % 3,
                    "eenheid": "04",
                    "frequentie": "2",
                    "budget": None,
                    "toewijzingsdatum": date(2026, 1, 1),
                    "toewijzingstijd": dtime(10, 0),
                    "referentie_aanbieder": None,
                    "status": "accepted",
                    "unchanged": False,
                    "retour_codes": [],
                    "sent_at": now,
                }
            )
            lines.append(
                {
                    "declaration_id": decl.id,
                    "position": i,
                    "gemeente": gem,
                    "aanbieder": agb,
                    "bsn": bsn(i),
                    "referentienummer": f"B{i}",
                    "vorig_referentienummer": None,
                    "toewijzingnummer": 100_000 + i,
                    "categorie": "45",
                    "code": versions[-1]["code"],
                    "periode_begin": date(2026, 1, 1),
                    "periode_end": date(2026, 1, 31),
                    "volume": 1,
                    "eenheid": "04",
                    "tarief": 8730,
                    "bedrag": 8730,
                    "debet_credit": "D",
                    "status": "approved",
                    "codes": [],
                    "rules": [],
                }
            )
        s.execute(insert(AllocationRow), rows)
        s.execute(insert(AllocationVersionRow), versions)
        s.execute(insert(PrestatieLine), lines)
        if engine.dialect.name == "postgresql":
            for table in ("flow_allocations", "flow_allocation_versions"):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})"))
    engine.dispose()


def _median(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(url: str, n: int, runs: int) -> dict[str, float]:
    from app.bootstrap import Wiring, build_service
    from app.budget import ceilings
    from app.clock import FixedClock
    from app.config import Settings
    from app.db.base import transaction
    from app.exchange import parties
    from app.flows.allocations.planning import Order
    from app.ijw.catalogue import Role
    from app.steering import payments, reports
    from testkit.messages import BACKOFFICE_CLIENT, bsn

    _seed(url, n)
    clock = FixedClock(TODAY)
    checked, _ = build_service(Settings(database_url=url), clock, Wiring())
    bare, _ = build_service(Settings(database_url=url), clock, Wiring(pre_create_checks=()))
    with transaction(checked.factory) as s:
        me, _ = parties.add_party(s, Role.GEMEENTE, G1, "", clock)
        for agb in PROVIDERS:
            parties.add_party(s, Role.AANBIEDER, agb, "", clock)
        s.expunge(me)
    counter = iter(range(10**6))

    def create(svc: Any) -> None:
        order = Order(
            content={
                "categorie": "45",
                "code": "45A04",
                "ingangsdatum": date(2026, 7, 1),
                "einddatum": date(2026, 12, 31),
                "volume": 2,
                "eenheid": "04",
                "frequentie": "2",
            }
        )
        out = svc.backoffice.create_allocations(
            me,
            aanbieder=PROVIDERS[0],
            bsn=bsn(50_000 + next(counter)),
            orders=[order],
            client=BACKOFFICE_CLIENT,
        )
        assert hasattr(out, "message_id"), out

    q = reports.Query((G1,), date(2026, 1, 1), date(2026, 12, 31), "month", today=TODAY)
    out: dict[str, float] = {}
    with checked.factory() as s:
        out["ceilings"] = _median(lambda: ceilings.statuses(s, G1, 2026, TODAY), runs)
        out["volumes"] = _median(lambda: reports.run(s, "volumes", q), runs)
        out["process"] = _median(lambda: reports.run(s, "process", q), runs)
        out["payments"] = _median(lambda: payments.export(s, G1), runs)
    out["create_checked"] = _median(lambda: create(checked), runs)
    out["create_bare"] = _median(lambda: create(bare), runs)
    for svc in (checked, bare):
        svc.engine.dispose()
    return out


def _wipe_postgres(url: str) -> None:

    from testkit.store import wipe

    wipe(url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("IJW_BENCH_POSTGRES_URL", ""))
    args = parser.parse_args()
    from app.db.migrate import upgrade

    sizes = [int(x) for x in args.sizes.split(",")]
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    results: dict[tuple[str, int], dict[str, float]] = {}
    for backend in backends:
        for n in sizes:
            if backend == "sqlite":
                url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
            else:
                url = args.postgres
                _wipe_postgres(url)
            upgrade(url)
            results[(backend, n)] = measure(url, n, args.runs)
    keys = ["create_checked", "create_bare", "ceilings", "volumes", "process", "payments"]
    head = (
        f"{'backend':10} {'allocations':>11} "
        + " ".join(f"{k:>15}" for k in keys)
        + f" {'checks x':>9}"
    )
    print(head)
    for (backend, n), r in results.items():
        cells = " ".join(f"{r[k] * 1000:13.1f}ms" for k in keys)
        print(f"{backend:10} {n:>11} {cells} {r['create_checked'] / r['create_bare']:8.1f}x")
    for backend in backends:
        lo, hi = results[(backend, sizes[0])], results[(backend, sizes[-1])]
        growth = " ".join(f"{hi[k] / lo[k]:14.1f}x" for k in keys)
        print(f"{backend:10} {'growth':>11} {growth}   (sizes x{sizes[-1] / sizes[0]:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
