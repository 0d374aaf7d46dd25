"""POST /ggk/OntvangAsynchroon: envelope checks and Fo03, Bv03, the payload through the intake,
retours as Du01 and schema errors as Fo01 in the outbox, redelivery, authentication."""

from __future__ import annotations

import pytest
from lxml import etree

from app.ggk import envelope as e
from tests.ggk import support as g

STUF = g.STUF


def test_a_jw315_in_a_di01_gets_a_bv03_and_its_jw316_leaves_as_a_du01(api, official):
    chain = g.setup(api)
    body, ref = g.wrap(g.jw315())
    r = g.post(api, chain.ggk, body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    bv03 = g.answer(r)
    assert bv03.tag == f"{STUF}Bv03Bericht"
    assert bv03.findtext(f"{STUF}stuurgegevens/{STUF}crossRefnummer") == ref
    official(etree.tostring(bv03))
    [entry] = g.outbox(api)
    assert (entry.kind, entry.cross_ref, entry.functie, entry.state) == (
        "Du01",
        ref,
        "JW316",
        "queued",
    )
    assert (entry.zender, entry.ontvanger) == (g.GEMEENTE, g.AGB)
    official(entry.body)
    # the payload is the very retour of the message log, and the provider still sees it in its
    # feed (its channel is the default: feed) next to the Du01
    items = api.poll(chain.provider).json()["items"]
    assert [i["message_type"] for i in items] == ["JW316"]
    assert g.payload_of(entry) == items[0]["xml"].encode()
    incoming = api.poll(chain.gemeente).json()["items"]
    assert [(i["message_type"], i["channel"]) for i in incoming] == [("JW315", "ggk")]
    hop = incoming[0]["transport"][0]
    assert (hop["direction"], hop["kind"], hop["referentienummer"]) == ("in", "Di01", ref)


def test_a_payload_that_is_not_schema_valid_gets_a_bv03_then_a_fo01_stuf055(api, official):
    chain = g.setup(api)
    bad = g.jw315().replace(
        b"<jw315:Geslacht>1</jw315:Geslacht>", b"<jw315:Geslacht>7</jw315:Geslacht>"
    )
    assert bad != g.jw315()
    body, ref = g.wrap(bad)
    r = g.post(api, chain.ggk, body)
    assert g.answer(r).tag == f"{STUF}Bv03Bericht"
    [entry] = g.outbox(api)
    assert (entry.kind, entry.cross_ref, entry.ontvanger) == ("Fo01", ref, g.AGB)
    fo01 = official(entry.body)
    assert fo01.findtext(f"{STUF}body/{STUF}code") == "StUF055"
    assert fo01.findtext(f"{STUF}body/{STUF}plek") == "client"
    assert fo01.findtext(f"{STUF}body/{STUF}details") == "JW315-00020010"
    original = fo01.find(f"{STUF}body/{STUF}detailsXML")[0]
    assert original.tag == e.ROOT[e.DI01]  # the envelope itself, not base64
    assert original.findtext(f"*/{STUF}referentienummer") == ref
    # no retour at all (the standard sends none at level 1)
    assert api.poll(chain.provider).json()["items"] == []
    assert [i.outcome for i in g.inbound(api)] == ["not_schema_valid"]


def test_a_redelivered_envelope_is_acknowledged_again_and_changes_nothing(api):
    chain = g.setup(api)
    body, ref = g.wrap(g.jw315())
    first = g.post(api, chain.ggk, body)
    # the same envelope in another SOAP wrapper (other prefix): still the same envelope
    other_wrapper = body.replace(b"soap:", b"S:").replace(b"xmlns:soap=", b"xmlns:S=")
    second = g.post(api, chain.ggk, other_wrapper)
    assert second.status_code == 200 and second.content == first.content
    assert len(g.outbox(api)) == 1 and len(g.inbound(api)) == 1
    assert len(api.poll(chain.gemeente).json()["items"]) == 1
    # a different envelope reusing the referentienummer is refused
    changed, _ = g.wrap(g.jw315("V2", bsn_n=2), ref=ref)
    r = g.post(api, chain.ggk, changed)
    assert r.status_code == 500 and g.fault_code(r) == "IB216"
    assert len(g.outbox(api)) == 1


def test_the_same_payload_in_a_new_envelope_gets_the_stored_retour_again(api, official):
    chain = g.setup(api)
    payload = g.jw315()
    g.post(api, chain.ggk, g.wrap(payload)[0])
    body, ref2 = g.wrap(payload)
    assert g.answer(g.post(api, chain.ggk, body)).tag == f"{STUF}Bv03Bericht"
    first, second = g.outbox(api)
    assert second.cross_ref == ref2 and g.payload_of(second) == g.payload_of(first)
    official(second.body)
    assert len(api.poll(chain.gemeente).json()["items"]) == 1  # processed once


def _soap12(body: bytes) -> bytes:
    return body.replace(e.SOAP_NS.encode(), e.SOAP12_NS.encode())


CASES = {
    "not xml": (lambda b, r: b"<<<", e.DI01, "RIN001"),
    "soap 1.2": (lambda b, r: _soap12(b), e.DI01, "RIN001"),
    "dtd": (
        lambda b, r: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + b[39:],
        e.DI01,
        "RIN001",
    ),
    "soapaction of another operation": (lambda b, r: b, e.DU01, "IB240"),
    "referentienummer not uuid4": (
        lambda b, r: b.replace(r.encode(), r.upper().encode()),
        e.DI01,
        "IB009",
    ),
    "envelope not schema valid": (
        lambda b, r: b.replace(b"<StUF:applicatie>Zorgsoft", b"<StUF:applicatie>Zo"),
        e.DI01,
        "RIN001",
    ),
    "base64 broken": (
        lambda b, r: b.replace(b"<GGK:xmlBestand>", b"<GGK:xmlBestand>@@"),
        e.DI01,
        "RIN001",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_envelope_checks_refuse_with_a_fo03_and_take_nothing(api, official, case):
    chain = g.setup(api)
    mutate, operation, code = CASES[case]
    body, ref = g.wrap(g.jw315())
    r = g.post(api, chain.ggk, mutate(body, ref), operation)
    assert r.status_code == 500 and g.fault_code(r) == code
    fault = etree.fromstring(r.content).find(f"{{{e.SOAP_NS}}}Body/{{{e.SOAP_NS}}}Fault")
    assert fault.findtext("faultcode") == "soap:Client" and code in fault.findtext("faultstring")
    official(etree.tostring(g.answer(r)))
    assert g.outbox(api) == [] and g.inbound(api) == []
    assert api.poll(chain.gemeente).json()["items"] == []


def test_functie_zender_and_ontvanger_must_fit(api):
    chain = g.setup(api)
    payload = g.jw315()
    checks = [
        (g.wrap(payload, functie="JW317"), "IB240"),  # functie is not the payload's type
        (g.wrap(payload, functie="WMO301"), "IB240"),  # not an iJw message we take
        (g.wrap(payload, functie="JW302"), "IB240"),  # a retour type in a Di01
        (g.wrap(payload, zender="99999999"), "IB213"),  # unknown zender
        (g.wrap(payload, ontvanger="0518"), "IB210"),  # not served here
        (g.wrap(payload, ontvanger=g.OTHER_AGB), "IB210"),  # not the payload's addressee
    ]
    for (body, _), code in checks:
        r = g.post(api, chain.ggk, body)
        assert r.status_code == 500 and g.fault_code(r) == code, code
    text_file = g.wrap(payload)[0].replace(
        b"<GGK:xmlBestand>", b'<GGK:tekstBestand bestandsnaam="a.csv">'
    )
    text_file = text_file.replace(b"</GGK:xmlBestand>", b"</GGK:tekstBestand>")
    assert g.fault_code(g.post(api, chain.ggk, text_file)) == "IB240"
    assert g.outbox(api) == [] and g.inbound(api) == []


def test_the_intakes_refusals_become_a_fo03_with_their_code(api):
    chain = g.setup(api)
    # the envelope's zender is OTHER_AGB but the payload's Afzender is AGB: IB002 as POST says
    body, _ = g.wrap(g.jw315(), zender=g.OTHER_AGB)
    r = g.post(api, chain.ggk, body)
    assert r.status_code == 500 and g.fault_code(r) == "IB002"
    [row] = g.inbound(api)
    assert (row.outcome, row.code) == ("refused", "IB002")
    assert g.post(api, chain.ggk, body).content == r.content  # a redelivery: the same answer


def test_the_envelope_limit_is_25_mb_while_reading(api):
    chain = g.setup(api)
    big = b"<" + b"x" * (e.MAX_ENVELOPE_BYTES + 1)

    def chunks():
        for i in range(0, len(big), 1 << 20):
            yield big[i : i + (1 << 20)]

    r = api.client.post(
        "/ggk/OntvangAsynchroon",
        content=chunks(),
        headers={"Authorization": f"Bearer {chain.ggk}", "Content-Type": "text/xml"},
    )
    assert r.status_code == 500 and g.fault_code(r) == "IB007"


def test_only_the_chain_may_call(api):
    chain = g.setup(api)
    body, _ = g.wrap(g.jw315())
    assert g.post(api, None, body).status_code == 401
    r = g.post(api, chain.provider, body)
    assert r.status_code == 403 and g.fault_code(r) == "IB002"
    assert g.post(api, "not-a-token", body).status_code == 401
    assert g.outbox(api) == []


def test_the_wsdl_is_served_at_our_address(api):
    r = api.client.get("/ggk/OntvangAsynchroon?wsdl")
    assert r.status_code == 200
    root = etree.fromstring(r.content)
    ns = {"w": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/"}
    address = root.find("w:service/w:port/s:address", ns).get("location")
    assert address == "http://testserver/ggk/OntvangAsynchroon"
    actions = sorted(
        o.get("soapAction") for o in root.iterfind("w:binding/w:operation/s:operation", ns)
    )
    assert actions == sorted(e.SOAP_ACTION.values())
    assert api.client.get("/ggk/OntvangAsynchroon").status_code == 400
