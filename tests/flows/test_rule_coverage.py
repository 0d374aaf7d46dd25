"""Every cross-message rule of the allocation, request and start/stop flows has a failing and a
passing case, and it passes.

Each such rule has a scenario file `scenarios/rules/<RULE>_*.json`; this test checks that the file
holds at least one step that expects the rule's retourcode and at least one step where the
message is accepted (or sent).  tests/flows/test_scenario_files.py runs every file in-process on
both backends (test id = file name, e.g. `-k TR413`) and tests/harness runs them on a live
server.  The retourcodes come from the rule catalogue (app/ijw/rules/catalogue.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.ijw.rules.catalogue import CROSS_MESSAGE, RULES

ROOT = Path(__file__).resolve().parents[2]

# Every cross-message rule of a message of the allocation, request and start/stop flows, from
# the rule catalogue (the declaration rules have theirs in tests/money and scenarios/declarations).
FLOW_MESSAGES = {"JW301", "JW305", "JW307", "JW315", "JW317", "JW319"}
FLOW_RULES = sorted(
    code for code, meta in CROSS_MESSAGE.items() if FLOW_MESSAGES & set(meta.messages)
)


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
