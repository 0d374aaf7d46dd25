"""Client-level rules: BSN, names, birth dates, communication and the client's addresses."""

from __future__ import annotations

from app.ijw.model import Message, Node, many
from app.ijw.rules.level2.common import (
    birth_dates,
    client,
    content,
    dagtekening_loc,
    declaration_clients,
    names,
    years_before,
)
from app.ijw.rules.registry import Emit, rule

_BSN_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def elfproef(bsn: str) -> bool:
    """The BSN 11-proof: sum of digit x weight (9..2, -1) is divisible by 11 (elfproef.md)."""
    if len(bsn) != 9 or not bsn.isascii() or not bsn.isdigit():
        return False
    return sum(w * int(d) for w, d in zip(_BSN_WEIGHTS, bsn, strict=True)) % 11 == 0


@rule("CS002")
def bsn_elfproef(message: Message, emit: Emit) -> None:
    """Every client Bsn passes the 11-proof."""
    # No exception for the test range 999900006-999999990: spec §7 Q19 applies the 11-proof only.
    clients = declaration_clients(message) if content(message) in ("JW323", "JW325") else []
    cl = client(message)
    if cl is not None:
        clients = [cl]
    for node in clients:
        if not elfproef(node["Bsn"]):
            emit(node.loc("Bsn"))


@rule("CS050")
def naamgebruik_past_partnernaam(message: Message, emit: Emit) -> None:
    """NaamGebruik 1-4 when a Partnernaam is filled, otherwise 1 or 6 (client and relations)."""
    for _owner, naam in names(message):
        gebruik = naam["NaamGebruik"]
        if naam.get("Partnernaam") is not None:
            if gebruik not in ("1", "2", "3", "4"):
                emit(naam.loc("Partnernaam"), naam.loc("NaamGebruik"))
        elif gebruik not in ("1", "6"):
            emit(naam.loc("NaamGebruik"))


@rule("CS318")
def client_is_natuurlijk_persoon(message: Message, emit: Emit) -> None:
    """The client's NaamGebruik is not 6 (niet-natuurlijk persoon); relations may be."""
    cl = client(message)
    if cl is not None and content(message) == "JW301" and cl["Naam"]["NaamGebruik"] == "6":
        emit(cl["Naam"].loc("NaamGebruik"))


def _datumgebruik_consistent(geboortedatum: Node) -> bool:
    gebruik = geboortedatum.get("DatumGebruik")
    datum = geboortedatum["Datum"]
    if gebruik == "1":  # day unknown: day 01
        return datum.day == 1
    if gebruik == "2":  # day and month unknown: 01-01
        return (datum.month, datum.day) == (1, 1)
    if gebruik == "3":  # all unknown: 01-01-1900 (IV009)
        return (datum.year, datum.month, datum.day) == (1900, 1, 1)
    return True


@rule("CS139")
def datumgebruik_past_bij_datum(message: Message, emit: Emit) -> None:
    """DatumGebruik and Datum of a Geboortedatum agree (1: day 01, 2: 01-01, 3: 1900-01-01)."""
    for geboortedatum in birth_dates(message):
        if not _datumgebruik_consistent(geboortedatum):
            emit(geboortedatum.loc("Datum"), geboortedatum.loc("DatumGebruik"))


def _unknown(geboortedatum: Node) -> bool:
    datum = geboortedatum["Datum"]
    return geboortedatum.get("DatumGebruik") == "3" and (
        datum.year,
        datum.month,
        datum.day,
    ) == (1900, 1, 1)


@rule("TR002")
def geboortedatum_max_120_jaar(message: Message, emit: Emit) -> None:
    """A birth date lies at most 120 years before the Dagtekening, unless it is unknown."""
    dagtekening = message.dagtekening
    for geboortedatum in birth_dates(message):
        if _unknown(geboortedatum):
            continue
        if years_before(geboortedatum["Datum"], dagtekening, 120):
            emit(dagtekening_loc(message), geboortedatum.loc("Datum"))


@rule("CD007")
def taal_bij_tolk(message: Message, emit: Emit) -> None:
    """Taal is filled exactly when Communicatie/Vorm is 1 (tolk taal)."""
    cl = client(message)
    communicatie = cl.get("Communicatie") if cl is not None else None
    if communicatie is None or content(message) != "JW301":
        return
    has_taal = communicatie.get("Taal") is not None
    if communicatie["Vorm"] == "1" and not has_taal:
        emit(communicatie.loc("Vorm"))
    elif communicatie["Vorm"] != "1" and has_taal:
        emit(communicatie.loc("Vorm"), communicatie.loc("Taal"))


@rule("TR061")
def client_heeft_woonadres(message: Message, emit: Emit) -> None:
    """The client has a Contact with Soort 01 (BRP), 02 (correspondentie) or 03 (verblijf)."""
    cl = client(message)
    if cl is None or content(message) != "JW301":
        return
    own = many(cl, "Contactgegevens", "Contact")
    if not any(contact["Soort"] in ("01", "02", "03") for contact in own):
        # Like the checker, point at every Contact of the client.
        emit(*(contact.path for contact in own))
