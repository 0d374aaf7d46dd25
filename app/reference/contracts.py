"""Contracts as data: regions, their product catalogue, contracts with dated tariffs, ceilings.

One JSON document (`ijw-contracts/1`, schema: `contract_schema()`, docs/contracts.md) describes
whole regions.  Importing a region replaces its members, products and contracts (and its
ceilings when the document lists them) in one transaction; any bad row refuses the whole import
with one error per row, so nothing is ever half-imported.  Export writes the same format, so
export -> import is the identity.

The rules read contracts through `ContractBook`, loaded once per (gemeente, aanbieder) per
message: TR418 (tariff), TR346 (hour tariff for minutes), TR341 (contract unit for aspecific and
generic allocations) and the execution variant per product (UP028) for the week rules.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.ijw.codes import EURO
from app.reference.models import (
    Ceiling,
    CeilingMember,
    ContractTariff,
    Product,
    Region,
    RegionMember,
)
from app.reference.products import FINANCING, NATIONAL_CATEGORIES, UNITS

FORMAT: Literal["ijw-contracts/1"] = "ijw-contracts/1"
VARIANTS = ("inspanning", "output", "taakgericht")
_GEMEENTE = re.compile(r"[0-9]{4}")
_AGB = re.compile(r"[0-9]{8}")
_CODE = re.compile(r".*\S.*")
# Amounts are integer cents in 64-bit columns; 10^15 cents (10 trillion euro) leaves room to
# sum thousands of them without overflowing anything downstream.
MAX_CENTS = 10**15


# --------------------------------------------------------------------------- document format


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TariffIn(_Strict):
    """One dated tariff: cents per `eenheid` (none for euro products, Eenheid 83)."""

    eenheid: str = Field(description="WJ756 unit the tariff is per: 01 04 14 16 82 83 84")
    tarief: int | None = Field(None, ge=0, le=99_999_999, description="eurocents per eenheid")
    valid_from: date
    valid_to: date | None = None


class ContractIn(_Strict):
    """A contract line: one aanbieder x one product of the region, its variant and tariffs."""

    aanbieder: str = Field(description="AGB code, 8 digits")
    code: str = Field(description="product code of the region's catalogue")
    variant: Literal["inspanning", "output", "taakgericht"]
    tariffs: list[TariffIn] = Field(min_length=1)


class ProductIn(_Strict):
    """A catalogue entry: national category + regional code, default unit, validity."""

    categorie: str = Field(description="JZ020 product category (2 digits)")
    code: str = Field(min_length=1, max_length=5)
    name: str = ""
    eenheid: str
    financing: Literal["pxq", "output", "profile", "budget", "task"] = "pxq"
    profiel: str | None = Field(None, max_length=60)
    intensiteit: str | None = Field(None, max_length=30)
    valid_from: date
    valid_to: date | None = None


class CeilingIn(_Strict):
    """A budget ceiling for one year; several aanbieders = a pooled ceiling."""

    name: str = Field(min_length=1, max_length=100)
    year: int = Field(ge=2015, le=2100)
    amount: int = Field(ge=0, le=MAX_CENTS, description="eurocents")
    hard: bool = True
    aanbieders: list[str] = Field(min_length=1)
    categories: list[str] | None = Field(None, description="product categories; null = all")
    gemeente: str | None = Field(None, description="one member gemeente; null = all")


class RegionIn(_Strict):
    """A purchasing region with everything it contracts."""

    code: str = Field(min_length=1, max_length=40)
    name: str = ""
    gemeenten: list[str] = Field(min_length=1)
    auto_allocate: bool = False
    stacking_exceptions: list[str] = Field(default_factory=list)
    products: list[ProductIn] = Field(default_factory=list)
    contracts: list[ContractIn] = Field(default_factory=list)
    ceilings: list[CeilingIn] | None = Field(
        None, description="when present, replaces the region's ceilings"
    )


class ContractDocument(_Strict):
    """The import/export document."""

    format: Literal["ijw-contracts/1"] = FORMAT
    regions: list[RegionIn]


def contract_schema() -> dict[str, Any]:
    """The JSON Schema of the import/export document."""
    return ContractDocument.model_json_schema()


# --------------------------------------------------------------------------- import


class ContractImportError(Exception):
    """The document was refused; `errors` has one {location, message} entry per bad row."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} error(s) in the contract document")
        self.errors = errors


@dataclass
class ImportResult:
    """What an import changed."""

    regions: list[str]
    products: int
    contracts: int
    tariffs: int
    ceilings: int


def _loc(parts: tuple[Any, ...]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def parse_document(data: Any) -> ContractDocument:
    """Validate the shape; raises ContractImportError with one entry per bad field."""
    try:
        return ContractDocument.model_validate(data)
    except ValidationError as exc:
        raise ContractImportError(
            [{"location": _loc(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        ) from None


def _overlap(a0: date, a1: date | None, b0: date, b1: date | None) -> bool:
    return (b1 is None or a0 <= b1) and (a1 is None or b0 <= a1)


def _check_semantics(session: Session, doc: ContractDocument) -> list[dict[str, str]]:
    """Every rule a single row can break, with its location."""
    errors: list[dict[str, str]] = []

    def err(loc: str, message: str) -> None:
        errors.append({"location": loc, "message": message})

    seen_regions: set[str] = set()
    seen_gemeenten: dict[str, str] = {}
    for ri, region in enumerate(doc.regions):
        rl = f"regions[{ri}]"
        if region.code in seen_regions:
            err(f"{rl}.code", f"region {region.code} appears twice in the document")
        seen_regions.add(region.code)
        for gi, g in enumerate(region.gemeenten):
            if not _GEMEENTE.fullmatch(g):
                err(f"{rl}.gemeenten[{gi}]", f"a gemeentecode has 4 digits, got {g!r}")
                continue
            if g in seen_gemeenten:
                err(f"{rl}.gemeenten[{gi}]", f"gemeente {g} is also in {seen_gemeenten[g]}")
            seen_gemeenten[g] = region.code
            other = session.scalar(
                select(Region.code)
                .join(RegionMember, RegionMember.region_id == Region.id)
                .where(RegionMember.gemeente == g, Region.code != region.code)
            )
            if other is not None and other not in {r.code for r in doc.regions}:
                err(f"{rl}.gemeenten[{gi}]", f"gemeente {g} already belongs to region {other}")
        products: dict[str, list[ProductIn]] = defaultdict(list)
        for pi, p in enumerate(region.products):
            pl = f"{rl}.products[{pi}]"
            if p.categorie not in NATIONAL_CATEGORIES:
                err(f"{pl}.categorie", f"{p.categorie!r} is not a JZ020 product category")
            if p.eenheid not in UNITS:
                err(f"{pl}.eenheid", f"{p.eenheid!r} is not a WJ756 unit")
            if not _CODE.fullmatch(p.code):
                err(f"{pl}.code", "a product code is not blank")
            if p.valid_to is not None and p.valid_to < p.valid_from:
                err(f"{pl}.valid_to", "valid_to is before valid_from")
            if p.financing == "profile" and not (p.profiel and p.intensiteit):
                err(pl, "a profile product names its profiel and intensiteit")
            for earlier in products[p.code]:
                if _overlap(earlier.valid_from, earlier.valid_to, p.valid_from, p.valid_to):
                    err(pl, f"product {p.code} has overlapping validity periods")
                    break
                if earlier.categorie != p.categorie:
                    err(f"{pl}.categorie", f"product {p.code} changes category")
                    break
            products[p.code].append(p)
        lines: set[tuple[str, str]] = set()
        for ci, c in enumerate(region.contracts):
            cl = f"{rl}.contracts[{ci}]"
            if not _AGB.fullmatch(c.aanbieder):
                err(f"{cl}.aanbieder", f"an AGB code has 8 digits, got {c.aanbieder!r}")
            if (c.aanbieder, c.code) in lines:
                err(cl, f"contract {c.aanbieder} x {c.code} appears twice; list all its tariffs")
            lines.add((c.aanbieder, c.code))
            if c.code not in products:
                err(f"{cl}.code", f"product {c.code} is not in the region's catalogue")
            for ti, t in enumerate(c.tariffs):
                tl = f"{cl}.tariffs[{ti}]"
                if t.eenheid not in UNITS:
                    err(f"{tl}.eenheid", f"{t.eenheid!r} is not a WJ756 unit")
                if t.eenheid == EURO and t.tarief is not None:
                    err(f"{tl}.tarief", "a euro product (eenheid 83) has no tariff")
                if t.eenheid != EURO and t.tarief is None:
                    err(f"{tl}.tarief", "a tariff is required unless eenheid is 83")
                if t.valid_to is not None and t.valid_to < t.valid_from:
                    err(f"{tl}.valid_to", "valid_to is before valid_from")
                for other_t in c.tariffs[:ti]:
                    if _overlap(other_t.valid_from, other_t.valid_to, t.valid_from, t.valid_to):
                        err(tl, "tariff periods of one contract line overlap")
                        break
                if c.code in products and not any(
                    _overlap(p.valid_from, p.valid_to, t.valid_from, t.valid_to)
                    for p in products[c.code]
                ):
                    err(tl, f"product {c.code} is not valid in this tariff period")
        for xi, ceiling in enumerate(region.ceilings or []):
            xl = f"{rl}.ceilings[{xi}]"
            for ai, agb in enumerate(ceiling.aanbieders):
                if not _AGB.fullmatch(agb):
                    err(f"{xl}.aanbieders[{ai}]", f"an AGB code has 8 digits, got {agb!r}")
            if len(set(ceiling.aanbieders)) != len(ceiling.aanbieders):
                err(f"{xl}.aanbieders", "an aanbieder is listed twice")
            for ki, cat in enumerate(ceiling.categories or []):
                if cat not in NATIONAL_CATEGORIES:
                    err(f"{xl}.categories[{ki}]", f"{cat!r} is not a JZ020 product category")
            if ceiling.gemeente is not None and ceiling.gemeente not in region.gemeenten:
                err(f"{xl}.gemeente", f"{ceiling.gemeente} is not a member of the region")
            if any(
                o.name == ceiling.name and o.year == ceiling.year
                for o in (region.ceilings or [])[:xi]
            ):
                err(xl, f"ceiling {ceiling.name} {ceiling.year} appears twice")
    return errors


def import_document(
    session: Session, data: Any, *, allowed_gemeente: str | None = None
) -> ImportResult:
    """Validate and import a contract document (replacing the regions it lists).

    `allowed_gemeente` (API use): every region in the document must list this gemeente, and an
    existing region may only be replaced by one of its members.  Raises ContractImportError; the
    caller's transaction then rolls back, so nothing is half-imported.
    """
    doc = parse_document(data)
    errors = _check_semantics(session, doc)
    if allowed_gemeente is not None:
        for ri, region in enumerate(doc.regions):
            existing = session.scalar(select(Region).where(Region.code == region.code))
            members = (
                set(
                    session.scalars(
                        select(RegionMember.gemeente).where(RegionMember.region_id == existing.id)
                    )
                )
                if existing is not None
                else set()
            )
            if allowed_gemeente not in region.gemeenten or (
                existing is not None and allowed_gemeente not in members
            ):
                errors.append(
                    {
                        "location": f"regions[{ri}]",
                        "message": f"gemeente {allowed_gemeente} may only import its own region",
                    }
                )
    if errors:
        raise ContractImportError(errors)
    result = ImportResult([], 0, 0, 0, 0)
    for region_in in doc.regions:
        _replace_region(session, region_in, result)
    session.flush()
    return result


def _replace_region(session: Session, r: RegionIn, result: ImportResult) -> None:
    region = session.scalar(select(Region).where(Region.code == r.code))
    if region is None:
        region = Region(code=r.code)
        session.add(region)
    region.name = r.name
    region.auto_allocate = r.auto_allocate
    region.stacking_exceptions = list(r.stacking_exceptions)
    session.flush()
    # A gemeente moving between regions in the same document: drop old memberships first.
    session.execute(delete(RegionMember).where(RegionMember.gemeente.in_(r.gemeenten)))
    for model in (RegionMember, Product, ContractTariff):
        session.execute(delete(model).where(model.region_id == region.id))
    session.flush()
    session.add_all(RegionMember(region_id=region.id, gemeente=g) for g in r.gemeenten)
    session.add_all(
        Product(
            region_id=region.id,
            categorie=p.categorie,
            code=p.code,
            name=p.name,
            eenheid=p.eenheid,
            financing=p.financing,
            profiel=p.profiel,
            intensiteit=p.intensiteit,
            valid_from=p.valid_from,
            valid_to=p.valid_to,
        )
        for p in r.products
    )
    category = {p.code: p.categorie for p in r.products}
    for c in r.contracts:
        session.add_all(
            ContractTariff(
                region_id=region.id,
                aanbieder=c.aanbieder,
                categorie=category[c.code],
                code=c.code,
                eenheid=t.eenheid,
                tarief=t.tarief,
                variant=c.variant,
                valid_from=t.valid_from,
                valid_to=t.valid_to,
            )
            for t in c.tariffs
        )
        result.tariffs += len(c.tariffs)
    if r.ceilings is not None:
        session.execute(delete(Ceiling).where(Ceiling.region_id == region.id))
        session.flush()
        for x in r.ceilings:
            ceiling = Ceiling(
                region_id=region.id,
                name=x.name,
                year=x.year,
                amount=x.amount,
                hard=x.hard,
                categories=list(x.categories) if x.categories is not None else None,
                gemeente=x.gemeente,
            )
            session.add(ceiling)
            session.flush()
            session.add_all(CeilingMember(ceiling_id=ceiling.id, aanbieder=a) for a in x.aanbieders)
        result.ceilings += len(r.ceilings)
    result.regions.append(r.code)
    result.products += len(r.products)
    result.contracts += len(r.contracts)


# --------------------------------------------------------------------------- export


def export_document(
    session: Session,
    *,
    region_codes: list[str] | None = None,
    gemeente: str | None = None,
    aanbieder: str | None = None,
) -> dict[str, Any]:
    """The regions (all, the named ones, or the one of `gemeente`) in the import format.

    With `aanbieder`, only that provider's contract lines and ceilings are included (what a
    provider may see of the regions it contracts with).
    """
    query = select(Region).order_by(Region.code)
    if region_codes:
        query = query.where(Region.code.in_(region_codes))
    if gemeente is not None:
        query = query.join(RegionMember, RegionMember.region_id == Region.id).where(
            RegionMember.gemeente == gemeente
        )
    if aanbieder is not None:
        query = query.where(
            Region.id.in_(
                select(ContractTariff.region_id).where(ContractTariff.aanbieder == aanbieder)
            )
        )
    regions = []
    for region in session.scalars(query):
        gemeenten = sorted(
            session.scalars(
                select(RegionMember.gemeente).where(RegionMember.region_id == region.id)
            )
        )
        products = [
            ProductIn.model_validate(p, from_attributes=True)  # validates the stored financing
            for p in session.scalars(
                select(Product)
                .where(Product.region_id == region.id)
                .order_by(Product.code, Product.valid_from)
            )
        ]
        tq = select(ContractTariff).where(ContractTariff.region_id == region.id)
        if aanbieder is not None:
            tq = tq.where(ContractTariff.aanbieder == aanbieder)
        grouped: dict[tuple[str, str], list[ContractTariff]] = defaultdict(list)
        for t in session.scalars(
            tq.order_by(ContractTariff.aanbieder, ContractTariff.code, ContractTariff.valid_from)
        ):
            grouped[(t.aanbieder, t.code)].append(t)
        contracts = [
            ContractIn.model_validate(
                {
                    "aanbieder": agb,
                    "code": code,
                    "variant": rows[0].variant,  # validated: one of VARIANTS
                    "tariffs": [TariffIn.model_validate(t, from_attributes=True) for t in rows],
                }
            )
            for (agb, code), rows in grouped.items()
        ]
        ceilings = []
        for x in session.scalars(
            select(Ceiling)
            .where(Ceiling.region_id == region.id)
            .order_by(Ceiling.year, Ceiling.name)
        ):
            members = sorted(
                session.scalars(
                    select(CeilingMember.aanbieder).where(CeilingMember.ceiling_id == x.id)
                )
            )
            if aanbieder is not None and aanbieder not in members:
                continue
            ceilings.append(
                CeilingIn(
                    name=x.name,
                    year=x.year,
                    amount=x.amount,
                    hard=x.hard,
                    aanbieders=members,
                    categories=x.categories,
                    gemeente=x.gemeente,
                )
            )
        regions.append(
            RegionIn(
                code=region.code,
                name=region.name,
                gemeenten=gemeenten,
                auto_allocate=region.auto_allocate,
                stacking_exceptions=list(region.stacking_exceptions or []),
                products=products,
                contracts=contracts,
                ceilings=ceilings,
            )
        )
    return ContractDocument(regions=regions).model_dump(mode="json")


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class TariffRow:
    """One dated tariff of a contract line, as the rules need it."""

    categorie: str
    code: str
    eenheid: str
    tarief: int | None
    variant: str
    valid_from: date
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass
class ContractBook:
    """The contract of one aanbieder with one gemeente's region (loaded once per message)."""

    region_id: int | None
    aanbieder: str
    by_code: dict[str, list[TariffRow]] = field(default_factory=lambda: defaultdict(list))

    @property
    def any(self) -> bool:
        """Whether this provider has any contract with the region (else contract checks skip)."""
        return bool(self.by_code)

    def tariff(self, code: str, on: date) -> TariffRow | None:
        """The tariff of `code` valid on `on`."""
        for row in self.by_code.get(code, ()):
            if row.valid_on(on):
                return row
        return None

    def line(self, code: str) -> TariffRow | None:
        """Any tariff row of `code` (for its unit and variant when the date does not matter)."""
        rows = self.by_code.get(code)
        return max(rows, key=lambda r: r.valid_from) if rows else None

    def contracted(self, categorie: str | None, code: str, on: date) -> bool:
        """Whether (categorie, code) is contracted on `on` (categorie None: any category)."""
        row = self.tariff(code, on)
        return row is not None and (categorie is None or row.categorie == categorie)

    def variant(self, code: str | None, on: date) -> str | None:
        """The execution variant agreed for a product (UP028), or None when not contracted."""
        if code is None:
            return None
        row = self.tariff(code, on) or self.line(code)
        return row.variant if row else None


def contracts_configured(session: Session, gemeente: str) -> bool:
    """Whether the gemeente's region has any contract line (then TR418 applies)."""
    found = session.scalar(
        select(ContractTariff.id)
        .join(RegionMember, RegionMember.region_id == ContractTariff.region_id)
        .where(RegionMember.gemeente == gemeente)
        .limit(1)
    )
    return found is not None


def load_contracts(session: Session, gemeente: str, aanbieder: str) -> ContractBook:
    """The contract lines of `aanbieder` in the region of `gemeente` (two small queries)."""
    region_id = session.scalar(
        select(RegionMember.region_id).where(RegionMember.gemeente == gemeente)
    )
    book = ContractBook(region_id, aanbieder)
    if region_id is None:
        return book
    for t in session.scalars(
        select(ContractTariff).where(
            ContractTariff.region_id == region_id, ContractTariff.aanbieder == aanbieder
        )
    ):
        book.by_code[t.code].append(
            TariffRow(t.categorie, t.code, t.eenheid, t.tarief, t.variant, t.valid_from, t.valid_to)
        )
    return book


# --------------------------------------------------------------------------- demo data


def demo_document(year: int = 2026) -> dict[str, Any]:
    """Demo contracts shaped like the regional seeds (financing-and-ceilings.md): minutes and
    hours (p x q), day-parts, etmaal (24 h), output trajectories, euro budgets, profile x
    intensity products with the no-stacking exceptions, ceilings per provider and pooled."""
    start = f"{year - 1}-01-01"
    pxq = [
        ("45", "45A01", "Ambulante jeugdhulp (minuten)", "01", 146),
        ("45", "45A04", "Ambulante jeugdhulp individueel (uur)", "04", 8730),
        ("41", "41A16", "Dagbehandeling (dagdeel)", "16", 7550),
        ("43", "43A14", "Verblijf inclusief behandeling (etmaal)", "14", 24500),
        ("44", "44A14", "Pleegzorg (etmaal)", "14", 6200),
        ("46", "46A84", "Crisisinterventie (stuks inspanning)", "84", 41000),
    ]
    output = [("54", "54D82", "Dyslexiezorg, traject", "82", 360000)]
    budget = [("55", "55B83", "Landelijk ingekochte zorg (budget)", "83", None)]
    profiles = [
        (f"50P{p}{i[0]}", f"Profiel {p}", i, tariff)
        for p, base in ((1, 120000), (2, 180000))
        for i, tariff in (
            ("Perspectief", base),
            ("Intensief", base * 2),
            ("Acuut", base // 2),
            ("Duurzaam", base + base // 2),
        )
    ]
    products: list[dict[str, Any]] = [
        {
            "categorie": c,
            "code": k,
            "name": n,
            "eenheid": u,
            "financing": financing,
            "valid_from": start,
        }
        for financing, rows in (("pxq", pxq), ("output", output), ("budget", budget))
        for c, k, n, u, _ in rows
    ]
    products += [
        {
            "categorie": "50",
            "code": code,
            "name": f"{profiel} x {intensiteit}",
            "eenheid": "82",
            "financing": "profile",
            "profiel": profiel,
            "intensiteit": intensiteit,
            "valid_from": start,
        }
        for code, profiel, intensiteit, _ in profiles
    ]
    # An old code replaced at the start of the year: still valid for running allocations.
    products.append(
        {
            "categorie": "45",
            "code": "45A99",
            "name": "Oude ambulante code",
            "eenheid": "04",
            "valid_from": "2019-01-01",
            "valid_to": f"{year - 1}-12-31",
        }
    )

    def line(agb: str, code: str, unit: str, tariff: int | None, variant: str) -> dict[str, Any]:
        # last year's tariff, then this year's (indexed 3 %)
        old = None if tariff is None else tariff * 100 // 103
        return {
            "aanbieder": agb,
            "code": code,
            "variant": variant,
            "tariffs": [
                {
                    "eenheid": unit,
                    "tarief": old,
                    "valid_from": start,
                    "valid_to": f"{year - 1}-12-31",
                },
                {"eenheid": unit, "tarief": tariff, "valid_from": f"{year}-01-01"},
            ],
        }

    contracts = []
    for agb in ("12345678", "87654321"):
        contracts += [line(agb, k, u, t, "inspanning") for _, k, _, u, t in pxq]
        contracts += [line(agb, k, u, t, "output") for _, k, _, u, t in output]
        contracts += [line(agb, k, u, t, "output") for _, k, _, u, t in budget]
    contracts += [line("12345678", code, "82", t, "output") for code, _, _, t in profiles]
    contracts.append(line("12345678", "45A99", "04", 8000, "inspanning"))
    contracts[-1]["tariffs"] = [
        {
            "eenheid": "04",
            "tarief": 8000,
            "valid_from": "2019-01-01",
            "valid_to": f"{year - 1}-12-31",
        }
    ]
    return {
        "format": FORMAT,
        "regions": [
            {
                "code": "DEMO-AMS",
                "name": "Regio Amsterdam-Amstelland (demo)",
                "gemeenten": ["0363", "0362", "0437"],
                "auto_allocate": False,  # opt-in: set it (and import) to try item 5
                "stacking_exceptions": ["Acuut", "Duurzaam"],
                "products": products,
                "contracts": contracts,
                "ceilings": [
                    {
                        "name": "Noord totaal",
                        "year": year,
                        "amount": 250_000_00,
                        "hard": True,
                        "aanbieders": ["12345678"],
                    },
                    {
                        "name": "Zuid bestedingsruimte",
                        "year": year,
                        "amount": 120_000_00,
                        "hard": False,
                        "aanbieders": ["87654321"],
                    },
                    {
                        "name": "Verblijf regionaal (pool)",
                        "year": year,
                        "amount": 900_000_00,
                        "hard": True,
                        "aanbieders": ["12345678", "87654321"],
                        "categories": ["43", "44"],
                    },
                ],
            }
        ],
    }


def load_demo_contracts(session: Session, today: date) -> None:
    """Demo loader: import the demo region for `today`'s year (idempotent: it replaces itself)."""
    import_document(session, demo_document(today.year))


__all__ = [
    "FINANCING",
    "VARIANTS",
    "ContractBook",
    "ContractDocument",
    "ContractImportError",
    "ImportResult",
    "TariffRow",
    "contract_schema",
    "demo_document",
    "export_document",
    "import_document",
    "load_contracts",
    "load_demo_contracts",
    "parse_document",
]
