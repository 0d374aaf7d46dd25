"""Oracle test: our level-2 findings equal the official checker's on the labelled corpus.

`../shared/ijw-corpus/manifest.json` labels each message with the rule codes the official
iStandaarden checker (release 3.2) reported and where.  For every XSD-valid case the set of rule
codes must be equal; the findings (code, retourcode, locations, with repeats) must be equal too.
The corpus is third-party material read at test time; without it these tests skip.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app.ijw.rules.engine import Finding, check
from testkit.messages import parse_xml

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "ijw-corpus").resolve()
REASON = f"needs the labelled corpus in ../shared/ijw-corpus ({CORPUS} is absent)"


def _cases() -> list[Any]:
    manifest = CORPUS / "manifest.json"
    if not manifest.exists():
        return [pytest.param(None, id="corpus-absent", marks=pytest.mark.skip(reason=REASON))]
    cases = json.loads(manifest.read_text(encoding="utf-8"))
    return [pytest.param(case, id=case["case"]) for case in cases if case["xsd_valid"]]


CASES = _cases()


def _findings(case: dict[str, Any]) -> list[Finding]:
    return check(parse_xml((CORPUS / case["file"]).read_bytes()))


@pytest.mark.parametrize("case", CASES)
def test_rule_codes_equal_the_official_checker(case: dict[str, Any]) -> None:
    assert sorted({f.rule for f in _findings(case)}) == sorted(set(case["expected_rules"]))


@pytest.mark.parametrize("case", CASES)
def test_findings_and_locations_equal_the_official_checker(case: dict[str, Any]) -> None:
    ours = Counter((f.rule, f.retourcode, f.locations) for f in _findings(case))
    theirs = Counter((f["code"], f["retourcode"], tuple(f["locations"])) for f in case["findings"])
    assert ours == theirs


def test_corpus_covers_every_message_type() -> None:
    if not (CORPUS / "manifest.json").exists():
        pytest.skip(REASON)
    types = {case.values[0]["message_type"] for case in CASES}
    assert len(types) == 14
