"""Every shipped scenario file, in-process on SQLite and PostgreSQL, one test per file.

The files under scenarios/rules hold a failing and a passing case of one rule each (the test id
names the rule: `-k TR413`), those under scenarios/spec the scenarios of spec §6.  The same files
run against a live server in tests/harness/test_live_scenarios.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.harness.runner import Harness
from app.harness.scenario import PartySpec, load

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "scenarios").rglob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(path: Path, make_api) -> None:
    scenario = load(path)
    api = make_api(scenario.today or date(2026, 6, 15))

    def provision(spec: PartySpec) -> str:
        return api.add_party(spec.role, spec.code, f"scenario {spec.name}")

    harness = Harness("http://testserver", client=api.client, provision=provision)
    result = harness.run(scenario)
    report = [f"{s.index} {s.label}: {'; '.join(s.problems)}" for s in result.steps if not s.ok]
    assert result.status == "passed", f"{result.reason} {report}"
    assert len(result.steps) == len(scenario.steps)
