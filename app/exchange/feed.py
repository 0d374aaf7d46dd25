"""The per-party feed: messages addressed to a party, polled with a cursor.

A cursor is the party's own sequence number.  Sequence numbers are handed out by incrementing
`parties.feed_seq` inside the writing transaction; the row lock this takes makes entries commit in
sequence order, so a poller that asks "after N" never skips an entry that commits later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.exchange.models import FeedEntry, MessageRecord, Party

MAX_PAGE = 500


_PARTIES = cast(Table, Party.__table__)
_FEED = cast(Table, FeedEntry.__table__)
_NEXT_SEQ = (
    update(_PARTIES)
    .where(_PARTIES.c.id == bindparam("party"))
    .values(feed_seq=_PARTIES.c.feed_seq + 1)
    .returning(_PARTIES.c.feed_seq)
)
_ADD = insert(_FEED)


def append(session: Session, party: Party, message: MessageRecord, now: datetime) -> int:
    """Put a message in a party's feed (within the caller's transaction); its sequence number.

    Two plain statements on the transaction's connection: every message adds two entries, and
    the ORM's unit of work around them cost more than the rest of a small message's storage.
    """
    conn = session.connection()
    seq = int(conn.execute(_NEXT_SEQ, {"party": party.id}).scalar_one())
    conn.execute(
        _ADD, {"party_id": party.id, "seq": seq, "message_id": message.id, "created_at": now}
    )
    return seq


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
