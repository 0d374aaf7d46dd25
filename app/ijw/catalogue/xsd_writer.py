"""Render our XSD files from the declarative model.

The output is deterministic, so `app/ijw/xsd` can be checked against a fresh rendering in a test
(`ijw schemas write` regenerates it).  Versions travel in `appinfo` because IV034 tells senders to
read XsdVersie values from there.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from app.ijw.catalogue.structure import UNBOUNDED, El, MessageSchema, Simple
from app.ijw.catalogue.xsd_model import BASIS_XSD_VERSION, COMPLEX_TYPES, MESSAGES, SIMPLE_TYPES

BASIS_NS = "http://www.istandaarden.nl/ijw/3_2/basisschema/schema"
XS_NS = "http://www.w3.org/2001/XMLSchema"
_GENERATED = "Generated from app/ijw/catalogue/xsd_model.py by `ijw schemas write`. Do not edit."


def _q(value: str | int) -> str:
    return quoteattr(str(value))


def _restriction(simple: Simple, base_prefix: str, indent: str) -> list[str]:
    base = simple.base
    ref = f"xs:{base}" if base in ("string", "integer", "date", "time") else f"{base_prefix}:{base}"
    facets: list[str] = []
    for value in simple.enum:
        facets.append(f"<xs:enumeration value={_q(value)}/>")
    for pattern in simple.patterns:
        facets.append(f"<xs:pattern value={_q(pattern)}/>")
    bounds: tuple[tuple[str, int | str | None], ...] = (
        ("minLength", simple.min_length),
        ("maxLength", simple.max_length),
        ("minInclusive", simple.min_inclusive),
        ("maxInclusive", simple.max_inclusive),
    )
    for tag, bound in bounds:
        if bound is not None:
            facets.append(f"<xs:{tag} value={_q(str(bound))}/>")
    if not facets:
        return [f"{indent}<xs:restriction base={_q(ref)}/>"]
    return (
        [f"{indent}<xs:restriction base={_q(ref)}>"]
        + [f"{indent}  {f}" for f in facets]
        + [f"{indent}</xs:restriction>"]
    )


def _element(el: El, local_prefix: str, indent: str) -> list[str]:
    occurs = ""
    if el.min != 1:
        occurs += f" minOccurs={_q(el.min)}"
    if el.max != 1:
        occurs += f" maxOccurs={_q('unbounded' if el.max == UNBOUNDED else el.max)}"
    if isinstance(el.type, Simple):
        return (
            [f"{indent}<xs:element name={_q(el.name)}{occurs}>", f"{indent}  <xs:simpleType>"]
            + _restriction(el.type, "ijw", indent + "    ")
            + [f"{indent}  </xs:simpleType>", f"{indent}</xs:element>"]
        )
    prefix = "ijw" if el.type.startswith(("LDT_", "CDT_")) else local_prefix
    return [f"{indent}<xs:element name={_q(el.name)} type={_q(f'{prefix}:{el.type}')}{occurs}/>"]


def _complex(name: str, elements: tuple[El, ...], local_prefix: str) -> list[str]:
    lines = [f"  <xs:complexType name={_q(name)}>", "    <xs:sequence>"]
    for el in elements:
        lines += _element(el, local_prefix, "      ")
    return lines + ["    </xs:sequence>", "  </xs:complexType>"]


def _appinfo(entries: list[tuple[str, str]]) -> list[str]:
    lines = ["  <xs:annotation>", "    <xs:appinfo>"]
    lines += [f"      <ijw:{k}>{v}</ijw:{k}>" for k, v in entries]
    return lines + [
        "    </xs:appinfo>",
        f"    <xs:documentation>{_GENERATED}</xs:documentation>",
        "  </xs:annotation>",
    ]


def _versions(prefix: str, version: str) -> list[tuple[str, str]]:
    return [
        (f"{prefix}XsdVersie", version),
        (f"{prefix}XsdMinVersie", version),
        (f"{prefix}XsdMaxVersie", version),
    ]


def render_basisschema() -> str:
    """The shared types: every LDT_ simple type and CDT_ complex type."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<xs:schema xmlns:xs={_q(XS_NS)} xmlns:ijw={_q(BASIS_NS)}"
        f' targetNamespace={_q(BASIS_NS)} elementFormDefault="qualified">',
    ]
    lines += _appinfo(
        [("standaard", "ijw"), ("bericht", "basisschema"), ("release", "3.2")]
        + _versions("Basisschema", BASIS_XSD_VERSION)
    )
    for name, simple in SIMPLE_TYPES.items():
        lines += [f"  <xs:simpleType name={_q(name)}>"] + _restriction(simple, "ijw", "    ")
        lines.append("  </xs:simpleType>")
    for name, elements in COMPLEX_TYPES.items():
        lines += _complex(name, elements, "ijw")
    lines.append("</xs:schema>")
    return "\n".join(lines) + "\n"


def render_message(schema: MessageSchema) -> str:
    """One message schema: root element `Bericht` plus the message's local complex types."""
    prefix = schema.name.lower()
    ns = schema.namespace
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<xs:schema xmlns:xs={_q(XS_NS)} xmlns:ijw={_q(BASIS_NS)} xmlns:{prefix}={_q(ns)}"
        f' targetNamespace={_q(ns)} elementFormDefault="qualified">',
        f'  <xs:import namespace={_q(BASIS_NS)} schemaLocation="basisschema.xsd"/>',
    ]
    lines += _appinfo(
        [("standaard", "ijw"), ("bericht", prefix), ("release", "3.2")]
        + _versions("Bericht", schema.xsd_version)
        + _versions("Basisschema", BASIS_XSD_VERSION)
    )
    lines.append(f'  <xs:element name="Bericht" type="{prefix}:Root"/>')
    for name, elements in schema.types.items():
        lines += _complex(name, elements, prefix)
    lines.append("</xs:schema>")
    return "\n".join(lines) + "\n"


def render_all() -> dict[str, str]:
    """File name -> XSD text for the whole set."""
    files = {"basisschema.xsd": render_basisschema()}
    for name, schema in MESSAGES.items():
        files[f"{name}.xsd"] = render_message(schema)
    return files


def write_all(folder: Path) -> list[Path]:
    """Write the whole set into `folder`; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
