"""What we send over the GGk: the channel choice per party, our JW301 as a Di01, the provider's
JW302 coming back as a Du01, and a Fo01 from the chain marking a message undelivered."""

from __future__ import annotations

from datetime import date

from app.db.base import session_factory, transaction
from app.exchange import parties
from app.ggk import envelope as e
from app.ggk import store
from app.ijw import model, render, retour, xml
from testkit import messages as m
from tests.conftest import TEST_TODAY
from tests.ggk import support as g

CLIENT = m.BACKOFFICE_CLIENT
NEW = {
    "product": {"categorie": "45", "code": "45A04"},
    "ingangsdatum": "2026-07-01",
    "einddatum": "2026-12-31",
    "omvang": {"volume": 3, "eenheid": "04", "frequentie": "2"},
}


def choose(api, code: str, channel: str) -> None:
    with transaction(session_factory(api.engine)) as s:
        party = parties.by_code(s, code)
        store.set_channel(s, party.id, channel)


def allocate(api, chain, bsn_n: int = 3):
    body = {"aanbieder": g.AGB, "bsn": m.bsn(bsn_n), "toewijzingen": [NEW], "client": CLIENT}
    r = api.client.post(
        "/v1/backoffice/toewijzingen",
        json=body,
        headers={"Authorization": f"Bearer {chain.gemeente}"},
    )
    assert r.status_code == 201, r.text
    return r.json()


def backoffice(api, chain, path: str):
    r = api.client.get(path, headers={"Authorization": f"Bearer {chain.gemeente}"})
    assert r.status_code == 200, r.text
    return r.json()


def jw302_on(xml301: bytes) -> bytes:
    info, tree = xml.read(xml301)
    forward = model.to_model(tree, info)
    data = retour.build_retour(forward, retour.Decision(), identificatie="P1", today=TEST_TODAY)
    return render.render("JW302", data)


def test_the_channel_choice_sends_a_jw301_to_the_feed_the_ggk_or_both(api, official):
    chain = g.setup(api)
    allocate(api, chain, 1)  # default: the feed only
    assert g.outbox(api) == [] and len(api.poll(chain.provider).json()["items"]) == 1
    choose(api, g.AGB, "ggk")
    made = allocate(api, chain, 2)
    [entry] = g.outbox(api)
    assert (entry.kind, entry.functie, entry.cross_ref) == ("Di01", "JW301", None)
    assert (entry.zender, entry.ontvanger, entry.message_id) == (
        g.GEMEENTE,
        g.AGB,
        made["message_id"],
    )
    official(entry.body)
    assert len(api.poll(chain.provider).json()["items"]) == 1  # nothing new in the feed
    choose(api, g.AGB, "both")
    allocate(api, chain, 4)
    assert len(g.outbox(api)) == 2 and len(api.poll(chain.provider).json()["items"]) == 2


def test_the_providers_jw302_in_a_du01_answers_our_di01(api, official):
    chain = g.setup(api)
    choose(api, g.AGB, "ggk")
    made = allocate(api, chain)
    nummer = made["toewijzingen"][0]["toewijzingnummer"]
    assert made["toewijzingen"][0]["delivery"]["state"] == "queued"
    [di01] = g.outbox(api)
    body, _ = g.wrap(
        jw302_on(g.payload_of(di01)),
        functie="JW302",
        operation=e.DU01,
        cross_ref=di01.referentienummer,
    )
    r = g.post(api, chain.ggk, body, e.DU01)
    assert g.answer(r).tag == f"{g.STUF}Bv03Bericht", r.text
    [entry] = g.outbox(api)
    assert entry.state == "answered" and entry.answer_message_id is not None
    item = backoffice(api, chain, f"/v1/backoffice/toewijzingen/{nummer}")
    assert item["state"] == "acknowledged" and item["retour"] == "accepted"
    assert item["delivery"]["state"] == "answered"
    log = api.client.get(
        f"/v1/berichten/{made['message_id']}", headers={"Authorization": f"Bearer {chain.gemeente}"}
    ).json()
    assert log["answer_id"] == entry.answer_message_id
    [hop] = log["transport"]
    assert (hop["kind"], hop["direction"], hop["referentienummer"]) == (
        "Di01",
        "out",
        di01.referentienummer,
    )


def test_a_fo01_from_the_chain_marks_our_jw301_undelivered(api):
    chain = g.setup(api)
    choose(api, g.AGB, "ggk")
    made = allocate(api, chain)
    nummer = made["toewijzingen"][0]["toewijzingnummer"]
    [di01] = g.outbox(api)
    r = g.post(api, chain.ggk, g.fo01(di01.referentienummer, "IB210"), e.FO01)
    assert g.answer(r).tag == f"{g.STUF}Bv03Bericht", r.text
    [entry] = g.outbox(api)
    assert (entry.state, entry.code) == ("failed", "IB210")
    item = backoffice(api, chain, f"/v1/backoffice/toewijzingen/{nummer}")
    assert item["state"] == "undelivered"
    assert (item["delivery"]["state"], item["delivery"]["code"]) == ("failed", "IB210")
    assert "onbekend" in item["delivery"]["text"]
    rows = backoffice(api, chain, "/v1/backoffice/toewijzingen?state=undelivered")["items"]
    assert [i["toewijzingnummer"] for i in rows] == [nummer]
    log = api.client.get(
        f"/v1/berichten/{made['message_id']}", headers={"Authorization": f"Bearer {chain.gemeente}"}
    ).json()
    assert log["verdict"] == "undelivered"
    # it never counts as received: nobody waits for (or chases) the provider's JW302
    due = backoffice(api, chain, "/v1/backoffice/termijnen?binnen=60")
    assert due["overdue"] == [] and due["soon"] == []
    # a redelivered Fo01 changes nothing; one about an envelope we never sent is taken and kept
    assert g.post(api, chain.ggk, g.fo01(di01.referentienummer), e.FO01).status_code == 200
    stray = g.post(api, chain.ggk, g.fo01(e.new_reference()), e.FO01)
    assert stray.status_code == 200 and "names no envelope" in g.inbound(api)[-1].text


def test_with_both_channels_a_fo01_fails_the_envelope_but_not_the_message(api):
    chain = g.setup(api)
    choose(api, g.AGB, "both")
    made = allocate(api, chain)
    [di01] = g.outbox(api)
    g.post(api, chain.ggk, g.fo01(di01.referentienummer, "CC02"), e.FO01)
    item = backoffice(
        api, chain, f"/v1/backoffice/toewijzingen/{made['toewijzingen'][0]['toewijzingnummer']}"
    )
    assert item["state"] == "sent" and item["delivery"]["code"] == "CC02"


def test_a_jw319_that_never_arrived_shows_in_the_request(api):
    chain = g.setup(api)
    choose(api, g.AGB, "ggk")
    body, _ = g.wrap(g.jw315(day=date(2026, 6, 12)))
    assert g.post(api, chain.ggk, body).status_code == 200
    verzoek = backoffice(api, chain, "/v1/backoffice/verzoeken")["items"][0]
    r = api.client.post(
        f"/v1/backoffice/verzoeken/{verzoek['id']}/antwoord",
        json={"verzoek_antwoord": "2"},
        headers={"Authorization": f"Bearer {chain.gemeente}"},
    )
    assert r.status_code == 201, r.text
    jw319 = [x for x in g.outbox(api) if x.functie == "JW319"]
    assert len(jw319) == 1
    g.post(api, chain.ggk, g.fo01(jw319[0].referentienummer, "IB102", "Geen routering"), e.FO01)
    answer = backoffice(api, chain, f"/v1/backoffice/verzoeken/{verzoek['id']}")["answers"][0]
    assert answer["delivered"] is False and answer["delivery"]["code"] == "IB102"


def test_the_providers_jw320_in_a_du01_answers_our_jw319(api, official):
    chain = g.setup(api)
    choose(api, g.AGB, "ggk")
    assert g.post(api, chain.ggk, g.wrap(g.jw315(day=date(2026, 6, 12)))[0]).status_code == 200
    verzoek = backoffice(api, chain, "/v1/backoffice/verzoeken")["items"][0]
    r = api.client.post(
        f"/v1/backoffice/verzoeken/{verzoek['id']}/antwoord",
        json={"verzoek_antwoord": "2"},
        headers={"Authorization": f"Bearer {chain.gemeente}"},
    )
    assert r.status_code == 201, r.text
    [di01] = [x for x in g.outbox(api) if x.functie == "JW319"]
    official(di01.body)
    info, tree = xml.read(g.payload_of(di01))
    forward = model.to_model(tree, info)
    jw320 = render.render(
        "JW320",
        retour.build_retour(forward, retour.Decision(), identificatie="P2", today=TEST_TODAY),
    )
    body, _ = g.wrap(jw320, functie="JW320", operation=e.DU01, cross_ref=di01.referentienummer)
    assert g.answer(g.post(api, chain.ggk, body, e.DU01)).tag == f"{g.STUF}Bv03Bericht"
    [entry] = [x for x in g.outbox(api) if x.functie == "JW319"]
    assert entry.state == "answered"
    answer = backoffice(api, chain, f"/v1/backoffice/verzoeken/{verzoek['id']}")["answers"][0]
    assert answer["delivered"] is True and answer["delivery"]["state"] == "answered"
