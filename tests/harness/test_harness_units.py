"""The harness's own pieces: placeholders, BSNs, scenario validation, comparing answers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.harness.runner import finding_codes, retour_codes, subset_problems
from app.harness.scenario import ScenarioError, Variables, load, make_bsn
from testkit.messages import bsn


def _elfproef(value: str) -> bool:
    return (sum(int(value[i]) * (9 - i) for i in range(8)) - int(value[8])) % 11 == 0


def test_bsns_pass_the_11_proof_and_differ_per_name():
    values = {make_bsn(seed * 2_654_435_761) for seed in range(2000)}  # spread like hashes
    assert all(len(v) == 9 and _elfproef(v) for v in values)
    assert len(values) > 1990
    v = Variables("run", {"gemeente": "0363"}, date(2025, 7, 1))
    assert v.value("bsn", "a") == v.value("bsn", "a") != v.value("bsn", "b")
    assert _elfproef(bsn(3))


def test_placeholders_keep_types_and_are_unique_per_run():
    one = Variables("run-1", {"gemeente": "0363"}, date(2025, 7, 1))
    two = Variables("run-2", {"gemeente": "0363"}, date(2025, 7, 1))
    data = {"n": "{{nummer:A}}", "text": "id {{id:A}} at {{code:gemeente}}", "t": "{{today}}"}
    out = one.expand(data)
    assert isinstance(out["n"], int) and 100_000_000 <= out["n"] <= 999_999_999
    assert out["text"].endswith("at 0363") and len(one.value("id", "A")) == 12
    assert out["t"] == "2025-07-01"
    assert one.value("nummer", "A") != two.value("nummer", "A")
    assert len(one.value("ref", "R")) <= 36
    with pytest.raises(ScenarioError):
        one.expand("{{var:missing}}")
    with pytest.raises(ScenarioError):
        one.expand("{{bogus:x}}")


def test_scenario_validation(tmp_path: Path):
    def write(data) -> Path:
        path = tmp_path / "s.json"
        path.write_text(json.dumps(data))
        return path

    parties = {"g": {"role": "gemeente", "code": "0363"}}
    with pytest.raises(ScenarioError, match="steps"):
        load(write({"parties": parties, "steps": []}))
    with pytest.raises(ScenarioError, match="unknown party"):
        load(write({"parties": parties, "steps": [{"poll": "x"}]}))
    with pytest.raises(ScenarioError, match="exactly one"):
        load(write({"parties": parties, "steps": [{"poll": "g", "send": "JW305"}]}))
    with pytest.raises(ScenarioError, match="unknown message"):
        load(write({"parties": parties, "steps": [{"send": "JW999", "from": "g"}]}))
    with pytest.raises(ScenarioError, match="role"):
        load(write({"parties": {"g": {"role": "boss"}}, "steps": [{"poll": "g"}]}))
    ok = load(write({"today": "2025-07-01", "parties": parties, "steps": [{"poll": "g"}]}))
    assert ok.today == date(2025, 7, 1) and ok.name == "s"


RETOUR = b"""<?xml version="1.0" encoding="UTF-8"?>
<r:Bericht xmlns:r="urn:x"><r:Header><r:RetourCodes><r:RetourCode>0200</r:RetourCode>
</r:RetourCodes></r:Header><r:Client><r:StartProducten>
<r:StartProduct><r:RetourCodes><r:RetourCode>0200</r:RetourCode></r:RetourCodes></r:StartProduct>
<r:StartProduct><r:RetourCodes><r:RetourCode>9063</r:RetourCode><r:RetourCode>S329</r:RetourCode>
</r:RetourCodes></r:StartProduct></r:StartProducten>
<r:RetourCodes><r:RetourCode>0200</r:RetourCode></r:RetourCodes></r:Client></r:Bericht>"""


def test_retour_codes_per_class():
    assert retour_codes(RETOUR) == {
        "Header[1]": ["0200"],
        "StartProduct[1]": ["0200"],
        "StartProduct[2]": ["9063", "S329"],
        "Client[1]": ["0200"],
    }


def test_finding_codes_per_class():
    details = [
        {
            "retourcode": "9332",
            "location": "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]",
        },
        {"retourcode": "S300", "location": "/Bericht/Header/Afzender"},
        {"retourcode": "9355", "location": "/Bericht/Antwoord"},
        {"location": "toewijzingen", "code": "CEILING_EXCEEDED"},  # a check, not a finding
    ]
    assert finding_codes(details) == {
        "ToegewezenProduct[2]": ["9332"],
        "Header[1]": ["S300"],
        "Antwoord[1]": ["9355"],
    }


def test_subset_matching():
    actual = {"items": [{"a": 1, "b": "x"}, {"a": 2}], "n": 3, "flag": True}
    assert subset_problems({"items": [{"a": 2}], "n": "3"}, actual) == []
    assert subset_problems({"items": [{"a": 5}]}, actual)
    assert subset_problems({"missing": 1}, actual) == ["$.missing: missing"]
    assert subset_problems({"flag": "True"}, actual)  # booleans are not text
    assert subset_problems({"items": []}, actual) == []
    assert subset_problems({"n": None}, actual)
