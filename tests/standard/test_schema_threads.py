"""libxml2 under threads (issue 10, defect 1): every schema is compiled before the service serves,
and validations running at the same moment each get their own verdict and their own errors."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from app.ijw import xml
from app.ijw.catalogue import CATALOGUE
from app.ijw.render import render
from testkit import messages as m

ROOT = Path(__file__).resolve().parents[2]

_FRESH_PROCESS = """
import sys
from app.db.migrate import upgrade
from app.bootstrap import create_app
from app.config import Settings
from app.ijw import xml
url = sys.argv[1]
upgrade(url)
assert xml.compiled_types() == set(), "nothing is compiled on import"
create_app(Settings(database_url=url))
print(",".join(sorted(xml.compiled_types())))
"""


def test_the_service_compiles_every_schema_before_it_serves(tmp_path):
    # A fresh process: this one compiled schemas long ago.
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().split(",") == sorted(CATALOGUE)


def test_parallel_validations_keep_their_own_verdict_and_errors():
    # One lxml XMLSchema keeps the error log of its last validation: shared between threads,
    # a valid message was reported with another's errors and an invalid one without any.
    xml.compile_all()
    cases = []
    for name in ("JW315", "JW305", "JW323"):
        good = render(name, m.build(name))
        bad = good.replace(b"<ijw:Datum>", b"<ijw:Datum>x", 1)
        if bad == good:
            bad = good.replace(b"</jw", b"<Onbekend/></jw", 1)
        errors = _verdict(bad)
        assert _verdict(good) == [] and errors, name
        cases += [(good, []), (bad, errors)]
    wrong: list[tuple[int, list[str]]] = []
    start = threading.Barrier(len(cases) * 2)

    def run(index: int) -> None:
        data, expected = cases[index % len(cases)]
        start.wait()
        for _ in range(60):
            got = _verdict(data)
            if got != expected:
                wrong.append((index, got))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(cases) * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def _verdict(data: bytes) -> list[str]:
    try:
        xml.read(data)
    except xml.Rejection as exc:
        return [e.message for e in exc.errors]
    return []
