"""Hostile input at the edges: out-of-range numbers, text XML cannot carry, cross-party answers,
typos in JSON, the number space, and resends of refused messages (issue 9)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from testkit import messages as m

G, AGB, OTHER = "0363", "12345678", "87654321"
TODAY = date(2026, 6, 15)
NEW = {
    "product": {"categorie": "45", "code": "45A04"},
    "ingangsdatum": "2026-07-01",
    "einddatum": "2026-12-31",
    "omvang": {"volume": 3, "eenheid": "04", "frequentie": "2"},
}


@pytest.fixture
def parties(api):
    return {
        "gemeente": api.add_party("gemeente", G),
        "a": api.add_party("aanbieder", AGB),
        "b": api.add_party("aanbieder", OTHER),
    }


def call(api, token, method, path, headers=None, **kw):
    headers = {"Authorization": f"Bearer {token}", **(headers or {})}
    return api.client.request(method, path, headers=headers, **kw)


def create(api, token, *items, client=m.BACKOFFICE_CLIENT, **extra):
    body = {"aanbieder": AGB, "bsn": m.bsn(3), "toewijzingen": list(items), **extra}
    if client is not None:
        body["client"] = client
    raw = json.dumps(body).encode()  # ASCII escapes, so a lone surrogate survives the trip
    headers = {"Content-Type": "application/json"}
    return call(api, token, "POST", "/v1/backoffice/toewijzingen", content=raw, headers=headers)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/berichten/99999999999999999999",
        "/v1/berichten/0",
        "/v1/berichten?since=99999999999999999999",
        "/v1/declarations/99999999999",
        "/v1/declarations/by-message/99999999999",
        "/v1/declarations?cursor=99999999999999",
        "/v1/declarations/1/prestaties?cursor=x",
        "/v1/backoffice/verzoeken?cursor=nonsense",
        "/v1/backoffice/verzoeken?status=all&cursor=-1",
        "/v1/backoffice/toewijzingen?cursor=99999999999",
        "/v1/ceilings?year=-1",
        "/v1/ceilings?year=99999",
        "/v1/ceilings/utilisation?year=0",
        "/v1/backoffice/verzoeken/99999999999",
        "/v1/backoffice/toewijzingen/9999999999",
        "/v1/backoffice/toewijzingen/wijzigingen?since=99999999999",
        "/v1/backoffice/toewijzingen?state=bogus",
        "/v1/declarations?status=bogus",
    ],
)
def test_out_of_range_numbers_and_bad_enums_are_4xx_problems(api, parties, path):
    r = call(api, parties["gemeente"], "GET", path)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "field,value",
    [
        ("identificatie", "A\x00B"),
        ("identificatie", "A\x07"),
        ("identificatie", "A\ud800"),
    ],
)
def test_text_xml_cannot_carry_is_refused_naming_the_field(api, parties, field, value):
    r = create(api, parties["gemeente"], NEW, **{field: value})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_REQUEST"
    assert [e["location"] for e in r.json()["errors"]] == [field]


def test_control_characters_in_client_data_are_refused(api, parties):
    client = {**m.BACKOFFICE_CLIENT, "Commentaar": "line\x0bbreak"}
    r = create(api, parties["gemeente"], NEW, client=client)
    assert r.status_code == 422 and r.json()["errors"][0]["location"] == "client"


def test_unknown_fields_are_refused(api, parties):
    r = create(api, parties["gemeente"], {**NEW, "eindatum": "2027-01-01"})
    assert r.status_code == 422
    assert [e["location"] for e in r.json()["errors"]] == ["toewijzingen[0].eindatum"]


def test_a_change_that_changes_nothing_is_refused(api, parties):
    made = create(api, parties["gemeente"], NEW).json()["toewijzingen"][0]["toewijzingnummer"]
    r = create(api, parties["gemeente"], {"toewijzingnummer": made}, client=None)
    assert r.status_code == 422 and r.json()["code"] == "INVALID_ALLOCATION"
    assert r.json()["errors"][0]["location"] == "toewijzingen[0]"
    r = create(api, parties["gemeente"], {"toewijzingnummer": made, "einddatum": "2027-06-30",
                                          "reden_wijziging": "04"}, client=None)  # fmt: skip
    assert r.status_code == 201, r.text


def test_refusals_of_our_jw301_speak_the_request_and_words(api, parties):
    made = create(api, parties["gemeente"], NEW).json()["toewijzingen"][0]["toewijzingnummer"]
    bad = {"toewijzingnummer": made, "omvang": {"volume": 5, "eenheid": "04", "frequentie": "2"}}
    r = create(api, parties["gemeente"], bad, client=None)
    assert r.status_code == 422 and r.json()["code"] == "REFUSED"
    (error,) = r.json()["errors"]
    assert error["location"] == "toewijzingen[0]" and error["rule"] == "TR332"
    assert "same allocation" in error["message"]


def test_numbers_continue_in_a_gap_when_the_range_top_is_used(api, parties):
    data = m.jw301_for(G, AGB, "TOP", client_bsn=m.bsn(4), nummer=999_999_999)
    assert api.post(parties["gemeente"], m.xml("JW301", data)).status_code == 200
    r = create(api, parties["gemeente"], NEW)
    assert r.status_code == 201, r.text
    assert r.json()["toewijzingen"][0]["toewijzingnummer"] == 100_001


def test_a_provider_cannot_answer_a_jw301_sent_to_another(api, parties):
    data = m.jw301_for(G, AGB, "A1", client_bsn=m.bsn(5))
    assert api.post(parties["gemeente"], m.xml("JW301", data)).status_code == 200
    forged = m.retour_of(data, "JW302", "R1", TODAY, codes=["0001"])
    forged["Header"]["Ontvanger"] = OTHER  # B claims the answer, on A's JW301
    r = api.post(parties["b"], m.xml("JW302", forged))
    assert r.status_code == 422 and r.json()["code"] == "UNKNOWN_ORIGINAL"
    state = call(api, parties["gemeente"], "GET", "/v1/backoffice/toewijzingen/1001").json()
    assert state["state"] == "sent" and state["leading"] is not None  # not voided by B
    own = m.retour_of(data, "JW302", "R2", TODAY)
    assert api.post(parties["a"], m.xml("JW302", own)).status_code == 200


def test_a_resend_of_a_refused_message_is_judged_again(api):
    provider = api.add_party("aanbieder", AGB)
    body = m.xml("JW305", m.jw305_for(AGB, G, "S1", client_bsn=m.bsn(1)))
    first = api.post(provider, body)
    assert first.status_code == 422 and first.json()["code"] == "IB005"  # gemeente not served
    api.add_party("gemeente", G)
    again = api.post(provider, body)
    assert again.status_code == 200 and "x-resend" not in again.headers
    assert api.post(provider, body).headers.get("x-resend") == "true"  # answered: replayed


def test_a_json_body_over_the_limit_is_413(api, parties):
    big = "x" * (26 * 1024 * 1024)
    headers = {"Content-Type": "application/json"}
    r = call(
        api,
        parties["gemeente"],
        "POST",
        "/v1/backoffice/toewijzingen",
        content=big,
        headers=headers,
    )
    assert r.status_code == 413 and r.json()["code"] == "IB003"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding = "ISO-8859-1"?><a>x</a>',
        b"<?xml version='1.0' encoding='windows-1252' ?><a>x</a>",
        '<?xml version="1.0" encoding="ISO-8859-1"?><a>\xe9</a>'.encode("latin-1"),
        '<?xml version="1.0" encoding="IBM037"?><a>x</a>'.encode("cp037"),
        "<a>x</a>".encode("utf-16"),
        "<a>\xe9</a>".encode("latin-1"),
    ],
)
def test_other_encodings_are_refused(api, parties, body):
    r = api.post(parties["a"], body)
    assert r.status_code == 400 and r.json()["code"] == "BRS14", r.text


def test_an_error_per_attribute_does_not_amplify_the_answer(api, parties):
    body = m.xml("JW305", m.jw305_for(AGB, G, "AMP", client_bsn=m.bsn(2)))
    attrs = b" ".join(b'a%d="1"' % i for i in range(50_000))
    body = body.replace(b"<jw305:Bsn>", b"<jw305:Bsn " + attrs + b">", 1)
    r = api.post(parties["a"], body)
    assert r.status_code == 422 and r.json()["code"] == "IB014"
    assert len(r.json()["errors"]) == 100 and r.json()["errors_total"] >= 50_000
    assert len(r.content) < len(body) // 10
