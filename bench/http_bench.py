"""Small messages through HTTP: JW315 -> JW316 per second next to the same server's /healthz rate,
per backend and worker count, with latency percentiles; and the scale-out from 1 to 2 workers.

    .venv/bin/python bench/http_bench.py [--postgres URL] [--seconds 5] [--clients 8]
                                          [--workers 1,2] [--pairs 1] [--quick]

For every configuration (SQLite with one process; PostgreSQL with each worker count) a fresh
database is migrated, a gemeente and a provider are added and `ijw serve --workers N` is started
in its own processes.  Then, in the same run and with the same number of concurrent clients
(keep-alive connections, one request in flight each):

1. `GET /healthz` for `--seconds`: the ceiling the HTTP stack and one database round trip set on
   this machine, at this moment (other load on the machine moves both figures alike);
2. `POST /v1/berichten` with a distinct JW315 per request (new client, ReferentieAanbieder and
   BerichtIdentificatie, so every one is judged and stored: never the resend path), each
   answered 200 with a JW316.

The load generator is a few lines of asyncio on raw sockets (no HTTP library), so it costs the
2-core machine little next to the server it measures.  With `--pairs N` the clients send as N
provider/gemeente pairs (one party's messages are serialised by its row lock, so one pair is
the worst case and many pairs show how the service scales out).  The `/healthz` scale-out next
to the JW315 one shows how much of the machine was free for a second worker in this run.

The table prints requests/s, the ratio JW315/healthz, p50/p99 in milliseconds, the server's CPU
per request and the targets (issue 10): >= 400 JW315/s on PostgreSQL with 2 workers at 8
clients with p99 < 50 ms; >= 250/s on SQLite with one process; 2 workers >= 1.7x one on
PostgreSQL.  The PostgreSQL database is WIPED (schema public dropped).  This script prints; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GEMEENTE, AGB = "0363", "12345678"
TODAY = "2026-06-15"


# --------------------------------------------------------------------------- the messages


def jw315_template(agb: str = AGB, gemeente: str = GEMEENTE) -> bytes:
    """One rendered JW315 whose client, references and identificatie are fixed-width markers."""
    from app.ijw.render import render
    from testkit import messages as m

    product = m.aangevraagd("RQ#######A")
    product.pop("Verwijzer")
    product["Verwijzer"] = {"Type": "01"}
    data = {
        "Header": m.header_for("JW315", agb, gemeente, "V#######", date(2026, 6, 10)),
        "Client": {
            **m.client_person("BSN######"),
            "AangevraagdeProducten": {"AangevraagdProduct": [product]},
        },
    }
    return render("JW315", data)


class Jw315s:
    """Distinct JW315s from one template: message i has its own client, reference and id."""

    def __init__(
        self, token: str, port: int, start: int = 0, agb: str = AGB, gemeente: str = GEMEENTE
    ) -> None:
        from testkit.messages import bsn

        self._bsn = bsn
        self.template = jw315_template(agb, gemeente)
        self.head = (
            f"POST /v1/berichten HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/xml\r\n"
        ).encode()
        self.next = start

    def __call__(self) -> bytes:
        i = self.next
        self.next += 1
        body = (
            self.template.replace(b"V#######", f"V{i:07d}".encode())
            .replace(b"RQ#######A", f"RQ{i:07d}A".encode())
            .replace(b"BSN######", self._bsn(i).encode())
        )
        return self.head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def healthz(port: int) -> bytes:
    return f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


# --------------------------------------------------------------------------- the load generator


@dataclass
class Run:
    """What one timed phase measured."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    cpu_ms: float = float("nan")  # the server's CPU per request (all its processes)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        values = sorted(self.latencies_ms)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(q * len(values)))]


async def _client(
    port: int,
    make: object,
    stop_at: float,
    record_from: float,
    out: list[float],
    statuses: dict[int, int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return
            request = make() if callable(make) else make
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            done = time.perf_counter()
            if now >= record_from:
                out.append((done - now) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


def load(port: int, make: object, clients: int, seconds: float, warmup: float = 1.0) -> Run:
    """`clients` keep-alive connections, one request in flight each, for `seconds`."""

    async def main() -> Run:
        start = time.perf_counter()
        record_from = start + warmup
        stop_at = record_from + seconds
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        makers = make if isinstance(make, list) else [make]
        await asyncio.gather(
            *(
                _client(port, makers[k % len(makers)], stop_at, record_from, latencies, statuses)
                for k in range(clients)
            )
        )
        return Run(len(latencies), seconds, latencies, statuses)

    return asyncio.run(main())


# --------------------------------------------------------------------------- one configuration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(url: str, pairs: int = 1) -> list[tuple[str, str, str]]:
    """A fresh, migrated database with `pairs` gemeenten and providers: (token, agb, gemeente)
    per pair."""

    from app.clock import SystemClock
    from app.db.base import make_engine, session_factory, transaction
    from app.db.migrate import upgrade
    from app.exchange.parties import add_party
    from app.ijw.catalogue import Role

    if url.startswith("postgresql"):
        from testkit.store import wipe

        wipe(url)
    upgrade(url)
    from app.reference.codelists import shipped_list

    current = [g.code for g in shipped_list() if g.valid_to is None and g.code != GEMEENTE]
    engine = make_engine(url)
    out = []
    with transaction(session_factory(engine)) as s:
        for i in range(pairs):
            gemeente = GEMEENTE if i == 0 else current[i]
            agb = f"{int(AGB) + i:08d}"
            add_party(s, Role.GEMEENTE, gemeente, "bench", SystemClock())
            _, token = add_party(s, Role.AANBIEDER, agb, "bench", SystemClock())
            out.append((token, agb, gemeente))
    engine.dispose()
    return out


def serve(url: str, workers: int, port: int) -> subprocess.Popen[bytes]:
    """`ijw serve --workers N` on `port`, once /healthz answers."""
    env = {**os.environ, "IJW_TODAY": TODAY, "IJW_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "app.bootstrap", "serve", "--port", str(port)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    server = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(healthz(port))
                if sock.recv(12).endswith(b"200"):
                    return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its live children, from /proc."""
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def timed_load(
    server: subprocess.Popen[bytes], port: int, make: object, clients: int, seconds: float
) -> Run:
    """`load`, plus the server's CPU milliseconds per request over the same phase."""
    before = _cpu_seconds(server.pid)
    run = load(port, make, clients, seconds, warmup=0)
    run.cpu_ms = (_cpu_seconds(server.pid) - before) * 1000 / max(1, run.requests)
    return run


@dataclass
class Result:
    backend: str
    workers: int
    health: Run
    jw315: Run


def measure(
    backend: str, url: str, workers: int, clients: int, seconds: float, pairs: int = 1
) -> Result:
    parties = prepare(url, pairs)
    port = _free_port()
    server = serve(url, workers, port)
    try:
        messages = [Jw315s(token, port, 0, agb, g) for token, agb, g in parties]
        # every worker compiles, imports and connects before the timings
        load(port, messages, clients, 1.0, warmup=1.0)
        load(port, healthz(port), clients, 0.5, warmup=0)
        health = timed_load(server, port, healthz(port), clients, seconds)
        jw315 = timed_load(server, port, messages, clients, seconds)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return Result(backend, workers, health, jw315)


# --------------------------------------------------------------------------- driver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("IJW_TEST_POSTGRES_URL", ""))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="worker counts on PostgreSQL")
    parser.add_argument("--quick", action="store_true", help="1-second phases (a smoke run)")
    parser.add_argument(
        "--pairs",
        type=int,
        default=1,
        help="provider/gemeente pairs the clients send as (1: every message between the same "
        "two parties, whose messages are serialised - the worst case)",
    )
    args = parser.parse_args(argv)
    seconds = 1.0 if args.quick else args.seconds
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="ijw-http-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        results.append(measure("sqlite", url, 1, args.clients, seconds, args.pairs))
    if args.postgres:
        for workers in (int(w) for w in args.workers.split(",")):
            results.append(
                measure("postgresql", args.postgres, workers, args.clients, seconds, args.pairs)
            )
    else:
        print("PostgreSQL skipped: give --postgres URL or set IJW_TEST_POSTGRES_URL")
    print(
        f"\n{args.clients} concurrent clients as {args.pairs} provider/gemeente pair(s),"
        f" {seconds:g} s per phase, after a warm-up"
    )
    print("cpu ms: the server's CPU time (every process) per JW315 over the same phase")
    head = (
        f"{'backend':<11} {'workers':>7} {'healthz/s':>9} {'p99 ms':>7} {'JW315/s':>8}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'315/healthz':>11} {'cpu ms':>6} {'non-200':>7}"
        f" {'target':>16}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        bad = sum(n for s, n in r.jw315.statuses.items() if s != 200)
        target = ">=250/s" if r.backend == "sqlite" else ">=400/s p99<50" if r.workers == 2 else ""
        print(
            f"{r.backend:<11} {r.workers:>7} {r.health.rate:>9.0f} {r.health.pct(0.99):>7.1f}"
            f" {r.jw315.rate:>8.0f} {r.jw315.pct(0.5):>7.1f} {r.jw315.pct(0.99):>7.1f}"
            f" {r.jw315.rate / r.health.rate:>11.2f} {r.jw315.cpu_ms:>6.2f} {bad:>7} {target:>16}"
        )
    pg = {r.workers: r for r in results if r.backend == "postgresql"}
    if 1 in pg and 2 in pg:
        jw315 = pg[2].jw315.rate / pg[1].jw315.rate
        health = pg[2].health.rate / pg[1].health.rate
        print(
            f"\nscale-out on PostgreSQL: 2 workers = {jw315:.2f}x the JW315 rate of 1"
            f" (target >= 1.7x); healthz {health:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
