"""Budget tables: what the automatic handling of requests decided, and why; and the permits the
back office records for one allocation (a ceiling override, the provider's consent)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.types import UtcDateTime


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
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_money_auto_decisions_ref", "aanbieder", "referentie_aanbieder"),)


class AllocationPermit(Base):
    """Something a person decided for one allocation (gemeente, ToewijzingNummer) before it is
    sent: `override` a hard budget ceiling for unavoidable care (a court-ordered measure), or
    record the provider's consent to end it in the past (OP186) or to lower a total volume
    (OP298) or a budget (OP299).  Who and when are kept; `used_message_id` is the JW301 it was
    used for."""

    __tablename__ = "money_allocation_permits"

    id: Mapped[int] = mapped_column(primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(4))
    nummer: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # override | consent
    reason: Mapped[str] = mapped_column(String(500))
    actor_party: Mapped[str | None] = mapped_column(String(8))
    actor_user: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_money_allocation_permits_allocation", "gemeente", "nummer"),)
