"""A 25 MB JW323 end to end (POST -> JW325) against allocations in the database, side by side
with lxml parse + XSD of the same file, on SQLite and PostgreSQL, with peak memory.

    .venv/bin/python bench/declaration_bench.py [--prestaties 26000] [--postgres URL] [--rejected]

The declaration comes from `testkit.samples.declaration_with_allocations` (about 1 kB per
prestatie; 26,000 prestaties for 6,500 clients is the 25 MB limit of OP179).  Its allocations
are put in the flows store and a contract region is imported whose catalogue and tariffs match
them, so every prestatie passes every rule (the bench checks that the JW325 approves all of
them: 8001, Toegekend = Ingediend).

Per backend: migrate, seed the allocations and contracts, start the real server (`ijw serve` in
its own process), warm it up with a small declaration (schemas compiled, code imported), reset
the server's peak-RSS mark (/proc/PID/clear_refs), then time one POST of the big declaration over
HTTP until the JW325 is received.  Peak memory is the growth of the server process's peak RSS
during that request (lxml's C memory included, which tracemalloc misses), compared with the body
size; the client's copy of the body is in another process and does not count.

PostgreSQL runs when --postgres or IJW_TEST_POSTGRES_URL names a database; that database is
WIPED (schema public dropped) - use a scratch database.

`--rejected` adds the worst case: the same declaration without its allocations, so every
prestatie is rejected (9338) and listed in a JW325 as large as the declaration.

Targets (issue 10): end to end <= 10x parse+XSD, peak memory <= 6x the body, both for all
approved and for all rejected.
The script prints a table and exits 0; `--check` makes it exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GEMEENTE, AGB = "0363", "12345678"
PERIODE = date(2026, 4, 1)
TODAY = "2026-06-15"


# --------------------------------------------------------------------------- preparing the data


def prepare(n: int, seed: int) -> tuple[bytes, list[dict[str, Any]], dict[str, Any]]:
    """The declaration, its allocations and a matching contract document.

    The generator picks a code and tariff per allocation at random; a contract has one tariff
    and unit per code, so codes are made unique per (code, unit) and each code gets the tariff
    of its first allocation (prestaties re-priced: IngediendBedrag = volume x tariff, TR346).
    """
    from app.ijw.render import render
    from testkit.samples import declaration_with_allocations

    bundle = declaration_with_allocations(
        n, seed=seed, periode=PERIODE, gemeente=GEMEENTE, aanbieder=AGB
    )
    used: dict[str, tuple[str, int | None]] = {}  # code -> (eenheid, tarief)
    fixed: dict[int, tuple[str, int | None]] = {}  # toewijzingnummer -> (code, tarief)
    allocations = []
    for a in bundle.allocations:
        code = a.code
        if code in used and used[code][0] != a.eenheid:
            suffix = 0
            while (code := f"{a.categorie}X{suffix:02d}") in used and used[code][0] != a.eenheid:
                suffix += 1
        used.setdefault(code, (a.eenheid, a.tarief))
        tarief = used[code][1]
        fixed[a.toewijzingnummer] = (code, tarief)
        allocations.append(
            {
                "nummer": a.toewijzingnummer,
                "bsn": a.bsn,
                "categorie": a.categorie,
                "code": code,
                "ingangsdatum": a.ingangsdatum.isoformat(),
                "einddatum": a.einddatum.isoformat() if a.einddatum else None,
                "volume": a.volume,
                "eenheid": a.eenheid,
                "frequentie": a.frequentie,
            }
        )
    total = 0
    decl = bundle.declaration["Declaratie"]
    for client in decl["Clienten"]["Client"]:
        for p in client["Prestaties"]["Prestatie"]:
            code, tarief = fixed[p["ToewijzingNummer"]]
            p["ProductCode"] = code
            if tarief is not None:
                p["GeleverdVolume"] = min(p["GeleverdVolume"], 99_999_999 // tarief)
                p["ProductTarief"] = tarief
                p["IngediendBedrag"]["Bedrag"] = p["GeleverdVolume"] * tarief
            total += p["IngediendBedrag"]["Bedrag"]
    decl["TotaalIngediendBedrag"] = {"TotaalBedrag": total, "DebetCredit": "D"}
    cats = {a["code"]: a["categorie"] for a in allocations}
    contracts = {
        "format": "ijw-contracts/1",
        "regions": [
            {
                "code": "BENCH",
                "gemeenten": [GEMEENTE],
                "products": [
                    {"categorie": cats[c], "code": c, "eenheid": u, "valid_from": "2020-01-01"}
                    for c, (u, _) in sorted(used.items())
                ],
                "contracts": [
                    {
                        "aanbieder": AGB,
                        "code": c,
                        "variant": "output" if u in ("82", "83") else "inspanning",
                        "tariffs": [{"eenheid": u, "tarief": t, "valid_from": "2020-01-01"}],
                    }
                    for c, (u, t) in sorted(used.items())
                ],
            }
        ],
    }
    return render("JW323", bundle.declaration), allocations, contracts


def parse_xsd_seconds(data: bytes, repeat: int = 3) -> float:
    """Best of `repeat`: lxml parse + XSD validation of the same bytes (the unavoidable part)."""
    from app.ijw import xml

    info = xml.identify(xml.parse(data))
    xml.schema_for(info.name)
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        tree = xml.parse(data)
        xml.validate(tree, info)
        best = min(best, time.perf_counter() - start)
        del tree
    return best


# --------------------------------------------------------------------------- one backend (child)


def seed(url: str, allocations: list[dict[str, Any]], contracts: dict[str, Any]) -> None:
    """Contracts through the importer, allocations straight into the flows store (bulk)."""
    from app.db.base import make_engine, session_factory, transaction
    from app.reference.contracts import import_document
    from testkit.store import seed_allocations

    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        import_document(s, contracts)
    seed_allocations(engine, GEMEENTE, AGB, allocations)
    engine.dispose()


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak(pid: int) -> bool:
    """Reset the process's peak-RSS mark (Linux: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_backend(
    url: str,
    data: bytes,
    allocations: list[dict[str, Any]],
    contracts: dict[str, Any],
    *,
    rejected: bool = False,
) -> dict[str, Any]:
    """Prepare one database, start `ijw serve` on it and time the POST of the declaration.

    `rejected`: the allocations are not seeded, so every prestatie is rejected (9338) and the
    JW325 lists all of them - the largest answer the service can have to build and check.
    """
    import httpx
    from lxml import etree

    from app.clock import FixedClock
    from app.db.base import make_engine, session_factory, transaction
    from app.db.migrate import upgrade
    from app.exchange.parties import add_party
    from app.ijw.catalogue import Role

    if url.startswith("postgresql"):
        from testkit.store import wipe

        wipe(url)
    upgrade(url)
    engine = make_engine(url)
    clock = FixedClock(date.fromisoformat(TODAY))
    with transaction(session_factory(engine)) as s:
        add_party(s, Role.GEMEENTE, GEMEENTE, "bench", clock)
        _, token = add_party(s, Role.AANBIEDER, AGB, "bench", clock)
    engine.dispose()
    t0 = time.perf_counter()
    seed(url, [] if rejected else allocations, contracts)
    seeded = time.perf_counter() - t0
    port = _free_port()
    env = {**os.environ, "IJW_TODAY": TODAY, "IJW_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.bootstrap", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
    try:
        with httpx.Client(base_url=base, timeout=300) as client:
            for _ in range(200):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise SystemExit("the server did not start")
            r = client.post(
                "/v1/berichten", content=_warmup_declaration(allocations[0]), headers=headers
            )
            assert r.status_code == 200, r.text
            # parse+XSD right before and after the POST: the machine's load then is the same
            before = parse_xsd_seconds(data)
            peak_reset = _reset_peak(server.pid)
            rss_before = _status_kb(server.pid, "VmRSS")
            start = time.perf_counter()
            r = client.post("/v1/berichten", content=data, headers=headers)
            seconds = time.perf_counter() - start
            peak = _status_kb(server.pid, "VmHWM")
            assert r.status_code == 200, r.text[:500]
            body = r.content
            parse_xsd = (before + parse_xsd_seconds(data)) / 2
    finally:
        server.terminate()
        server.wait(timeout=30)
    codes = [e.text for e in etree.fromstring(body).iter("{*}RetourCode")]
    return {
        "backend": "postgresql" if url.startswith("postgresql") else "sqlite",
        "bytes": len(data),
        "seed_s": seeded,
        "parse_xsd_s": parse_xsd,
        "post_s": seconds,
        "rss_before_mb": rss_before / 1024,
        "peak_growth_mb": (peak - rss_before) / 1024 if peak_reset else None,
        "peak_rss_mb": peak / 1024,
        "all_approved": codes == ["0200", "8001"],
        "all_rejected": rejected and set(codes) == {"0200", "9338"},
        "mode": "all rejected" if rejected else "all approved",
        "codes": sorted(set(codes))[:10],
    }


def _warmup_declaration(a: dict[str, Any]) -> bytes:
    """A one-prestatie declaration on the first allocation (another month, number, refs)."""
    from app.ijw.render import render

    start = max(date.fromisoformat(a["ingangsdatum"]), date(2026, 1, 1))
    header = {
        "BerichtCode": "490",
        "BerichtVersie": 3,
        "BerichtSubversie": 2,
        "Afzender": AGB,
        "Ontvanger": GEMEENTE,
        "BerichtIdentificatie": {"Identificatie": "WARMUP", "Dagtekening": date(2026, 6, 1)},
        "XsdVersie": {"BasisschemaXsdVersie": "1.0.0", "BerichtXsdVersie": "1.0.0"},
    }
    return render(
        "JW323",
        {
            "Header": header,
            "Declaratie": {
                "DeclaratieNummer": "WARMUP",
                "DeclaratiePeriode": {"Begindatum": PERIODE, "Einddatum": date(2026, 4, 30)},
                "DeclaratieDagtekening": date(2026, 6, 1),
                "TotaalIngediendBedrag": {"TotaalBedrag": 0, "DebetCredit": "D"},
                "Clienten": {
                    "Client": [
                        {
                            "Bsn": a["bsn"],
                            "Prestaties": {
                                "Prestatie": [
                                    {
                                        "ProductReferentie": {"ReferentieNummer": "WARMUP1"},
                                        "ToewijzingNummer": a["nummer"],
                                        "ProductCategorie": a["categorie"],
                                        "ProductCode": a["code"],
                                        "ProductPeriode": {
                                            "Begindatum": start.replace(day=1),
                                            "Einddatum": start.replace(day=1),
                                        },
                                        "GeleverdVolume": 0,
                                        "Eenheid": "83",
                                        "IngediendBedrag": {"Bedrag": 0, "DebetCredit": "D"},
                                    }
                                ]
                            },
                        }
                    ]
                },
            },
        },
    )


# --------------------------------------------------------------------------- driver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prestaties", type=int, default=26_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("IJW_TEST_POSTGRES_URL", ""))
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--rejected",
        action="store_true",
        help="also run the worst case: no allocations, every prestatie rejected and listed",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ijw-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        data, allocations, contracts = prepare(args.prestaties, args.seed)
        clients = len({a["bsn"] for a in allocations})
        print(
            f"JW323: {args.prestaties:,} prestaties, {clients:,} clients, {len(allocations):,}"
            f" allocations, {len(data) / 1e6:.1f} MB"
            f" (generated in {time.perf_counter() - t0:.1f}s)",
            flush=True,
        )
        backends = [("sqlite", f"sqlite:///{work / 'bench.sqlite'}")]
        if args.postgres:
            backends.append(("postgresql", args.postgres))
        else:
            print("PostgreSQL skipped: give --postgres URL or set IJW_TEST_POSTGRES_URL")
        results = [run_backend(url, data, allocations, contracts) for _, url in backends]
        if args.rejected:
            fresh = {"sqlite": f"sqlite:///{work / 'bench-rejected.sqlite'}"}
            results += [
                run_backend(fresh.get(name, url), data, allocations, contracts, rejected=True)
                for name, url in backends
            ]
    print()
    head = (
        f"{'backend':<11} {'parse+XSD s':>11} {'POST->325 s':>11} {'ratio':>6} {'target':>7}"
        f" {'peak +MB':>9} {'x body':>7} {'target':>7} {'outcome':>14}"
    )
    print(head)
    print("-" * len(head))
    ok = True
    for r in results:
        ratio = r["post_s"] / r["parse_xsd_s"]
        growth = r["peak_growth_mb"]
        mem_ratio = growth * 1024 * 1024 / r["bytes"] if growth is not None else None
        expected = r["all_rejected"] if r["mode"] == "all rejected" else r["all_approved"]
        ok = ok and ratio <= 10 and (mem_ratio is None or mem_ratio <= 6) and expected
        print(
            f"{r['backend']:<11} {r['parse_xsd_s']:>11.3f} {r['post_s']:>11.2f} {ratio:>6.1f}"
            f" {'<=10':>7} {growth if growth is not None else float('nan'):>9.0f}"
            f" {mem_ratio if mem_ratio is not None else float('nan'):>7.1f} {'<=6':>7}"
            f" {r['mode'] if expected else 'UNEXPECTED':>14}"
        )
    print()
    print(
        "POST->325: one HTTP request to `ijw serve` (level 1+2, header rules, declaration rules,"
        " booking, JW325 build and self-check, message log, commit), after a warm-up request."
    )
    print("peak +MB: growth of the server's peak RSS during that request (VmHWM - VmRSS before).")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
