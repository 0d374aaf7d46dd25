"""The official example envelopes (../shared/ggk/voorbeeldberichten) are taken, with their
payloads swapped for valid iJw messages between parties known here (and, for the Du01, its
crossRefnummer pointing at the Di01 that carried our JW301).  The example Di01's gemeente 0548
is no CBS code (TR378 refuses it), so that one is sent as 0484, the Du01's gemeente."""

from __future__ import annotations

import base64

from lxml import etree

from app.ggk import envelope as e
from testkit import messages as m
from tests.ggk import support as g
from tests.ggk.test_outbound import allocate, choose, jw302_on

S, G = f"{{{e.STUF_NS}}}", f"{{{e.GGK_NS}}}"
EXAMPLE_GEMEENTE, EXAMPLE_AGB, EXAMPLE_DU01_GEMEENTE = "0484", "01023456", "0484"


def _swap(
    data: bytes,
    payload: bytes,
    functie: str,
    cross_ref: str | None = None,
    zender: str | None = None,
) -> bytes:
    root = etree.fromstring(data)
    if zender is not None:
        root.find(f"{G}stuurgegevens/{S}zender/{S}organisatie").text = zender
    root.find(f"{G}stuurgegevens/{S}functie").text = functie
    root.find(f"{G}parameters/{G}bericht/{G}xmlBestand").text = base64.b64encode(payload).decode()
    if cross_ref is not None:
        root.find(f"{G}stuurgegevens/{S}crossRefnummer").text = cross_ref
    return e.soap_message(etree.tostring(root))


def test_the_official_di01_with_a_jw301_of_its_gemeente_is_taken(api, official_examples):
    for role, code in (("gemeente", EXAMPLE_GEMEENTE), ("aanbieder", EXAMPLE_AGB)):
        api.add_party(role, code)
    chain_token = api.add_party("ggk", "GGK")
    jw301 = m.xml("JW301", m.jw301_for(EXAMPLE_GEMEENTE, EXAMPLE_AGB, "EX1", client_bsn=m.bsn(5)))
    example = official_examples["envelopHeenbericht-ggk_Di01_v21-xml.xml"]
    body = _swap(example, jw301, "JW301", zender=EXAMPLE_GEMEENTE)
    r = g.post(api, chain_token, body)
    assert g.answer(r).tag == f"{S}Bv03Bericht", r.text
    [row] = g.inbound(api)
    assert (row.kind, row.zender, row.outcome) == ("Di01", EXAMPLE_GEMEENTE, "taken")


def test_the_official_text_di01_is_refused_here(api, official_examples):
    api.add_party("gemeente", EXAMPLE_GEMEENTE)
    chain_token = api.add_party("ggk", "GGK")
    body = e.soap_message(
        official_examples["envelopHeenbericht-ggk_Di01_v21-tekst.xml"].split(b"?>", 1)[1]
    )
    r = g.post(api, chain_token, body)
    assert r.status_code == 500 and g.fault_code(r) == "IB240"  # iJw payloads are xmlBestand


def test_the_official_du01_answers_our_di01(api, official_examples):
    token_0484 = api.add_party("gemeente", EXAMPLE_DU01_GEMEENTE)
    api.add_party("aanbieder", EXAMPLE_AGB)
    chain_token = api.add_party("ggk", "GGK")
    # our JW301 from 0484 to the example's provider, through the GGk
    choose(api, EXAMPLE_AGB, "ggk")
    body = {
        "aanbieder": EXAMPLE_AGB,
        "bsn": m.bsn(7),
        "toewijzingen": [_NEW],
        "client": m.BACKOFFICE_CLIENT,
    }
    r = api.client.post(
        "/v1/backoffice/toewijzingen", json=body, headers={"Authorization": f"Bearer {token_0484}"}
    )
    assert r.status_code == 201, r.text
    [di01] = g.outbox(api)
    du01 = _swap(
        official_examples["envelopRetourbericht-ggk_Du01-v21.xml"],
        jw302_on(g.payload_of(di01)),
        "JW302",
        cross_ref=di01.referentienummer,
    )
    r = g.post(api, chain_token, du01, e.DU01)
    assert g.answer(r).tag == f"{S}Bv03Bericht", r.text
    assert g.outbox(api)[0].state == "answered"


def test_the_official_fo01_is_taken_and_marks_the_envelope_it_names(api, official_examples):
    chain = g.setup(api)
    choose(api, g.AGB, "ggk")
    allocate(api, chain)
    [di01] = g.outbox(api)
    example = official_examples["Fo01.xml"]
    # as it is: it names an envelope we never sent (kept, acknowledged, nothing marked)
    r = g.post(api, chain.ggk, e.soap_message(example.split(b"?>", 1)[1]), e.FO01)
    assert g.answer(r).tag == f"{S}Bv03Bericht", r.text
    assert g.outbox(api)[0].state == "queued"
    root = etree.fromstring(example)
    root.find(f"{S}stuurgegevens/{S}crossRefnummer").text = di01.referentienummer
    root.find(f"{S}stuurgegevens/{S}referentienummer").text = e.new_reference()
    r = g.post(api, chain.ggk, e.soap_message(etree.tostring(root)), e.FO01)
    assert g.answer(r).tag == f"{S}Bv03Bericht", r.text
    entry = g.outbox(api)[0]
    assert (entry.state, entry.code) == ("failed", "IB210")


_NEW = {
    "product": {"categorie": "45", "code": "45A04"},
    "ingangsdatum": "2026-07-01",
    "einddatum": "2026-12-31",
    "omvang": {"volume": 3, "eenheid": "04", "frequentie": "2"},
}
