"""Rule metadata: every iJw 3.2 rule the service evaluates, as data, in one place.

Columns: code, level (2 = in-message, 3 = cross-message, 4 = external source), retourcode, the
messages it applies to, the class whose RetourCodes carry it, and a one-line summary in English.
Implementations register against these codes (`@rule("TR321")` for level 2, the domain modules for
levels 3/4); a code without metadata cannot be registered.  Choices where the official checker
and the rule text disagree are noted here and next to the implementation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleMeta:
    """What the standard says about one rule."""

    code: str
    level: int
    retourcode: str
    messages: tuple[str, ...]
    klass: str
    summary: str


def _rows(text: str) -> dict[str, RuleMeta]:
    out: dict[str, RuleMeta] = {}
    for line in text.strip().splitlines():
        code, level, retour, messages, klass, summary = (c.strip() for c in line.split("|"))
        out[code] = RuleMeta(
            code,
            int(level),
            retour,
            tuple(f"JW{m}" for m in messages.split()),
            klass,
            summary,
        )
    return out


# Level 2 (in-message, "xslt"): any finding rejects the whole message with Header 0001.  The
# official checker also runs these on the retour messages, which repeat the forward content
# (302 for 301, 306 for 305, ...), so the retours are listed too.
# TR319 is reported in-message by the official checker with retourcode 9319 (spec §3c lists it as
# a level-3 rule on the prestatie); we follow the checker: level 2, code 9319 (issue 3, item 5).
# The JW325 repeats prestaties, but the rule texts name it only for CD060, CS002, CS325, TR101,
# TR134, TR137 and TR342 (plus the header rules); the other prestatie rules are JW323 only.
LEVEL2 = _rows(
    """
CD005 | 2 | 0001 | 301 302 | Adres | LandCode filled exactly when Postcode is filled
CD007 | 2 | 0001 | 301 302 | Communicatie | Taal filled exactly when Communicatie.Vorm = 1 (interpreter)
CD009 | 2 | 0001 | 301 302 | Contact | Contact.Periode only for Soort 04 (temporary address)
CD025 | 2 | 0001 | 301 302 | Adres | Huis required when LandCode = NL
CD034 | 2 | 0001 | 301 302 | Adres | Postcode required in the Adres when Soort = 01 (BRP) or 03 (verblijfadres)
CD041 | 2 | 0001 | 301 302 315 316 317 318 | Product | Omvang required when Product.Code is filled
CD043 | 2 | 0001 | 315 316 | AangevraagdProduct | BeschikkingIngangsdatum filled exactly when BeschikkingNummer is
CD060 | 2 | 0001 | 323 325 | Prestatie | VorigReferentieNummer filled exactly when DebetCredit = C
CD066 | 2 | 0001 | 315 316 | Verwijzer | Verwijzer Type 02-05 with ZorgverlenerCode: Naam empty
CD067 | 2 | 0001 | 315 316 | Verwijzer | Verwijzer Type 02-05 without ZorgverlenerCode: Naam filled
CD068 | 2 | 0001 | 315 316 | Verwijzer | Verwijzer Type not 02-05: ZorgverlenerCode empty
CD075 | 2 | 0001 | 301 302 315 316 317 318 | Product | (Toewijzing)Einddatum required when Budget is filled
CD076 | 2 | 0001 | 301 302 315 316 317 318 | Product | (Toewijzing)Einddatum required when Frequentie = 2 (per week)
CD077 | 2 | 0001 | 301 302 315 316 317 318 | Product | Omvang empty when Budget is filled
CD078 | 2 | 0001 | 301 302 315 316 317 318 | Product | Budget empty when Omvang is filled
CD079 | 2 | 0001 | 301 302 315 316 317 318 | Product | Product required when Budget is empty
CD080 | 2 | 0001 | 301 302 | ToegewezenProduct | Omvang empty when Code is empty and Einddatum after 2020-12-31 or open
CD085 | 2 | 0001 | 319 320 | Antwoord | RedenAfwijzingVerzoek required when VerzoekAntwoord = 1
CD086 | 2 | 0001 | 319 320 | Antwoord | RedenAfwijzingVerzoek empty when VerzoekAntwoord = 2
CD087 | 2 | 0001 | 323 | Prestatie | ProductTarief filled exactly when Eenheid is not 83
CD095 | 2 | 0001 | 315 316 | AangevraagdProduct | Omvang empty when Code is empty and ToewijzingEinddatum after 2020-12-31 or open
CD096 | 2 | 0001 | 317 318 | NieuwProduct | Omvang empty when Code is empty and Einddatum after 2020-12-31 or open
CS002 | 2 | 0001 | 301 302 305 306 307 308 315 316 317 318 323 325 | Client | Bsn passes the 11-proof
CS003 | 2 | 0001 | 301 302 315 316 317 318 | Periode | end date not before the start date of its period
CS015 | 2 | 0001 | 301 302 305 306 307 308 315 316 317 318 319 320 323 325 | Header | BerichtSubversie = 2
CS025 | 2 | 0001 | 301 302 305 306 307 308 315 316 317 318 319 320 323 325 | Header | BerichtVersie = 3
CS050 | 2 | 0001 | 301 302 | Naam | NaamGebruik 1-4 when Partnernaam is filled, otherwise 1 or 6
CS058 | 2 | 0001 | 305 306 307 308 | StartProduct | StatusAanlevering only 1 or 3
CS089 | 2 | 0001 | 301 302 | Adres | Dutch postcode format (1234AB) when LandCode = NL
CS100 | 2 | 0001 | 323 | Declaratie | DeclaratiePeriode and ProductPeriode start on or after 2021-01-01
CS139 | 2 | 0001 | 301 302 305 306 307 308 315 316 | Geboortedatum | DatumGebruik consistent with Datum
CS318 | 2 | 0001 | 301 302 | Client | client NaamGebruik is not 6 (non-natural person)
CS319 | 2 | 0001 | 323 325 | Declaratie | DeclaratieNummer letters and digits only
CS325 | 2 | 0001 | 323 325 | Bedrag | a zero (Totaal)Bedrag carries DebetCredit D
CS335 | 2 | 0001 | 301 302 | ToegewezenProduct | RedenWijziging 13 only when Einddatum = Ingangsdatum
CS336 | 2 | 0001 | 301 302 | ToegewezenProduct | RedenWijziging 01 is never used
CS337 | 2 | 0001 | 323 | Prestatie | ProductPeriode starts and ends in the same calendar month
CS338 | 2 | 0001 | 301 302 317 318 | Omvang | Eenheid 14, 16, 83 or 84 ending after 2020 or open: Frequentie 2, 4 or 6
CS339 | 2 | 0001 | 323 | Prestatie | Eenheid 83: IngediendBedrag equals GeleverdVolume
CS340 | 2 | 0001 | 323 | Declaratie | DeclaratiePeriode is exactly one whole calendar month
CS343 | 2 | 0001 | 315 316 | AangevraagdProduct | as CS338 for AangevraagdProduct (ToewijzingEinddatum)
TR002 | 2 | 0001 | 301 302 305 306 307 308 315 316 | Client | birth date at most 120 years before Dagtekening unless unknown
TR006 | 2 | 0001 | 301 302 | Contact | every Contact has Telefoon and/or Huisnummer with Postcode
TR018 | 2 | 0001 | 307 308 | StopProduct | StopProduct Einddatum not before Begindatum
TR061 | 2 | 0001 | 301 302 | Client | client has a Contact with Soort 01, 02 or 03
TR101 | 2 | 0001 | 301 302 305 306 307 308 315 316 317 318 323 325 | any | no duplicate classes (logical key with parent keys)
TR134 | 2 | 0001 | 301 302 305 306 307 308 315 316 323 325 | any | date not after the Dagtekening
TR137 | 2 | 0001 | 323 325 | Periode | period end not before its start and not after the Dagtekening
TR302 | 2 | 0001 | 301 302 | ToegewezenProduct | same product twice only without overlapping periods
TR315 | 2 | 0001 | 323 | Prestatie | VorigReferentieNummer unique in the message
TR316 | 2 | 0001 | 323 | Prestatie | no credit of a debet sent in the same message
TR319 | 2 | 9319 | 323 | Prestatie | ProductPeriode lies in the DeclaratiePeriode or an earlier month
TR335 | 2 | 0001 | 323 | Prestatie | ProductPeriode Einddatum at most 5 years before DeclaratieDagtekening
TR342 | 2 | 0001 | 325 | DeclaratieAntwoord | only rejected prestaties listed; totals consistent
TR352 | 2 | 0001 | 317 318 | Verzoek | VOW has an OngewijzigdProduct or TeWijzigenProduct
TR353 | 2 | 0001 | 317 318 | Verzoek | VOW has a TeWijzigenProduct or NieuwProduct
TR358 | 2 | 0001 | 323 | Declaratie | TotaalIngediendBedrag equals debets minus credits
TR377 | 2 | 0001 | 319 320 | Antwoord | RedenAfwijzingVerzoek 8 requires Woonplaatsbeginsel
TR380 | 2 | 0001 | 317 318 | NieuwProduct | GewensteIngangsdatum after the Dagtekening
TR383 | 2 | 0001 | 315 316 | AangevraagdProduct | ReferentieAanbieder unique per AangevraagdProduct
TR386 | 2 | 0001 | 315 316 | AangevraagdProduct | same product requested twice only without overlap
TR409 | 2 | 0001 | 319 320 | Antwoord | RedenAfwijzingVerzoek not 8: no Woonplaatsbeginsel
TR410 | 2 | 0001 | 317 318 | NieuwProduct | same new product twice only without overlap
TR416 | 2 | 0001 | 323 | Prestatie | one debet per allocation, category, code and product period
"""
)

# Levels 3 and 4: need state or an external source.  Evaluated by the domain layer.
# OP264 is a business rule (the declaration moment of output products is agreed in the contract);
# WJ001 has no code of its own for it, so a declaration at another moment gets the contract
# code 0611 (a tariff that is not the contract's: none is due at that moment).
CROSS_MESSAGE = _rows(
    """
TR056 | 3 | 9056 | 301 305 307 315 317 319 323 | Header | Identificatie not used before by this sender for this message type
TR135 | 4 | 8848 | 301 305 307 315 317 319 323 | Header | Dagtekening not after the system date
TR378 | 4 | S300 | 301 305 307 315 317 319 323 | Header | gemeentecode exists in the CBS list on the relevant date
TR381 | 4 | S329 | 301 305 307 315 317 323 | Product | ProductCode belongs to ProductCategorie in the product code list
TR019 | 3 | 9019 | 305 307 | StartProduct | start/stop refers to an allocation of this client, provider and gemeente
TR063 | 3 | 9063 | 305 307 | StartProduct | status 3 needs an earlier undeleted delivery with the same key
TR071 | 3 | 9071 | 305 | StartProduct | a start cannot be deleted once a stop exists for it
TR074 | 3 | 9074 | 305 307 | StartProduct | status 1: key unique in the message and against earlier deliveries
TR326 | 3 | 9326 | 305 | StartProduct | new start only when the allocation has no current start
TR382 | 3 | 9069 | 307 | StopProduct | stop copies the key of an existing, undeleted start
TR413 | 3 | 9413 | 307 | StopProduct | after a temporary stop the next stop is not temporary
TR414 | 3 | 9414 | 307 | StopProduct | a further stop has Einddatum not before the existing one
TR415 | 3 | 9415 | 307 | StopProduct | no new stop once a definitive stop exists
TR347 | 3 | 9347 | 315 317 | AangevraagdProduct | ReferentieAanbieder never used before by this provider
TR374 | 3 | 9374 | 315 317 | Client | no new request while one of this provider for this client is pending
TR304 | 3 | 8187 | 317 323 | Client | Bsn equals the client of the referenced allocation
TR349 | 3 | 9349 | 317 | Verzoek | every current allocation is listed as Ongewijzigd or TeWijzigen
TR350 | 3 | 9350 | 317 | OngewijzigdProduct | OngewijzigdProduct is a current allocation of this client here
TR351 | 3 | 9351 | 317 | TeWijzigenProduct | TeWijzigenProduct is a current allocation of this client here
TR357 | 3 | 9357 | 317 | TeWijzigenProduct | GewensteIngangsdatum not past unless equal to the Ingangsdatum
TR373 | 3 | 9373 | 317 | TeWijzigenProduct | Budget or frequency-6 change starts at the allocation's Ingangsdatum
TR361 | 3 | 9361 | 317 | NieuwProduct | same product not twice with overlapping periods in the package
TR375 | 3 | 9375 | 317 | TeWijzigenProduct | Omvang empty when the allocation has no Product
TR411 | 3 | 9411 | 317 | TeWijzigenProduct | Omvang required when the allocation has a Code
TR412 | 3 | 9412 | 317 | TeWijzigenProduct | Omvang empty when the allocation has no Code
TR333 | 3 | 9333 | 323 | DeclaratieAntwoord | DeclaratieNummer unique for the provider
TR318 | 3 | 8214 | 323 | DeclaratieAntwoord | DeclaratiePeriode not before the latest accepted one
TR314 | 3 | 8021 | 323 | Prestatie | ReferentieNummer unique for the provider
TR338 | 3 | 9338 | 323 | Prestatie | ToewijzingNummer refers to an allocation of this gemeente to this provider
TR384 | 3 | 9384 | 323 | Prestatie | no prestatie on a deleted allocation (RedenWijziging 13)
TR339 | 3 | 9339 | 323 | Prestatie | ProductCategorie equals the allocation's
TR340 | 3 | 9340 | 323 | Prestatie | ProductCode equals the allocation's
TR341 | 3 | 9341 | 323 | Prestatie | Eenheid fits the allocation's (or the contract's)
TR307 | 3 | 9307 | 323 | Prestatie | ProductPeriode Begindatum not before the allocation's Ingangsdatum
TR308 | 3 | 9308 | 323 | Prestatie | ProductPeriode Einddatum not after the allocation's Einddatum
TR387 | 3 | 9387 | 323 | Prestatie | ProductPeriode starts on the 1st or on a later Ingangsdatum that month
TR388 | 3 | 9388 | 323 | Prestatie | ProductPeriode ends on the last day or on an earlier Einddatum that month
TR321 | 3 | 9321 | 323 | Prestatie | GeleverdVolume within the maximum for the ProductPeriode
TR322 | 3 | 9322 | 323 | Prestatie | approved volume on the allocation within its maximum
TR369 | 3 | 9369 | 323 | Prestatie | approved amount on the allocation within its Budget
TR323 | 3 | 8017 | 323 | Prestatie | credit refers to an earlier approved, identical debet
TR390 | 3 | 9390 | 323 | Prestatie | a debet is credited at most once
TR389 | 3 | 9389 | 323 | Prestatie | new debet for the same key only after the earlier one was credited
TR346 | 4 | 9346 | 323 | Prestatie | IngediendBedrag equals GeleverdVolume times the unrounded tariff
TR418 | 3 | 0611 | 323 | Prestatie | ProductTarief equals the contract tariff
OP264 | 3 | 0611 | 323 | Prestatie | an output product is declared at the agreed moment (end or milestone)
TR332 | 3 | 9332 | 301 | ToegewezenProduct | ToewijzingNummer always denotes the same allocation
TR379 | 3 | 9379 | 301 | ToegewezenProduct | ReferentieAanbieder only on the first send after honouring a request
TR385 | 3 | 9385 | 301 | ToegewezenProduct | no deletion of an allocation with approved, uncredited prestaties
TR355 | 3 | 9355 | 319 | Antwoord | ReferentieAanbieder comes from a received request
TR359 | 3 | 9359 | 319 | Antwoord | no 319 after a 301 honoured that ReferentieAanbieder
TR360 | 3 | 9360 | 319 | Antwoord | "in onderzoek" only as the first answer
TR365 | 3 | 9365 | 319 | Antwoord | a later 319 only after an "in onderzoek"
TR337 | 3 | 0001 | 325 | Header | DeclaratieIdentificatie names a received 323
TR371 | 3 | 0001 | 325 | Header | XsdVersieDeclaratie equals the XsdVersie of that 323
TR376 | 3 | 0001 | 325 | DeclaratieAntwoord | DeclaratieNummer equals that of the 323
TR366 | 3 | 9366 | 325 | Prestatie | every listed prestatie exists in the 323
TR367 | 3 | 9367 | 325 | Prestatie | listed prestatie values identical to the 323 prestatie
"""
)

RULES: dict[str, RuleMeta] = {**LEVEL2, **CROSS_MESSAGE}


def meta(code: str) -> RuleMeta:
    """Metadata of a rule; KeyError names the unknown code."""
    return RULES[code]
