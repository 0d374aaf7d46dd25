"""Declaration tables (DECL and PREST, spec §3c): every JW323 that reached the rules and every
prestatie with its decision.  Approved lines are the booked spending.

Amounts are integer eurocents (IV024).  The ledger refers to allocations by (gemeente,
ToewijzingNummer), the standard's own key (TR332).  Only `app.flows.declarations.store` reads and
writes these tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.types import UtcDateTime


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
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)

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
