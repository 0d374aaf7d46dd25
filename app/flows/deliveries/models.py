"""Delivery tables (DELIV, spec §3c): starts and stops of care.

A start is Bsn + ToewijzingNummer + Product + Begindatum; a stop is its start + RedenBeeindiging +
Einddatum (spec §4.4, §7 Q5).  Only `app.flows.deliveries.store` reads and writes these tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.types import UtcDateTime


class StartRow(Base):
    """A StartProduct received with StatusAanlevering 1 (DELIV); deleted by a later status 3."""

    __tablename__ = "flow_starts"

    id: Mapped[int] = mapped_column(primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(4))
    aanbieder: Mapped[str] = mapped_column(String(8))
    bsn: Mapped[str] = mapped_column(String(9))
    nummer: Mapped[int | None] = mapped_column(BigInteger)  # empty for taakgericht care
    categorie: Mapped[str | None] = mapped_column(String(2))
    code: Mapped[str | None] = mapped_column(String(5))
    begindatum: Mapped[date] = mapped_column(Date)
    toewijzing_ingangsdatum: Mapped[date | None] = mapped_column(Date)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    deleted_by_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_flow_starts_client", "gemeente", "aanbieder", "bsn"),
        Index("ix_flow_starts_allocation", "gemeente", "nummer"),
    )


class StopRow(Base):
    """A StopProduct received with StatusAanlevering 1 for a start; deleted by a later status 3."""

    __tablename__ = "flow_stops"

    id: Mapped[int] = mapped_column(primary_key=True)
    start_id: Mapped[int] = mapped_column(
        ForeignKey("flow_starts.id", ondelete="CASCADE"), index=True
    )
    reden: Mapped[str] = mapped_column(String(2))
    einddatum: Mapped[date] = mapped_column(Date)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    deleted_by_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
