"""Contact and address rules of the JW301 (client contacts and the relations' contacts)."""

from __future__ import annotations

import re

from app.ijw.model import Message
from app.ijw.rules.level2.common import contacts
from app.ijw.rules.registry import Emit, rule

# CS089: four digits, the first not 0, then two letters, no space.  The rule text only asks for
# "the format of a Dutch postcode" (PostNL writes the letters in capitals); the official checker's
# pattern accepts a letter of either case, so lower-case letters pass.  We follow the checker
# (issue 3 item 5) and test both cases.
_POSTCODE_NL = re.compile(r"[1-9][0-9]{3}[A-Za-z]{2}")


@rule("CD005")
def landcode_bij_postcode(message: Message, emit: Emit) -> None:
    """Adres/LandCode is filled exactly when Adres/Postcode is filled."""
    for contact in contacts(message):
        adres = contact.get("Adres")
        if adres is None:
            continue
        has_postcode = adres.get("Postcode") is not None
        has_landcode = adres.get("LandCode") is not None
        if has_postcode and not has_landcode:
            emit(adres.loc("Postcode"))
        elif has_landcode and not has_postcode:
            emit(adres.loc("LandCode"))


@rule("CD009")
def periode_alleen_bij_tijdelijk_adres(message: Message, emit: Emit) -> None:
    """Contact/Periode may only be filled when Soort is 04 (tijdelijk adres)."""
    for contact in contacts(message):
        if contact.get("Periode") is not None and contact["Soort"] != "04":
            emit(contact.loc("Soort"), contact.loc("Periode"))


@rule("CD025")
def huis_bij_nederlands_adres(message: Message, emit: Emit) -> None:
    """Adres/Huis is required when Adres/LandCode is NL."""
    for contact in contacts(message):
        adres = contact.get("Adres")
        if adres is not None and adres.get("LandCode") == "NL" and adres.get("Huis") is None:
            emit(adres.loc("LandCode"))


@rule("CD034")
def postcode_bij_brp_of_verblijfadres(message: Message, emit: Emit) -> None:
    """Adres/Postcode is required when Soort is 01 (BRP-adres) or 03 (verblijfadres)."""
    for contact in contacts(message):
        adres = contact.get("Adres")
        # The condition sits on the Postcode inside Adres (informatiemodel: Adres_Adres /
        # Postcode); like the official checkers, a Contact without any Adres is not tested here
        # (TR006 still asks for a Telefoon then).
        if adres is not None and contact["Soort"] in ("01", "03") and adres.get("Postcode") is None:
            emit(contact.loc("Soort"))


@rule("CS089")
def nederlandse_postcode(message: Message, emit: Emit) -> None:
    """With LandCode NL the Postcode has the Dutch format 1234AB (letters of either case)."""
    for contact in contacts(message):
        adres = contact.get("Adres")
        if adres is None or adres.get("LandCode") != "NL":
            continue
        postcode = adres.get("Postcode")
        if postcode is None:
            # The checker matches the pattern against the (empty) text: an absent Postcode fails
            # too, next to CD005.
            emit(adres.loc("LandCode"))
        elif _POSTCODE_NL.fullmatch(postcode) is None:
            emit(adres.loc("Postcode"), adres.loc("LandCode"))


@rule("TR006")
def contact_bereikbaar(message: Message, emit: Emit) -> None:
    """Every Contact has a Telefoon and/or the combination Huis and Postcode."""
    for contact in contacts(message):
        if contact.get("Telefoon") is not None:
            continue
        adres = contact.get("Adres")
        # The checker tests "Telefoon or Huis" and "Telefoon or Postcode" separately, so a
        # contact with neither is reported twice (as the corpus shows).
        if adres is None or adres.get("Huis") is None:
            emit(contact.path)
        if adres is None or adres.get("Postcode") is None:
            emit(contact.path)
