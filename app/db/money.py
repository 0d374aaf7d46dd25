"""Money tables: regions, the product catalogue, contracts with dated tariffs, budget ceilings,
the declaration ledger (every JW323 prestatie with its decision) and automatic-allocation
decisions.

Amounts are integer eurocents (IV024); dates are dates.  Allocations themselves live in the
flows store (app/db/flows*.py); the ledger refers to them by (gemeente, ToewijzingNummer), the
standard's own key (TR332), so the two stores stay independent.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


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


class Declaration(Base):
    """A JW323 that reached the declaration rules (DECL store, spec §3c)."""

    __tablename__ = "money_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    gemeente: Mapped[str] = mapped_column(String(4))
    aanbieder: Mapped[str] = mapped_column(String(8))
    nummer: Mapped[str] = mapped_column(String(12))
    identificatie: Mapped[str] = mapped_column(String(12))
    dagtekening: Mapped[date] = mapped_column(Date)
    periode_begin: Mapped[date] = mapped_column(Date)
    periode_end: Mapped[date] = mapped_column(Date)
    # accepted | partially_accepted | rejected (declaration-level code, nothing booked)
    status: Mapped[str] = mapped_column(String(20))
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # declaration-level codes
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The rules every debet / credit of this declaration went through (an approved line passed
    # all of them): {"debet": [...], "credit": [...]}.  Contract rules are absent when the
    # gemeente has no contracts configured.
    checks: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    ingediend: Mapped[int] = mapped_column(BigInteger)  # signed cents (D +, C -)
    toegekend: Mapped[int] = mapped_column(BigInteger)  # signed cents
    n_prestaties: Mapped[int] = mapped_column(Integer)
    n_approved: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_money_declarations_agb_nummer", "aanbieder", "nummer"),
        Index("ix_money_declarations_agb_periode", "aanbieder", "periode_begin"),
    )


class PrestatieLine(Base):
    """One prestatie of a JW323 with its decision (PREST store): approved lines are the booked
    spending; every line keeps the codes and rules that decided it."""

    __tablename__ = "money_prestaties"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(
        ForeignKey("money_declarations.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)  # 1-based document order in the JW323
    gemeente: Mapped[str] = mapped_column(String(4))
    aanbieder: Mapped[str] = mapped_column(String(8))
    bsn: Mapped[str] = mapped_column(String(9))
    referentienummer: Mapped[str] = mapped_column(String(20))
    vorig_referentienummer: Mapped[str | None] = mapped_column(String(20))
    toewijzingnummer: Mapped[int] = mapped_column(BigInteger)
    categorie: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(5))
    periode_begin: Mapped[date] = mapped_column(Date)
    periode_end: Mapped[date] = mapped_column(Date)
    volume: Mapped[int] = mapped_column(BigInteger)
    eenheid: Mapped[str] = mapped_column(String(2))
    tarief: Mapped[int | None] = mapped_column(Integer)
    bedrag: Mapped[int] = mapped_column(BigInteger)  # unsigned cents, sign in debet_credit
    debet_credit: Mapped[str] = mapped_column(String(1))
    # approved | rejected | not_assessed (declaration rejected as a whole: nothing booked)
    status: Mapped[str] = mapped_column(String(12))
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    # For an approved debet: the ReferentieNummer of the approved credit that cancelled it.
    credited_by: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        Index("ix_money_prestaties_agb_ref", "aanbieder", "referentienummer"),
        Index("ix_money_prestaties_allocation", "gemeente", "toewijzingnummer"),
        Index("ix_money_prestaties_declaration", "declaration_id", "position"),
        Index("ix_money_prestaties_spend", "gemeente", "aanbieder", "periode_begin"),
    )


class AutoDecision(Base):
    """What the automatic handling of a request (JW315 product) decided, and why."""

    __tablename__ = "money_auto_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    gemeente: Mapped[str] = mapped_column(String(4))
    aanbieder: Mapped[str] = mapped_column(String(8))
    referentie_aanbieder: Mapped[str] = mapped_column(String(40))
    bsn: Mapped[str] = mapped_column(String(9))
    outcome: Mapped[str] = mapped_column(String(12))  # allocated | queued
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    allocation_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    toewijzingnummer: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_money_auto_decisions_ref", "aanbieder", "referentie_aanbieder"),)
