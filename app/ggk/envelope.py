"""The StUF-GGk envelope (ggk0210 Di01/Du01, StUF Fo01/Bv03/Fo03) and its SOAP 1.1 wrapping.

Pure: bytes in, checked values out, and the inverse; no database, no HTTP.  Every envelope we
read is parsed by a hardened parser (no DTD, no entities, no network) and validated against our
own schema (`schema/`, proven equal to the official one by tests/ggk/test_envelope_schema.py);
every envelope we build is validated against it before it is stored or sent.

A problem with an envelope is an `EnvelopeError` carrying the code of our Fo03 answer.  Where
the chain has a code for the same problem (its Fo01 code list) we use it, so an operator reads
the same code on both sides: RIN001 envelope not valid, IB007 too large, IB009 not a UUID v4,
IB240 berichtcode, operation and functie do not fit, IB213 unknown zender, IB210 ontvanger not
served here, IB216 referentienummer reused, IB002 caller not authorised.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from lxml import etree

from app.clock import AMSTERDAM
from app.ijw.catalogue import BY_NAMESPACE

GGK_NS = "http://www.stufstandaarden.nl/koppelvlak/ggk0210"
STUF_NS = "http://www.egem.nl/StUF/StUF0301"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"GGK": GGK_NS, "StUF": STUF_NS}

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
MAX_ENVELOPE_BYTES = 25 * 1024 * 1024  # the whole envelope, base64 payload included

DI01, DU01, FO01 = "ggk_Di01", "ggk_Du01", "Fo01"
OPERATIONS = (DI01, DU01, FO01)
SOAP_ACTION = {
    DI01: f"{GGK_NS}/ggk_Di01",
    DU01: f"{GGK_NS}/ggk_Du01",
    FO01: f"{STUF_NS}/Fo01",
}
ROOT = {
    DI01: etree.QName(GGK_NS, "envelopHeenbericht-ggk_Di01").text,
    DU01: etree.QName(GGK_NS, "envelopRetourbericht-ggk_Du01").text,
    FO01: etree.QName(STUF_NS, "Fo01Bericht").text,
}
OPERATION_OF_ROOT = {tag: op for op, tag in ROOT.items()}
BERICHTCODE = {DI01: "Di01", DU01: "Du01", FO01: "Fo01"}
GGK_APPLICATION = "GGk"  # the fixed ontvanger/applicatie of every envelope (spec §3.2)

_UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


class Code:
    """The codes of our Fo03 answers (module docstring)."""

    INVALID = "RIN001"
    TOO_LARGE = "IB007"
    NOT_UUID = "IB009"
    MISMATCH = "IB240"
    UNKNOWN_SENDER = "IB213"
    UNKNOWN_RECEIVER = "IB210"
    REUSED_REFERENCE = "IB216"
    NOT_AUTHORISED = "IB002"
    SCHEMA = "StUF055"  # the one Fo01 code a gemeente sends: payload not valid (spec §2.3)


@dataclass
class EnvelopeError(Exception):
    """An envelope we cannot take: answered with a Fo03 naming `code` and `text`."""

    code: str
    text: str
    referentienummer: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"


@dataclass(frozen=True)
class System:
    """A party in the routing data: organisation (CBS/AGB code or chain name), application."""

    organisatie: str | None
    applicatie: str
    administratie: str | None = None


@dataclass(frozen=True)
class Routing:
    """The stuurgegevens of any of the messages."""

    berichtcode: str
    zender: System
    ontvanger: System
    referentienummer: str
    tijdstip: str
    cross_ref: str | None = None
    functie: str | None = None


@dataclass(frozen=True)
class Versions:
    """parameters/: the sending application's version and the payload type's version."""

    applicatie: str
    applicatie_sub: str
    functie: str
    functie_sub: str

    @property
    def details(self) -> str:
        """applicatieVersie + applicatieSubversie, as a Fo01's `details` repeats them."""
        return self.applicatie + self.applicatie_sub


@dataclass(frozen=True)
class Envelope:
    """A Di01 or Du01: routing, versions and the decoded payload."""

    operation: str
    routing: Routing
    versions: Versions
    payload: bytes
    file_name: str | None = None  # a tekstBestand's name; None for an xmlBestand


@dataclass(frozen=True)
class Fault:
    """The body of a Fo01 or Fo03."""

    code: str
    plek: str
    omschrijving: str
    details: str | None = None
    details_xml: etree._Element | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ErrorMessage:
    """A Fo01: routing (crossRefnummer names the message it is about) and the fault."""

    routing: Routing
    fault: Fault


@dataclass(frozen=True)
class Incoming:
    """A SOAP request taken apart: the operation, the checked message and its identity."""

    operation: str
    element: etree._Element  # the StUF message, the child of soap:Body
    canonical: bytes  # exclusive C14N of `element`: two deliveries are "the same" iff equal
    envelope: Envelope | None = None
    error: ErrorMessage | None = None

    @property
    def routing(self) -> Routing:
        if self.envelope is not None:
            return self.envelope.routing
        assert self.error is not None
        return self.error.routing


@dataclass(frozen=True)
class Answer:
    """What the other side answered on a SOAP call we made."""

    acknowledged: bool  # a Bv03 came back
    code: str | None = None  # the fault's (Fo03) code, or our own for a transport problem
    text: str | None = None
    cross_ref: str | None = None  # the Bv03's crossRefnummer


@dataclass(frozen=True)
class Peek:
    """An iJw payload's message type and header fields, read from its first bytes."""

    message_type: str | None
    afzender: str | None = None
    ontvanger: str | None = None
    identificatie: str | None = None  # BerichtIdentificatie/Identificatie


# -- helpers -----------------------------------------------------------------------------------


def new_reference() -> str:
    """A fresh referentienummer: a random (version 4) UUID in lower case."""
    return str(uuid.uuid4())


def is_uuid4(value: str | None) -> bool:
    """Whether `value` is a lower-case version 4 UUID, the only form the chain takes."""
    return value is not None and _UUID4.fullmatch(value) is not None


def timestamp(moment: datetime) -> str:
    """tijdstipBericht: Dutch local time as yyyymmddhhmmss."""
    return moment.astimezone(AMSTERDAM).strftime("%Y%m%d%H%M%S")


def four_digits(value: int) -> str:
    """A Versienr: four digits."""
    return f"{max(0, min(value, 9999)):04d}"


def _parser() -> etree.XMLParser:
    # huge_tree: a 25 MB envelope is one base64 text node, above libxml2's default 10 MB limit
    # on a text node; the input is bounded to 25 MB before it is parsed and DTDs are refused,
    # so the limit it lifts protects nothing here.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_blank_text=False,
        collect_ids=False,
    )


_local = threading.local()


def _thread_parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _parser()
    return parser


def parse(data: bytes) -> etree._Element:
    """Parse untrusted SOAP bytes; RIN001 for anything not well-formed or with a DTD."""
    if b"<!DOCTYPE" in data[:4096].upper():
        raise EnvelopeError(Code.INVALID, "DTDs and entity declarations are not allowed")
    try:
        root = etree.fromstring(data, parser=_thread_parser())
    except etree.XMLSyntaxError as exc:
        raise EnvelopeError(Code.INVALID, f"not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise EnvelopeError(Code.INVALID, "DTDs and entity declarations are not allowed")
    return root


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "ggk0210-envelope.xsd"), _parser()))


_schema_lock = threading.Lock()


def schema_errors(element: etree._Element) -> list[str]:
    """Our envelope schema's errors on a message element (empty when valid).  A subtree (the
    message inside a SOAP Body) is validated in place: lxml gives it a document of its own
    without copying it."""
    with _schema_lock:  # lxml's XMLSchema is not safe for concurrent validate() calls
        schema = _schema()
        ok = schema.validate(element)
        errors = [f"{e.path}: {e.message}" for e in schema.error_log]
    return [] if ok else errors


def canonical(element: etree._Element) -> bytes:
    """Exclusive C14N of a message: independent of the SOAP wrapper and its prefixes."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def _text(parent: etree._Element, path: str) -> str | None:
    found = parent.find(path, NSMAP)
    return None if found is None else (found.text or "")


def _system(parent: etree._Element, name: str) -> System:
    node = parent.find(f"StUF:{name}", NSMAP)
    assert node is not None  # the schema requires it
    return System(
        organisatie=_text(node, "StUF:organisatie"),
        applicatie=_text(node, "StUF:applicatie") or "",
        administratie=_text(node, "StUF:administratie"),
    )


def _routing(stuur: etree._Element) -> Routing:
    return Routing(
        berichtcode=_text(stuur, "StUF:berichtcode") or "",
        zender=_system(stuur, "zender"),
        ontvanger=_system(stuur, "ontvanger"),
        referentienummer=_text(stuur, "StUF:referentienummer") or "",
        tijdstip=_text(stuur, "StUF:tijdstipBericht") or "",
        cross_ref=_text(stuur, "StUF:crossRefnummer"),
        functie=_text(stuur, "StUF:functie"),
    )


def _decode(value: str) -> bytes:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(Code.INVALID, "the payload is not valid base64") from None


# -- reading -------------------------------------------------------------------------------


def peek(payload: bytes) -> Peek | None:
    """An iJw payload's type and header parties, or None when its start does not parse (the
    intake then refuses it properly).  Reads only up to the end of the Header, so an 18 MB
    payload is not parsed twice."""
    if b"<!DOCTYPE" in payload[:4096].upper():
        return None
    parser = etree.XMLPullParser(
        events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False
    )
    name: str | None = None
    parts: dict[str, str | None] = {}
    try:
        for offset in range(0, min(len(payload), 1 << 20), 1 << 14):
            parser.feed(payload[offset : offset + (1 << 14)])
            for event, element in parser.read_events():
                tag = etree.QName(element)
                if name is None:
                    info = BY_NAMESPACE.get(tag.namespace or "")
                    if info is None or tag.localname != "Bericht":
                        return Peek(None)
                    name = info.name
                elif event == "end" and tag.localname in ("Afzender", "Ontvanger"):
                    parts[tag.localname] = element.text
                elif event == "end" and tag.localname == "Identificatie":
                    parts.setdefault("Identificatie", element.text)
                elif event == "end" and tag.localname == "Header":
                    return Peek(
                        name,
                        parts.get("Afzender"),
                        parts.get("Ontvanger"),
                        parts.get("Identificatie"),
                    )
    except etree.XMLSyntaxError:
        return None
    return None


def soap_body_child(root: etree._Element) -> etree._Element:
    """The one element in a SOAP 1.1 Body; RIN001 when the document is no such envelope."""
    if root.tag == f"{{{SOAP12_NS}}}Envelope":
        raise EnvelopeError(Code.INVALID, "SOAP 1.2 is not supported: the service is SOAP 1.1")
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise EnvelopeError(Code.INVALID, "the request is not a SOAP 1.1 envelope")
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None:
        raise EnvelopeError(Code.INVALID, "the SOAP envelope has no Body")
    children = [c for c in body if isinstance(c.tag, str)]
    if len(children) != 1:
        raise EnvelopeError(Code.INVALID, "the SOAP Body must hold exactly one message")
    return children[0]


def _reference_of(element: etree._Element) -> str | None:
    ref = element.find("*/StUF:referentienummer", NSMAP)
    return None if ref is None else ref.text


def read_request(data: bytes, soap_action: str | None = None) -> Incoming:
    """Take a SOAP request to OntvangAsynchroon apart and check the envelope (not the payload).

    Checks, in order: size, well-formed SOAP 1.1 with one message, a known operation that fits
    the SOAPAction when one is given, our envelope schema (IB009 when the fault is a
    referentienummer or crossRefnummer, RIN001 otherwise), a UUID v4 referentienummer (on a
    Fo01 too) and a crossRefnummer on a Du01 and a Fo01, the payload decodes.
    """
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeError(Code.TOO_LARGE, f"the envelope exceeds {MAX_ENVELOPE_BYTES} bytes")
    element = soap_body_child(parse(data))
    reference = _reference_of(element)
    operation = OPERATION_OF_ROOT.get(element.tag)
    if operation is None:
        raise EnvelopeError(
            Code.MISMATCH, f"{etree.QName(element).localname} is no operation of this service"
        )
    action = (soap_action or "").strip().strip('"')
    if action and action != SOAP_ACTION[operation]:
        raise EnvelopeError(
            Code.MISMATCH,
            f"SOAPAction {action} does not fit the body element {etree.QName(element).localname}",
            reference,
        )
    if any(XSI_NS in (etree.QName(a).namespace or "") for n in element.iter() for a in n.attrib):
        # xsi:type and xsi:nil would let a sender swap the schema's types: refused outright.
        raise EnvelopeError(
            Code.INVALID, "xsi attributes are not allowed in an envelope", reference
        )
    errors = schema_errors(element)
    if errors:
        code = Code.INVALID
        if any(("referentienummer" in e or "crossRefnummer" in e) for e in errors[:1]):
            code = Code.NOT_UUID
        raise EnvelopeError(code, f"the envelope is not valid: {errors[0]}"[:190], reference)
    stuur = element.find("*", NSMAP)
    assert stuur is not None
    routing = _routing(stuur)
    if routing.berichtcode != BERICHTCODE[operation]:  # the schema fixes it; kept explicit
        raise EnvelopeError(Code.MISMATCH, "berichtcode does not fit the operation", reference)
    if not is_uuid4(routing.referentienummer):
        raise EnvelopeError(Code.NOT_UUID, "referentienummer is not a UUID v4", reference)
    if operation == DU01 and not is_uuid4(routing.cross_ref):  # the schema says so too
        raise EnvelopeError(Code.NOT_UUID, "crossRefnummer is not a UUID v4", reference)
    if operation == FO01 and not (routing.cross_ref or "").strip():
        # A Fo01 names the envelope it is about; the chain's own example names a version-1
        # UUID there, so any non-empty reference is taken (an unknown one is kept, not lost).
        raise EnvelopeError(Code.NOT_UUID, "crossRefnummer is empty", reference)
    if operation == FO01:
        return Incoming(operation, element, canonical(element), error=_fo01(routing, element))
    return Incoming(
        operation, element, canonical(element), envelope=_read_envelope(operation, routing, element)
    )


def _read_envelope(operation: str, routing: Routing, element: etree._Element) -> Envelope:
    params = element.find("GGK:parameters", NSMAP)
    assert params is not None
    versions = Versions(
        applicatie=_text(params, "GGK:applicatieVersie") or "",
        applicatie_sub=_text(params, "GGK:applicatieSubversie") or "",
        functie=_text(params, "GGK:functieVersie") or "",
        functie_sub=_text(params, "GGK:functieSubversie") or "",
    )
    xml_file = params.find("GGK:bericht/GGK:xmlBestand", NSMAP)
    if xml_file is not None:
        return Envelope(operation, routing, versions, _decode(xml_file.text or ""))
    text_file = params.find("GGK:bericht/GGK:tekstBestand", NSMAP)
    assert text_file is not None
    payload = _decode(text_file.text or "")
    return Envelope(operation, routing, versions, payload, text_file.get("bestandsnaam"))


def _fo01(routing: Routing, element: etree._Element) -> ErrorMessage:
    body = element.find("StUF:body", NSMAP)
    assert body is not None
    xml_details = body.find("StUF:detailsXML", NSMAP)
    return ErrorMessage(
        routing,
        Fault(
            code=_text(body, "StUF:code") or "",
            plek=_text(body, "StUF:plek") or "",
            omschrijving=_text(body, "StUF:omschrijving") or "",
            details=_text(body, "StUF:details"),
            details_xml=xml_details,
        ),
    )


def read_answer(status: int, data: bytes) -> Answer:
    """Judge the answer to a SOAP call we made: a Bv03 acknowledges, anything else does not."""
    try:
        element = soap_body_child(parse(data))
    except EnvelopeError as exc:
        return Answer(False, "HTTP", f"HTTP {status}, no SOAP answer: {exc.text}"[:200])
    if element.tag == f"{{{STUF_NS}}}Bv03Bericht" and status == 200:
        if schema_errors(element):
            return Answer(False, Code.INVALID, "the Bv03 is not valid against the schema")
        return Answer(True, cross_ref=_text(element, "StUF:stuurgegevens/StUF:crossRefnummer"))
    if element.tag == f"{{{SOAP_NS}}}Fault":
        fo03 = element.find(f"detail/{{{STUF_NS}}}Fo03Bericht")
        if fo03 is not None:
            return Answer(
                False,
                _text(fo03, "StUF:body/StUF:code") or "Fo03",
                _text(fo03, "StUF:body/StUF:omschrijving"),
            )
        return Answer(False, "FAULT", (_text(element, "faultstring") or "")[:200])
    return Answer(False, "HTTP", f"HTTP {status} with {etree.QName(element).localname}"[:200])


# -- building ------------------------------------------------------------------------------


def _el(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        child.text = text
    return child


def _add_system(parent: etree._Element, name: str, system: System) -> None:
    node = _el(parent, STUF_NS, name)
    if system.organisatie is not None:
        _el(node, STUF_NS, "organisatie", system.organisatie)
    _el(node, STUF_NS, "applicatie", system.applicatie)
    if system.administratie:
        _el(node, STUF_NS, "administratie", system.administratie)


def _add_routing(parent: etree._Element, ns: str, routing: Routing) -> None:
    stuur = _el(parent, ns, "stuurgegevens")
    _el(stuur, STUF_NS, "berichtcode", routing.berichtcode)
    _add_system(stuur, "zender", routing.zender)
    _add_system(stuur, "ontvanger", routing.ontvanger)
    _el(stuur, STUF_NS, "referentienummer", routing.referentienummer)
    _el(stuur, STUF_NS, "tijdstipBericht", routing.tijdstip)
    if routing.cross_ref is not None:
        _el(stuur, STUF_NS, "crossRefnummer", routing.cross_ref)
    if routing.functie is not None:
        _el(stuur, STUF_NS, "functie", routing.functie)


def _checked(element: etree._Element) -> etree._Element:
    errors = schema_errors(element)
    if errors:  # we never send what our own schema refuses: that would be a bug here
        raise ValueError(f"built {etree.QName(element).localname} is not valid: {errors[:3]}")
    return element


def build_envelope(envelope: Envelope) -> etree._Element:
    """A Di01 or Du01 element carrying `envelope.payload` as an xmlBestand (base64)."""
    assert envelope.file_name is None, "we only send XML payloads"
    root = etree.Element(ROOT[envelope.operation], nsmap=NSMAP)
    _add_routing(root, GGK_NS, envelope.routing)
    params = _el(root, GGK_NS, "parameters")
    v = envelope.versions
    for name, value in (
        ("applicatieVersie", v.applicatie),
        ("applicatieSubversie", v.applicatie_sub),
        ("functieVersie", v.functie),
        ("functieSubversie", v.functie_sub),
    ):
        _el(params, GGK_NS, name, value)
    bericht = _el(params, GGK_NS, "bericht")
    _el(bericht, GGK_NS, "xmlBestand", base64.b64encode(envelope.payload).decode("ascii"))
    return _checked(root)


def _fault_message(tag: str, routing: Routing, fault: Fault) -> etree._Element:
    root = etree.Element(f"{{{STUF_NS}}}{tag}", nsmap={"StUF": STUF_NS})
    _add_routing(root, STUF_NS, routing)
    body = _el(root, STUF_NS, "body")
    _el(body, STUF_NS, "code", fault.code)
    _el(body, STUF_NS, "plek", fault.plek)
    _el(body, STUF_NS, "omschrijving", fault.omschrijving[:200])
    if fault.details is not None:
        _el(body, STUF_NS, "details", fault.details[:1000])
    if fault.details_xml is not None:
        _el(body, STUF_NS, "detailsXML").append(fault.details_xml)
    return _checked(root)


def build_fo01(routing: Routing, fault: Fault) -> etree._Element:
    """A Fo01 error message (routing.crossRefnummer = the message it is about)."""
    return _fault_message("Fo01Bericht", routing, fault)


def build_fo03(routing: Routing, fault: Fault) -> etree._Element:
    """A Fo03, the body of the SOAP fault that refuses an envelope."""
    return _fault_message("Fo03Bericht", routing, fault)


def build_bv03(routing: Routing) -> etree._Element:
    """A Bv03 acknowledgement (routing.crossRefnummer = the acknowledged referentienummer)."""
    root = etree.Element(f"{{{STUF_NS}}}Bv03Bericht", nsmap={"StUF": STUF_NS})
    _add_routing(root, STUF_NS, routing)
    return _checked(root)


def serialize(element: etree._Element) -> bytes:
    """A message element as UTF-8 bytes (no declaration: it goes inside a SOAP body)."""
    return etree.tostring(element, encoding="utf-8")


def soap_message(body: bytes) -> bytes:
    """A SOAP 1.1 request or answer around serialized message bytes."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<soap:Envelope xmlns:soap="'
        + SOAP_NS.encode()
        + b'"><soap:Body>'
        + body
        + b"</soap:Body>"
        b"</soap:Envelope>"
    )


def soap_fault(fo03: etree._Element, faultstring: str, server: bool = False) -> bytes:
    """A SOAP 1.1 fault carrying a Fo03 as its detail."""
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    fault = etree.SubElement(
        etree.SubElement(envelope, f"{{{SOAP_NS}}}Body"), f"{{{SOAP_NS}}}Fault"
    )
    etree.SubElement(fault, "faultcode").text = "soap:Server" if server else "soap:Client"
    etree.SubElement(fault, "faultstring").text = faultstring
    etree.SubElement(fault, "detail").append(fo03)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def message_of(data: bytes) -> etree._Element:
    """A message element from bytes we stored ourselves (trusted, but parsed safely anyway)."""
    return parse(data)
