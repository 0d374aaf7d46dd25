"""Rules on the declaration (JW323) and our declaration answer (JW325).

A 25 MB JW323 holds ~26,000 prestaties, so every rule here is one pass over the prestaties with
dict lookups for the uniqueness and duplicate rules (the official checker compares every prestatie
with every other one).  Locations are only built for findings.
"""

from __future__ import annotations

import re
from datetime import date

from app.ijw.catalogue import BASIS_NAMESPACE
from app.ijw.codes import EURO
from app.ijw.model import Message, Node, text_of
from app.ijw.rules.level2.common import (
    content,
    dagtekening_loc,
    declaratie_periode,
    declaration,
    last_day,
    prestaties,
    signed,
    years_before,
)
from app.ijw.rules.registry import Emit, rule

_FROM_2021 = date(2021, 1, 1)
_ALNUM = re.compile(r"[A-Za-z0-9]+")


def _is_323(message: Message) -> bool:
    return content(message) == "JW323"


@rule("CD060")
def vorig_referentienummer_bij_credit(message: Message, emit: Emit) -> None:
    """VorigReferentieNummer is filled exactly when IngediendBedrag/DebetCredit is C."""
    for prestatie in prestaties(message):
        referentie = prestatie["ProductReferentie"]
        credit = prestatie["IngediendBedrag"]["DebetCredit"] == "C"
        has_vorig = "VorigReferentieNummer" in referentie
        if credit and not has_vorig:
            emit(prestatie["IngediendBedrag"].loc("DebetCredit"))
        elif has_vorig and not credit:
            emit(
                referentie.loc("VorigReferentieNummer"),
                prestatie["IngediendBedrag"].loc("DebetCredit"),
            )


@rule("CD087")
def producttarief_behalve_bij_euro(message: Message, emit: Emit) -> None:
    """ProductTarief is filled exactly when Eenheid is not 83 (euro)."""
    if not _is_323(message):
        return
    for prestatie in prestaties(message):
        euro = prestatie["Eenheid"] == EURO
        has_tarief = "ProductTarief" in prestatie
        if not euro and not has_tarief:
            emit(prestatie.loc("Eenheid"))
        elif euro and has_tarief:
            emit(prestatie.loc("Eenheid"), prestatie.loc("ProductTarief"))


@rule("CS100")
def perioden_vanaf_2021(message: Message, emit: Emit) -> None:
    """DeclaratiePeriode and ProductPeriode start on or after 2021-01-01."""
    # The checker tests the Begindatum of each period (corpus: a December 2020 ProductPeriode is
    # reported on its Begindatum only).
    if not _is_323(message):
        return
    periode = declaratie_periode(message)
    if periode["Begindatum"] < _FROM_2021:
        emit(periode.loc("Begindatum"))
    for prestatie in prestaties(message):
        periode = prestatie["ProductPeriode"]
        if periode["Begindatum"] < _FROM_2021:
            emit(periode.loc("Begindatum"))


@rule("CS319")
def declaratienummer_alfanumeriek(message: Message, emit: Emit) -> None:
    """DeclaratieNummer holds only letters and digits, without spaces."""
    # Also an XSD pattern in the JW323, so reachable only in a hand-built message or in our JW325
    # (whose schema has no pattern).
    node = declaration(message)
    if node is not None and _ALNUM.fullmatch(node["DeclaratieNummer"]) is None:
        emit(node.loc("DeclaratieNummer"))


def _zero_is_debet(amount: Node, value_name: str, emit: Emit) -> None:
    if amount[value_name] == 0 and amount["DebetCredit"] != "D":
        emit(amount.loc(value_name), amount.loc("DebetCredit"))


@rule("CS325")
def nulbedrag_is_debet(message: Message, emit: Emit) -> None:
    """A (Totaal)Bedrag of 0 carries DebetCredit D."""
    node = declaration(message)
    if node is None:
        return
    _zero_is_debet(node["TotaalIngediendBedrag"], "TotaalBedrag", emit)
    if "TotaalToegekendBedrag" in node:
        _zero_is_debet(node["TotaalToegekendBedrag"], "TotaalBedrag", emit)
    for prestatie in prestaties(message):
        _zero_is_debet(prestatie["IngediendBedrag"], "Bedrag", emit)


@rule("CS337")
def productperiode_een_kalendermaand(message: Message, emit: Emit) -> None:
    """ProductPeriode starts and ends in the same calendar month of the same year."""
    if not _is_323(message):
        return
    for prestatie in prestaties(message):
        periode = prestatie["ProductPeriode"]
        begin, end = periode["Begindatum"], periode["Einddatum"]
        # The checker compares the year and the month separately: a period that crosses a year
        # boundary is reported twice (corpus), one that crosses a month once.
        if begin.year != end.year:
            emit(periode.loc("Begindatum"), periode.loc("Einddatum"))
        if begin.month != end.month:
            emit(periode.loc("Begindatum"), periode.loc("Einddatum"))


@rule("CS339")
def euro_volume_is_bedrag(message: Message, emit: Emit) -> None:
    """With Eenheid 83 (euro) the IngediendBedrag equals the GeleverdVolume."""
    if not _is_323(message):
        return
    for prestatie in prestaties(message):
        if (
            prestatie["Eenheid"] == EURO
            and prestatie["IngediendBedrag"]["Bedrag"] != prestatie["GeleverdVolume"]
        ):
            emit(prestatie.loc("GeleverdVolume"), prestatie["IngediendBedrag"].loc("Bedrag"))


@rule("CS340")
def declaratieperiode_hele_maand(message: Message, emit: Emit) -> None:
    """DeclaratiePeriode is exactly one whole calendar month."""
    if not _is_323(message):
        return
    periode = declaratie_periode(message)
    begin, end = periode["Begindatum"], periode["Einddatum"]
    if begin.day != 1 or end != last_day(begin):
        emit(periode.loc("Begindatum"), periode.loc("Einddatum"))


def _periods(message: Message) -> list[Node]:
    """DeclaratiePeriode (323 only) and every ProductPeriode, in document order."""
    out: list[Node] = []
    if _is_323(message):
        out.append(declaratie_periode(message))
    out.extend(prestatie["ProductPeriode"] for prestatie in prestaties(message))
    return out


@rule("TR137")
def periode_einde_tussen_begin_en_dagtekening(message: Message, emit: Emit) -> None:
    """A period's Einddatum is not before its Begindatum and not after the Dagtekening."""
    dagtekening = message.dagtekening
    for periode in _periods(message):
        end = periode["Einddatum"]
        if end < periode["Begindatum"]:
            emit(periode.loc("Begindatum"), periode.loc("Einddatum"))
        if end > dagtekening:
            emit(dagtekening_loc(message), periode.loc("Einddatum"))


@rule("TR315")
def vorig_referentienummer_uniek(message: Message, emit: Emit) -> None:
    """A VorigReferentieNummer occurs once in the message (a debet is credited once)."""
    if not _is_323(message):
        return
    first: dict[str, Node] = {}
    for prestatie in prestaties(message):
        referentie = prestatie["ProductReferentie"]
        vorig = referentie.get("VorigReferentieNummer")
        if vorig is None:
            continue
        seen = first.setdefault(vorig, referentie)
        if seen is not referentie:
            emit(seen.loc("VorigReferentieNummer"), referentie.loc("VorigReferentieNummer"))


@rule("TR316")
def geen_credit_van_debet_in_zelfde_bericht(message: Message, emit: Emit) -> None:
    """No VorigReferentieNummer equals a ReferentieNummer in the same message."""
    if not _is_323(message):
        return
    referenties = [prestatie["ProductReferentie"] for prestatie in prestaties(message)]
    by_nummer: dict[str, int] = {}
    for i, referentie in enumerate(referenties):
        by_nummer.setdefault(referentie["ReferentieNummer"], i)
    for i, referentie in enumerate(referenties):
        vorig = referentie.get("VorigReferentieNummer")
        j = by_nummer.get(vorig) if vorig is not None else None
        if j is None:
            continue
        nummer_loc = referenties[j].loc("ReferentieNummer")
        vorig_loc = referentie.loc("VorigReferentieNummer")
        # Document order, as the checker lists locations.
        emit(*((nummer_loc, vorig_loc) if j <= i else (vorig_loc, nummer_loc)))


@rule("TR319")
def productperiode_niet_na_declaratieperiode(message: Message, emit: Emit) -> None:
    """ProductPeriode lies in the DeclaratiePeriode's month or an earlier one."""
    # Retourcode 9319, not 0001: the official checker reports this in-message rule with its own
    # code (corpus), although the rule file lists it as a cross-message rule (spec §3c).
    if not _is_323(message):
        return
    periode = declaratie_periode(message)
    limit = periode["Einddatum"]
    limit_loc = periode.loc("Einddatum")
    for prestatie in prestaties(message):
        product = prestatie["ProductPeriode"]
        # Begin and end are tested separately (corpus: two findings per prestatie).
        if product["Begindatum"] > limit:
            emit(limit_loc, product.loc("Begindatum"))
        if product["Einddatum"] > limit:
            emit(limit_loc, product.loc("Einddatum"))


@rule("TR335")
def productperiode_max_5_jaar_oud(message: Message, emit: Emit) -> None:
    """ProductPeriode/Einddatum lies at most 5 years before the DeclaratieDagtekening."""
    if not _is_323(message):
        return
    decl = declaration(message)
    assert decl is not None
    dagtekening = decl["DeclaratieDagtekening"]
    for prestatie in prestaties(message):
        periode = prestatie["ProductPeriode"]
        if years_before(periode["Einddatum"], dagtekening, 5):
            emit(decl.loc("DeclaratieDagtekening"), periode.loc("Einddatum"))


def _raw_text(message: Message, *steps: tuple[str, str]) -> str | None:
    """Raw text of one element of the source tree (namespace, name) steps from the root."""
    if message.tree is None:
        return None
    path = "/".join(f"{{{ns}}}{name}" for ns, name in steps)
    element = message.tree.getroot().find(path)
    return None if element is None else text_of(element)


@rule("TR358")
def totaal_ingediend_is_som(message: Message, emit: Emit) -> None:
    """TotaalIngediendBedrag equals the debets minus the credits of all prestaties."""
    if message.name != "JW323":
        return
    decl = declaration(message)
    assert decl is not None
    net = 0
    for prestatie in prestaties(message):
        net += signed(prestatie["IngediendBedrag"])
    totaal = decl["TotaalIngediendBedrag"]
    # The official checker compares the TotaalBedrag as text with the computed sum, so a value
    # with leading zeros (valid xs:integer) fails although it is numerically equal.  We follow the
    # checker (issue 3 item 5): compare the whitespace-trimmed text with the canonical number.
    ns = message.info.namespace
    text = _raw_text(
        message,
        (ns, "Declaratie"),
        (ns, "TotaalIngediendBedrag"),
        (BASIS_NAMESPACE, "TotaalBedrag"),
    )
    shown = text.strip() if text is not None else str(totaal["TotaalBedrag"])
    sign_ok = net == 0 or totaal["DebetCredit"] == ("C" if net < 0 else "D")
    if shown != str(abs(net)) or not sign_ok:
        emit(totaal.loc("TotaalBedrag"), totaal.loc("DebetCredit"))


@rule("TR416")
def een_debet_per_toewijzing_product_periode(message: Message, emit: Emit) -> None:
    """At most one debet per ToewijzingNummer, ProductCategorie, ProductCode and ProductPeriode."""
    if not _is_323(message):
        return
    # Across all clients: the rule text names no client scope (spec §2.6 reads the example so).
    first: dict[tuple[object, ...], Node] = {}
    for prestatie in prestaties(message):
        if prestatie["IngediendBedrag"]["DebetCredit"] != "D":
            continue
        periode = prestatie["ProductPeriode"]
        key = (
            prestatie["ToewijzingNummer"],
            prestatie["ProductCategorie"],
            prestatie["ProductCode"],
            periode["Begindatum"],
            periode["Einddatum"],
        )
        seen = first.setdefault(key, prestatie)
        if seen is not prestatie:
            emit(seen.path, prestatie.path)


_NO_REJECTION = ("0200", "8001")


@rule("TR342")
def antwoord_verklaart_verschil(message: Message, emit: Emit) -> None:
    """JW325: listed (rejected) prestaties explain Ingediend - Toegekend; 0 after a rejection."""
    if message.name != "JW325":
        return
    antwoord = declaration(message)
    if antwoord is None:
        return
    codes = antwoord["RetourCodes"]["RetourCode"]
    toegekend = antwoord["TotaalToegekendBedrag"]
    if any(code not in _NO_REJECTION for code in codes):
        # Rejected as a whole: no prestatie was assessed, so nothing may be awarded.
        if toegekend["TotaalBedrag"] != 0:
            emit(antwoord.loc("TotaalToegekendBedrag"))
        return
    listed = sum(signed(prestatie["IngediendBedrag"]) for prestatie in prestaties(message))
    if listed != signed(antwoord["TotaalIngediendBedrag"]) - signed(toegekend):
        emit(antwoord.loc("TotaalIngediendBedrag"), antwoord.loc("TotaalToegekendBedrag"))
