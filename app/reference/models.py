"""Reference data tables: the CBS municipality list (EXT, TR378) and each region's contract data
(members, product catalogue, contracts with dated tariffs, budget ceilings).

Amounts are integer eurocents (IV024); dates are dates.
"""

from __future__ import annotations

from datetime import date

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


class GemeenteCodeRow(Base):
    """A CBS gemeentecode with its validity (TR378).  Empty table: the shipped list applies."""

    __tablename__ = "flow_gemeente_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), index=True)
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date | None] = mapped_column(Date)  # None: before any list we have
    valid_to: Mapped[date | None] = mapped_column(Date)  # None: still valid


class Region(Base):
    """A purchasing region: gemeenten that contract together (seeds: Midden-Holland, H10, ...)."""

    __tablename__ = "money_regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Item 5 of issue 5: requests (JW315) may be allocated automatically (opt-in per region).
    auto_allocate: Mapped[bool] = mapped_column(Boolean, default=False)
    # Intensities of profile x intensity products that may overlap another one (no-stacking
    # exceptions, financing-and-ceilings.md: Acuut, Duurzaam).
    stacking_exceptions: Mapped[list[str]] = mapped_column(JSON, default=list)


class RegionMember(Base):
    """A gemeente (CBS code) belongs to at most one region."""

    __tablename__ = "money_region_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("money_regions.id", ondelete="CASCADE"))
    gemeente: Mapped[str] = mapped_column(String(4), unique=True)


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

    __table_args__ = (
        UniqueConstraint("region_id", "code", "valid_from"),
        Index("ix_money_products_region_cat", "region_id", "categorie"),
    )


class ContractTariff(Base):
    """One dated tariff of a contract: region x aanbieder x product, with the execution variant
    agreed for that product (UP028) and the unit the tariff is per."""

    __tablename__ = "money_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("money_regions.id", ondelete="CASCADE"))
    aanbieder: Mapped[str] = mapped_column(String(8))
    categorie: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(5))
    eenheid: Mapped[str] = mapped_column(String(2))
    tarief: Mapped[int | None] = mapped_column(Integer)  # cents per eenheid; None for 83 (euro)
    variant: Mapped[str] = mapped_column(String(12))  # inspanning | output | taakgericht
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("region_id", "aanbieder", "code", "valid_from"),
        Index("ix_money_contracts_region_agb", "region_id", "aanbieder"),
    )


class Ceiling(Base):
    """A budget ceiling for a year: per provider (one member) or pooled (several members),
    optionally limited to product categories and/or one gemeente; hard or soft."""

    __tablename__ = "money_ceilings"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("money_regions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)  # cents
    hard: Mapped[bool] = mapped_column(Boolean, default=True)
    categories: Mapped[list[str] | None] = mapped_column(JSON)  # None = every category
    gemeente: Mapped[str | None] = mapped_column(String(4))  # None = every member gemeente

    __table_args__ = (UniqueConstraint("region_id", "name", "year"),)


class CeilingMember(Base):
    """An aanbieder sharing a ceiling."""

    __tablename__ = "money_ceiling_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    ceiling_id: Mapped[int] = mapped_column(ForeignKey("money_ceilings.id", ondelete="CASCADE"))
    aanbieder: Mapped[str] = mapped_column(String(8))

    __table_args__ = (UniqueConstraint("ceiling_id", "aanbieder"),)
