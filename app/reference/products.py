"""The product catalogue: national product categories plus each region's product codes.

TR381 (S329): a ProductCode must belong to its ProductCategorie in the product code list in use
(IV075: the national list or the region's own list, agreed in the contracts).  A contract set's list
lives in `money_products` with a validity period per code; a gemeente in several sets uses the
union of their lists.  After a catalogue change old codes
stay valid for running allocations (protocol omgaan met productcodelijstwijzigingen §2.1-2.3:
"accepteert nog steeds de oude productcodes in het facturatieverkeer"), so callers judge a code
on the date that matters for it: the Ingangsdatum of the allocation it belongs to, or of the
requested period for a new request.

A gemeente without a regional catalogue uses the national list.  The JZ21 list itself is not in
the reference set; its codes are the 2-digit category followed by three characters (e.g. 45A04),
so without a regional list a code belongs to a category when it starts with it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.ijw.catalogue.xsd_model import SIMPLE_TYPES
from app.ijw.model import Node
from app.ijw.retour import Decision
from app.reference.models import Product, Region, RegionMember

# JZ020 (the XSD enumeration of LDT_ProductCategorie): the national categories.
NATIONAL_CATEGORIES: frozenset[str] = frozenset(SIMPLE_TYPES["LDT_ProductCategorie"].enum)
UNITS: frozenset[str] = frozenset(SIMPLE_TYPES["LDT_Eenheid"].enum)
FINANCING = ("pxq", "output", "profile", "budget", "task")


def national_code_fits(categorie: str, code: str) -> bool:
    """The national structure: a JZ21 code starts with its category (45A04 is in 45)."""
    return len(code) == 5 and code[:2] == categorie


@dataclass(frozen=True)
class ProductRow:
    """One catalogue entry as the rules need it (no ORM object, so it can be cached)."""

    categorie: str
    code: str
    eenheid: str
    financing: str
    profiel: str | None
    intensiteit: str | None
    valid_from: date
    valid_to: date | None
    region_id: int = 0
    declaration_moment: str = "period"  # OP264: period | end | milestones
    milestones: tuple[int, ...] = ()

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass
class Catalogue:
    """The product code list in use for one gemeente: the union of the catalogues of every
    contract set it is an active member of (loaded once per message)."""

    region_id: int | None
    by_code: dict[str, list[ProductRow]] = field(default_factory=lambda: defaultdict(list))

    @property
    def regional(self) -> bool:
        """True when the gemeente's sets have their own list (else the national one applies)."""
        return self.region_id is not None and bool(self.by_code)

    def known(self, categorie: str, code: str | None, on: date) -> bool:
        """TR381: `code` belongs to `categorie` in the list in use on `on` (None: category only)."""
        if categorie not in NATIONAL_CATEGORIES:
            return False
        if code is None:
            return True
        if not self.regional:
            return national_code_fits(categorie, code)
        return any(r.categorie == categorie and r.valid_on(on) for r in self.by_code.get(code, ()))

    def product(self, code: str, on: date) -> ProductRow | None:
        """The catalogue entry of `code` valid on `on` (else the latest one), or None."""
        rows = self.by_code.get(code, ())
        for row in rows:
            if row.valid_on(on):
                return row
        return max(rows, key=lambda r: r.valid_from) if rows else None


# Statements on the path of every message are built once: building and cache-keying a select
# costs more CPU than running it.
_ACTIVE_REGION_IDS = (
    select(RegionMember.region_id)
    .where(RegionMember.gemeente == bindparam("gemeente"), RegionMember.status == "active")
    .order_by(RegionMember.region_id)
)
_REGIONS = select(Region).where(Region.id.in_(bindparam("ids", expanding=True))).order_by(Region.id)
_HAS_PRODUCTS = (
    select(Product.id).where(Product.region_id.in_(bindparam("ids", expanding=True))).limit(1)
)
_PRODUCT_ROWS = select(Product).where(
    Product.region_id.in_(bindparam("ids", expanding=True)),
    Product.code == bindparam("code"),
    Product.categorie == bindparam("categorie"),
)


def _active_region_ids(session: Session, gemeente: str) -> list[int]:
    return list(session.scalars(_ACTIVE_REGION_IDS, {"gemeente": gemeente}))


def regions_of(session: Session, gemeente: str) -> list[Region]:
    """The contract sets a gemeente is an active member of (oldest first)."""
    ids = _active_region_ids(session, gemeente)
    if not ids:
        return []
    return list(session.scalars(_REGIONS, {"ids": ids}))


def region_of(session: Session, gemeente: str) -> Region | None:
    """The first contract set a gemeente is an active member of, or None."""
    found = regions_of(session, gemeente)
    return found[0] if found else None


def load_catalogue(session: Session, gemeente: str) -> Catalogue:
    """The whole product list in use for `gemeente` in two queries."""
    ids = _active_region_ids(session, gemeente)
    catalogue = Catalogue(ids[0] if ids else None)
    if not ids:
        return catalogue
    for p in session.scalars(
        select(Product).where(Product.region_id.in_(ids)).order_by(Product.region_id)
    ):
        catalogue.by_code[p.code].append(
            ProductRow(
                p.categorie,
                p.code,
                p.eenheid,
                p.financing,
                p.profiel,
                p.intensiteit,
                p.valid_from,
                p.valid_to,
                p.region_id,
                p.declaration_moment or "period",
                tuple(p.milestones or ()),
            )
        )
    return catalogue


def product_known(
    session: Session, gemeente: str, categorie: str, code: str | None, on: date
) -> bool:
    """TR381 (S329): does `code` belong to `categorie` in the product code list `gemeente` uses?

    `on` is the date the code must be valid on: the allocation's Ingangsdatum for anything that
    refers to an existing allocation (old codes stay valid for running allocations after a
    catalogue change), the requested Ingangsdatum for new requests and allocations.  `code` None
    means a category-only (aspecific) product: known when the category is a national one.
    """
    if categorie not in NATIONAL_CATEGORIES:
        return False
    ids = _active_region_ids(session, gemeente)
    if not ids or session.scalar(_HAS_PRODUCTS, {"ids": ids}) is None:
        return code is None or national_code_fits(categorie, code)
    if code is None:
        return True
    rows = session.scalars(_PRODUCT_ROWS, {"ids": ids, "code": code, "categorie": categorie})
    return any(r.valid_from <= on and (r.valid_to is None or on <= r.valid_to) for r in rows)


def check_product_code(
    session: Session, gemeente: str, decision: Decision, node: Node, product: Node | None, on: date
) -> None:
    """TR381 (S329) on the class `node` that holds `product` (a CDT_Product, or None)."""
    if not product:
        return
    categorie, code = product.get("Categorie"), product.get("Code")
    if categorie is not None and not product_known(session, gemeente, categorie, code, on):
        decision.add(node, "TR381")
