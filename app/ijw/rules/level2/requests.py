"""Rules on the provider's requests: VOT (JW315) and VOW (JW317)."""

from __future__ import annotations

from app.ijw.model import Message, many
from app.ijw.rules.level2.common import aangevraagd, dagtekening_loc, nieuw, verzoek
from app.ijw.rules.registry import Emit, rule

# Verwijzer types that have a ZorgverlenerCode (AGB): huisarts, jeugdarts, GI, medisch specialist.
_VERWIJZER_MET_CODE = ("02", "03", "04", "05")


@rule("CD043")
def beschikking_compleet(message: Message, emit: Emit) -> None:
    """BeschikkingIngangsdatum is filled exactly when BeschikkingNummer is filled."""
    for node in aangevraagd(message):
        has_nummer = node.get("BeschikkingNummer") is not None
        has_datum = node.get("BeschikkingIngangsdatum") is not None
        if has_nummer and not has_datum:
            emit(node.loc("BeschikkingNummer"))
        elif has_datum and not has_nummer:
            emit(node.loc("BeschikkingIngangsdatum"))


@rule("CD066")
def verwijzer_code_zonder_naam(message: Message, emit: Emit) -> None:
    """Verwijzer Type 02-05 with a ZorgverlenerCode: Naam is empty."""
    for node in aangevraagd(message):
        verwijzer = node["Verwijzer"]
        if (
            verwijzer["Type"] in _VERWIJZER_MET_CODE
            and verwijzer.get("ZorgverlenerCode") is not None
            and verwijzer.get("Naam") is not None
        ):
            emit(verwijzer.loc("Type"), verwijzer.loc("Naam"), verwijzer.loc("ZorgverlenerCode"))


@rule("CD067")
def verwijzer_naam_zonder_code(message: Message, emit: Emit) -> None:
    """Verwijzer Type 02-05 without a ZorgverlenerCode: Naam is filled."""
    for node in aangevraagd(message):
        verwijzer = node["Verwijzer"]
        if (
            verwijzer["Type"] in _VERWIJZER_MET_CODE
            and verwijzer.get("ZorgverlenerCode") is None
            and verwijzer.get("Naam") is None
        ):
            emit(verwijzer.loc("Type"))


@rule("CD068")
def zorgverlenercode_alleen_bij_zorgverlener(message: Message, emit: Emit) -> None:
    """Verwijzer Type not 02-05: ZorgverlenerCode is empty."""
    for node in aangevraagd(message):
        verwijzer = node["Verwijzer"]
        if (
            verwijzer["Type"] not in _VERWIJZER_MET_CODE
            and verwijzer.get("ZorgverlenerCode") is not None
        ):
            emit(verwijzer.loc("Type"), verwijzer.loc("ZorgverlenerCode"))


@rule("TR383")
def referentie_aanbieder_uniek(message: Message, emit: Emit) -> None:
    """ReferentieAanbieder is unique per AangevraagdProduct within the message."""
    nodes = aangevraagd(message)
    last: dict[str, int] = {}
    for i, node in enumerate(nodes):
        last[node["ReferentieAanbieder"]] = i
    # The checker reports a product when a later one repeats its reference (corpus: only the
    # first of a pair), so every occurrence but the last is reported.
    for i, node in enumerate(nodes):
        if last[node["ReferentieAanbieder"]] != i:
            emit(node.loc("ReferentieAanbieder"))


@rule("TR352")
def vow_met_bestaand_product(message: Message, emit: Emit) -> None:
    """A VOW holds at least one OngewijzigdProduct or TeWijzigenProduct."""
    node = verzoek(message)
    if node is None:
        return
    if not many(node, "OngewijzigdeProducten", "OngewijzigdProduct") and not many(
        node, "TeWijzigenProducten", "TeWijzigenProduct"
    ):
        emit(node.path)


@rule("TR353")
def vow_met_wijziging(message: Message, emit: Emit) -> None:
    """A VOW holds at least one TeWijzigenProduct or NieuwProduct."""
    node = verzoek(message)
    if node is None:
        return
    if not many(node, "TeWijzigenProducten", "TeWijzigenProduct") and not many(
        node, "NieuweProducten", "NieuwProduct"
    ):
        emit(node.path)


@rule("TR380")
def nieuw_product_in_toekomst(message: Message, emit: Emit) -> None:
    """NieuwProduct/GewensteIngangsdatum lies after the Dagtekening."""
    dagtekening = message.dagtekening
    for node in nieuw(message):
        if node["GewensteIngangsdatum"] <= dagtekening:
            emit(dagtekening_loc(message), node.loc("GewensteIngangsdatum"))
