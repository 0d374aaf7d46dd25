"""Latency of the stateful flows per message type, in-process (the intake without HTTP).

    .venv/bin/python bench/flows_bench.py [--clients 500] [--postgres URL]

Per client: a JW301 with two allocations, the provider's JW302, a JW305 starting both, a JW307
stopping one, a JW315 with two products, our JW319 on one of them and a JW317 for the other
allocations (rejected with 9374: the VOT is still pending).  Every answer is checked (the
expected retour codes), so the bench also proves the flows under volume.  The database grows
while it runs; the table compares the first and the last tenth of the clients to show that the
time per message does not grow with the stored state (indexed look-ups only).

PostgreSQL runs when --postgres or IJW_TEST_POSTGRES_URL names a database; that database is
WIPED (schema public dropped) - use a scratch database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

G, AGB = "0363", "12345678"
TODAY = date(2026, 6, 15)


def _bsn(n: int) -> str:
    from app.harness.scenario import make_bsn

    return make_bsn(n * 2_654_435_761)


def messages(i: int) -> list[tuple[str, str, bytes, str | None]]:
    """(sender role, type, body, expected retour codes as text or None) for client i."""
    from app.ijw.render import render
    from testkit import messages as m

    bsn, n = _bsn(i), 100_000 + 2 * i
    products = [
        {
            "ToewijzingNummer": nr,
            "Product": {"Categorie": "45", "Code": code},
            "Toewijzingsdatum": date(2026, 1, 20),
            "Toewijzingstijd": "10:00:00",
            "Ingangsdatum": date(2026, 2, 1),
            "Einddatum": date(2026, 12, 31),
            "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
        }
        for nr, code in ((n, "45A04"), (n + 1, "45A06"))
    ]
    a301 = m.jw301_for(G, AGB, f"T{i}", client_bsn=bsn, products=products)
    starts = [
        {
            "ToewijzingNummer": nr,
            "Product": {"Categorie": "45", "Code": code},
            "ToewijzingIngangsdatum": date(2026, 2, 1),
            "Begindatum": date(2026, 2, 2),
            "StatusAanlevering": "1",
        }
        for nr, code in ((n, "45A04"), (n + 1, "45A06"))
    ]
    s305 = m.jw305_for(AGB, G, f"S{i}", client_bsn=bsn, starts=starts)
    s307 = m.jw305_for(AGB, G, f"E{i}", client_bsn=bsn, day=date(2026, 6, 1))
    s307["Header"]["BerichtCode"] = "440"
    del s307["Client"]["StartProducten"]
    stop = {**starts[1], "RedenBeeindiging": "31", "Einddatum": date(2026, 5, 31)}
    stop["StatusAanlevering"] = stop.pop("StatusAanlevering")
    s307["Client"]["StopProducten"] = {"StopProduct": [stop]}
    aangevraagd = [
        {
            "ReferentieAanbieder": f"R{i}-{k}",
            "Product": {"Categorie": "45", "Code": code},
            "ToewijzingIngangsdatum": date(2026, 7, 1),
            "ToewijzingEinddatum": date(2026, 12, 31),
            "Omvang": {"Volume": 2, "Eenheid": "04", "Frequentie": "2"},
            "Verwijzer": {"Type": "01"},
        }
        for k, code in ((1, "45A01"), (2, "45A05"))
    ]
    v315 = {
        "Header": m.header_for("JW315", AGB, G, f"V{i}", date(2026, 6, 10)),
        "Client": {
            **m.client_person(bsn),
            "AangevraagdeProducten": {"AangevraagdProduct": aangevraagd},
        },
    }
    a319 = {
        "Header": m.header_for("JW319", G, AGB, f"A{i}", date(2026, 6, 12)),
        "Antwoord": {
            "ReferentieAanbieder": f"R{i}-1",
            "VerzoekAntwoord": "1",
            "RedenAfwijzingVerzoek": "6",
        },
    }
    w317 = {
        "Header": m.header_for("JW317", AGB, G, f"W{i}", date(2026, 6, 12)),
        "Client": {
            "Bsn": bsn,
            "Verzoek": {
                "ReferentieAanbieder": f"W{i}",
                "RedenVerzoek": "1",
                "OngewijzigdeProducten": {"OngewijzigdProduct": [{"ToewijzingNummer": n + 1}]},
                "TeWijzigenProducten": {
                    "TeWijzigenProduct": [
                        {
                            "ToewijzingNummer": n,
                            "GewensteIngangsdatum": date(2026, 2, 1),
                            "Einddatum": date(2027, 6, 30),
                            "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
                        }
                    ]
                },
            },
        },
    }
    return [
        ("gemeente", "JW301", render("JW301", a301), None),
        ("aanbieder", "JW302", render("JW302", m.retour_of(a301, "JW302", f"P{i}", TODAY)), None),
        ("aanbieder", "JW305", render("JW305", s305), ""),
        ("aanbieder", "JW307", render("JW307", s307), ""),
        ("aanbieder", "JW315", render("JW315", v315), ""),
        ("gemeente", "JW319", render("JW319", a319), None),
        ("aanbieder", "JW317", render("JW317", w317), "0200 0200 9374 0200 0200"),
    ]


def run(url: str, clients: int) -> dict[str, list[list[float]]]:
    from app.bootstrap import Wiring, build_service
    from app.clock import FixedClock
    from app.config import Settings
    from app.db.base import transaction
    from app.db.migrate import upgrade
    from app.exchange.parties import add_party
    from app.harness.runner import retour_codes
    from app.ijw.catalogue import Role

    upgrade(url)
    clock = FixedClock(TODAY)
    service, _ = build_service(Settings(database_url=url), clock, Wiring())
    factory = service.factory
    with transaction(factory) as s:
        ids = {
            "gemeente": add_party(s, Role.GEMEENTE, G, "bench", clock)[0].id,
            "aanbieder": add_party(s, Role.AANBIEDER, AGB, "bench", clock)[0].id,
        }
    intake = service.intake
    timings: dict[str, list[list[float]]] = defaultdict(lambda: [[], []])
    for i in range(clients):
        part = 0 if i < clients // 10 else (1 if i >= clients - clients // 10 else None)
        for role, kind, body, expected in messages(i):
            t0 = time.perf_counter()
            answer = intake.receive(ids[role], body)
            elapsed = (time.perf_counter() - t0) * 1000
            assert answer.status == 200, (kind, answer.body[:300])
            if expected is not None:
                got = " ".join(c for codes in retour_codes(answer.body).values() for c in codes)
                assert got == expected, (kind, got, expected)
            if part is not None:
                timings[kind][part].append(elapsed)
    service.engine.dispose()
    return timings


def report(name: str, timings: dict[str, list[list[float]]]) -> None:
    print(f"\n{name}: milliseconds per message (first tenth of clients -> last tenth)")
    print(f"{'type':6} {'median':>14} {'p95':>14}")
    for kind, (first, last) in timings.items():
        med = f"{statistics.median(first):.1f} -> {statistics.median(last):.1f}"
        p95 = (
            f"{statistics.quantiles(first, n=20)[-1]:.1f} -> "
            f"{statistics.quantiles(last, n=20)[-1]:.1f}"
        )
        print(f"{kind:6} {med:>14} {p95:>14}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--postgres", default=os.environ.get("IJW_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        sqlite = run(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", args.clients)
        total = time.perf_counter() - t0
        report(f"SQLite, {args.clients} clients x 7 messages in {total:.1f} s", sqlite)
    if args.postgres:
        from testkit.store import wipe

        wipe(args.postgres)
        t0 = time.perf_counter()
        pg = run(args.postgres, args.clients)
        total = time.perf_counter() - t0
        report(f"PostgreSQL, {args.clients} clients x 7 messages in {total:.1f} s", pg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
