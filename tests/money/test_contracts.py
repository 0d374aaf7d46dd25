"""Contracts as data: the ijw-contracts/2 document (and /1 documents, upgraded) through the
domain, the API and the CLI."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from app.db.base import session_factory, transaction
from app.reference.contracts import (
    ContractImportError,
    contract_schema,
    demo_document,
    export_document,
    import_document,
    load_contracts,
)
from app.reference.models import ContractLine, LineTariff, Product, ProductTariff, Region
from tests.money.support import AGB, GEMEENTE, contract_doc


def _count(engine, model) -> int:
    with transaction(session_factory(engine)) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_demo_document_round_trips(db_engine):
    doc = demo_document(2026)
    with transaction(session_factory(db_engine)) as s:
        result = import_document(s, doc)
        assert result.regions == ["DEMO-AMS"] and result.products == len(
            doc["regions"][0]["products"]
        )
    with transaction(session_factory(db_engine)) as s:
        exported = export_document(s)
    # export -> import -> export is the identity
    with transaction(session_factory(db_engine)) as s:
        import_document(s, exported)
    with transaction(session_factory(db_engine)) as s:
        assert export_document(s) == exported
    units = {p["eenheid"] for p in exported["regions"][0]["products"]}
    assert {"01", "04", "16", "14", "82", "83", "84"} <= units  # the seeds' units


def test_import_replaces_the_region_and_is_idempotent(db_engine):
    with transaction(session_factory(db_engine)) as s:
        import_document(s, demo_document(2026))
        import_document(s, demo_document(2026))
    assert _count(db_engine, Region) == 1
    with transaction(session_factory(db_engine)) as s:
        import_document(s, contract_doc(gemeenten=("0599",)))
    # the demo set: 3 lines, one exception; 16 products with 2 default tariffs, 45A99 with 1;
    # the TEST set (a version 1 document): 1 line with its tariff as exception
    assert _count(db_engine, ContractLine) == 3 + 1
    assert (_count(db_engine, ProductTariff), _count(db_engine, LineTariff)) == (16 * 2 + 1, 1 + 1)
    # 0363 may be in two sets, but not with the same provider x product on the same days
    with pytest.raises(ContractImportError) as exc, transaction(session_factory(db_engine)) as s:
        import_document(s, contract_doc())
    assert exc.value.errors[0]["message"] == (
        "12345678 x 45A04 for gemeente 0363 is already contracted in set DEMO-AMS in an "
        "overlapping period"
    )


def test_bad_rows_refuse_everything_with_one_error_each(db_engine):
    with transaction(session_factory(db_engine)) as s:
        import_document(s, contract_doc())
    before = (_count(db_engine, Product), _count(db_engine, LineTariff))
    doc = contract_doc()
    region = doc["regions"][0]
    region["gemeenten"].append("12")  # not 4 digits
    region["products"].append(
        {"categorie": "99", "code": "X1", "eenheid": "04", "valid_from": "2026-01-01"}
    )
    region["contracts"].append(
        {
            "aanbieder": AGB,
            "codes": ["NOPE"],
            "variant": "inspanning",
            "start": "2025-01-01",
            "tariffs": [
                {"code": "NOPE", "eenheid": "04", "tarief": None, "valid_from": "2026-01-01"},
                {
                    "code": "NOPE",
                    "eenheid": "04",
                    "tarief": 10,
                    "valid_from": "2025-01-01",
                    "valid_to": "2026-06-01",
                },
            ],
        }
    )
    with pytest.raises(ContractImportError) as exc, transaction(session_factory(db_engine)) as s:
        import_document(s, doc)
    locations = {e["location"] for e in exc.value.errors}
    assert {
        "regions[0].gemeenten[1]",
        "regions[0].products[1].categorie",
        "regions[0].contracts[1].codes[0]",
        "regions[0].contracts[1].tariffs[0].tarief",
        "regions[0].contracts[1].tariffs[1]",  # overlapping tariff periods
    } <= locations
    assert (_count(db_engine, Product), _count(db_engine, LineTariff)) == before


def test_shape_errors_name_the_field(db_engine):
    doc = contract_doc()
    doc["regions"][0]["contracts"][0]["variant"] = "weekly"
    doc["regions"][0]["products"][0]["valid_from"] = "not a date"
    with pytest.raises(ContractImportError) as exc, transaction(session_factory(db_engine)) as s:
        import_document(s, doc)
    locations = {e["location"] for e in exc.value.errors}
    assert "regions[0].contracts[0].variant" in locations
    assert "regions[0].products[0].valid_from" in locations


def test_contract_book_dated_tariffs(db_engine):
    with transaction(session_factory(db_engine)) as s:
        import_document(s, demo_document(2026))
        book = load_contracts(s, GEMEENTE, AGB)
        assert book.tariff("45A04", date(2026, 3, 1)).tarief == 8730
        assert book.tariff("45A04", date(2025, 3, 1)).tarief == 8730 * 100 // 103
        assert book.variant("54D82", date(2026, 3, 1)) == "output"
        assert book.tariff("50P1P", date(2026, 3, 1)) is not None
        other = load_contracts(s, GEMEENTE, "87654321")
        assert other.tariff("50P1P", date(2026, 3, 1)) is None  # profiles only at Noord


def test_schema_is_json_schema():
    schema = contract_schema()
    assert schema["title"] == "ContractDocument" and "regions" in schema["properties"]


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_api_import_export_and_scoping(api):
    gemeente = api.add_party("gemeente", GEMEENTE)
    provider = api.add_party("aanbieder", AGB)
    other_gemeente = api.add_party("gemeente", "0599")
    doc = demo_document(2026)
    r = api.client.put("/v1/contracts", json=doc, headers=_auth(gemeente))
    assert r.status_code == 200 and r.json()["imported"]["regions"] == ["DEMO-AMS"]
    assert api.client.put("/v1/contracts", json=doc, headers=_auth(provider)).status_code == 403
    r = api.client.put("/v1/contracts", json=doc, headers=_auth(other_gemeente))
    assert r.status_code == 403 and r.json()["code"] == "CONTRACT_FORBIDDEN"
    exported = api.client.get("/v1/contracts", headers=_auth(gemeente)).json()
    assert exported["regions"][0]["code"] == "DEMO-AMS"
    assert api.client.get("/v1/contracts", headers=_auth(other_gemeente)).json()["regions"] == []
    mine = api.client.get("/v1/contracts", headers=_auth(provider)).json()["regions"][0]
    assert {c["aanbieder"] for c in mine["contracts"]} == {AGB}
    assert all(c["all_contracted"] or AGB in c["aanbieders"] for c in mine["ceilings"])
    bad = copy.deepcopy(doc)
    bad["regions"][0]["products"][0]["tariffs"][0]["eenheid"] = "99"
    r = api.client.put("/v1/contracts", json=bad, headers=_auth(gemeente))
    assert r.status_code == 422
    assert r.json()["errors"][0]["location"] == "regions[0].products[0].tariffs[0].eenheid"
    assert api.client.get("/v1/contracts/schema", headers=_auth(provider)).status_code == 200


def test_cli_import_export(db_engine, tmp_path, capsys):
    from app.bootstrap import main

    url = db_engine.url.render_as_string(hide_password=False)
    path = tmp_path / "contracts.json"
    path.write_text(json.dumps(demo_document(2026)))
    assert main(["contract", "import", str(path), "--database-url", url]) == 0
    assert json.loads(capsys.readouterr().out)["imported"]["regions"] == ["DEMO-AMS"]
    out = tmp_path / "out.json"
    assert main(["contract", "export", "-o", str(out), "--database-url", url]) == 0
    assert json.loads(out.read_text())["regions"][0]["code"] == "DEMO-AMS"
    bad = demo_document(2026)
    bad["regions"][0]["products"][0]["categorie"] = "XX"
    path.write_text(json.dumps(bad))
    assert main(["contract", "import", str(path), "--database-url", url]) == 2
    err = capsys.readouterr().err
    assert "regions[0].products[0].categorie" in err and "nothing was imported" in err


def test_cli_ceiling_report(db_engine, tmp_path, capsys):
    from app.bootstrap import main

    url = db_engine.url.render_as_string(hide_password=False)
    path = tmp_path / "contracts.json"
    path.write_text(json.dumps(demo_document(2026)))
    assert main(["contract", "import", str(path), "--database-url", url]) == 0
    capsys.readouterr()
    args = ["ceiling", "report", "--gemeente", GEMEENTE, "--year", "2026", "--database-url", url]
    assert main(args) == 0
    names = {i["name"] for i in json.loads(capsys.readouterr().out)["items"]}
    assert names == {"Noord totaal", "Zuid bestedingsruimte", "Verblijf regionaal (pool)"}
    assert main([*args, "--utilisation"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "aanbieder,gemeente,categorie,month,committed,spent"
    )
