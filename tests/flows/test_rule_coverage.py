"""Every rule of the flows issue has a failing and a passing case, and it passes.

Each rule below has a scenario file `scenarios/rules/<RULE>_*.json`; this test checks that the
file holds at least one step that expects the rule's retourcode and at least one step where the
message is accepted (or sent).  tests/flows/test_scenario_files.py runs every file in-process on
both backends (test id = file name, e.g. `-k TR413`) and tests/harness runs them on a live
server.  The retourcodes come from the rule catalogue (app/ijw/rules/catalogue.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.ijw.rules.catalogue import RULES

ROOT = Path(__file__).resolve().parents[2]

FLOW_RULES = [
    # header rules
    "TR056", "TR135", "TR378", "TR381",
    # the provider's checks on our JW301 / JW319
    "TR332", "TR379", "TR385", "TR355", "TR359", "TR360", "TR365",
    # requests
    "TR347", "TR374", "TR304", "TR349", "TR350", "TR351", "TR357", "TR373", "TR361", "TR375",
    "TR411", "TR412",
    # start and stop
    "TR019", "TR063", "TR071", "TR074", "TR326", "TR382", "TR413", "TR414", "TR415",
]  # fmt: skip


def _expected_codes(step: dict) -> set[str]:
    expect = step.get("expect") or {}
    found: set[str] = set()
    for key in ("retour", "retour_contains"):
        for codes in (expect.get(key) or {}).values():
            found.update(codes)
    findings = expect.get("findings")
    if isinstance(findings, list):
        found.update(findings)
    elif isinstance(findings, dict):
        for codes in findings.values():
            found.update(codes)
    return found


def _passes(step: dict) -> bool:
    expect = step.get("expect") or {}
    if "send" not in step:
        return False
    return (
        expect.get("accepted") is True
        or (expect.get("json") or {}).get("status") == "sent"
        or (not expect and step["send"] not in ("JW302", "JW320"))
    )


def _file(rule: str) -> Path:
    found = sorted((ROOT / "scenarios" / "rules").glob(f"{rule}_*.json"))
    assert len(found) == 1, f"one scenario file for {rule}, found {found}"
    return found[0]


@pytest.mark.parametrize("rule", FLOW_RULES)
def test_rule_has_a_failing_and_a_passing_case(rule: str) -> None:
    steps = json.loads(_file(rule).read_text())["steps"]
    code = RULES[rule].retourcode
    assert any(code in _expected_codes(s) for s in steps), f"no step expects {code} ({rule})"
    assert any(_passes(s) for s in steps), f"no accepted step in the {rule} scenario"
