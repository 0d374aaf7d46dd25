"""Helpers of the GGk tests: envelopes around test messages, SOAP calls, the outbox."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date

from lxml import etree
from sqlalchemy import select

from app.db.base import session_factory
from app.ggk import envelope as e
from app.ggk.models import InboundEnvelope, OutboxEntry
from testkit import messages as m

GEMEENTE, AGB, OTHER_AGB = "0363", "12345678", "87654321"
SOAP_NS = e.SOAP_NS
STUF = f"{{{e.STUF_NS}}}"


@dataclass
class Chain:
    """The parties of a GGk test and their tokens."""

    gemeente: str
    provider: str
    other: str
    ggk: str


def setup(api) -> Chain:
    return Chain(
        api.add_party("gemeente", GEMEENTE),
        api.add_party("aanbieder", AGB),
        api.add_party("aanbieder", OTHER_AGB),
        api.add_party("ggk", "GGK"),
    )


def jw315(ident: str = "V1", bsn_n: int = 1, day: date = date(2026, 6, 1)) -> bytes:
    """A level-2-clean JW315 from AGB to GEMEENTE."""
    data = m.jw315()
    data["Header"] = m.header_for("JW315", AGB, GEMEENTE, ident, day)
    data["Client"]["Bsn"] = m.bsn(bsn_n)
    return m.xml("JW315", data)


def wrap(
    payload: bytes,
    *,
    functie: str = "JW315",
    zender: str = AGB,
    ontvanger: str = GEMEENTE,
    operation: str = e.DI01,
    cross_ref: str | None = None,
    ref: str | None = None,
    applicatie: str = "Zorgsoft",
) -> tuple[bytes, str]:
    """A SOAP request carrying `payload` in a Di01 (or Du01); (bytes, referentienummer)."""
    ref = ref or e.new_reference()
    routing = e.Routing(
        e.BERICHTCODE[operation],
        e.System(zender, applicatie),
        e.System(ontvanger, "GGk"),
        ref,
        "20260615120000",
        cross_ref,
        functie,
    )
    element = e.build_envelope(
        e.Envelope(operation, routing, e.Versions("0002", "0010", "0003", "0002"), payload)
    )
    return e.soap_message(e.serialize(element)), ref


def fo01(cross_ref: str, code: str = "IB210", text: str = "Ontvangende organisatie onbekend"):
    """A SOAP request with a Fo01 from the chain about our envelope `cross_ref`."""
    routing = e.Routing(
        "Fo01",
        e.System("IB", "GGKWebservice"),
        e.System(GEMEENTE, "iJw-service"),
        e.new_reference(),
        "20260615120000",
        cross_ref,
    )
    fault = e.Fault(code, "client", text, "JW301-00010000", etree.fromstring(b"<root/>"))
    return e.soap_message(e.serialize(e.build_fo01(routing, fault)))


def post(api, token: str | None, body: bytes, operation: str = e.DI01, **headers):
    hdrs = {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{e.SOAP_ACTION[operation]}"',
    }
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    hdrs.update(headers)
    return api.client.post("/ggk/OntvangAsynchroon", content=body, headers=hdrs)


def answer(response) -> etree._Element:
    """The message in a SOAP answer: a Bv03, or the Fo03 inside a fault."""
    body = etree.fromstring(response.content).find(f"{{{SOAP_NS}}}Body")
    child = body[0]
    if child.tag == f"{{{SOAP_NS}}}Fault":
        return child.find("detail")[0]
    return child


def fault_code(response) -> str:
    found = answer(response)
    assert found.tag == f"{STUF}Fo03Bericht", etree.tostring(found)
    return found.findtext(f"{STUF}body/{STUF}code")


def outbox(api) -> list[OutboxEntry]:
    with session_factory(api.engine)() as s:
        rows = list(s.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))
        for r in rows:
            r.body  # noqa: B018  (load the deferred column before the session closes)
        return rows


def inbound(api) -> list[InboundEnvelope]:
    with session_factory(api.engine)() as s:
        return list(s.scalars(select(InboundEnvelope).order_by(InboundEnvelope.id)))


def element(entry: OutboxEntry) -> etree._Element:
    return etree.fromstring(entry.body)


def payload_of(entry: OutboxEntry) -> bytes:
    el = element(entry)
    text = el.findtext(f"{{{e.GGK_NS}}}parameters/{{{e.GGK_NS}}}bericht/{{{e.GGK_NS}}}xmlBestand")
    return base64.b64decode(text)
