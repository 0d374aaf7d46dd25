"""Messages built in code for tests and benches: the one test message builder.

Minimal level-2-valid messages of every type, and the helpers to check them.

Every builder returns a fresh model-shaped dict (see `app.ijw.render`), so a test mutates its own
copy: `msg = jw301(); msg["Client"]["Naam"]["NaamGebruik"] = "6"`.  `findings(name, data)` renders
the dict, reads it back through the real parser and XSD validation, and runs the level-2 rules.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date, time
from typing import Any

from app.ijw.catalogue import CATALOGUE, CONTENT_OF, resolve
from app.ijw.catalogue.structure import Simple
from app.ijw.catalogue.xsd_model import MESSAGES
from app.ijw.header import Versions, forward_header
from app.ijw.model import Message, to_model
from app.ijw.render import render
from app.ijw.rules.engine import Finding, check
from app.ijw.xml import read

Data = dict[str, Any]

DAGTEKENING = date(2026, 3, 10)
GEMEENTE = "0363"
AANBIEDER = "12345678"
BSN = "123456782"  # passes the 11-proof (elfproef.md's example)
BSN_2 = "111222333"  # passes the 11-proof
BSN_BAD = "123456789"  # fails it

FORWARD_OF = CONTENT_OF  # retour -> the forward message whose content it repeats


def header(name: str, dagtekening: date = DAGTEKENING, identificatie: str = "B1") -> Data:
    """The header of a forward message `name` between the default gemeente and aanbieder (also
    the JW325's first part)."""
    by_gemeente = CATALOGUE[name].sent_by == "gemeente"
    sender, receiver = (GEMEENTE, AANBIEDER) if by_gemeente else (AANBIEDER, GEMEENTE)
    return forward_header(name, sender, receiver, identificatie, dagtekening)


def address(postcode: str = "1234AB", huisnummer: int = 12, landcode: str = "NL") -> Data:
    """A Dutch address (CD005/CD025/CS089-clean)."""
    return {
        "Huis": {"Huisnummer": huisnummer},
        "Postcode": postcode,
        "Straatnaam": "Dorpsstraat",
        "Plaatsnaam": "Amsterdam",
        "LandCode": landcode,
    }


def contact(soort: str = "01", **extra: Any) -> Data:
    """A Contact with an address (TR006, CD034-clean)."""
    return {"Soort": soort, "Adres": address(), **extra}


def relatie(nummer: str = "REL1") -> Data:
    """A Relatie (the authority holder) with its own contact."""
    return {
        "Nummer": nummer,
        "Soort": "03",
        "Geboortedatum": {"Datum": date(1985, 6, 1)},
        "Geslacht": "2",
        "Naam": {"Geslachtsnaam": {"Achternaam": "Jansen"}, "Voorletters": "M", "NaamGebruik": "1"},
        "Contact": {
            "Soort": "02",
            "Telefoon": {"Telefoon01": {"Telefoonnummer": "0201234567", "Landnummer": "0031"}},
        },
    }


def toegewezen(nummer: int = 1001, **changes: Any) -> Data:
    """A specific allocation: 45/45A04, 3 hours a week, March to December 2026."""
    product = {
        "ToewijzingNummer": nummer,
        "Product": {"Categorie": "45", "Code": "45A04"},
        "Toewijzingsdatum": date(2026, 3, 1),
        "Toewijzingstijd": time(9, 30),
        "Ingangsdatum": date(2026, 3, 1),
        "Einddatum": date(2026, 12, 31),
        "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
    }
    product.update(changes)
    return product


def jw301() -> Data:
    """Toewijzing: one client with a relation, two contacts and two allocations."""
    return {
        "Header": header("JW301"),
        "Client": {
            "Bsn": BSN,
            "Geboortedatum": {"Datum": date(2015, 5, 17)},
            "Geslacht": "1",
            "Naam": {
                "Geslachtsnaam": {"Achternaam": "Jansen"},
                "Voorletters": "P",
                "NaamGebruik": "1",
            },
            "Relaties": {"Relatie": [relatie()]},
            "Contactgegevens": {
                "Contact": [contact("01"), contact("04", Periode={"Begindatum": date(2026, 1, 1)})]
            },
            "ToegewezenProducten": {
                "ToegewezenProduct": [
                    toegewezen(1001),
                    toegewezen(1002, Product={"Categorie": "46", "Code": "46A01"}),
                ]
            },
        },
    }


def _short_client() -> Data:
    return {
        "Bsn": BSN,
        "Geboortedatum": {"Datum": date(2015, 5, 17)},
        "Geslacht": "1",
        "Naam": {"Geslachtsnaam": {"Achternaam": "Jansen"}, "Voorletters": "P"},
    }


def start(nummer: int = 1001, begindatum: date = date(2026, 3, 5), **changes: Any) -> Data:
    """A StartProduct on allocation `nummer`."""
    product = {
        "ToewijzingNummer": nummer,
        "Product": {"Categorie": "45", "Code": "45A04"},
        "ToewijzingIngangsdatum": date(2026, 3, 1),
        "Begindatum": begindatum,
        "StatusAanlevering": "1",
    }
    product.update(changes)
    return product


def jw305() -> Data:
    """Start jeugdhulp: two starts."""
    return {
        "Header": header("JW305"),
        "Client": {
            **_short_client(),
            "StartProducten": {"StartProduct": [start(1001), start(1002)]},
        },
    }


def stop(nummer: int = 1001, **changes: Any) -> Data:
    """A definitive StopProduct (31, as planned) for the start on allocation `nummer`."""
    product = {
        **start(nummer),
        "RedenBeeindiging": "31",
        "Einddatum": date(2026, 3, 8),
    }
    product["StatusAanlevering"] = "1"
    product.update(changes)
    # Element order does not matter to the renderer: it follows the schema.
    return product


def jw307() -> Data:
    """Stop jeugdhulp: two stops."""
    return {
        "Header": header("JW307"),
        "Client": {**_short_client(), "StopProducten": {"StopProduct": [stop(1001), stop(1002)]}},
    }


def aangevraagd(referentie: str = "REF1", **changes: Any) -> Data:
    """A requested product: 45A04, 3 hours a week, April to December 2026."""
    product = {
        "ReferentieAanbieder": referentie,
        "Product": {"Categorie": "45", "Code": "45A04"},
        "ToewijzingIngangsdatum": date(2026, 4, 1),
        "ToewijzingEinddatum": date(2026, 12, 31),
        "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
        "Verwijzer": {"Type": "02", "ZorgverlenerCode": "01234567"},
    }
    product.update(changes)
    return product


def jw315() -> Data:
    """Verzoek om toewijzing: two requested products."""
    return {
        "Header": header("JW315"),
        "Client": {
            **_short_client(),
            "AangevraagdeProducten": {
                "AangevraagdProduct": [
                    aangevraagd("REF1"),
                    aangevraagd("REF2", Product={"Categorie": "46", "Code": "46A01"}),
                ]
            },
        },
    }


def te_wijzigen(nummer: int = 1001, **changes: Any) -> Data:
    """A TeWijzigenProduct: allocation `nummer` with a longer end date."""
    product = {
        "ToewijzingNummer": nummer,
        "GewensteIngangsdatum": date(2026, 3, 1),
        "Einddatum": date(2027, 6, 30),
        "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
    }
    product.update(changes)
    return product


def nieuw_product(**changes: Any) -> Data:
    """A NieuwProduct from April 2026."""
    product = {
        "Product": {"Categorie": "47", "Code": "47B02"},
        "GewensteIngangsdatum": date(2026, 4, 1),
        "Einddatum": date(2026, 12, 31),
        "Omvang": {"Volume": 2, "Eenheid": "16", "Frequentie": "2"},
    }
    product.update(changes)
    return product


def jw317() -> Data:
    """Verzoek om wijziging: one unchanged, one changed and one new product."""
    return {
        "Header": header("JW317"),
        "Client": {
            "Bsn": BSN,
            "Verzoek": {
                "ReferentieAanbieder": "VOW1",
                "RedenVerzoek": "1",
                "OngewijzigdeProducten": {"OngewijzigdProduct": [{"ToewijzingNummer": 1002}]},
                "TeWijzigenProducten": {"TeWijzigenProduct": [te_wijzigen(1001)]},
                "NieuweProducten": {"NieuwProduct": [nieuw_product()]},
            },
        },
    }


def jw319() -> Data:
    """Antwoordbericht: request rejected, reason 5 (other gemeente)."""
    return {
        "Header": header("JW319"),
        "Antwoord": {
            "ReferentieAanbieder": "REF1",
            "VerzoekAntwoord": "1",
            "RedenAfwijzingVerzoek": "5",
        },
    }


def prestatie(
    referentie: str,
    *,
    nummer: int = 1001,
    maand: int = 2,
    bedrag: int = 15000,
    credit_of: str | None = None,
    **changes: Any,
) -> Data:
    """A prestatie of 3 hours at 50 euro in `maand` 2026; a credit when `credit_of` is given."""
    begin = date(2026, maand, 1)
    product: Data = {
        "ProductReferentie": {"ReferentieNummer": referentie},
        "ToewijzingNummer": nummer,
        "ProductCategorie": "45",
        "ProductCode": "45A04",
        "ProductPeriode": {"Begindatum": begin, "Einddatum": _month_end(begin)},
        "GeleverdVolume": bedrag // 5000,
        "Eenheid": "04",
        "ProductTarief": 5000,
        "IngediendBedrag": {"Bedrag": bedrag, "DebetCredit": "C" if credit_of else "D"},
    }
    if credit_of:
        product["ProductReferentie"]["VorigReferentieNummer"] = credit_of
    product.update(changes)
    return product


def _month_end(day: date) -> date:
    nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def total(prestaties: list[Data]) -> Data:
    """TotaalIngediendBedrag of the prestaties (debets minus credits, sign in DebetCredit)."""
    net = sum(
        p["IngediendBedrag"]["Bedrag"] * (-1 if p["IngediendBedrag"]["DebetCredit"] == "C" else 1)
        for p in prestaties
    )
    return {"TotaalBedrag": abs(net), "DebetCredit": "C" if net < 0 else "D"}


def jw323() -> Data:
    """Declaratie over February 2026: two clients, three debets and a credit of an earlier one."""
    first = [prestatie("R1", nummer=1001), prestatie("R2", nummer=1002, maand=1, credit_of="R0")]
    second = [prestatie("R3", nummer=2001), prestatie("R4", nummer=2001, maand=1)]
    return {
        "Header": header("JW323"),
        "Declaratie": {
            "DeclaratieNummer": "D2026A02",
            "DeclaratiePeriode": {"Begindatum": date(2026, 2, 1), "Einddatum": date(2026, 2, 28)},
            "DeclaratieDagtekening": date(2026, 3, 5),
            "TotaalIngediendBedrag": total(first + second),
            "Clienten": {
                "Client": [
                    {"Bsn": BSN, "Prestaties": {"Prestatie": first}},
                    {"Bsn": BSN_2, "Prestaties": {"Prestatie": second}},
                ]
            },
        },
    }


def refresh_total(data: Data) -> Data:
    """Recompute a JW323's TotaalIngediendBedrag after changing prestaties (keeps TR358 clean)."""
    declaratie = data["Declaratie"]
    every = [p for c in declaratie["Clienten"]["Client"] for p in c["Prestaties"]["Prestatie"]]
    declaratie["TotaalIngediendBedrag"] = total(every)
    return data


def _codes(*codes: str) -> Data:
    return {"RetourCode": list(codes)}


def jw325() -> Data:
    """Declaratie-antwoord on a JW323 of 50,000 D: one prestatie of 15,000 rejected (9338)."""
    head = header("JW325", identificatie="A1")
    head.update(
        {
            "DeclaratieIdentificatie": {"Identificatie": "B1", "Dagtekening": date(2026, 3, 5)},
            "XsdVersieDeclaratie": {"BasisschemaXsdVersie": "0.1.0", "BerichtXsdVersie": "0.1.0"},
            "RetourCodes": _codes("0200"),
        }
    )
    rejected = {**prestatie("R1"), "RetourCodes": _codes("9338")}
    return {
        "Header": head,
        "DeclaratieAntwoord": {
            "DeclaratieNummer": "D2026A02",
            "TotaalIngediendBedrag": {"TotaalBedrag": 50000, "DebetCredit": "D"},
            "TotaalToegekendBedrag": {"TotaalBedrag": 35000, "DebetCredit": "D"},
            "Clienten": {
                "Client": [
                    {
                        "Bsn": BSN,
                        "Prestaties": {"Prestatie": [rejected]},
                        "RetourCodes": _codes("0200"),
                    }
                ]
            },
            "RetourCodes": _codes("0200"),
        },
    }


def _with_retourcodes(message: str, type_name: str, data: Mapping[str, Any]) -> Data:
    """Copy `data` and add RetourCodes 0200 to every class whose retour type carries them."""
    schema = MESSAGES[message]
    seq = resolve(schema, type_name)
    assert not isinstance(seq, Simple)
    out: Data = {}
    for el in seq:
        if el.name == "RetourCodes":
            continue
        value = data.get(el.name)
        if value is None:
            continue
        target = el.type if isinstance(el.type, Simple) else resolve(schema, el.type)
        if isinstance(target, Simple):
            out[el.name] = value
        elif isinstance(value, list):
            out[el.name] = [_with_retourcodes(message, el.type, v) for v in value]  # type: ignore[arg-type]
        else:
            out[el.name] = _with_retourcodes(message, el.type, value)  # type: ignore[arg-type]
    if any(el.name == "RetourCodes" for el in seq) and type_name != "Header":
        out["RetourCodes"] = _codes("0200")
    return out


def retour(name: str, forward: Data) -> Data:
    """The retour `name` of a forward message, rejected on content: every class gets 0200."""
    head = dict(forward["Header"])
    head["BerichtCode"] = MESSAGES[name].code
    head.update(
        {
            "IdentificatieRetour": "R1",
            "DagtekeningRetour": DAGTEKENING,
            "XsdVersieRetour": {"BasisschemaXsdVersie": "0.1.0", "BerichtXsdVersie": "0.1.0"},
            "RetourCodes": _codes("0200"),
        }
    )
    body = _with_retourcodes(name, "Root", {k: v for k, v in forward.items() if k != "Header"})
    return {"Header": head, **body}


BUILDERS = {
    "JW301": jw301,
    "JW305": jw305,
    "JW307": jw307,
    "JW315": jw315,
    "JW317": jw317,
    "JW319": jw319,
    "JW323": jw323,
    "JW325": jw325,
}


def build(name: str) -> Data:
    """A fresh minimal valid message of any of the 14 types (retours repeat their forward)."""
    if name in FORWARD_OF:
        return retour(name, BUILDERS[FORWARD_OF[name]]())
    return BUILDERS[name]()


def parse(name: str, data: Mapping[str, Any]) -> Message:
    """Render, parse and XSD-validate `data` as message `name`; the parsed model."""
    return parse_xml(render(name, data))


def parse_xml(xml: bytes) -> Message:
    """Parse and XSD-validate raw bytes; the parsed model."""
    info, tree = read(xml)
    return to_model(tree, info)


def findings(name: str, data: Mapping[str, Any]) -> list[Finding]:
    """The level-2 findings of `data` as message `name` (through render, parse and XSD)."""
    return check(parse(name, data))


def codes(name: str, data: Mapping[str, Any]) -> set[str]:
    """The set of level-2 rule codes `data` violates."""
    return {f.rule for f in findings(name, data)}


# -- messages between any parties (flow, API and bench tests) --------------------------------


def bsn(n: int) -> str:
    """A distinct 11-proof BSN per n: the first valid number at or above 100000000 + 1000 n."""
    value = 100_000_000 + n * 1000  # valid numbers are never 1000 apart, so no two n collide
    while True:
        s = f"{value:09d}"
        if (sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])) % 11 == 0:
            return s
        value += 1


def header_for(kind: str, sender: str, receiver: str, ident: str, day: date) -> dict[str, Any]:
    """The header of a forward message between any two parties."""
    return forward_header(kind, sender, receiver, ident, day)


def client_person(client_bsn: str) -> dict[str, Any]:
    return {
        "Bsn": client_bsn,
        "Geboortedatum": {"Datum": date(2012, 3, 4)},
        "Geslacht": "1",
        "Naam": {"Geslachtsnaam": {"Achternaam": "Jansen"}, "Voorletters": "J"},
    }


def jw305_for(
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
        "Header": header_for("JW305", agb, gemeente, ident, day),
        "Client": {
            **client_person(client_bsn),
            "StartProducten": {"StartProduct": starts or [start]},
        },
    }


def jw301_for(
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
        "Header": header_for("JW301", gemeente, agb, ident, day),
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
    head["BerichtCode"] = MESSAGES[kind].code
    head.update(
        {
            "IdentificatieRetour": ident,
            "DagtekeningRetour": day,
            "XsdVersieRetour": Versions().xsd_block(kind),
        }
    )
    if codes:
        head["RetourCodes"] = {"RetourCode": codes}
    return {"Header": head}


def xml(kind: str, data: Mapping[str, Any]) -> bytes:
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
