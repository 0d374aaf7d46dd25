"""Financing the papers need beyond p x q: task-based lump sums counted in ceilings and reports,
the taakgericht start/stop without an allocation (TR019's exception), and a region's own short
product codes in the back office."""

from __future__ import annotations

from datetime import date

from testkit import messages as m
from tests.money.support import AGB, GEMEENTE, load_contracts

CRISIS = "55599999"


def _doc() -> dict:
    return {
        "format": "ijw-contracts/2",
        "regions": [
            {
                "code": "NOB",
                "administrator": GEMEENTE,
                "gemeenten": [GEMEENTE],
                "products": [
                    {
                        "categorie": "46",
                        "code": "46T01",
                        "name": "Beschikbaarheid crisishulp",
                        "eenheid": "83",
                        "financing": "task",
                        "valid_from": "2021-01-01",
                    },
                    {
                        "categorie": "45",
                        "code": "JH1",  # a region's own short code (LDT_ProductCode: 1-5)
                        "eenheid": "04",
                        "valid_from": "2021-01-01",
                        "tariffs": [{"eenheid": "04", "tarief": 6500, "valid_from": "2021-01-01"}],
                    },
                ],
                "contracts": [
                    {"aanbieder": CRISIS, "codes": ["46T01"], "start": "2021-01-01"},
                    {"aanbieder": AGB, "codes": ["JH1"], "start": "2021-01-01"},
                ],
                "task_funding": [
                    {
                        "name": "Crisisdienst Q3",
                        "aanbieder": CRISIS,
                        "code": "46T01",
                        "start": "2026-07-01",
                        "end": "2026-09-30",
                        "amount": 9_200_000,
                    }
                ],
                "ceilings": [
                    {"name": "Crisis", "year": 2026, "amount": 10**8, "aanbieders": [CRISIS]},
                    {"name": "Alles", "year": 2026, "amount": 10**8, "all_contracted": True},
                ],
            }
        ],
    }


def test_task_funding_counts_in_ceilings_and_reports(api):
    gemeente = api.add_party("gemeente", GEMEENTE)
    load_contracts(api.engine, _doc())
    auth = {"Authorization": f"Bearer {gemeente}"}
    items = api.client.get("/v1/ceilings", params={"year": 2026}, headers=auth).json()["items"]
    by = {i["name"]: i for i in items}
    assert by["Crisis"]["task"] == 9_200_000 and by["Crisis"]["usage"] == 9_200_000
    assert by["Alles"]["task"] == 9_200_000  # the open-house pool counts it too
    assert by["Crisis"]["forecast"]["projected"] == 9_200_000
    rows = api.client.get("/v1/reports/realisation", headers=auth).json()["items"]
    provider = next(r for r in rows if r["kind"] == "provider" and r["aanbieder"] == CRISIS)
    assert provider["task"] == 9_200_000 and provider["committed"] == 0
    # a quarter of it in Q3 only
    q3 = api.client.get(
        "/v1/reports/realisation",
        params={"from": "2026-08-01", "to": "2026-08-31"},
        headers=auth,
    ).json()["items"]
    assert next(r for r in q3 if r["aanbieder"] == CRISIS)["task"] == 9_200_000 * 31 // 92


def test_taakgericht_start_without_allocation_and_short_codes(api):
    gemeente = api.add_party("gemeente", GEMEENTE)
    crisis = api.add_party("aanbieder", CRISIS)
    api.add_party("aanbieder", AGB)
    load_contracts(api.engine, _doc())
    start = {
        "Product": {"Categorie": "46", "Code": "46T01"},
        "Begindatum": date(2026, 6, 1),
        "StatusAanlevering": "1",
    }
    data = m.jw305_for(
        CRISIS, GEMEENTE, "T1", client_bsn=m.bsn(2), starts=[start], day=date(2026, 6, 2)
    )
    r = api.post(crisis, m.xml("JW305", data))
    assert r.status_code == 200 and b"RetourCode" not in r.content, r.text  # no 9019
    other = {**start, "Product": {"Categorie": "45", "Code": "JH1"}}
    data = m.jw305_for(
        CRISIS, GEMEENTE, "T2", client_bsn=m.bsn(2), starts=[other], day=date(2026, 6, 2)
    )
    assert b"9019" in api.post(crisis, m.xml("JW305", data)).content  # not task-based
    body = {
        "aanbieder": AGB,
        "bsn": m.bsn(3),
        "client": m.BACKOFFICE_CLIENT,
        "toewijzingen": [
            {
                "product": {"categorie": "45", "code": "JH1"},
                "ingangsdatum": "2026-07-01",
                "einddatum": "2026-12-31",
                "omvang": {"volume": 2, "eenheid": "04", "frequentie": "2"},
            }
        ],
    }
    r = api.client.post(
        "/v1/backoffice/toewijzingen", json=body, headers={"Authorization": f"Bearer {gemeente}"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["warnings"] == []
