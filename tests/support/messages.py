"""Minimal valid messages built in code (model-shaped dicts rendered with app.ijw.render)."""

from __future__ import annotations

import copy
from datetime import date, time
from typing import Any

from app.ijw.render import render

XSD = {"BasisschemaXsdVersie": "1.0.0", "BerichtXsdVersie": "1.0.0"}
CODES = {
    "JW301": "436",
    "JW302": "437",
    "JW305": "438",
    "JW306": "439",
    "JW307": "440",
    "JW315": "446",
    "JW317": "486",
    "JW319": "488",
    "JW320": "489",
    "JW323": "490",
}


def bsn(n: int) -> str:
    """A distinct 11-proof BSN per n: the first valid number at or above 100000000 + 1000 n."""
    value = 100_000_000 + n * 1000  # valid numbers are never 1000 apart, so no two n collide
    while True:
        s = f"{value:09d}"
        if (sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])) % 11 == 0:
            return s
        value += 1


def header(kind: str, sender: str, receiver: str, ident: str, day: date) -> dict[str, Any]:
    return {
        "BerichtCode": CODES[kind],
        "BerichtVersie": 3,
        "BerichtSubversie": 2,
        "Afzender": sender,
        "Ontvanger": receiver,
        "BerichtIdentificatie": {"Identificatie": ident, "Dagtekening": day},
        "XsdVersie": dict(XSD),
    }


def client_person(client_bsn: str) -> dict[str, Any]:
    return {
        "Bsn": client_bsn,
        "Geboortedatum": {"Datum": date(2012, 3, 4)},
        "Geslacht": "1",
        "Naam": {"Geslachtsnaam": {"Achternaam": "Jansen"}, "Voorletters": "J"},
    }


def jw305(
    agb: str,
    gemeente: str,
    ident: str,
    *,
    client_bsn: str,
    nummer: int | None = 1001,
    begindatum: date = date(2026, 2, 2),
    status: str = "1",
    day: date = date(2026, 3, 1),
    starts: list[dict] | None = None,
) -> dict[str, Any]:
    start = {
        "ToewijzingNummer": nummer,
        "Product": {"Categorie": "45", "Code": "45A04"},
        "ToewijzingIngangsdatum": date(2026, 2, 1),
        "Begindatum": begindatum,
        "StatusAanlevering": status,
    }
    if nummer is None:
        del start["ToewijzingNummer"]
    return {
        "Header": header("JW305", agb, gemeente, ident, day),
        "Client": {
            **client_person(client_bsn),
            "StartProducten": {"StartProduct": starts or [start]},
        },
    }


def jw301(
    gemeente: str,
    agb: str,
    ident: str,
    *,
    client_bsn: str,
    nummer: int = 1001,
    day: date = date(2026, 1, 20),
    ingangsdatum: date = date(2026, 2, 1),
    einddatum: date | None = date(2026, 12, 31),
    reden: str | None = None,
    referentie: str | None = None,
    products: list[dict] | None = None,
) -> dict[str, Any]:
    product: dict[str, Any] = {
        "ToewijzingNummer": nummer,
        "Product": {"Categorie": "45", "Code": "45A04"},
        "Toewijzingsdatum": day,
        "Toewijzingstijd": time(10, 0),
        "Ingangsdatum": ingangsdatum,
        "Einddatum": einddatum,
        "RedenWijziging": reden,
        "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
    }
    if referentie:
        product["ReferentieAanbieder"] = referentie
    person = client_person(client_bsn)
    person["Naam"] = {
        "Geslachtsnaam": {"Achternaam": "Jansen"},
        "Voorletters": "J",
        "NaamGebruik": "1",
    }
    return {
        "Header": header("JW301", gemeente, agb, ident, day),
        "Client": {
            **person,
            "Contactgegevens": {
                "Contact": [
                    {
                        "Soort": "01",
                        "Adres": {
                            "Huis": {"Huisnummer": 12},
                            "Postcode": "1011AB",
                            "Straatnaam": "Dam",
                            "Plaatsnaam": "Amsterdam",
                            "LandCode": "NL",
                        },
                        "Telefoon": {
                            "Telefoon01": {"Telefoonnummer": "0201234567", "Landnummer": "0031"}
                        },
                    }
                ]
            },
            "ToegewezenProducten": {"ToegewezenProduct": products or [product]},
        },
    }


def retour_of(
    forward: dict[str, Any], kind: str, ident: str, day: date, codes: list[str] | None = None
) -> dict[str, Any]:
    """A provider-side header-copy retour (JW302/JW320) on one of our messages."""
    head = copy.deepcopy(forward["Header"])
    head["BerichtCode"] = CODES[kind]
    head.update({"IdentificatieRetour": ident, "DagtekeningRetour": day, "XsdVersieRetour": XSD})
    if codes:
        head["RetourCodes"] = {"RetourCode": codes}
    return {"Header": head}


def xml(kind: str, data: dict[str, Any]) -> bytes:
    """Render a message built here."""
    return render(kind, data)


# The Client data of a back-office allocation request (JSON, as POST /v1/backoffice/toewijzingen
# takes it).
BACKOFFICE_CLIENT = {
    "Geboortedatum": {"Datum": "2012-03-04"},
    "Geslacht": "2",
    "Naam": {"Geslachtsnaam": {"Achternaam": "Visser"}, "Voorletters": "A", "NaamGebruik": "1"},
    "Contactgegevens": {
        "Contact": [
            {
                "Soort": "01",
                "Adres": {
                    "Huis": {"Huisnummer": 7},
                    "Postcode": "3011AA",
                    "Straatnaam": "Coolsingel",
                    "Plaatsnaam": "Rotterdam",
                    "LandCode": "NL",
                },
            }
        ]
    },
}
