"""Builders for the money tests: allocations, contracts, JW323s and reading the JW325."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from lxml import etree
from sqlalchemy import Engine

from app.db.base import session_factory, transaction
from app.flows.allocations.models import AllocationRow, AllocationVersionRow
from app.ijw.render import render
from app.reference.contract_doc import upgrade_v1
from app.reference.contracts import import_document
from testkit import messages as m
from testkit.store import seed_message

GEMEENTE, AGB, OTHER_AGB = "0363", "12345678", "87654321"
NS325 = "{http://www.istandaarden.nl/ijw/3_2/jw325/schema}"
BASIS = "{http://www.istandaarden.nl/ijw/3_2/basisschema/schema}"


def parties(api) -> tuple[str, str, str]:
    """gemeente, provider and another provider tokens."""
    return (
        api.add_party("gemeente", GEMEENTE),
        api.add_party("aanbieder", AGB),
        api.add_party("aanbieder", OTHER_AGB),
    )


def seed_allocation(
    engine: Engine,
    nummer: int,
    *,
    bsn: str,
    gemeente: str = GEMEENTE,
    aanbieder: str = AGB,
    categorie: str | None = "45",
    code: str | None = "45A04",
    ingangsdatum: date = date(2026, 1, 1),
    einddatum: date | None = date(2026, 12, 31),
    volume: int | None = 3,
    eenheid: str | None = "04",
    frequentie: str | None = "2",
    budget: int | None = None,
    reden: str | None = None,
) -> None:
    """An accepted allocation in the flows store, as if a JW301 and its JW302 had passed."""
    now = datetime(2025, 12, 1, tzinfo=UTC)
    with transaction(session_factory(engine)) as s:
        msg = seed_message(s, gemeente, aanbieder, f"A{nummer}", f"seed{nummer}", now)
        row = AllocationRow(
            gemeente=gemeente, nummer=nummer, bsn=bsn, aanbieder=aanbieder, created_at=now
        )
        s.add(row)
        s.flush()
        version = AllocationVersionRow(
            allocation_id=row.id,
            message_id=msg.id,
            position=1,
            gemeente=gemeente,
            nummer=nummer,
            bsn=bsn,
            aanbieder=aanbieder,
            categorie=categorie,
            code=code,
            ingangsdatum=ingangsdatum,
            einddatum=einddatum,
            reden_wijziging=reden,
            volume=volume,
            eenheid=eenheid,
            frequentie=frequentie,
            budget=budget,
            toewijzingsdatum=date(2025, 12, 1),
            toewijzingstijd=time(10, 0),
            status="accepted",
            unchanged=False,
            retour_codes=[],
            sent_at=now,
        )
        s.add(version)
        s.flush()
        row.leading_version_id = row.latest_version_id = version.id


def contract_doc(
    *,
    tariffs: list[dict[str, Any]] | None = None,
    products: list[dict[str, Any]] | None = None,
    ceilings: list[dict[str, Any]] | None = None,
    gemeenten: tuple[str, ...] = (GEMEENTE,),
    auto_allocate: bool = False,
) -> dict[str, Any]:
    """A one-set contract document (ijw-contracts/2): 45A04 per hour (€ 87.30) for AGB unless
    overridden."""
    region: dict[str, Any] = {
        "code": "TEST",
        "name": "Testregio",
        "gemeenten": list(gemeenten),
        "auto_allocate": auto_allocate,
        "stacking_exceptions": ["Acuut", "Duurzaam"],
        "products": products
        or [
            {"categorie": "45", "code": "45A04", "eenheid": "04", "valid_from": "2020-01-01"},
        ],
        "contracts": tariffs
        or [
            {
                "aanbieder": AGB,
                "code": "45A04",
                "variant": "inspanning",
                "tariffs": [{"eenheid": "04", "tarief": 8730, "valid_from": "2020-01-01"}],
            }
        ],
    }
    # Products and lines are written in the version 1 shape (one line per provider x product
    # with its own tariffs) and upgraded, which the import does for every v1 document; the
    # ceilings are version 2 (periods, code scopes, thresholds).
    doc = upgrade_v1({"format": "ijw-contracts/1", "regions": [region]})
    if ceilings is not None:
        doc["regions"][0]["ceilings"] = ceilings
    return doc


def load_contracts(engine: Engine, doc: dict[str, Any] | None = None) -> None:
    with transaction(session_factory(engine)) as s:
        import_document(s, doc or contract_doc())


@dataclass
class P:
    """One prestatie to put in a test JW323."""

    ref: str
    nummer: int
    begin: date
    end: date
    volume: int
    tarief: int | None = 8730
    eenheid: str = "04"
    categorie: str = "45"
    code: str = "45A04"
    bedrag: int | None = None  # default volume x tarief (or volume for Eenheid 83)
    credit_of: str | None = None

    def data(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"ReferentieNummer": self.ref}
        if self.credit_of:
            ref["VorigReferentieNummer"] = self.credit_of
        out: dict[str, Any] = {
            "ProductReferentie": ref,
            "ToewijzingNummer": self.nummer,
            "ProductCategorie": self.categorie,
            "ProductCode": self.code,
            "ProductPeriode": {"Begindatum": self.begin, "Einddatum": self.end},
            "GeleverdVolume": self.volume,
            "Eenheid": self.eenheid,
        }
        if self.eenheid != "83":
            out["ProductTarief"] = self.tarief
        amount = self.bedrag
        if amount is None:
            amount = self.volume if self.eenheid == "83" else self.volume * (self.tarief or 0)
        out["IngediendBedrag"] = {"Bedrag": amount, "DebetCredit": "C" if self.credit_of else "D"}
        return out

    def signed(self) -> int:
        amount = self.data()["IngediendBedrag"]["Bedrag"]
        return -amount if self.credit_of else amount


@dataclass
class Decl:
    """A JW323 under construction: clients (Bsn) with their prestaties."""

    ident: str
    nummer: str
    periode: date  # first day of the declaration month
    clients: dict[str, list[P]] = field(default_factory=dict)
    day: date = date(2026, 6, 10)
    agb: str = AGB
    gemeente: str = GEMEENTE

    def add(self, bsn: str, *prestaties: P) -> Decl:
        self.clients.setdefault(bsn, []).extend(prestaties)
        return self

    def xml(self) -> bytes:
        from app.ijw.volumes import month_end

        total = sum(p.signed() for ps in self.clients.values() for p in ps)
        data = {
            "Header": m.header_for("JW323", self.agb, self.gemeente, self.ident, self.day),
            "Declaratie": {
                "DeclaratieNummer": self.nummer,
                "DeclaratiePeriode": {
                    "Begindatum": self.periode,
                    "Einddatum": month_end(self.periode),
                },
                "DeclaratieDagtekening": self.day,
                "TotaalIngediendBedrag": {
                    "TotaalBedrag": abs(total),
                    "DebetCredit": "C" if total < 0 else "D",
                },
                "Clienten": {
                    "Client": [
                        {"Bsn": bsn, "Prestaties": {"Prestatie": [p.data() for p in ps]}}
                        for bsn, ps in self.clients.items()
                    ]
                },
            },
        }
        return render("JW323", data)


@dataclass
class Answer325:
    """A parsed JW325: header codes, declaration codes, totals and codes per ReferentieNummer."""

    header: list[str]
    declaration: list[str]
    toegekend: int | None
    prestaties: dict[str, list[str]]
    clients: dict[str, list[str]]
    identificatie_declaratie: str | None

    @classmethod
    def parse(cls, body: bytes) -> Answer325:
        root = etree.fromstring(body)
        head = root.find(f"{NS325}Header")
        header = [e.text for e in head.findall(f"{NS325}RetourCodes/{NS325}RetourCode")]
        ident = head.findtext(f"{NS325}DeclaratieIdentificatie/{BASIS}Identificatie")
        ans = root.find(f"{NS325}DeclaratieAntwoord")
        if ans is None:
            return cls(header, [], None, {}, {}, ident)
        decl_codes = [e.text for e in ans.findall(f"{NS325}RetourCodes/{NS325}RetourCode")]
        tot = ans.find(f"{NS325}TotaalToegekendBedrag")
        amount = int(tot.findtext(f"{BASIS}TotaalBedrag"))
        if tot.findtext(f"{BASIS}DebetCredit") == "C":
            amount = -amount
        prestaties: dict[str, list[str]] = {}
        clients: dict[str, list[str]] = {}
        for client in ans.iter(f"{NS325}Client"):
            bsn = client.findtext(f"{NS325}Bsn")
            clients[bsn] = [e.text for e in client.findall(f"{NS325}RetourCodes/{NS325}RetourCode")]
            for p in client.iter(f"{NS325}Prestatie"):
                ref = p.findtext(f"{NS325}ProductReferentie/{BASIS}ReferentieNummer")
                prestaties[ref] = [
                    e.text for e in p.findall(f"{NS325}RetourCodes/{NS325}RetourCode")
                ]
        return cls(header, decl_codes, amount, prestaties, clients, ident)


def post_325(api, token: str, decl: Decl) -> Answer325:
    r = api.post(token, decl.xml())
    assert r.status_code == 200, r.text
    return Answer325.parse(r.content)
