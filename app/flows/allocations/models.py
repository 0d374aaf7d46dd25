"""Allocation tables (ALLOC, spec §3c): allocations, their versions and the change log.

An allocation is (gemeente, ToewijzingNummer) (TR332).  Every row points at the message that
created or changed it, so the message log explains the state.  Only
`app.flows.allocations.store` reads and writes these tables.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.types import UtcDateTime


class AllocationRow(Base):
    """One allocation (ToegewezenProduct) of a gemeente, identified by its ToewijzingNummer.

    The content lives in its versions; `leading_version_id` points at the version that leads
    (see `app.flows.allocations.store` for the rule) and is maintained by that module.  It is a
    plain integer, not a foreign key, to keep the two tables free of a reference cycle.
    """

    __tablename__ = "flow_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(4))
    nummer: Mapped[int] = mapped_column(BigInteger)
    # A number always denotes the same client and provider (TR332): fixed at the first version.
    bsn: Mapped[str] = mapped_column(String(9))
    aanbieder: Mapped[str] = mapped_column(String(8))
    leading_version_id: Mapped[int | None] = mapped_column(Integer)
    latest_version_id: Mapped[int | None] = mapped_column(Integer)  # the last one sent
    # Cursor value of the last change (see AllocationChangeRow), for "changes since".
    change_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("gemeente", "nummer"),
        Index("ix_flow_allocations_client", "gemeente", "aanbieder", "bsn"),
        Index("ix_flow_allocations_changes", "gemeente", "change_seq"),
    )


class AllocationVersionRow(Base):
    """One ToegewezenProduct as sent in one JW301, with the provider's JW302 verdict on it."""

    __tablename__ = "flow_allocation_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(
        ForeignKey("flow_allocations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based ToegewezenProduct in the JW301
    gemeente: Mapped[str] = mapped_column(String(4))
    nummer: Mapped[int] = mapped_column(BigInteger)
    bsn: Mapped[str] = mapped_column(String(9))
    aanbieder: Mapped[str] = mapped_column(String(8))
    categorie: Mapped[str | None] = mapped_column(String(2))
    code: Mapped[str | None] = mapped_column(String(5))
    ingangsdatum: Mapped[date] = mapped_column(Date)
    einddatum: Mapped[date | None] = mapped_column(Date)
    reden_wijziging: Mapped[str | None] = mapped_column(String(2))
    volume: Mapped[int | None] = mapped_column(BigInteger)
    eenheid: Mapped[str | None] = mapped_column(String(2))
    frequentie: Mapped[str | None] = mapped_column(String(1))
    budget: Mapped[int | None] = mapped_column(BigInteger)  # eurocents
    toewijzingsdatum: Mapped[date] = mapped_column(Date)
    toewijzingstijd: Mapped[time] = mapped_column(Time)
    referentie_aanbieder: Mapped[str | None] = mapped_column(String(36))
    # sent (no JW302 yet) | accepted (JW302 without codes) | rejected (JW302 with codes)
    status: Mapped[str] = mapped_column(String(10))
    # True when identical to the version that led when it was sent (unchanged resend, OP087).
    unchanged: Mapped[bool] = mapped_column(Boolean, default=False)
    retour_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    retour_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_flow_allocation_versions_ref", "aanbieder", "referentie_aanbieder"),
    )


class AllocationChangeRow(Base):
    """The allocation change log behind "changes since a cursor" (back office polling).

    `seq` counts per gemeente; rows are written while the intake holds the gemeente's party lock,
    so they become visible in sequence order (as the feed does).
    """

    __tablename__ = "flow_allocation_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(4))
    seq: Mapped[int] = mapped_column(Integer)
    allocation_id: Mapped[int] = mapped_column(
        ForeignKey("flow_allocations.id", ondelete="CASCADE")
    )
    # sent | accepted | rejected | started | start_deleted | stopped | stop_deleted
    event: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("gemeente", "seq"),)
