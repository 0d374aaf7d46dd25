"""The iJw 3.2 message catalogue: what each message is, who sends it and what answers it.

Structure (element names, order, types, codes) comes from `xsd_model`; the flow facts below are
the only other place messages are described.  Everything else derives from these two.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from app.ijw.catalogue.structure import El, MessageSchema, Simple
from app.ijw.catalogue.xsd_model import COMPLEX_TYPES, MESSAGES, SIMPLE_TYPES

BASIS_NAMESPACE = "http://www.istandaarden.nl/ijw/3_2/basisschema/schema"


class Role(StrEnum):
    """The two kinds of party in the exchange."""

    GEMEENTE = "gemeente"
    AANBIEDER = "aanbieder"


@dataclass(frozen=True)
class MessageInfo:
    """Flow facts of one message type."""

    name: str
    title: str
    sent_by: Role
    answered_by: str | None = None  # the retour (or JW325) that answers this message
    answers: str | None = None  # for a retour: the forward message it answers
    header_copy: bool = False  # a retour that repeats the forward header (IV028); not JW325

    @property
    def schema(self) -> MessageSchema:
        return MESSAGES[self.name]

    @property
    def code(self) -> str:
        return self.schema.code

    @property
    def namespace(self) -> str:
        return self.schema.namespace

    @property
    def is_retour(self) -> bool:
        return self.answers is not None


_G, _A = Role.GEMEENTE, Role.AANBIEDER

CATALOGUE: dict[str, MessageInfo] = {
    m.name: m
    for m in (
        MessageInfo("JW301", "Toewijzing", _G, answered_by="JW302"),
        MessageInfo("JW302", "Toewijzing retour", _A, answers="JW301", header_copy=True),
        MessageInfo("JW305", "Start jeugdhulp", _A, answered_by="JW306"),
        MessageInfo("JW306", "Start retour", _G, answers="JW305", header_copy=True),
        MessageInfo("JW307", "Stop jeugdhulp", _A, answered_by="JW308"),
        MessageInfo("JW308", "Stop retour", _G, answers="JW307", header_copy=True),
        MessageInfo("JW315", "Verzoek om toewijzing", _A, answered_by="JW316"),
        MessageInfo("JW316", "Verzoek om toewijzing retour", _G, answers="JW315", header_copy=True),
        MessageInfo("JW317", "Verzoek om wijziging", _A, answered_by="JW318"),
        MessageInfo("JW318", "Verzoek om wijziging retour", _G, answers="JW317", header_copy=True),
        MessageInfo("JW319", "Antwoordbericht", _G, answered_by="JW320"),
        MessageInfo("JW320", "Antwoord retour", _A, answers="JW319", header_copy=True),
        MessageInfo("JW323", "Declaratie", _A, answered_by="JW325"),
        MessageInfo("JW325", "Declaratie-antwoord", _G, answers="JW323"),
    )
}

# A header-copy retour repeats its forward message's content (JW302 -> JW301, ...).
CONTENT_OF: dict[str, str] = {
    m.name: m.answers for m in CATALOGUE.values() if m.header_copy and m.answers is not None
}

BY_NAMESPACE: dict[str, MessageInfo] = {m.namespace: m for m in CATALOGUE.values()}
BY_CODE: dict[str, MessageInfo] = {m.code: m for m in CATALOGUE.values()}


def resolve(schema: MessageSchema, type_name: str) -> tuple[El, ...] | Simple:
    """Resolve a type reference used inside `schema` to its sequence or simple type."""
    if type_name.startswith("LDT_"):
        return SIMPLE_TYPES[type_name]
    if type_name.startswith("CDT_"):
        return COMPLEX_TYPES[type_name]
    return schema.types[type_name]


def base_of(simple: Simple) -> str:
    """The XML Schema built-in a simple type finally restricts."""
    while simple.base in SIMPLE_TYPES:
        simple = SIMPLE_TYPES[simple.base]
    return simple.base


@cache
def retour_classes(message: str) -> tuple[str, ...]:
    """Element paths (from the root, without `Bericht`) of the classes that carry RetourCodes."""
    schema = MESSAGES[message]
    found: list[str] = []

    def walk(type_name: str, path: str) -> None:
        seq = resolve(schema, type_name)
        if isinstance(seq, Simple):
            return
        if any(el.name == "RetourCodes" for el in seq):
            found.append(path or "Header")
        for el in seq:
            if isinstance(el.type, str) and el.name != "RetourCodes":
                walk(el.type, f"{path}/{el.name}".lstrip("/"))

    walk("Root", "")
    return tuple(found)
