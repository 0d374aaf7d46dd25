"""The per-party feed: messages addressed to a party, polled with a cursor.

A cursor is the party's own sequence number.  Sequence numbers are handed out by incrementing
`parties.feed_seq` inside the writing transaction; the row lock this takes makes entries commit in
sequence order, so a poller that asks "after N" never skips an entry that commits later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.exchange.models import FeedEntry, MessageRecord, Party

MAX_PAGE = 500


def append(session: Session, party: Party, message: MessageRecord, now: datetime) -> FeedEntry:
    """Put a message in a party's feed (within the caller's transaction)."""
    seq = session.execute(
        update(Party)
        .where(Party.id == party.id)
        .values(feed_seq=Party.feed_seq + 1)
        .returning(Party.feed_seq)
    ).scalar_one()
    entry = FeedEntry(party_id=party.id, seq=seq, message_id=message.id, created_at=now)
    session.add(entry)
    session.flush()
    return entry


def holds(session: Session, party: Party, message: MessageRecord) -> bool:
    """Whether the message is in the party's feed (a channel asks before it reports it lost)."""
    found = session.scalar(
        select(FeedEntry.id)
        .where(FeedEntry.party_id == party.id, FeedEntry.message_id == message.id)
        .limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class FeedItem:
    """One polled message."""

    cursor: str
    record: MessageRecord


def poll(session: Session, party: Party, since: int, limit: int = 100) -> list[FeedItem]:
    """Entries after `since`, oldest first, at most `limit` (callers bound it by MAX_PAGE; they
    may ask one more to learn whether more exist)."""
    limit = max(1, min(limit, MAX_PAGE + 1))
    rows = session.execute(
        select(FeedEntry.seq, MessageRecord)
        .join(MessageRecord, MessageRecord.id == FeedEntry.message_id)
        .where(FeedEntry.party_id == party.id, FeedEntry.seq > since)
        .order_by(FeedEntry.seq)
        .limit(limit)
    ).all()
    return [FeedItem(str(seq), record) for seq, record in rows]
