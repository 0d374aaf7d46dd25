"""The inbound side of OntvangAsynchroon: an envelope from the chain in, a Bv03 or Fo03 out.

    SOAP bytes -> envelope checks (app.ggk.envelope) -> functie fits the operation and the
    payload -> one transaction: a redelivery? -> zender and ontvanger known -> record the
    envelope -> the payload through the intake exactly as POST /v1/berichten, with the zender
    as the caller -> the answer

What the intake answers decides ours: 200 is a Bv03 (the retour, if any, leaves as a Du01
through the outbox); a payload that is not schema-valid (BRS14, IB004, IB014) is a Bv03 and a
Fo01 StUF055 to the sender (the standard sends no retour then); any other refusal (IB002,
IB008, IB005, IB010, REFUSED) is a Fo03 with that code, and the message is not taken.

A Du01 (JW302/JW320) is linked to our Di01 by its crossRefnummer; a Fo01 from the chain marks
the envelope it names as failed and, when the GGk was the message's only way out, the message
as undelivered.  An identical redelivery (same zender and referentienummer, same canonical
envelope) gets the stored answer and has no second effect; a different envelope with a known
referentienummer is refused (IB216).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.db.base import transaction
from app.exchange import feed, log, parties
from app.exchange.flow import Arrival
from app.exchange.intake import Answer, Intake, Posted
from app.exchange.models import MessageRecord, Party
from app.ggk import envelope, store
from app.ggk.channel import CHANNEL, Envelopes
from app.ggk.envelope import Code, EnvelopeError
from app.ggk.models import InboundEnvelope, OutboxEntry
from app.ijw.catalogue import Role

_log = logging.getLogger("ijw.ggk")

# What each envelope may carry (functie): forward messages in a Di01, the provider's retours on
# our JW301/JW319 in a Du01.  Our own retours (JW306, ...) only ever leave.
CARRIES = {
    envelope.DI01: frozenset({"JW301", "JW305", "JW307", "JW315", "JW317", "JW319", "JW323"}),
    envelope.DU01: frozenset({"JW302", "JW320"}),
}
HEADER_COPY = frozenset({"JW302", "JW320"})  # the gemeente is their header's Afzender
NOT_SCHEMA_VALID = frozenset({"BRS14", "IB004", "IB014"})
PARTY_ROLES = frozenset({Role.GEMEENTE.value, Role.AANBIEDER.value})


@dataclass(frozen=True)
class Reply:
    """The HTTP answer to a SOAP call: status and SOAP bytes."""

    status: int
    body: bytes


class GgkInbound:
    """Takes envelopes from the chain (one instance per service, thread-safe)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        intake: Intake,
        envelopes: Envelopes,
        clock: Clock,
    ) -> None:
        self.factory = factory
        self.intake = intake
        self.envelopes = envelopes
        self.clock = clock

    # -- entry point -----------------------------------------------------------------------
    def handle(self, data: bytes, soap_action: str | None, caller: str) -> Reply:
        """Answer one SOAP request (the caller is authenticated already; named for the log)."""
        incoming: envelope.Incoming | None = None
        try:
            incoming = envelope.read_request(data, soap_action)
            if incoming.operation == envelope.FO01:
                return self._fo01(incoming)
            assert incoming.envelope is not None
            target = self._check_payload(incoming.envelope)
            posted = self.intake.read(incoming.envelope.payload)  # level 1, outside the lock
            return self._take(incoming, target, posted)
        except EnvelopeError as exc:
            _log.info("envelope refused", extra={"code": exc.code, "caller": caller})
            return self.fault(exc, incoming.routing if incoming is not None else None)

    # -- checks ----------------------------------------------------------------------------
    @staticmethod
    def _check_payload(env: envelope.Envelope) -> str | None:
        """functie fits the operation and the payload; the payload's addressee (or None)."""
        ref = env.routing.referentienummer
        if env.file_name is not None:
            raise EnvelopeError(
                Code.MISMATCH, "a tekstBestand is not taken here: iJw messages are xmlBestand", ref
            )
        functie = env.routing.functie or ""
        if functie not in CARRIES[env.operation]:
            raise EnvelopeError(
                Code.MISMATCH,
                f"functie {functie} is not an iJw 3.2 message this service takes in a "
                f"{env.routing.berichtcode}",
                ref,
            )
        seen = envelope.peek(env.payload)
        if seen is None or seen.message_type is None:
            return None  # not parseable: the intake refuses it and a Fo01 StUF055 follows
        if seen.message_type != functie:
            raise EnvelopeError(
                Code.MISMATCH, f"functie {functie} but the payload is a {seen.message_type}", ref
            )
        return seen.afzender if functie in HEADER_COPY else seen.ontvanger

    @staticmethod
    def _party(session: Session, code: str | None) -> Party | None:
        party = parties.by_code(session, code)
        return party if party is not None and party.role in PARTY_ROLES else None

    # -- a Di01 or Du01 --------------------------------------------------------------------
    def _take(self, incoming: envelope.Incoming, target: str | None, posted: Posted) -> Reply:
        env = incoming.envelope
        assert env is not None
        routing = env.routing
        digest = log.sha256(incoming.canonical)
        with transaction(self.factory) as session:
            seen = self._redelivery(session, routing, digest)
            if seen is not None:
                return seen
            sender = self._party(session, routing.zender.organisatie)
            if sender is None:
                raise EnvelopeError(
                    Code.UNKNOWN_SENDER,
                    f"zender {routing.zender.organisatie} is no party known to this service",
                    routing.referentienummer,
                )
            receiver = self._party(session, routing.ontvanger.organisatie)
            if receiver is None:
                raise EnvelopeError(
                    Code.UNKNOWN_RECEIVER,
                    f"ontvanger {routing.ontvanger.organisatie} is not served by this service",
                    routing.referentienummer,
                )
            if target is not None and target != receiver.code:
                raise EnvelopeError(
                    Code.UNKNOWN_RECEIVER,
                    f"ontvanger {receiver.code} is not the payload's addressee {target}",
                    routing.referentienummer,
                )
            row = self._record(session, incoming, digest)
            if row is None:  # a twin committed first: answer as a redelivery
                seen = self._redelivery(session, routing, digest)
                assert seen is not None
                return seen
            arrival = Arrival(CHANNEL, routing.referentienummer, routing.cross_ref)
            from_intake = self.intake.process(session, sender.id, posted, arrival)
            reply = self._conclude(session, row, env, from_intake)
            row.status_code, row.response = reply.status, reply.body
            _log.info(
                "envelope taken",
                extra={
                    "operation": env.operation,
                    "functie": routing.functie,
                    "outcome": row.outcome,
                    "message_id": row.message_id,
                    "party": sender.code,
                },
            )
            return reply

    def _redelivery(self, session: Session, routing: envelope.Routing, digest: str) -> Reply | None:
        found = store.inbound(session, routing.zender.organisatie or "", routing.referentienummer)
        if found is None:
            return None
        if found.sha256 != digest:
            raise EnvelopeError(
                Code.REUSED_REFERENCE,
                f"referentienummer {routing.referentienummer} was used before for another envelope",
                routing.referentienummer,
            )
        _log.info("redelivery answered again", extra={"inbound_id": found.id})
        return Reply(found.status_code, found.response)

    def _record(
        self, session: Session, incoming: envelope.Incoming, digest: str
    ) -> InboundEnvelope | None:
        routing = incoming.routing
        row = InboundEnvelope(
            kind=routing.berichtcode,
            zender=routing.zender.organisatie or "",
            ontvanger=routing.ontvanger.organisatie or "",
            referentienummer=routing.referentienummer,
            cross_ref=routing.cross_ref,
            functie=routing.functie,
            sha256=digest,
            raw=incoming.canonical,
            received_at=self.clock.now(),
            outcome="pending",
            status_code=0,
            response=b"",
        )
        try:
            with session.begin_nested():
                store.record_inbound(session, row)
        except IntegrityError:
            return None
        return row

    def _conclude(
        self, session: Session, row: InboundEnvelope, env: envelope.Envelope, answer: Answer
    ) -> Reply:
        """Our answer from the intake's (module docstring)."""
        code = answer.refusal_code
        row.message_id = answer.message_id
        if code is None:
            row.outcome = "taken"
            if answer.resend:
                self._answer_again(session, row, env, answer)
            if env.operation == envelope.DU01:
                self._link(session, row, answer)
            return self.acknowledge(env.routing)
        body = json.loads(answer.body)  # a problem document (RFC 9457)
        text = str(body.get("detail") or body.get("title") or code)
        if code in NOT_SCHEMA_VALID:
            row.outcome, row.code = "not_schema_valid", Code.SCHEMA
            self._schema_error(session, row, env, text)
            return self.acknowledge(env.routing)
        row.outcome, row.code, row.text = "refused", code, text[:1000]
        return self.fault(EnvelopeError(code, text, env.routing.referentienummer), env.routing)

    def _answer_again(
        self, session: Session, row: InboundEnvelope, env: envelope.Envelope, answer: Answer
    ) -> None:
        """The same payload came before (under another envelope): send its stored retour again,
        now answering this Di01."""
        if answer.message_id is None or not answer.media_type.endswith("xml"):
            return  # a receipt (JW301, JW302, ...): nothing goes back
        previous = session.get(MessageRecord, answer.message_id)
        retour = session.get(MessageRecord, previous.answer_id) if previous else None
        if retour is None:
            return
        entry = self.envelopes.carrying(
            envelope.DU01,
            zender=row.ontvanger,
            ontvanger=row.zender,
            record=retour,
            cross_ref=env.routing.referentienummer,
            now=self.clock.now(),
            inbound_id=row.id,
        )
        store.enqueue(session, entry)

    def _link(self, session: Session, row: InboundEnvelope, answer: Answer) -> None:
        """A Du01 with a JW302/JW320: the Di01 it names is answered (if it carried the JW301 or
        JW319 the payload answers by its header)."""
        entry = store.outbox_by_ref(session, row.cross_ref or "")
        record = session.get(MessageRecord, answer.message_id) if answer.message_id else None
        if entry is None or entry.kind != "Di01":
            row.text = "crossRefnummer names no Di01 this service sent"
        elif record is None or entry.message_id != record.answers_id:
            row.text = "crossRefnummer names a Di01 that did not carry the answered message"
        else:
            store.mark_answered(entry, record.id, self.clock.now())

    def _schema_error(
        self, session: Session, row: InboundEnvelope, env: envelope.Envelope, problem: str
    ) -> None:
        """Fo01 StUF055 to the sender: its payload does not conform to the iJw schema."""
        routing = env.routing
        text = f"StUF055: the payload does not conform to the iJw 3.2 schema ({problem})"
        row.text = text[:1000]
        details_xml = envelope.message_of(row.raw)  # the original envelope, not base64
        fault = envelope.Fault(
            code=Code.SCHEMA,
            plek="client",
            omschrijving=text[:200],
            details=f"{routing.functie}-{env.versions.details}",
            details_xml=details_xml,
        )
        entry = self.envelopes.error(
            zender=row.ontvanger,
            ontvanger=row.zender,
            fault=fault,
            cross_ref=routing.referentienummer,
            message_id=row.message_id,
            inbound_id=row.id,
            now=self.clock.now(),
        )
        store.enqueue(session, entry)

    # -- a Fo01 from the chain -------------------------------------------------------------
    def _fo01(self, incoming: envelope.Incoming) -> Reply:
        error = incoming.error
        assert error is not None
        routing, fault = error.routing, error.fault
        digest = log.sha256(incoming.canonical)
        with transaction(self.factory) as session:
            seen = self._redelivery(session, routing, digest)
            if seen is not None:
                return seen
            row = self._record(session, incoming, digest)
            if row is None:
                seen = self._redelivery(session, routing, digest)
                assert seen is not None
                return seen
            row.outcome, row.code, row.text = "error", fault.code, fault.omschrijving
            entry = store.outbox_by_ref(session, routing.cross_ref or "")
            if entry is None:
                row.text = f"{fault.omschrijving} (crossRefnummer names no envelope we sent)"
            else:
                self._lost(session, entry, fault)
                row.message_id = entry.message_id
            reply = self.acknowledge(routing)
            row.status_code, row.response = reply.status, reply.body
            _log.info(
                "Fo01 from the chain",
                extra={"code": fault.code, "outbox_id": entry.id if entry else None},
            )
            return reply

    def _lost(self, session: Session, entry: OutboxEntry, fault: envelope.Fault) -> None:
        """Our envelope never reached its addressee: failed, with the chain's code and text."""
        if entry.state == store.ANSWERED:
            return  # the addressee answered it: a late Fo01 changes nothing
        store.mark_failed(entry, fault.code, fault.omschrijving, self.clock.now())
        record = session.get(MessageRecord, entry.message_id) if entry.message_id else None
        to = parties.by_code(session, entry.ontvanger)
        if record is None or to is None or entry.kind == "Fo01":
            return
        if record.verdict == "sent" and not feed.holds(session, to, record):
            log.undelivered(record)  # the GGk was its only way out

    # -- answers ---------------------------------------------------------------------------
    def acknowledge(self, routing: envelope.Routing) -> Reply:
        """Bv03: crossRefnummer = the received referentienummer."""
        answer = envelope.Routing(
            berichtcode="Bv03",
            zender=self.envelopes.system(routing.ontvanger.organisatie or ""),
            ontvanger=routing.zender,
            referentienummer=envelope.new_reference(),
            tijdstip=envelope.timestamp(self.clock.now()),
            cross_ref=routing.referentienummer,
        )
        body = envelope.serialize(envelope.build_bv03(answer))
        return Reply(200, envelope.soap_message(body))

    def fault(
        self, exc: EnvelopeError, routing: envelope.Routing | None = None, status: int = 500
    ) -> Reply:
        """A SOAP fault with a Fo03 naming the problem (SOAP 1.1: HTTP 500)."""
        reference = exc.referentienummer if envelope.is_uuid4(exc.referentienummer) else ""
        answer = envelope.Routing(
            berichtcode="Fo03",
            zender=self.envelopes.system(
                routing.ontvanger.organisatie or "" if routing is not None else ""
            ),
            ontvanger=routing.zender
            if routing is not None
            else envelope.System(None, envelope.GGK_APPLICATION),
            referentienummer=envelope.new_reference(),
            tijdstip=envelope.timestamp(self.clock.now()),
            cross_ref=reference or "",
        )
        fo03 = envelope.build_fo03(
            answer, envelope.Fault(exc.code, "client", exc.text[:200], details=None)
        )
        return Reply(status, envelope.soap_fault(fo03, f"{exc.code}: {exc.text}"[:500]))
