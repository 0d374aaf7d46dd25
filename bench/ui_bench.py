"""Web interface: how long every page takes with the demo data (target: under 300 ms).

    .venv/bin/python bench/ui_bench.py [--postgres URL] [--rounds 5]

Loads the demo exactly as `make run` does (into a scratch SQLite file, and into the PostgreSQL
database given, which is WIPED), signs in and asks every page `--rounds` times over HTTP
in-process (the server's own time: routing, services, queries, templates).  Prints the median
and the slowest round per page, side by side per database, and the ratio to the target.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from app.bootstrap import DEMO_LOADERS, create_app, demo_web
from app.cli.main import Root
from app.cli.service import load_demo
from app.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit, from the checkout

TARGET_MS = 300
TODAY = "2026-06-15"
PASSWORD = "bench-wachtwoord-2026"
PAGES = (
    "/ui/werkvoorraad",
    "/ui/verzoeken/{request}",
    "/ui/toewijzingen",
    "/ui/toewijzingen?status=started",
    "/ui/toewijzingen/100001",
    "/ui/toewijzingen/nieuw?verzoek={request}",
    "/ui/declaraties",
    "/ui/declaraties/1",
    "/ui/plafonds",
    "/ui/plafonds/benutting.csv",
    "/ui/berichten",
    "/ui/berichten/1",
    "/ui/contracten",
    "/ui/logboek",
)


def measure(url: str, rounds: int) -> dict[str, list[float]]:
    settings = Settings(database_url=url, fixed_today=TODAY)
    os.environ["IJW_DEMO_PASSWORD"] = PASSWORD
    load_demo(Root(create_app=create_app, demo_loaders=DEMO_LOADERS), settings)
    demo_web(settings)
    app = create_app(settings)
    out: dict[str, list[float]] = {}
    with TestClient(app, base_url="https://bench") as client:
        page = client.get("/ui/inloggen").text
        token = re.search(r'name="login_token" value="([^"]+)"', page)
        assert token
        client.post(
            "/ui/inloggen",
            data={"gebruikersnaam": "demo", "wachtwoord": PASSWORD, "login_token": token[1]},
        )
        queue = client.get("/ui/werkvoorraad").text
        request = re.search(r'href="/ui/verzoeken/(\d+)"', queue)
        assert request, "no open request in the demo"
        for path in PAGES:
            target = path.format(request=request[1])
            client.get(target)  # warm: templates compiled, caches filled
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                r = client.get(target)
                times.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200, (target, r.status_code)
            out[path] = times
    app.state.service.engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=os.environ.get("IJW_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/bench.sqlite", args.rounds)
    if args.postgres:
        from testkit.store import wipe

        wipe(args.postgres)
        results["postgresql"] = measure(args.postgres, args.rounds)
    names = list(results)
    head = "".join(f"{n + ' median':>18}{'max':>8}{'/300':>6}" for n in names)
    print(f"{'page':44}{head}")
    worst = 0.0
    for path in PAGES:
        row = ""
        for n in names:
            t = results[n][path]
            worst = max(worst, max(t))
            row += f"{statistics.median(t):15.1f} ms{max(t):8.1f}{max(t) / TARGET_MS:6.2f}"
        print(f"{path:44}{row}")
    print(f"slowest page: {worst:.1f} ms (target {TARGET_MS} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
