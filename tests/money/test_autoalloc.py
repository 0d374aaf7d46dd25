"""Automatic handling of requests: a JW315 for a contracted product within the ceiling and
without stacking is allocated at once (JW301 with the ReferentieAanbieder); anything else stays
in the queue with the reasons.  Every decision is recorded."""

from __future__ import annotations

from datetime import date

from lxml import etree
from sqlalchemy import select

from app.budget.models import AutoDecision
from app.db.base import session_factory, transaction
from testkit import messages as m
from tests.money.support import AGB, GEMEENTE, contract_doc, load_contracts, parties
from tests.money.test_ceilings import CLIENT

A, B = m.bsn(1), m.bsn(3)


def _doc(*, auto=True, ceilings=None, products=None, tariffs=None):
    return contract_doc(auto_allocate=auto, ceilings=ceilings, products=products, tariffs=tariffs)


def _known_client(api, gemeente_token, bsn=A):
    """An earlier JW301 for the client (another product), so its contact data is known."""
    r = api.client.post(
        "/v1/backoffice/toewijzingen",
        json={
            "aanbieder": AGB,
            "bsn": bsn,
            "client": CLIENT,
            "toewijzingen": [
                {
                    "product": {"categorie": "45", "code": "45A04"},
                    "ingangsdatum": "2026-01-01",
                    "einddatum": "2026-03-31",
                    "omvang": {"volume": 1, "eenheid": "04", "frequentie": "2"},
                }
            ],
        },
        headers={"Authorization": f"Bearer {gemeente_token}"},
    )
    assert r.status_code == 201, r.text


def _vot(api, token, ref="R1", bsn=A, code="45A04", unit="04", volume=3):
    data = {
        "Header": m.header_for("JW315", AGB, GEMEENTE, f"V{ref}", date(2026, 6, 12)),
        "Client": {
            **m.client_person(bsn),
            "AangevraagdeProducten": {
                "AangevraagdProduct": [
                    {
                        "ReferentieAanbieder": ref,
                        "Product": {"Categorie": "45", "Code": code},
                        "ToewijzingIngangsdatum": date(2026, 7, 1),
                        "ToewijzingEinddatum": date(2026, 12, 31),
                        "Omvang": {"Volume": volume, "Eenheid": unit, "Frequentie": "2"},
                        "Verwijzer": {"Type": "01"},
                    }
                ]
            },
        },
    }
    r = api.post(token, m.xml("JW315", data))
    assert r.status_code == 200 and b"RetourCode" not in r.content, r.text


def _decisions(api) -> list[AutoDecision]:
    with transaction(session_factory(api.engine)) as s:
        return list(s.scalars(select(AutoDecision).order_by(AutoDecision.id)))


def _feed_types(api, token):
    return [i["message_type"] for i in api.poll(token).json()["items"]]


def test_contracted_request_is_allocated_with_the_reference(api):
    gemeente, provider, _ = parties(api)
    load_contracts(api.engine, _doc())
    _known_client(api, gemeente)
    _vot(api, provider, "R1")
    [decision] = _decisions(api)
    assert decision.outcome == "allocated" and decision.allocation_message_id
    assert any("contracted" in r for r in decision.reasons)
    items = api.poll(provider).json()["items"]
    jw301s = [i for i in items if i["message_type"] == "JW301"]
    assert len(jw301s) == 2  # the earlier one and the automatic one
    root = etree.fromstring(jw301s[-1]["xml"].encode())
    refs = [e.text for e in root.iter("{*}ReferentieAanbieder")]
    assert refs == ["R1"]
    # the request is honoured: the back office no longer lists it as open
    r = api.client.get("/v1/backoffice/verzoeken", headers={"Authorization": f"Bearer {gemeente}"})
    assert r.json()["items"] == []
    r = api.client.get("/v1/autoalloc/decisions", headers={"Authorization": f"Bearer {gemeente}"})
    assert r.json()["items"][0]["outcome"] == "allocated"


def test_uncontracted_product_stays_in_the_queue_with_reasons(api):
    gemeente, provider, _ = parties(api)
    products = [
        {"categorie": "45", "code": code, "eenheid": "04", "valid_from": "2020-01-01"}
        for code in ("45A04", "45B01")  # 45B01 is in the catalogue, not in the contract
    ]
    load_contracts(api.engine, _doc(products=products))
    _known_client(api, gemeente)
    _vot(api, provider, "R2", code="45B01")
    [decision] = _decisions(api)
    assert decision.outcome == "queued"
    assert "not contracted" in decision.reasons[0]
    r = api.client.get("/v1/backoffice/verzoeken", headers={"Authorization": f"Bearer {gemeente}"})
    assert [i["referentie_aanbieder"] for i in r.json()["items"]] == ["R2"]


def test_unit_mismatch_ceiling_and_unknown_client_are_queued(api):
    gemeente, provider, _ = parties(api)
    load_contracts(
        api.engine,
        _doc(
            ceilings=[
                {"name": "Noord", "year": 2026, "amount": 1000, "hard": False, "aanbieders": [AGB]}
            ]
        ),
    )
    _vot(api, provider, "R3", bsn=B)  # no JW301 for B before; and over the soft ceiling
    _known_client(api, gemeente)
    _vot(api, provider, "R4", unit="01", volume=180)  # minutes against an hour tariff: fits
    decisions = _decisions(api)
    assert [d.outcome for d in decisions] == ["queued", "queued"]
    assert any("client data unknown" in r for r in decisions[0].reasons)
    assert any("spending room Noord" in r for r in decisions[0].reasons)
    assert any("spending room Noord" in r for r in decisions[1].reasons)


def test_stacking_same_product_is_queued(api):
    gemeente, provider, _ = parties(api)
    load_contracts(api.engine, _doc())
    _known_client(api, gemeente)
    _vot(api, provider, "R5")
    _vot(api, provider, "R6")  # the same product again over the same period
    decisions = _decisions(api)
    assert [d.outcome for d in decisions] == ["allocated", "queued"]
    assert decisions[1].reasons[0].startswith("stacking")


def test_profile_products_do_not_stack_except_acuut(api):
    gemeente, provider, _ = parties(api)
    products = [
        {"categorie": "45", "code": "45A04", "eenheid": "04", "valid_from": "2020-01-01"},
    ] + [
        {
            "categorie": "45",
            "code": code,
            "eenheid": "04",
            "financing": "profile",
            "profiel": "Opvoeden",
            "intensiteit": i,
            "valid_from": "2020-01-01",
        }
        for code, i in (("45P1P", "Perspectief"), ("45P1I", "Intensief"), ("45P1A", "Acuut"))
    ]
    tariffs = [
        {
            "aanbieder": AGB,
            "code": p["code"],
            "variant": "inspanning",
            "tariffs": [{"eenheid": "04", "tarief": 8730, "valid_from": "2020-01-01"}],
        }
        for p in products
    ]
    load_contracts(api.engine, _doc(products=products, tariffs=tariffs))
    _known_client(api, gemeente)
    _vot(api, provider, "P1", code="45P1P")
    _vot(api, provider, "P3", code="45P1A")  # Acuut may overlap
    _vot(api, provider, "P2", code="45P1I")  # a second profile product: no stacking
    outcomes = [(d.referentie_aanbieder, d.outcome) for d in _decisions(api)]
    assert outcomes == [("P1", "allocated"), ("P3", "allocated"), ("P2", "queued")]
    assert "one profile x intensity product" in _decisions(api)[2].reasons[0]


def test_region_without_opt_in_decides_nothing(api):
    gemeente, provider, _ = parties(api)
    load_contracts(api.engine, _doc(auto=False))
    _known_client(api, gemeente)
    _vot(api, provider, "R7")
    assert _decisions(api) == []
    assert _feed_types(api, provider).count("JW301") == 1
