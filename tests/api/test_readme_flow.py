"""README "Trying it", as written: a provider's example JW315, the gemeente allocates, the
provider starts and declares; every step answered as the README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_TODAY

ROOT = Path(__file__).resolve().parents[2]


def example(kind: str, *args: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "app.bootstrap", "example", kind, *args],
        capture_output=True,
        check=True,
        cwd=ROOT,
        env={"IJW_TODAY": TEST_TODAY.isoformat(), "PATH": "/usr/bin:/bin"},
    )
    return done.stdout


def test_the_demo_round_trip(api):
    gemeente = api.add_party("gemeente", "0363")
    provider = api.add_party("aanbieder", "12345678")
    r = api.post(provider, example("JW315"))
    assert r.status_code == 200 and b"<jw316:" in r.content and b"RetourCode" not in r.content
    allocate = api.post(gemeente, example("JW301", "--nummer", "100001"))
    assert allocate.status_code == 200 and allocate.json()["status"] == "sent"
    start = api.post(provider, example("JW305", "--nummer", "100001"))
    assert start.status_code == 200 and b"RetourCode" not in start.content
    feed = api.poll(provider).json()["items"]
    assert [i["message_type"] for i in feed] == ["JW316", "JW301", "JW306"]
