"""Shared helpers for the level-2 rules: where each kind of class sits in each message.

The official checker runs the forward message's rules on a retour too (it strips the retour
elements and checks what is left), so every helper answers in terms of the *content* a message
carries: a JW302 carries JW301 content, a JW306 JW305 content, and so on.  Helpers return classes
in document order and never compute a path unless a rule emits one.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date
from typing import Any

from app.ijw.catalogue import CONTENT_OF
from app.ijw.model import Message, Node, many
from app.ijw.rules.registry import memo

# Cut-off date of CD080, CD095, CD096, CS338 and CS343 ("groter dan 31-12-2020 of leeg").
END_2020 = date(2020, 12, 31)


def content(message: Message) -> str:
    """The forward message type whose content `message` carries (itself for a forward message)."""
    return CONTENT_OF.get(message.name, message.name)


def client(message: Message) -> Node | None:
    """The single Client of a 301/305/307/315/317 (or its retour), None when absent."""
    value = message.root.get("Client")
    return value if isinstance(value, Node) else None


def dagtekening_loc(message: Message) -> str:
    """Location of the Header's Dagtekening, the reference date of TR002/TR134/TR137/TR380."""
    return message.header["BerichtIdentificatie"].loc("Dagtekening")


def contacts(message: Message) -> Iterator[Node]:
    """Every Contact class of a 301 in document order: the relations' first, then the client's."""
    cl = client(message)
    if cl is None or content(message) != "JW301":
        return
    for relatie in many(cl, "Relaties", "Relatie"):
        contact = relatie.get("Contact")
        if contact is not None:
            yield contact
    yield from many(cl, "Contactgegevens", "Contact")


def names(message: Message) -> Iterator[tuple[Node, Node]]:
    """(owner, Naam) of every full name (CDT_VolledigeNaam) in a 301: client, then relations."""
    cl = client(message)
    if cl is None or content(message) != "JW301":
        return
    yield cl, cl["Naam"]
    for relatie in many(cl, "Relaties", "Relatie"):
        yield relatie, relatie["Naam"]


def birth_dates(message: Message) -> Iterator[Node]:
    """Every Geboortedatum class (client, and relations in a 301) in document order."""
    cl = client(message)
    if cl is None:
        return
    own = cl.get("Geboortedatum")
    if own is not None:
        yield own
    for relatie in many(cl, "Relaties", "Relatie"):
        rel = relatie.get("Geboortedatum")
        if rel is not None:
            yield rel


class Period:
    """How a product-like class names its period: start and (optional) end element."""

    __slots__ = ("end", "start")

    def __init__(self, start: str, end: str) -> None:
        self.start = start
        self.end = end


TOEGEWEZEN = Period("Ingangsdatum", "Einddatum")
AANGEVRAAGD = Period("ToewijzingIngangsdatum", "ToewijzingEinddatum")
GEWENST = Period("GewensteIngangsdatum", "Einddatum")


def toegewezen(message: Message) -> list[Node]:
    """The ToegewezenProducten of a 301/302."""
    if content(message) != "JW301":
        return []
    return many(client(message), "ToegewezenProducten", "ToegewezenProduct")


def aangevraagd(message: Message) -> list[Node]:
    """The AangevraagdeProducten of a 315/316."""
    if content(message) != "JW315":
        return []
    return many(client(message), "AangevraagdeProducten", "AangevraagdProduct")


def verzoek(message: Message) -> Node | None:
    """The Verzoek of a 317/318."""
    cl = client(message)
    if cl is None or content(message) != "JW317":
        return None
    return cl.get("Verzoek")


def te_wijzigen(message: Message) -> list[Node]:
    """The TeWijzigenProducten of a 317/318."""
    return many(verzoek(message), "TeWijzigenProducten", "TeWijzigenProduct")


def nieuw(message: Message) -> list[Node]:
    """The NieuweProducten of a 317/318."""
    return many(verzoek(message), "NieuweProducten", "NieuwProduct")


def requested_products(message: Message) -> Iterator[tuple[Node, Period]]:
    """Every class that carries Omvang/Budget with its period naming, in document order.

    301: ToegewezenProduct; 315: AangevraagdProduct; 317: TeWijzigenProduct, NieuwProduct.
    """
    for node in toegewezen(message):
        yield node, TOEGEWEZEN
    for node in aangevraagd(message):
        yield node, AANGEVRAAGD
    for node in te_wijzigen(message):
        yield node, GEWENST
    for node in nieuw(message):
        yield node, GEWENST


def declaration(message: Message) -> Node | None:
    """The Declaratie of a 323 or the DeclaratieAntwoord of a 325."""
    value = message.root.get("Declaratie")
    if value is None:
        value = message.root.get("DeclaratieAntwoord")
    return value if isinstance(value, Node) else None


def declaratie_periode(message: Message) -> Node:
    """The DeclaratiePeriode of a 323 (callers test the message type first)."""
    decl = declaration(message)
    assert decl is not None, "a JW323 has a Declaratie"
    return decl["DeclaratiePeriode"]


def declaration_clients(message: Message) -> list[Node]:
    """The Clienten/Client classes of a 323 or 325."""
    return many(declaration(message), "Clienten", "Client")


def prestaties(message: Message) -> list[Node]:
    """Every Prestatie of a 323 or 325, across clients, in document order (built once per run)."""

    def build() -> list[Node]:
        out: list[Node] = []
        for cl in declaration_clients(message):
            out.extend(cl["Prestaties"]["Prestatie"])
        return out

    return memo(message, "prestaties", build)


def last_day(day: date) -> date:
    """The last day of the month `day` falls in."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def years_before(earlier: date, later: date, years: int) -> bool:
    """True when `earlier` lies more than `years` years before `later`.

    The checker compares dates as numbers YYYYMMDD and adds years * 10000, so a 29 February
    simply moves to the same month and day; comparing (year + n, month, day) tuples is the same.
    """
    return (earlier.year + years, earlier.month, earlier.day) < (later.year, later.month, later.day)


def present(node: Node | None, name: str) -> bool:
    """Whether a child element exists (the model drops absent optional elements)."""
    return node is not None and node.get(name) is not None


def signed(amount: Node) -> int:
    """A BedragMetDC/TotaalBedragMetDC as a signed integer (D positive, C negative)."""
    value: Any = amount.get("Bedrag", amount.get("TotaalBedrag"))
    return -value if amount["DebetCredit"] == "C" else value
