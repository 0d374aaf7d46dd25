"""The GGk as a delivery channel of the exchange: which messages leave as envelopes, and what the
message log shows of them.

Retours (and the JW325) go back the way their heenbericht came: one that arrived in a Di01 is
answered with a Du01 (crossRefnummer = that Di01's referentienummer), one posted directly gets
the feed as before.  A message we send on our own initiative (JW301, JW319) follows the
addressee's channel choice: its feed (the default), the GGk, or both.  With `both`, and for a
retour when the party also reads its feed, the feed entry is written too.

The outbox entry holds the whole envelope, built and schema-checked here, inside the
transaction that made the message: it commits with the message or not at all, and every retry
sends the same bytes with the same referentienummer.  Envelope times and the outbox schedule
run on the real clock, never on a pinned "today" (IJW_TODAY pins business dates only).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lxml import etree
from sqlalchemy.orm import Session

from app.clock import Clock
from app.exchange import feed
from app.exchange.channels import Hop
from app.exchange.flow import Context
from app.exchange.models import MessageRecord, Party
from app.ggk import envelope, store
from app.ggk.config import GgkSettings
from app.ggk.models import OutboxEntry
from app.ijw.header import BERICHT_SUBVERSIE, BERICHT_VERSIE

CHANNEL = "ggk"


class Envelopes:
    """Builds the envelopes we send, with our application's name and version."""

    def __init__(self, settings: GgkSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        major, minor = settings.version
        self.app_versions = (envelope.four_digits(major), envelope.four_digits(minor))

    def system(self, organisatie: str) -> envelope.System:
        """We, as the zender of an envelope."""
        return envelope.System(organisatie, self.settings.application)

    @staticmethod
    def addressee(organisatie: str) -> envelope.System:
        """The ontvanger of an envelope: its organisation, and the fixed application GGk."""
        return envelope.System(organisatie, envelope.GGK_APPLICATION)

    def routing(
        self,
        kind: str,
        zender: str,
        ontvanger: str,
        functie: str | None,
        cross_ref: str | None,
        now: datetime,
    ) -> envelope.Routing:
        return envelope.Routing(
            berichtcode=kind,
            zender=self.system(zender),
            ontvanger=self.addressee(ontvanger),
            referentienummer=envelope.new_reference(),
            tijdstip=envelope.timestamp(now),
            cross_ref=cross_ref,
            functie=functie,
        )

    def carrying(
        self,
        operation: str,
        *,
        zender: str,
        ontvanger: str,
        record: MessageRecord,
        cross_ref: str | None,
        now: datetime,
        inbound_id: int | None = None,
    ) -> OutboxEntry:
        """An outbox entry carrying message `record` in a Di01 or Du01."""
        functie = record.message_type
        routing = self.routing(
            envelope.BERICHTCODE[operation], zender, ontvanger, functie, cross_ref, now
        )
        versions = envelope.Versions(
            *self.app_versions,
            envelope.four_digits(BERICHT_VERSIE),
            envelope.four_digits(BERICHT_SUBVERSIE),
        )
        element = envelope.build_envelope(
            envelope.Envelope(operation, routing, versions, record.raw)
        )
        return self._entry(routing, element, record.id, inbound_id, now)

    def error(
        self,
        *,
        zender: str,
        ontvanger: str,
        fault: envelope.Fault,
        cross_ref: str,
        message_id: int | None,
        inbound_id: int | None,
        now: datetime,
    ) -> OutboxEntry:
        """An outbox entry with a Fo01 about the envelope `cross_ref`."""
        routing = self.routing("Fo01", zender, ontvanger, None, cross_ref, now)
        element = envelope.build_fo01(routing, fault)
        return self._entry(routing, element, message_id, inbound_id, now)

    @staticmethod
    def _entry(
        routing: envelope.Routing,
        element: etree._Element,
        message_id: int | None,
        inbound_id: int | None,
        now: datetime,
    ) -> OutboxEntry:
        body = envelope.serialize(element)
        return OutboxEntry(
            kind=routing.berichtcode,
            referentienummer=routing.referentienummer,
            cross_ref=routing.cross_ref,
            functie=routing.functie,
            zender=routing.zender.organisatie or "",
            ontvanger=routing.ontvanger.organisatie or "",
            message_id=message_id,
            inbound_id=inbound_id,
            body=body,
            size=len(body),
            state=store.QUEUED,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )


class GgkDispatcher:
    """The exchange's `Dispatcher` with the GGk beside the feed (module docstring)."""

    def __init__(self, envelopes: Envelopes, settings: GgkSettings) -> None:
        self.envelopes = envelopes
        self.settings = settings

    def dispatch(self, ctx: Context, to: Party, record: MessageRecord) -> None:
        arrival = (
            ctx.arrival if ctx.arrival is not None and ctx.arrival.channel == CHANNEL else None
        )
        reply = record.id != ctx.record.id  # a retour/JW325 we built on ctx.record
        if reply:
            # A reply goes back the way the message came; only one that came by GGk asks the
            # party's choice (nearly every message is posted: no query for them).
            via_ggk = arrival is not None
            via_feed = (
                arrival is None
                or store.channel_of(ctx.session, to.id, self.settings.default_channel) != CHANNEL
            )
        else:
            choice = store.channel_of(ctx.session, to.id, self.settings.default_channel)
            via_ggk = choice in (CHANNEL, "both")
            via_feed = choice in ("feed", "both")
        if via_feed:
            feed.append(ctx.session, to, record, ctx.now)
        if not via_ggk:
            return
        sender = ctx.caller if ctx.caller.id != to.id else ctx.counterpart
        assert sender is not None
        operation = envelope.DU01 if reply else envelope.DI01
        entry = self.envelopes.carrying(
            operation,
            zender=sender.code,
            ontvanger=to.code,
            record=record,
            cross_ref=arrival.reference if reply and arrival is not None else None,
            now=self.envelopes.clock.now(),
        )
        store.enqueue(ctx.session, entry)


class GgkTransportLog:
    """The exchange's `TransportLog`: the envelopes of a message, in and out."""

    def hops(self, session: Session, message_ids: Sequence[int]) -> dict[int, list[Hop]]:
        received, sent = store.for_messages(session, message_ids)
        out: dict[int, list[Hop]] = {}
        for env in received:
            assert env.message_id is not None
            out.setdefault(env.message_id, []).append(
                Hop(
                    channel=CHANNEL,
                    direction="in",
                    kind=env.kind,
                    reference=env.referentienummer,
                    cross_reference=env.cross_ref,
                    state="received" if env.outcome == "taken" else env.outcome,
                    attempts=1,
                    code=env.code,
                    text=env.text,
                    at=env.received_at,
                )
            )
        for entry in sent:
            assert entry.message_id is not None
            out.setdefault(entry.message_id, []).append(
                Hop(
                    channel=CHANNEL,
                    direction="out",
                    kind=entry.kind,
                    reference=entry.referentienummer,
                    cross_reference=entry.cross_ref,
                    state=entry.state,
                    attempts=entry.attempts,
                    code=entry.code,
                    text=entry.text or entry.last_error,
                    at=entry.updated_at,
                )
            )
        return out
