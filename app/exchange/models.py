"""Exchange tables: parties, the message log and the per-party feed.

Flow state lives in each flow package's own `models` module on the same `Base`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
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


class Party(Base):
    """A gemeente (4-digit CBS code) or aanbieder (8-digit AGB code) with its API token hash."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Last sequence number handed out in this party's feed; incremented under a row lock so feed
    # entries become visible in sequence order (no poller ever skips one).
    feed_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set by `ijw party revoke`: the token stops working (the party and its history stay).
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MessageRecord(Base):
    """Every message received or produced, with its raw bytes, verdict and answer."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" (posted to us) or "out" (we built it)
    message_type: Mapped[str | None] = mapped_column(String(5))
    sender: Mapped[str | None] = mapped_column(String(8))  # header Afzender (or caller if unknown)
    receiver: Mapped[str | None] = mapped_column(String(8))  # header Ontvanger
    identificatie: Mapped[str | None] = mapped_column(String(12))
    dagtekening: Mapped[date | None] = mapped_column(Date)
    # The party that posted it (inbound) or the party it is addressed to (outbound).
    from_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    to_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # accepted | rejected | partially_accepted | refused (level 1/authorisation, nothing received)
    # | sent (a gemeente's message, a retour we built) | received | undelivered (channel lost it)
    verdict: Mapped[str] = mapped_column(String(24))
    retour_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # header-level codes
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # What we answered over HTTP (status, media type, body) so a resend gets the same answer;
    # an answer we built (retour, JW325) is not repeated here: it is the answer row's raw
    # (exchange.log.stored_answer).
    status_code: Mapped[int] = mapped_column(Integer)
    response_media_type: Mapped[str] = mapped_column(String(40), default="application/json")
    response_body: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    answers_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))

    __table_args__ = (
        Index("ix_messages_identity", "message_type", "sender", "identificatie"),
        Index("ix_messages_resend", "from_party_id", "sha256"),
    )


class FeedEntry(Base):
    """A message addressed to a party, in the order the party polls them."""

    __tablename__ = "feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    seq: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("party_id", "seq"),)
