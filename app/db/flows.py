"""Flow state of spec §3c: allocations with their versions (ALLOC), requests (REQ), deliveries =
starts and stops (DELIV) and the CBS municipality list with validity periods (EXT).

Message identities (MSG) are the foundation's message log (`app.db.models.MessageRecord`); every
row here points at the message that created or changed it, so the log explains the state.

Keys are the standard's own: an allocation is (gemeente, ToewijzingNummer) (TR332), a request is
(AGB, ReferentieAanbieder) (TR347), a start is Bsn + ToewijzingNummer + Product + Begindatum and a
stop is its start + RedenBeeindiging + Einddatum (spec §4.4, §7 Q5).  Tables are prefixed `flow_`.
Read them through `app.domain.allocations`, `app.domain.requests` and `app.domain.startstop`.
"""

from __future__ import annotations

from datetime import date, datetime, time
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
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class AllocationRow(Base):
    """One allocation (ToegewezenProduct) of a gemeente, identified by its ToewijzingNummer.

    The content lives in its versions; `leading_version_id` points at the version that leads
    (see `app.domain.allocations` for the rule) and is maintained by that module.  It is a plain
    integer, not a foreign key, to keep the two tables free of a reference cycle.
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

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
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

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
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("gemeente", "seq"),)


class RequestRow(Base):
    """A request from a provider: one row per AangevraagdProduct of a JW315 (VOT, decided per
    product) or one row per JW317 Verzoek (VOW, decided as a whole).  Only requests that were
    accepted (JW316/JW318 without codes) are stored: a rejected request counts as never sent."""

    __tablename__ = "flow_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(3))  # VOT | VOW
    gemeente: Mapped[str] = mapped_column(String(4))
    aanbieder: Mapped[str] = mapped_column(String(8))
    bsn: Mapped[str] = mapped_column(String(9))
    referentie: Mapped[str] = mapped_column(String(36))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based AangevraagdProduct (1 for a VOW)
    dagtekening: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date] = mapped_column(Date)
    # pending | in_onderzoek | honoured | rejected
    status: Mapped[str] = mapped_column(String(12))
    deadline: Mapped[date] = mapped_column(Date)  # 5 wd for the decision (OP274, OP346)
    final_deadline: Mapped[date | None] = mapped_column(Date)  # 8 weeks once "in onderzoek"
    # What was asked, model-shaped with ISO dates (product, dates, Omvang, Budget, items).
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    reden_afwijzing: Mapped[str | None] = mapped_column(String(2))

    __table_args__ = (
        UniqueConstraint("aanbieder", "referentie"),
        Index("ix_flow_requests_client", "gemeente", "aanbieder", "bsn"),
        Index("ix_flow_requests_open", "gemeente", "status", "deadline"),
    )


class RequestAnswerRow(Base):
    """A JW319 we sent on a request, with the provider's JW320 verdict on it."""

    __tablename__ = "flow_request_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("flow_requests.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    verzoek_antwoord: Mapped[str] = mapped_column(String(1))  # 1 rejected | 2 in onderzoek
    reden: Mapped[str | None] = mapped_column(String(2))
    woonplaatsbeginsel: Mapped[str | None] = mapped_column(String(4))
    sent_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # sent | accepted | rejected (by JW320)
    retour_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GemeenteCodeRow(Base):
    """A CBS gemeentecode with its validity (TR378).  Empty table: the shipped list applies."""

    __tablename__ = "flow_gemeente_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), index=True)
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date | None] = mapped_column(Date)  # None: before any list we have
    valid_to: Mapped[date | None] = mapped_column(Date)  # None: still valid
