"""GGk tables: envelopes received, the outbox of envelopes to deliver, per-party channel choice.

Read and written only through `app.ggk.store`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.db.base import Base
from app.db.types import UtcDateTime


class InboundEnvelope(Base):
    """An envelope the chain delivered to us (Di01, Du01 or Fo01) and what we answered it.

    (zender, referentienummer) is unique: a repeated identical envelope gets `response` again,
    a different one with the same referentienummer is refused (IB216).
    """

    __tablename__ = "ggk_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(4))  # Di01 | Du01 | Fo01
    zender: Mapped[str] = mapped_column(String(200))
    ontvanger: Mapped[str] = mapped_column(String(200))
    referentienummer: Mapped[str] = mapped_column(String(40))
    cross_ref: Mapped[str | None] = mapped_column(String(40))
    functie: Mapped[str | None] = mapped_column(String(30))
    sha256: Mapped[str] = mapped_column(String(64))  # of the canonical envelope (C14N)
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # taken (Bv03; payload processed) | not_schema_valid (Bv03, then our Fo01 StUF055)
    # | refused (Fo03: the payload was refused as POST /v1/berichten would) | error (a Fo01)
    outcome: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(16))  # Fo03 we answered / Fo01 we received
    text: Mapped[str | None] = mapped_column(String(1000))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))

    __table_args__ = (UniqueConstraint("zender", "referentienummer"),)


class OutboxEntry(Base):
    """An envelope to deliver to the GGk (written with the message it carries), retried with the
    same referentienummer until the GGk acknowledges it (module `app.ggk.delivery`)."""

    __tablename__ = "ggk_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(4))  # Di01 | Du01 | Fo01
    referentienummer: Mapped[str] = mapped_column(String(40), unique=True)
    cross_ref: Mapped[str | None] = mapped_column(String(40), index=True)
    functie: Mapped[str | None] = mapped_column(String(30))
    zender: Mapped[str] = mapped_column(String(200))
    ontvanger: Mapped[str] = mapped_column(String(200))
    # the message it carries (Di01, Du01) or the refused message it is about (Fo01)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("ggk_inbound.id"))
    body: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    size: Mapped[int] = mapped_column(Integer)
    # queued -> delivered (Bv03) -> answered (a Du01 on our Di01) | failed (a Fo01 about it)
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # a worker's claim: nobody else sends the entry before lease_until (see app.ggk.delivery)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    code: Mapped[str | None] = mapped_column(String(16))  # of a Fo01 from the chain about it
    text: Mapped[str | None] = mapped_column(String(1000))
    answer_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))

    __table_args__ = (Index("ix_ggk_outbox_due", "state", "next_attempt_at"),)


class PartyChannel(Base):
    """Where the messages we send to a party go: its feed (the default), the GGk, or both."""

    __tablename__ = "ggk_channels"

    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
