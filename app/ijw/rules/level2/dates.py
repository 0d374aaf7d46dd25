"""TR134: dates that may not lie after the message's Dagtekening."""

from __future__ import annotations

from collections.abc import Iterator

from app.ijw.model import Message, Node, many
from app.ijw.rules.level2.common import (
    birth_dates,
    client,
    content,
    dagtekening_loc,
    declaration,
    prestaties,
    toegewezen,
)
from app.ijw.rules.registry import Emit, rule


def _dates(message: Message) -> Iterator[tuple[Node, str]]:
    """(class, element) of every date TR134 applies to, in document order.

    The rule text names no element.  The corpus shows the checker on Geboortedatum (301, 305, 307,
    315), ToegewezenProduct/Toewijzingsdatum, StartProduct/Begindatum, StopProduct/Einddatum and the
    Begindatum of the DeclaratiePeriode and every ProductPeriode; the spec (§3b) adds the
    DeclaratieDagtekening.  Relations' birth dates count too: the checker matches every
    Geboortedatum.
    """
    kind = content(message)
    for geboortedatum in birth_dates(message):
        yield geboortedatum, "Datum"
    if kind == "JW301":
        for node in toegewezen(message):
            yield node, "Toewijzingsdatum"
    elif kind == "JW305":
        for node in many(client(message), "StartProducten", "StartProduct"):
            yield node, "Begindatum"
    elif kind == "JW307":
        for node in many(client(message), "StopProducten", "StopProduct"):
            yield node, "Einddatum"
    elif kind in ("JW323", "JW325"):
        decl = declaration(message)
        if decl is None:
            return
        if kind == "JW323":
            yield decl["DeclaratiePeriode"], "Begindatum"
            yield decl, "DeclaratieDagtekening"
        for prestatie in prestaties(message):
            yield prestatie["ProductPeriode"], "Begindatum"


@rule("TR134")
def datum_niet_na_dagtekening(message: Message, emit: Emit) -> None:
    """The date is not after the Dagtekening of the message."""
    dagtekening = message.dagtekening
    for node, name in _dates(message):
        if node[name] > dagtekening:
            emit(dagtekening_loc(message), node.loc(name))
