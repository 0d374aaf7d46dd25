"""Budget tables: what the automatic handling of requests decided, and why."""

from __future__ import annotations

from datetime import datetime

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
