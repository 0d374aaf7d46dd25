"""Contract sets as regions really contract: governance (administrator, invited members),
lines per gemeente and period with extensions, regional default tariffs with exceptions, a
gemeente in several sets, versions with export and diff, indexation, CSV product lists, and the
upgrade of version 1 documents and of 0003 data."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from app.db.base import make_engine, session_factory, transaction
from app.db.migrate import alembic_config, upgrade
from app.reference.contracts import (
    Actor,
    ContractForbidden,
    ContractImportError,
    export_document,
    import_document,
    load_contracts,
)
from app.reference.indexation import indexed
from app.reference.products import load_catalogue

G1, G2, G3 = "0518", "0503", "0603"  # Den Haag, Delft, Rijswijk
A1, A2 = "12345678", "87654321"
NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


def _set(code: str = "H10", **over: Any) -> dict[str, Any]:
    region: dict[str, Any] = {
        "code": code,
        "name": "Haaglanden",
        "gemeenten": [G1, G2],
        "products": [
            {
                "categorie": "45",
                "code": "45A04",
                "eenheid": "04",
                "valid_from": "2020-01-01",
                "tariffs": [{"eenheid": "04", "tarief": 8000, "valid_from": "2020-01-01"}],
            },
            {
                "categorie": "45",
                "code": "45B01",
                "eenheid": "01",
                "valid_from": "2020-01-01",
                "tariffs": [{"eenheid": "01", "tarief": 140, "valid_from": "2020-01-01"}],
            },
        ],
        "contracts": [
            {"aanbieder": A1, "codes": ["45A04", "45B01"], "start": "2021-01-01"},
        ],
    }
    region.update(over)
    return {"format": "ijw-contracts/2", "regions": [region]}


def _import(engine, doc, actor: Actor = Actor()):
    with transaction(session_factory(engine)) as s:
        return import_document(s, doc, actor=actor, now=NOW)


def _book(engine, gemeente, agb):
    with transaction(session_factory(engine)) as s:
        return load_contracts(s, gemeente, agb)


# --------------------------------------------------------------------------- contract lines


def test_lines_per_gemeente_and_period_with_extensions(db_engine):
    doc = _set(
        contracts=[
            {
                # Haaglanden 2021: two years plus four options of one year, yearly per gemeente
                "aanbieder": A1,
                "codes": ["45A04"],
                "gemeenten": [G1, G2],
                "start": "2021-01-01",
                "end": "2022-12-31",
                "extension_options": [12, 12, 12, 12],
                "extensions": [{"until": "2023-12-31", "gemeenten": [G1]}],
            },
            {"aanbieder": A2, "codes": ["45A04"], "gemeenten": [G2], "start": "2021-01-01"},
        ]
    )
    _import(db_engine, doc)
    g1, g2 = _book(db_engine, G1, A1), _book(db_engine, G2, A1)
    assert g1.tariff("45A04", date(2023, 6, 1)).tarief == 8000  # extended for Den Haag
    assert g2.tariff("45A04", date(2023, 6, 1)) is None  # not for Delft
    assert g1.tariff("45A04", date(2024, 1, 1)) is None
    line = g1.covering("45", "45A04", date(2023, 6, 1))
    assert line is not None and line.end == date(2023, 12, 31) and line.options_left == 36
    # not every provider in every gemeente
    assert _book(db_engine, G2, A2).contracted("45", "45A04", date(2025, 1, 1))
    assert not _book(db_engine, G1, A2).any
    # an extension beyond the options is refused, as is a second line on the same days
    bad = copy.deepcopy(doc)
    bad["regions"][0]["contracts"][0]["extensions"] = [{"until": "2027-12-31"}]
    bad["regions"][0]["contracts"][1]["gemeenten"] = [G1, G2]
    bad["regions"][0]["contracts"][1]["aanbieder"] = A1
    with pytest.raises(ContractImportError) as exc:
        _import(db_engine, bad)
    messages = " | ".join(e["message"] for e in exc.value.errors)
    assert "the extension options allow at most 2026-12-31" in messages
    assert "overlaps contracts[0]" in messages


def test_regional_default_tariffs_with_a_provider_exception(db_engine):
    doc = _set(
        contracts=[
            {
                "aanbieder": A1,
                "codes": ["45A04", "45B01"],
                "start": "2021-01-01",
                "tariffs": [
                    {
                        "code": "45A04",
                        "eenheid": "04",
                        "tarief": 8500,
                        "valid_from": "2026-01-01",
                        "valid_to": "2026-12-31",
                    }
                ],
            },
            {"aanbieder": A2, "codes": ["45A04"], "start": "2021-01-01"},
        ]
    )
    _import(db_engine, doc)
    own = _book(db_engine, G1, A1)
    assert [own.tariff("45A04", date(y, 6, 1)).tarief for y in (2025, 2026, 2027)] == [
        8000,
        8500,
        8000,
    ]
    assert own.tariff("45B01", date(2026, 6, 1)).tarief == 140
    assert _book(db_engine, G1, A2).tariff("45A04", date(2026, 6, 1)).tarief == 8000
    # 300 providers on one uniform tariff: one default row, no row per provider
    many = _set(
        contracts=[
            {
                "aanbieder": f"{10_000_000 + i:08d}",
                "codes": ["45A04", "45B01"],
                "start": "2021-01-01",
            }
            for i in range(300)
        ]
    )
    result = _import(db_engine, many)
    assert result.tariffs == 2 and result.contracts == 300


def test_a_gemeente_in_several_sets_without_double_contracts(db_engine):
    _import(db_engine, _set())
    local = {
        "code": "LOKAAL-0518",
        "kind": "local",
        "gemeenten": [G1],
        "products": [
            {
                "categorie": "45",
                "code": "45L01",
                "eenheid": "04",
                "valid_from": "2021-01-01",
                "tariffs": [{"eenheid": "04", "tarief": 9900, "valid_from": "2021-01-01"}],
            }
        ],
        "contracts": [{"aanbieder": A2, "codes": ["45L01"], "start": "2021-01-01"}],
    }
    _import(db_engine, {"format": "ijw-contracts/2", "regions": [local]})
    assert _book(db_engine, G1, A2).tariff("45L01", date(2026, 1, 1)).tarief == 9900
    assert not _book(db_engine, G2, A2).any  # Delft is not in the local set
    with transaction(session_factory(db_engine)) as s:
        catalogue = load_catalogue(s, G1)
        assert catalogue.known("45", "45L01", date(2026, 1, 1))
        assert catalogue.known("45", "45A04", date(2026, 1, 1))
        assert not load_catalogue(s, G2).known("45", "45L01", date(2026, 1, 1))
    # buying locally what the region bought: refused (one tariff per provider x product x day)
    local["products"].append(
        {
            "categorie": "45",
            "code": "45A04",
            "eenheid": "04",
            "valid_from": "2021-01-01",
            "tariffs": [{"eenheid": "04", "tarief": 1, "valid_from": "2021-01-01"}],
        }
    )
    local["contracts"].append({"aanbieder": A1, "codes": ["45A04"], "start": "2026-01-01"})
    with pytest.raises(ContractImportError) as exc:
        _import(db_engine, {"format": "ijw-contracts/2", "regions": [local]})
    assert "already contracted in set H10" in exc.value.errors[0]["message"]


# --------------------------------------------------------------------------- governance


def _auth(token, user: str | None = None):
    headers = {"Authorization": f"Bearer {token}"}
    if user:
        headers["X-Ijw-User"] = user
    return headers


def test_administrator_changes_members_read_and_use_but_cannot_rewrite(api):
    t1, t2, t3 = (api.add_party("gemeente", g) for g in (G1, G2, G3))
    doc = _set()
    r = api.client.put("/v1/contracts", json=doc, headers=_auth(t1, "inkoper@h10"))
    assert r.status_code == 200, r.text
    assert r.json()["imported"]["invited"] == [G2]
    # invited: Delft sees the set but its contracts do not apply to Delft yet
    assert [
        x["code"] for x in api.client.get("/v1/contracts", headers=_auth(t2)).json()["regions"]
    ] == ["H10"]
    assert not _book(api.engine, G2, A1).any
    # a member (or invitee) cannot rewrite the set, set a tariff to 1 cent, or drop the others
    cheap = copy.deepcopy(doc)
    cheap["regions"][0]["products"][0]["tariffs"][0]["tarief"] = 1
    cheap["regions"][0]["gemeenten"] = [G2]
    r = api.client.put("/v1/contracts", json=cheap, headers=_auth(t2))
    assert r.status_code == 403 and r.json()["code"] == "CONTRACT_FORBIDDEN"
    assert "changed by its administrator 0518 only" in r.json()["detail"]
    assert api.client.delete("/v1/contracts/H10", headers=_auth(t2)).status_code == 403
    assert api.client.post("/v1/contracts/H10/join", headers=_auth(t3)).status_code == 403
    r = api.client.post("/v1/contracts/H10/join", headers=_auth(t2, "jeugd@delft"))
    assert r.status_code == 200 and r.json()["version"] == 2
    assert _book(api.engine, G2, A1).tariff("45A04", date(2026, 1, 1)).tarief == 8000
    members = api.client.get("/v1/contracts/H10/members", headers=_auth(t2)).json()
    assert members["administrator"] == G1
    assert {m["gemeente"]: m["status"] for m in members["members"]} == {G1: "active", G2: "active"}
    # nobody enrols another gemeente: a new set must list its creator, others are invited
    r = api.client.put("/v1/contracts", json=_set("ANDERS", gemeenten=[G3]), headers=_auth(t2))
    assert r.status_code == 403 and "lists the gemeente that creates it" in r.text
    # the administrator hands over; then only Delft may change it, and Den Haag may leave
    r = api.client.post("/v1/contracts/H10/administrator", json={"gemeente": G2}, headers=_auth(t1))
    assert r.status_code == 200
    assert api.client.put("/v1/contracts", json=doc, headers=_auth(t1)).status_code == 403
    assert api.client.delete("/v1/contracts/H10/membership", headers=_auth(t2)).status_code == 403
    assert api.client.delete("/v1/contracts/H10/membership", headers=_auth(t1)).status_code == 200
    assert not _book(api.engine, G1, A1).any
    # every change is a version with who did it
    versions = api.client.get("/v1/contracts/H10/versions", headers=_auth(t2)).json()["items"]
    assert [(v["action"], v["actor_party"], v["actor_user"]) for v in versions] == [
        ("import", G1, "inkoper@h10"),
        ("join", G2, "jeugd@delft"),
        ("administrator", G1, None),
        ("leave", G1, None),
    ]


def test_versions_export_and_diff(api):
    token = api.add_party("gemeente", G1)
    auth = _auth(token, "contractmanager")
    doc = _set(gemeenten=[G1])
    assert api.client.put("/v1/contracts", json=doc, headers=auth).json()["imported"][
        "versions"
    ] == {"H10": 1}
    # the same document again changes nothing: no new version
    assert (
        api.client.put("/v1/contracts", json=doc, headers=auth).json()["imported"]["versions"] == {}
    )
    changed = copy.deepcopy(doc)
    changed["regions"][0]["products"][0]["tariffs"][0]["tarief"] = 8100
    changed["regions"][0]["contracts"].append(
        {"aanbieder": A2, "codes": ["45A04"], "start": "2026-01-01"}
    )
    assert api.client.put("/v1/contracts", json=changed, headers=auth).json()["imported"][
        "versions"
    ] == {"H10": 2}
    first = api.client.get("/v1/contracts/H10/versions/1", headers=auth).json()
    assert first["regions"][0]["products"][0]["tariffs"][0]["tarief"] == 8000
    # export -> import of an old version restores it (as version 3)
    r = api.client.put("/v1/contracts", json=first, headers=auth)
    assert r.json()["imported"]["versions"] == {"H10": 3}
    diff = api.client.get(
        "/v1/contracts/H10/diff", params={"from": 1, "to": 2}, headers=auth
    ).json()
    paths = {(c["path"], c["change"]) for c in diff["changes"]}
    assert ("products[45A04|2020-01-01].tariffs[2020-01-01].tarief", "changed") in paths
    assert ("contracts[87654321|45A04|2026-01-01]", "added") in paths
    tariff = next(c for c in diff["changes"] if c["path"].endswith("tarief"))
    assert (tariff["old"], tariff["new"]) == (8000, 8100)
    other = api.add_party("gemeente", G3)
    assert api.client.get("/v1/contracts/H10/versions", headers=_auth(other)).status_code == 404


# --------------------------------------------------------------------------- indexation


def test_indexation_rounding():
    from decimal import Decimal

    assert indexed(8730, Decimal("2.96")) == 8988  # 8988.408
    assert indexed(8730, Decimal("2.96"), "up") == 8989
    assert indexed(150, Decimal("3")) == 155  # 154.5 -> 155 (half up)
    assert indexed(150, Decimal("3"), "down") == 154
    assert indexed(10_000, Decimal("-1.5")) == 9850


def test_index_a_set_from_a_date(api):
    token = api.add_party("gemeente", G1)
    member = api.add_party("gemeente", G2)
    doc = _set(
        contracts=[
            {
                "aanbieder": A1,
                "codes": ["45A04", "45B01"],
                "start": "2021-01-01",
                "tariffs": [
                    {"code": "45B01", "eenheid": "01", "tarief": 150, "valid_from": "2021-01-01"}
                ],
            }
        ]
    )
    api.client.put("/v1/contracts", json=doc, headers=_auth(token))
    api.client.post("/v1/contracts/H10/join", headers=_auth(member))
    body = {"start": "2027-01-01", "percentage": "2.96", "table": {"45B01": "3"}}
    assert (
        api.client.post("/v1/contracts/H10/index", json=body, headers=_auth(member)).status_code
        == 403
    )
    r = api.client.post("/v1/contracts/H10/index", json=body, headers=_auth(token, "inkoper"))
    assert r.status_code == 200, r.text
    assert r.json()["indexed"] == 3  # two regional defaults and one provider exception
    book = _book(api.engine, G1, A1)
    assert book.tariff("45A04", date(2026, 12, 31)).tarief == 8000  # earlier periods keep theirs
    assert book.tariff("45A04", date(2027, 1, 1)).tarief == 8237  # 8000 x 1.0296 = 8236.8
    assert book.tariff("45B01", date(2027, 1, 1)).tarief == 155  # the table: 3 %, half up
    # indexing again from the same date changes nothing
    again = api.client.post("/v1/contracts/H10/index", json=body, headers=_auth(token)).json()
    assert again["indexed"] == 0 and again["version"] is None
    versions = api.client.get("/v1/contracts/H10/versions", headers=_auth(token)).json()["items"]
    assert versions[-1]["action"] == "index" and versions[-1]["actor_user"] == "inkoper"


# --------------------------------------------------------------------------- CSV product lists


CSV_LIST = """Productcategorie;Productcode;Omschrijving;Eenheid;Ingangsdatum;Einddatum;Tarief
45;45A04;Ambulant individueel;04;01-01-2020;;80,00
45;45B01;Ambulant (minuten);01;2020-01-01;2026-12-31;1,40
45;JH1;Jeugdhulp licht (regionale code);04;2026-01-01;;65
"""


def test_product_list_from_csv(api):
    token = api.add_party("gemeente", G1)
    api.client.put("/v1/contracts", json=_set(gemeenten=[G1]), headers=_auth(token))
    headers = {**_auth(token), "Content-Type": "text/csv"}
    r = api.client.put("/v1/contracts/H10/products", content=CSV_LIST.encode(), headers=headers)
    assert r.status_code == 200, r.text
    exported = api.client.get("/v1/contracts", headers=_auth(token)).json()["regions"][0]
    products = {p["code"]: p for p in exported["products"]}
    assert set(products) == {"45A04", "45B01", "JH1"}
    assert products["45B01"]["valid_to"] == "2026-12-31"
    assert products["JH1"]["tariffs"][0]["tarief"] == 6500
    bad = CSV_LIST.replace(";80,00", ";tachtig")
    r = api.client.put("/v1/contracts/H10/products", content=bad.encode(), headers=headers)
    assert r.status_code == 422
    assert [d["location"] for d in r.json()["errors"]] == ["line 2"]
    bad = CSV_LIST.replace("45;JH1", "99;JH1")
    r = api.client.put("/v1/contracts/H10/products", content=bad.encode(), headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["location"] == "regions[0].products[2].categorie"


# --------------------------------------------------------------------------- version 1


V1 = {
    "format": "ijw-contracts/1",
    "regions": [
        {
            "code": "OUD",
            "gemeenten": [G1],
            "products": [
                {"categorie": "45", "code": "45A04", "eenheid": "04", "valid_from": "2020-01-01"}
            ],
            "contracts": [
                {
                    "aanbieder": A1,
                    "code": "45A04",
                    "variant": "inspanning",
                    "tariffs": [
                        {
                            "eenheid": "04",
                            "tarief": 8000,
                            "valid_from": "2020-01-01",
                            "valid_to": "2025-12-31",
                        },
                        {"eenheid": "04", "tarief": 8240, "valid_from": "2026-01-01"},
                    ],
                }
            ],
            "ceilings": [
                {"name": "Noord", "year": 2026, "amount": 100, "aanbieders": [A1], "gemeente": G1}
            ],
        }
    ],
}


def test_version_1_documents_import_and_upgrade(api):
    token = api.add_party("gemeente", G1)
    r = api.client.post("/v1/contracts/upgrade", json=V1, headers=_auth(token))
    assert r.status_code == 200
    region = r.json()["regions"][0]
    assert region["contracts"][0]["codes"] == ["45A04"] and region["contracts"][0]["end"] is None
    assert region["ceilings"][0]["gemeenten"] == [G1]
    assert api.client.put("/v1/contracts", json=V1, headers=_auth(token)).status_code == 200
    book = _book(api.engine, G1, A1)
    assert [book.tariff("45A04", date(y, 1, 1)).tarief for y in (2025, 2026)] == [8000, 8240]


def test_migration_keeps_0003_contracts(tmp_path):
    """0003 data (a tariff row per provider x product) becomes lines with exceptions."""
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(url, "0003")
    engine = make_engine(url)
    rows = [
        "INSERT INTO money_regions (id, code, name, auto_allocate, stacking_exceptions)"
        " VALUES (1, 'OUD', '', 0, '[]')",
        f"INSERT INTO money_region_members (region_id, gemeente) VALUES (1, '{G1}')",
        "INSERT INTO money_products (region_id, categorie, code, name, eenheid, financing,"
        " valid_from) VALUES (1, '45', '45A04', '', '04', 'pxq', '2020-01-01')",
        *(
            "INSERT INTO money_contracts (region_id, aanbieder, categorie, code, eenheid, tarief,"
            f" variant, valid_from, valid_to) VALUES (1, '{A1}', '45', '45A04', '04', {tarief},"
            f" 'inspanning', '{start}', {end})"
            for tarief, start, end in (
                (8000, "2020-01-01", "'2025-12-31'"),
                (8240, "2026-01-01", "NULL"),
            )
        ),
        "INSERT INTO money_ceilings (id, region_id, name, year, amount, hard, gemeente)"
        f" VALUES (1, 1, 'Noord', 2026, 100, 1, '{G1}')",
        f"INSERT INTO money_ceiling_members (ceiling_id, aanbieder) VALUES (1, '{A1}')",
    ]
    with engine.begin() as conn:
        for sql in rows:
            conn.execute(text(sql))
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    book = _book(engine, G1, A1)
    assert [book.tariff("45A04", date(y, 1, 1)).tarief for y in (2025, 2026)] == [8000, 8240]
    with transaction(session_factory(engine)) as s:
        region = export_document(s)["regions"][0]
    assert region["ceilings"][0]["gemeenten"] == [G1] and region["ceilings"][0]["year"] == 2026
    assert region["ceilings"][0]["aanbieders"] == [A1]  # kept through the batch copy
    assert region["contracts"][0]["start"] == "2020-01-01"
    engine.dispose()
    # and back: 0003 gets a money_contracts row per tariff again, then 0007 once more
    command.downgrade(alembic_config(url), "0003")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT tarief, valid_from, valid_to FROM money_contracts ORDER BY valid_from")
        ).all() == [(8000, "2020-01-01", "2025-12-31"), (8240, "2026-01-01", None)]
        assert conn.execute(text("SELECT gemeente FROM money_ceilings")).scalar() == G1
        assert conn.execute(text("SELECT count(*) FROM money_ceiling_members")).scalar() == 1
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    book = _book(engine, G1, A1)
    assert [book.tariff("45A04", date(y, 1, 1)).tarief for y in (2025, 2026)] == [8000, 8240]
    engine.dispose()


def test_operator_may_do_anything_a_gemeente_only_its_own(db_engine):
    _import(db_engine, _set())
    with pytest.raises(ContractForbidden):
        _import(db_engine, _set(), Actor(G2))
    _import(db_engine, _set(administrator=G2))  # the operator hands it over
    _import(db_engine, _set(), Actor(G2))
