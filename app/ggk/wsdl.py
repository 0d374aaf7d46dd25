"""Our WSDL of the OntvangAsynchroon service, at our own address (`GET ...?wsdl`).

The same service as the official one (SOAP 1.1, document/literal; operations ggk_Di01,
ggk_Du01 and Fo01, each answered with a Bv03 or a Fo03 fault; the same SOAPActions, port and
service names), in one self-contained document: our envelope schemas are inlined in <types>,
so a standard client (zeep, wsimport, svcutil) is generated from this one URL.
"""

from __future__ import annotations

from functools import cache

from lxml import etree

from app.ggk import envelope

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
XS_NS = "http://www.w3.org/2001/XMLSchema"
SERVICE = "StUFOntvangAsynchroonGGK0210Service"
PORT = "OntvangAsynchroon"
BINDING = "SOAPOntvangAsynchroon"

# operation -> (input message, its element)
_INPUTS = {
    envelope.DI01: ("ggk_Di01", "GGK:envelopHeenbericht-ggk_Di01"),
    envelope.DU01: ("ggk_Du01", "GGK:envelopRetourbericht-ggk_Du01"),
    envelope.FO01: ("Fo01", "StUF:Fo01Bericht"),
}


def _w(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{WSDL_NS}}}{tag}", attrs)


def _soap(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{WSDL_SOAP_NS}}}{tag}", attrs)


@cache
def _schemas() -> tuple[bytes, ...]:
    """Our two schema documents, the GGk one importing the StUF one by namespace only."""
    parser = etree.XMLParser(remove_comments=True, remove_blank_text=True, no_network=True)
    out = []
    for name in ("stuf0301-envelope.xsd", "ggk0210-envelope.xsd"):
        root = etree.parse(str(envelope.SCHEMA_DIR / name), parser).getroot()
        for imp in root.findall(f"{{{XS_NS}}}import"):
            imp.attrib.pop("schemaLocation", None)  # both live in this document
        out.append(etree.tostring(root))
    return tuple(out)


def wsdl(address: str) -> bytes:
    """The WSDL with `address` as the service's location."""
    nsmap = {
        "wsdl": WSDL_NS,
        "soap": WSDL_SOAP_NS,
        "xs": XS_NS,
        "GGK": envelope.GGK_NS,
        "StUF": envelope.STUF_NS,
    }
    root = etree.Element(
        f"{{{WSDL_NS}}}definitions",
        nsmap=nsmap,
        name="ijw-ggk-OntvangAsynchroon",
        targetNamespace=envelope.GGK_NS,
    )
    _w(root, "documentation").text = (
        "OntvangAsynchroon of the StUF-GGk envelope (ggk0210, StUF 03.01) as this iJw 3.2 "
        "service implements it: every call is answered with a Bv03 or a SOAP fault with a Fo03."
    )
    types = _w(root, "types")
    for schema in _schemas():
        types.append(etree.fromstring(schema))
    for message, element in _INPUTS.values():
        _w(_w(root, "message", name=message), "part", name="body", element=element)
    for message, element in (("Bv03", "StUF:Bv03Bericht"), ("Fo03", "StUF:Fo03Bericht")):
        _w(_w(root, "message", name=message), "part", name="body", element=element)
    port_type = _w(root, "portType", name=PORT)
    for operation, (message, _) in _INPUTS.items():
        op = _w(port_type, "operation", name=operation)
        _w(op, "input", message=f"GGK:{message}")
        _w(op, "output", message="GGK:Bv03")
        _w(op, "fault", name="fout", message="GGK:Fo03")
    binding = _w(root, "binding", name=BINDING, type=f"GGK:{PORT}")
    _soap(binding, "binding", style="document", transport="http://schemas.xmlsoap.org/soap/http")
    for operation in _INPUTS:
        op = _w(binding, "operation", name=operation)
        _soap(op, "operation", soapAction=envelope.SOAP_ACTION[operation])
        _soap(_w(op, "input"), "body", use="literal")
        _soap(_w(op, "output"), "body", use="literal")
        _soap(_w(op, "fault", name="fout"), "fault", name="fout", use="literal")
    service = _w(root, "service", name=SERVICE)
    port = _w(service, "port", name=PORT, binding=f"GGK:{BINDING}")
    _soap(port, "address", location=address)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
