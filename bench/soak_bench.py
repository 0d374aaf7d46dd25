"""Memory over a hostile run: the server's RSS before, at its peak and after a pause, while it
is fed large valid declarations and XSD bombs (an error on every attribute), side by side with
the size of one message.  The steady state must come back near the start, not stay at the peak.

    .venv/bin/python bench/soak_bench.py [--rounds 8] [--prestaties 13000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.clock import SystemClock  # noqa: E402
from app.db.base import make_engine, session_factory, transaction  # noqa: E402
from app.exchange.parties import add_party  # noqa: E402
from app.ijw.catalogue import Role  # noqa: E402
from testkit.live import live_server  # noqa: E402
from testkit.samples import big_declaration  # noqa: E402


def rss_kb(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    return out


def server_pid(port: str) -> int:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"serve --port " + port.encode() in cmd:
                return int(proc.name)
    raise RuntimeError("server process not found")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--prestaties", type=int, default=13_000)
    args = parser.parse_args()
    big = big_declaration(args.prestaties, seed=1)
    attrs = b" ".join(b'a%d="1"' % j for j in range(200_000))
    bomb = big[:2000].replace(b"<jw323:Bericht", b"<jw323:Bericht " + attrs, 1) + big[2000:]
    db = Path(tempfile.mkdtemp()) / "soak.sqlite"
    with live_server(f"sqlite:///{db}") as base:
        pid = server_pid(base.rsplit(":", 1)[1])
        engine = make_engine(f"sqlite:///{db}")
        with transaction(session_factory(engine)) as s:
            _, token = add_party(s, Role.AANBIEDER, "12345678", "", SystemClock())
            add_party(s, Role.GEMEENTE, "0363", "", SystemClock())
        engine.dispose()
        headers = {"Authorization": f"Bearer {token}"}
        start = rss_kb(pid)["VmRSS"]
        answers = 0
        for _ in range(args.rounds):
            for body in (big, bomb):
                r = httpx.post(f"{base}/v1/berichten", content=body, headers=headers, timeout=300)
                answers = max(answers, len(r.content))
        time.sleep(5)
        after = rss_kb(pid)
    mb = 1024
    print(
        f"{args.rounds} rounds of a {len(big) / 1e6:.1f} MB JW323 and a {len(bomb) / 1e6:.1f} MB "
        f"XSD bomb (largest answer {answers / 1e6:.1f} MB)"
    )
    print(f"{'RSS start':>12} {'peak':>8} {'after 5 s':>10} {'after/start':>12} {'peak/body':>10}")
    print(
        f"{start / mb:10.0f}MB {after['VmHWM'] / mb:6.0f}MB {after['VmRSS'] / mb:8.0f}MB "
        f"{after['VmRSS'] / start:12.2f} {after['VmHWM'] * 1024 / len(big):10.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
