"""The only code on the GGk tables: envelopes received, the outbox, channel choices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from app.db.sql import member_of
from app.exchange.models import MessageRecord
from app.ggk.models import InboundEnvelope, OutboxEntry, PartyChannel

QUEUED, DELIVERED, ANSWERED, FAILED = "queued", "delivered", "answered", "failed"


# -- channel choice --------------------------------------------------------------------------


def channel_of(session: Session, party_id: int, default: str) -> str:
    """feed | ggk | both: where the messages we send to this party go."""
    found = session.get(PartyChannel, party_id)
    return found.channel if found is not None else default


def set_channel(session: Session, party_id: int, channel: str) -> None:
    """Choose the channel of one party."""
    found = session.get(PartyChannel, party_id)
    if found is None:
        session.add(PartyChannel(party_id=party_id, channel=channel))
    else:
        found.channel = channel
    session.flush()


# -- envelopes received ----------------------------------------------------------------------


def inbound(session: Session, zender: str, referentienummer: str) -> InboundEnvelope | None:
    """The envelope `zender` sent with this referentienummer, if it came before."""
    return session.scalar(
        select(InboundEnvelope).where(
            InboundEnvelope.zender == zender,
            InboundEnvelope.referentienummer == referentienummer,
        )
    )


def record_inbound(session: Session, envelope: InboundEnvelope) -> InboundEnvelope:
    """Store a received envelope (the unique (zender, referentienummer) catches a twin)."""
    session.add(envelope)
    session.flush()
    return envelope


# -- the outbox ------------------------------------------------------------------------------


def enqueue(session: Session, entry: OutboxEntry) -> OutboxEntry:
    """Add an envelope to deliver (in the transaction of the message it carries)."""
    session.add(entry)
    session.flush()
    return entry


def outbox_by_ref(session: Session, referentienummer: str) -> OutboxEntry | None:
    """Our envelope with this referentienummer."""
    return session.scalar(
        select(OutboxEntry).where(OutboxEntry.referentienummer == referentienummer)
    )


def outbox(session: Session, state: str | None = None, limit: int = 100) -> list[OutboxEntry]:
    """Outbox entries, newest first, optionally by state."""
    query = select(OutboxEntry).order_by(OutboxEntry.id.desc()).limit(max(1, min(limit, 1000)))
    if state is not None:
        query = query.where(OutboxEntry.state == state)
    return list(session.scalars(query))


@dataclass(frozen=True)
class Claim:
    """An entry a worker may send until `until`; `token` proves the claim when it reports."""

    entry_id: int
    token: str
    body: bytes
    kind: str
    referentienummer: str
    attempt: int


def claim(session: Session, now: datetime, lease: float, token: str) -> Claim | None:
    """Claim the next due entry: queued, due, and not claimed by a worker whose lease runs.

    On PostgreSQL the row is read FOR UPDATE SKIP LOCKED, so concurrent workers each get a
    different entry without waiting; on SQLite the write lock of BEGIN IMMEDIATE serialises
    claims.  The lease then keeps everybody else off the entry while this worker sends it.
    """
    query = (
        select(OutboxEntry)
        .where(
            OutboxEntry.state == QUEUED,
            OutboxEntry.next_attempt_at <= now,
            or_(OutboxEntry.lease_until.is_(None), OutboxEntry.lease_until < now),
        )
        .order_by(OutboxEntry.next_attempt_at, OutboxEntry.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    entry = session.scalar(query)
    if entry is None:
        return None
    entry.lease_until = now + timedelta(seconds=lease)
    entry.lease_token = token
    entry.attempts += 1
    entry.updated_at = now
    session.flush()
    return Claim(entry.id, token, entry.body, entry.kind, entry.referentienummer, entry.attempts)


def delivered(session: Session, claimed: Claim, now: datetime) -> bool:
    """The GGk acknowledged: the entry is never sent again.  False when the claim was lost."""
    done = session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id == claimed.entry_id, OutboxEntry.lease_token == claimed.token)
        .values(
            # a Fo01 may have overtaken the acknowledgement: then the entry stays failed
            state=case((OutboxEntry.state == QUEUED, DELIVERED), else_=OutboxEntry.state),
            delivered_at=now,
            updated_at=now,
            lease_until=None,
            lease_token=None,
            last_error=None,
        )
    )
    return bool(getattr(done, "rowcount", 0))


def retry_later(session: Session, claimed: Claim, now: datetime, delay: float, error: str) -> bool:
    """The attempt failed: try again after `delay` seconds.  False when the claim was lost."""
    done = session.execute(
        update(OutboxEntry)
        .where(
            OutboxEntry.id == claimed.entry_id,
            OutboxEntry.lease_token == claimed.token,
            OutboxEntry.state == QUEUED,
        )
        .values(
            next_attempt_at=now + timedelta(seconds=delay),
            updated_at=now,
            lease_until=None,
            lease_token=None,
            last_error=error[:300],
        )
    )
    return bool(getattr(done, "rowcount", 0))


def mark_failed(entry: OutboxEntry, code: str, text: str, now: datetime) -> None:
    """A Fo01 from the chain: the envelope never reached its addressee."""
    entry.state, entry.code, entry.text, entry.updated_at = FAILED, code, text[:1000], now


def mark_answered(entry: OutboxEntry, message_id: int, now: datetime) -> None:
    """A Du01 came back on our Di01, carrying message `message_id`."""
    entry.state, entry.answer_message_id, entry.updated_at = ANSWERED, message_id, now


# -- for the message log ---------------------------------------------------------------------


def for_messages(
    session: Session, message_ids: Sequence[int]
) -> tuple[list[InboundEnvelope], list[OutboxEntry]]:
    """The envelopes that brought these messages in, and the entries that carry them out."""
    ids = list(message_ids)
    received: list[InboundEnvelope] = []
    sent: list[OutboxEntry] = []
    if not ids:
        return received, sent
    for clause in member_of(session, InboundEnvelope.message_id, ids):
        received.extend(session.scalars(select(InboundEnvelope).where(clause)))
    for clause in member_of(session, OutboxEntry.message_id, ids):
        sent.extend(session.scalars(select(OutboxEntry).where(clause)))
    return received, sent


def failed_for(
    session: Session, sender: str, limit: int = 100
) -> list[tuple[OutboxEntry, MessageRecord]]:
    """Entries the chain reported lost (a Fo01 about them) for messages `sender` sent, newest
    first, with the message each carried."""
    rows = session.execute(
        select(OutboxEntry, MessageRecord)
        .join(MessageRecord, MessageRecord.id == OutboxEntry.message_id)
        .where(OutboxEntry.state == "failed", MessageRecord.sender == sender)
        .order_by(OutboxEntry.id.desc())
        .limit(limit)
    )
    return [(entry, message) for entry, message in rows]
