"""Delivery channels: how the messages we send leave, and what a channel knows of a message.

The exchange has one channel of its own, the per-party feed.  Another channel (the GGk
envelope, `app.ggk`) plugs in through two small protocols that the composition root wires;
the exchange never imports a channel:

- `Dispatcher.dispatch(ctx, to, record)` hands a message we send (a retour or JW325 we built, a
  gemeente's JW301/JW319) to its addressee, inside the transaction that made it, so a channel's
  outbox is written atomically with the message.  The default puts it in the addressee's feed.
- `TransportLog.hops(session, ids)` tells what the channels know of messages: the envelope that
  brought one in, each delivery of one with its state and attempts (for the message log and the
  back office).

How an inbound message came in travels with it as `Context.arrival` (`app.exchange.flow`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from app.exchange import feed
from app.exchange.flow import Context
from app.exchange.models import MessageRecord, Party


@dataclass(frozen=True)
class Hop:
    """One channel's record of a message: the delivery that brought it in, or one of it out."""

    channel: str
    direction: str  # "in" (it reached us this way) or "out" (a delivery of it)
    kind: str  # the channel's message kind, e.g. "Di01", "Du01", "Fo01"
    reference: str | None  # the channel's id of this delivery (envelope referentienummer)
    cross_reference: str | None  # the delivery it answers (crossRefnummer)
    state: str  # received | queued | delivered | answered | failed
    attempts: int = 0
    code: str | None = None  # why it failed (e.g. a Fo01 code from the chain)
    text: str | None = None
    at: datetime | None = None  # last change of state

    @property
    def failed(self) -> bool:
        return self.state == "failed"


class Dispatcher(Protocol):
    """Hands a message we send to its addressee (within the caller's transaction)."""

    def dispatch(self, ctx: Context, to: Party, record: MessageRecord) -> None: ...


class FeedDispatcher:
    """The exchange's own channel: every message goes to the addressee's feed."""

    def dispatch(self, ctx: Context, to: Party, record: MessageRecord) -> None:
        feed.append(ctx.session, to, record, ctx.now)


class TransportLog(Protocol):
    """What the channels know of messages, by message id."""

    def hops(self, session: Session, message_ids: Sequence[int]) -> dict[int, list[Hop]]: ...


class NoTransportLog:
    """Without another channel there is nothing to tell beyond the feed."""

    def hops(self, session: Session, message_ids: Sequence[int]) -> dict[int, list[Hop]]:
        return {}
