"""Reference data tables: the CBS municipality list (EXT, TR378) and the contract sets
("regions": regional, local or supra-regional purchasing) with their members, administrator,
product catalogue with regional default tariffs, contract lines per provider, gemeente and
period with per-provider tariff exceptions, budget ceilings, task-based funding and the versions
of every change.

Amounts are integer eurocents (IV024) in 64-bit columns; dates are dates.  Only
`app.reference` reads and writes these tables (`app.budget` reads the ceilings).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.types import UtcDateTime


class GemeenteCodeRow(Base):
    """A CBS gemeentecode with its validity (TR378).  Empty table: the shipped list applies."""

    __tablename__ = "flow_gemeente_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), index=True)
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date | None] = mapped_column(Date)  # None: before any list we have
    valid_to: Mapped[date | None] = mapped_column(Date)  # None: still valid


class Region(Base):
    """A contract set: gemeenten that contract together (seeds: Midden-Holland, H10, ...), a
    local procurement of one gemeente or a supra-regional one.  A gemeente may be a member of
    several sets; the `administrator` (a member gemeente: the one that hosts the purchasing
    organisation) is the only party that may change the set over the API."""

    __tablename__ = "money_regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20), default="regional")
    # CBS code of the administering gemeente; None: managed by the operator (CLI) only.
    administrator: Mapped[str | None] = mapped_column(String(4))
    # Item 5 of issue 5: requests (JW315) may be allocated automatically (opt-in per region).
    auto_allocate: Mapped[bool] = mapped_column(Boolean, default=False)
    # Intensities of profile x intensity products that may overlap another one (no-stacking
    # exceptions, financing-and-ceilings.md: Acuut, Duurzaam).
    stacking_exceptions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # TR418: equal (the standard) or maximum (a lower declared tariff is approved).
    tariff_policy: Mapped[str] = mapped_column(String(10), default="equal")
    # Everything else of the set that is configuration, not rows: realisation factors per
    # category, the maximum days of a stacking exception, payment export fields.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)  # the latest ContractVersion


class RegionMember(Base):
    """A gemeente (CBS code) in a contract set: `active`, or `invited` by the administrator
    until the gemeente joins (nobody enrols another gemeente)."""

    __tablename__ = "money_region_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("money_regions.id", ondelete="CASCADE"))
    gemeente: Mapped[str] = mapped_column(String(4), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")

    __table_args__ = (UniqueConstraint("region_id", "gemeente"),)


class Product(Base):
    """A product code of a region's catalogue, valid for a period (protocol productcodelijst-
    wijzigingen: a code is never changed retroactively; it gets an end date instead)."""

    __tablename__ = "money_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("money_regions.id", ondelete="CASCADE"))
    categorie: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200), default="")
    eenheid: Mapped[str] = mapped_column(String(2))
    # pxq | output | profile | budget | task  (financing-and-ceilings.md, models 1-5)
    financing: Mapped[str] = mapped_column(String(16), default="pxq")
    profiel: Mapped[str | None] = mapped_column(String(60))
    intensiteit: Mapped[str | None] = mapped_column(String(30))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # OP264 for output products: period (every month, the default) | end | milestones
    declaration_moment: Mapped[str] = mapped_column(String(12), default="period")
    milestones: Mapped[list[int] | None] = mapped_column(JSON)  # % of the allocated total

    __table_args__ = (
        UniqueConstraint("region_id", "code", "valid_from"),
        Index("ix_money_products_region_cat", "region_id", "categorie"),
    )


class ProductTariff(Base):
    """A regional default tariff of a product (what every contracted provider gets unless its
    contract line has an exception), valid for a period."""

    __tablename__ = "money_product_tariffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("money_regions.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(5))
    eenheid: Mapped[str] = mapped_column(String(2))
    tarief: Mapped[int | None] = mapped_column(BigInteger)  # cents per eenheid; None for 83
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_money_product_tariffs_region_code", "region_id", "code"),)


class ContractLine(Base):
    """What one aanbieder is contracted for: products (codes of the set's catalogue) for some
    or all member gemeenten from `start` to `end`, with extension options (months each, in
    order) and the extensions exercised (per gemeente or for all)."""

    __tablename__ = "money_contract_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("money_regions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # order in the document
    aanbieder: Mapped[str] = mapped_column(String(8))
    codes: Mapped[list[str]] = mapped_column(JSON)
    variant: Mapped[str | None] = mapped_column(String(12))  # None: the product's default
    gemeenten: Mapped[list[str] | None] = mapped_column(JSON)  # None: every member
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    extension_options: Mapped[list[int]] = mapped_column(JSON, default=list)
    extensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    __table_args__ = (Index("ix_money_contract_lines_region_agb", "region_id", "aanbieder"),)


class LineTariff(Base):
    """A per-provider tariff exception on a contract line for one of its codes."""

    __tablename__ = "money_line_tariffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("money_contract_lines.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(5))
    eenheid: Mapped[str] = mapped_column(String(2))
    tarief: Mapped[int | None] = mapped_column(BigInteger)  # cents per eenheid; None for 83
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Ceiling(Base):
    """A budget ceiling for a period (a calendar year or any other): per provider, pooled over
    listed providers or over every contracted one (joiners included), optionally limited to
    product categories, product codes (a perceel, a trede) and/or member gemeenten; hard or
    soft, with its warning thresholds (percent of the amount)."""

    __tablename__ = "money_ceilings"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("money_regions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)  # the year of period_start
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # cents
    hard: Mapped[bool] = mapped_column(Boolean, default=True)
    all_contracted: Mapped[bool] = mapped_column(Boolean, default=False)
    categories: Mapped[list[str] | None] = mapped_column(JSON)  # None = every category
    codes: Mapped[list[str] | None] = mapped_column(JSON)  # None = every code
    gemeenten: Mapped[list[str] | None] = mapped_column(JSON)  # None = every member gemeente
    thresholds: Mapped[list[int]] = mapped_column(JSON, default=lambda: [90])

    __table_args__ = (UniqueConstraint("region_id", "name", "period_start"),)


class CeilingMember(Base):
    """An aanbieder sharing a ceiling."""

    __tablename__ = "money_ceiling_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    ceiling_id: Mapped[int] = mapped_column(ForeignKey("money_ceilings.id", ondelete="CASCADE"))
    aanbieder: Mapped[str] = mapped_column(String(8))

    __table_args__ = (UniqueConstraint("ceiling_id", "aanbieder"),)


class TaskFunding(Base):
    """A lump sum for task-based ("taakgericht") care: an amount for a period paid to a
    provider regardless of use (availability, crisis service; seed 002)."""

    __tablename__ = "money_task_funding"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("money_regions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    aanbieder: Mapped[str] = mapped_column(String(8))
    categorie: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(5))
    gemeenten: Mapped[list[str] | None] = mapped_column(JSON)  # None = every member
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # cents for the whole period


class ContractVersion(Base):
    """One version of a contract set: the whole set as imported or changed, who did it, when,
    and what changed against the version before.  Kept when the set is deleted."""

    __tablename__ = "money_contract_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    # import | index | products | join | leave | administrator | delete
    action: Mapped[str] = mapped_column(String(20))
    actor_party: Mapped[str | None] = mapped_column(String(8))  # None: the operator (CLI)
    actor_user: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    __table_args__ = (UniqueConstraint("region_code", "version"),)
