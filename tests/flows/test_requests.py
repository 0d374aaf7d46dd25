"""Request states: the queue, our answers, and what the provider's JW302/JW320 do to them."""

from __future__ import annotations

from datetime import date

from app.db.base import session_factory, transaction
from app.flows.requests import store as requests
from app.harness.runner import retour_codes
from testkit import messages as m

G, AGB = "0363", "12345678"
B1 = m.bsn(3)
TODAY = date(2026, 6, 15)


def product(ref: str, code: str = "45A04") -> dict:
    return {
        "ReferentieAanbieder": ref,
        "Product": {"Categorie": "45", "Code": code},
        "ToewijzingIngangsdatum": date(2026, 7, 1),
        "ToewijzingEinddatum": date(2026, 12, 31),
        "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
        "Verwijzer": {"Type": "01"},
    }


def vot(api, token, ident, *products_, day=date(2026, 6, 12)):
    data = {
        "Header": m.header_for("JW315", AGB, G, ident, day),
        "Client": {
            **m.client_person(B1),
            "AangevraagdeProducten": {"AangevraagdProduct": list(products_)},
        },
    }
    r = api.post(token, m.xml("JW315", data))
    assert r.status_code == 200
    return retour_codes(r.content)


def answer(ref, antwoord="1", reden="6", ident="A1"):
    body = {"ReferentieAanbieder": ref, "VerzoekAntwoord": antwoord}
    if antwoord == "1":
        body["RedenAfwijzingVerzoek"] = reden
    return {"Header": m.header_for("JW319", G, AGB, ident, TODAY), "Antwoord": body}


def state(api, ref):
    with transaction(session_factory(api.engine)) as s:
        return requests.request_by_reference(s, AGB, ref)


def setup(api):
    return api.add_party("gemeente", G), api.add_party("aanbieder", AGB)


def test_vot_products_enter_the_queue_with_their_deadline(api):
    _, provider = setup(api)
    assert vot(api, provider, "V1", product("R1"), product("R2", "45A06")) == {}
    with transaction(session_factory(api.engine)) as s:
        queue = requests.open_requests(s, G)
    assert [(r.referentie, r.position, r.status) for r in queue] == [
        ("R1", 1, "pending"),
        ("R2", 2, "pending"),
    ]
    assert queue[0].deadline == date(2026, 6, 22) and queue[0].received_on == TODAY
    assert queue[0].content["Product"] == {"Categorie": "45", "Code": "45A04"}


def test_a_rejected_vot_is_not_stored(api):
    _, provider = setup(api)
    vot(api, provider, "V1", product("R1"))
    codes = vot(api, provider, "V2", product("R2"))
    assert codes["Client[1]"] == ["9374"] and codes["AangevraagdProduct[1]"] == ["0233"]
    assert state(api, "R2") is None  # void: the reference may be used again


def test_jw320_with_codes_voids_our_answer(api):
    gemeente, provider = setup(api)
    vot(api, provider, "V1", product("R1"))
    data = answer("R1")
    assert api.post(gemeente, m.xml("JW319", data)).status_code == 200
    assert state(api, "R1").status == "rejected"
    # TR374: the client has no pending request any more
    assert vot(api, provider, "V2", product("R2", "45A06"), day=date(2026, 6, 13)) == {}
    retour = m.retour_of(data, "JW320", "P1", TODAY, codes=["9056"])
    assert api.post(provider, m.xml("JW320", retour)).status_code == 200
    assert state(api, "R1").status == "pending"  # the rejection counts as never sent
    accepted = answer("R2", ident="A2")
    api.post(gemeente, m.xml("JW319", accepted))
    api.post(provider, m.xml("JW320", m.retour_of(accepted, "JW320", "P2", TODAY)))
    assert state(api, "R2").status == "rejected"


def test_jw302_rejecting_the_honouring_allocation_reopens_the_request(api):
    gemeente, provider = setup(api)
    vot(api, provider, "V1", product("R1"))
    honour = m.jw301_for(
        G, AGB, "T1", client_bsn=B1, referentie="R1", day=TODAY, ingangsdatum=date(2026, 7, 1)
    )
    assert api.post(gemeente, m.xml("JW301", honour)).status_code == 200
    r1 = state(api, "R1")
    assert r1.status == "honoured" and r1.decided_on == TODAY
    retour = m.retour_of(honour, "JW302", "P1", TODAY, codes=["8848"])
    api.post(provider, m.xml("JW302", retour))
    assert state(api, "R1").status == "pending"


def test_in_onderzoek_moves_the_deadline_to_eight_weeks(api):
    gemeente, provider = setup(api)
    vot(api, provider, "V1", product("R1"), day=date(2026, 6, 1))
    assert api.post(gemeente, m.xml("JW319", answer("R1", "2"))).status_code == 200
    r1 = state(api, "R1")
    assert r1.status == "in_onderzoek" and r1.due_date == date(2026, 7, 27)
    assert r1.deadline == date(2026, 6, 22)  # the original 5 wd stays on record
