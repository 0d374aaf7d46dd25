"""The intake pipeline: bytes in, the stored answer out (spec §3.0).

Order: level 1 (well-formed, UTF-8, no DTD, known namespace, XSD) -> authorisation (the header
names the caller; the caller's role may send this type; the addressee is served here) -> a
byte-identical resend gets the stored answer -> level 2 (in-message rules, Header 0001) -> header
rules (TR056 9056, TR135 8848, and those the composition root adds) -> the flow's checks ->
commit the effect, the answer and the feed entries in one transaction.

The pipeline knows no flow: the `Flows` registry and the header rules are given to it.  Nothing
here speaks HTTP: an `Answer` carries the status, media type and body the API returns verbatim
(and that a resend gets back byte for byte).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.config import Settings
from app.db.base import transaction
from app.exchange import feed, log, parties
from app.exchange.channels import Dispatcher, FeedDispatcher
from app.exchange.flow import GEMEENTE_SENDS, Arrival, Context, Flows
from app.exchange.header_rules import HeaderRule, judge_header
from app.exchange.models import MessageRecord, Party
from app.exchange.outbound import Outbound, Refused, refuse_by_rules, store_receipt
from app.exchange.problems import MEDIA_TYPE, problem_bytes
from app.ijw import model, render, retour, xml
from app.ijw.catalogue import CATALOGUE, MessageInfo, Role
from app.ijw.header import Versions
from app.ijw.retour import Decision, DeclarationDecision
from app.ijw.rules import engine
from app.metrics import RETOUR_CODES

_log = logging.getLogger("ijw.intake")

# Who may post what (the sending role per message type, spec §1).  The gemeente posts the
# messages it sends through us (JW301, JW319); retours and JW325 are only ever built by us.
POSTABLE: dict[str, Role] = {
    "JW301": Role.GEMEENTE,
    "JW319": Role.GEMEENTE,
    "JW302": Role.AANBIEDER,
    "JW320": Role.AANBIEDER,
    "JW305": Role.AANBIEDER,
    "JW307": Role.AANBIEDER,
    "JW315": Role.AANBIEDER,
    "JW317": Role.AANBIEDER,
    "JW323": Role.AANBIEDER,
}
HEEN_WITH_RETOUR = frozenset({"JW305", "JW307", "JW315", "JW317"})
PROVIDER_RETOURS = frozenset({"JW302", "JW320"})


@dataclass(frozen=True)
class Answer:
    """What the caller gets back (HTTP status, media type, body) and the logged message id."""

    status: int
    media_type: str
    body: bytes
    message_id: int | None = None
    resend: bool = False

    @classmethod
    def of(cls, record: MessageRecord, resend: bool = False, body: bytes | None = None) -> Answer:
        """The answer stored on a log row; `body` when the row does not hold it itself
        (`log.IN_ANSWER`: the bytes are the answer row's, see `log.stored_answer`)."""
        return cls(
            record.status_code,
            record.response_media_type,
            record.response_body if body is None else body,
            record.id,
            resend=resend,
        )

    @property
    def refusal_code(self) -> str | None:
        """The code of a refusal (`IB014`, `IB002`, `REFUSED`, ...); None when answered 200."""
        if self.status < 400:
            return None
        code = json.loads(self.body).get("code")
        return str(code) if code is not None else None


@dataclass
class Posted:
    """A posted message after level 1, read outside any transaction: the parsed message or
    why it was rejected."""

    data: bytes
    digest: str
    message: model.Message | None
    rejection: xml.Rejection | None
    # the level-2 findings (pure: they need no database, so they run before any lock)
    findings: list[dict[str, Any]] = field(default_factory=list)


# Level-1 refusals: kind -> (HTTP status, channel code) (spec §3a; GGK/VECOZO code lists).
_REJECTION = {
    xml.RejectionKind.NOT_WELL_FORMED: (400, "BRS14"),
    xml.RejectionKind.NOT_UTF8: (400, "BRS14"),
    xml.RejectionKind.DTD_FORBIDDEN: (400, "BRS14"),
    xml.RejectionKind.UNKNOWN_NAMESPACE: (400, "IB004"),
    xml.RejectionKind.XSD_INVALID: (422, "IB014"),
}


class Intake:
    """Processes posted messages; one instance per app (thread-safe, no per-request state)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        clock: Clock,
        flows: Flows,
        header_rules: Sequence[HeaderRule],
        outbound: Outbound,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.clock = clock
        self.flows = flows
        self.header_rules = tuple(header_rules)
        self.outbound = outbound
        self.dispatcher: Dispatcher = dispatcher or FeedDispatcher()
        self.versions = Versions(xsd=settings.outbound_xsd_version, xslt=settings.xslt_version)

    # -- entry points ------------------------------------------------------------------------
    def receive(self, caller_id: int, data: bytes) -> Answer:
        """Process one posted message from the party `caller_id`; everything or nothing commits."""
        posted = self.read(data)
        with transaction(self.factory) as session:
            return self.process(session, caller_id, posted)

    @staticmethod
    def read(data: bytes) -> Posted:
        """Level 1 (parse, identify, XSD) and level 2 of posted bytes, outside any transaction:
        the party locks of `process` are then held only for the work that needs the database."""
        try:
            # A large declaration is read incrementally (no full tree next to its model); the
            # message keeps what is left of the tree until level 2 ran (TR358 reads raw text).
            message = model.read(data)
            findings = [f.as_dict() for f in engine.check(message)]
            message.tree = None  # free the source tree: the rest works on the parsed model
        except xml.Rejection as exc:
            return Posted(data, log.sha256(data), None, exc)
        return Posted(data, log.sha256(data), message, None, findings)

    def process(
        self, session: Session, caller_id: int, posted: Posted, arrival: Arrival | None = None
    ) -> Answer:
        """Process a read message from `caller_id` inside the caller's transaction (a channel
        adapter records its own envelope in the same one); `arrival` says how it came in."""
        data, digest, message, rejection = (
            posted.data,
            posted.digest,
            posted.message,
            posted.rejection,
        )
        caller, counterpart = parties.load_locked(
            session, caller_id, self._counterpart_code(message)
        )
        previous = log.previous_answered(session, caller, digest)
        if previous is not None:
            _log.info("resend answered from the log", extra={"message_id": previous.id})
            return Answer.of(previous, resend=True, body=log.stored_answer(session, previous))
        if rejection is not None or message is None:
            assert rejection is not None
            return self._refuse_level1(session, caller, data, digest, rejection)
        refusal = self._authorise(caller, counterpart, message.info, message)
        if refusal is not None:
            return self._refuse(session, caller, data, digest, message, *refusal)
        assert counterpart is not None
        record = log.inbound(
            session,
            caller=caller,
            counterpart=counterpart,
            data=data,
            message=message,
            now=self.clock.now(),
            digest=digest,
        )
        ctx = Context(
            session,
            caller,
            counterpart,
            message,
            record,
            self.clock,
            self.settings,
            arrival=arrival,
        )
        findings = posted.findings
        name = message.name
        if name in HEEN_WITH_RETOUR:
            return self._heen(ctx, findings)
        if name == "JW323":
            return self._declaration(ctx, findings)
        if name in GEMEENTE_SENDS:
            self.outbound.judge(ctx, findings)
            return Answer.of(record)
        return self._provider_retour(ctx, findings)

    # -- level 1 and authorisation -----------------------------------------------------------
    @staticmethod
    def _counterpart_code(message: model.Message | None) -> str | None:
        """The other party the header names (the Afzender of a JW302/JW320, else the
        Ontvanger); None when the message did not parse."""
        if message is None:
            return None
        header = message.header
        other = header["Afzender"] if message.name in PROVIDER_RETOURS else header["Ontvanger"]
        return str(other) if other else None

    @staticmethod
    def _authorise(
        caller: Party, counterpart: Party | None, info: MessageInfo, message: model.Message
    ) -> tuple[int, str, str] | None:
        # The order: first the header must name the caller (IB002), then the caller's
        # role must be allowed to send this type (IB008).  JW302/JW320 copy the header of the
        # 301/319 they answer, so there the caller is the header's Ontvanger (spec §2.4).
        named = message.receiver if info.name in PROVIDER_RETOURS else message.sender
        if named != caller.code:
            field = "Ontvanger" if info.name in PROVIDER_RETOURS else "Afzender"
            return (
                403,
                "IB002",
                f"the header {field} {named} is not the calling party {caller.code}",
            )
        allowed = POSTABLE.get(info.name)
        if allowed is None or allowed != caller.role:
            return 403, "IB008", f"a {caller.role} may not send {info.name} messages"
        other_role = Role.AANBIEDER if caller.role == Role.GEMEENTE else Role.GEMEENTE
        if counterpart is None or counterpart.role != other_role:
            other = message.sender if info.name in PROVIDER_RETOURS else message.receiver
            if other_role == Role.GEMEENTE:
                return 422, "IB005", f"gemeente {other} is not served by this service"
            return 422, "IB010", f"aanbieder {other} is not known to this service"
        return None

    def _refuse_level1(
        self, session: Session, caller: Party, data: bytes, digest: str, rejection: xml.Rejection
    ) -> Answer:
        status, code = _REJECTION[rejection.kind]
        details = [{"line": e.line, "path": e.path, "message": e.message} for e in rejection.errors]
        record = log.refused(
            session,
            caller=caller,
            counterpart=None,
            data=data,
            message=None,
            now=self.clock.now(),
            status=status,
            code=code,
            text=rejection.message,
            details=details,
            digest=digest,
            total=rejection.total,
        )
        _log.info(
            "refused at level 1",
            extra={"message_id": record.id, "code": code, "party": caller.code},
        )
        return Answer.of(record)

    def _refuse(
        self,
        session: Session,
        caller: Party,
        data: bytes,
        digest: str,
        message: model.Message,
        status: int,
        code: str,
        text: str,
    ) -> Answer:
        record = log.refused(
            session,
            caller=caller,
            counterpart=None,
            data=data,
            message=message,
            now=self.clock.now(),
            status=status,
            code=code,
            text=text,
            digest=digest,
        )
        _log.info("refused", extra={"message_id": record.id, "code": code, "party": caller.code})
        return Answer.of(record)

    # -- the kinds of message ------------------------------------------------------------------
    def _judge_header(
        self,
        ctx: Context,
        findings: list[dict[str, Any]],
        decision: Decision | DeclarationDecision,
    ) -> None:
        """Level 2 rejects with 0001 (spec §3.0 step 2); otherwise run the header rules (step 3)."""
        if findings:
            decision.header.append(retour.TECHNICAL_REJECTION)
            decision.findings.extend(findings)
            return
        judge_header(self.header_rules, ctx, decision)

    def _heen(self, ctx: Context, findings: list[dict[str, Any]]) -> Answer:
        decision = Decision()
        self._judge_header(ctx, findings, decision)
        if not decision.header:
            apply = self.flows.messages.check(ctx, decision)
            if decision.accepted:
                apply()
        verdict = "accepted" if decision.accepted else "rejected"
        return self._answer_with(
            ctx,
            decision,
            verdict,
            lambda ident: retour.build_retour(
                ctx.message, decision, identificatie=ident, today=ctx.today, versions=self.versions
            ),
        )

    def _declaration(self, ctx: Context, findings: list[dict[str, Any]]) -> Answer:
        decision = DeclarationDecision()
        self._judge_header(ctx, findings, decision)
        if not decision.header:
            # A declaration is stored line by line whatever the verdict (module flow docs).
            self.flows.declarations.check(ctx, decision)()
        if decision.header or decision.declaration:
            verdict = "rejected"
        elif decision.prestaties or decision.clients:
            verdict = "partially_accepted"
        else:
            verdict = "accepted"
        return self._answer_with(
            ctx,
            decision,
            verdict,
            lambda ident: retour.build_declaration_answer(
                ctx.message, decision, identificatie=ident, today=ctx.today, versions=self.versions
            ),
        )

    def _answer_with(
        self,
        ctx: Context,
        decision: Decision | DeclarationDecision,
        verdict: str,
        build: Callable[[str], dict[str, Any]],
    ) -> Answer:
        """Check, store and feed the retour/JW325; answer the caller with its bytes."""
        answer_type = CATALOGUE[ctx.message.name].answered_by
        assert answer_type is not None and ctx.counterpart is not None
        out = log.answer(
            ctx.session,
            kind=answer_type,
            sender=ctx.counterpart,
            receiver=ctx.caller,
            answers=ctx.record,
            now=ctx.now,
        )
        identificatie = f"R{out.id}"  # the answer is named after its own log row
        # Written as text (a JW325 may list all 26,000 prestaties of a declaration: no tree).
        data = build(identificatie)
        body = render.write(answer_type, data)
        # The message is judged, stored and answered: its model and the decision's references
        # into it can go before the answer is read back (never two models of a large message).
        ctx.message.release()
        if isinstance(decision, DeclarationDecision):
            decision.prestaties.clear()
            decision.clients.clear()
        else:
            decision.errors.clear()
            decision.not_assessed.clear()
        # Our own answer must never fail its schema or carry a level-2 error (e.g. TR342 on a
        # JW325): that would be a bug.  The bytes that leave are validated against the XSD and
        # the level-2 rules run on the model of what was written (model.from_data: the model a
        # reader of these bytes gets, without parsing them back).
        info = CATALOGUE[answer_type]
        model.validate_written(body, info)
        answer = model.from_data(info, data)
        del data
        own = engine.check(answer)
        if own:
            raise RuntimeError(f"built {answer_type} fails its own rules: {own}")
        codes = retour.codes_in(answer.root)
        del answer
        for code in codes:
            RETOUR_CODES.labels(answer_type, code).inc()
        out.raw, out.sha256, out.size = body, log.sha256(body), len(body)
        out.identificatie, out.dagtekening = identificatie, ctx.today
        out.retour_codes = codes
        rec = ctx.record
        rec.retour_codes, rec.findings = codes, decision.findings
        # The answer is stored once, as the JW325/retour's own row (a resend reads it there):
        # a second 29 MB copy in the same commit cost as much memory as the whole model.
        log.complete(rec, verdict=verdict, status=200, media_type=log.XML, body=log.IN_ANSWER)
        rec.answer_id = out.id
        # To the sender (its feed by default: it can fetch the retour after a timeout).
        self.dispatcher.dispatch(ctx, ctx.caller, out)
        feed.append(ctx.session, ctx.counterpart, rec, ctx.now)  # the gemeente sees what came in
        _log.info(
            "answered",
            extra={
                "message_id": rec.id,
                "message_type": rec.message_type,
                "verdict": verdict,
                "answer_id": out.id,
                "party": ctx.caller.code,
            },
        )
        return Answer.of(rec, body=body)

    def _provider_retour(self, ctx: Context, findings: list[dict[str, Any]]) -> Answer:
        if findings:
            refusal: Refused = refuse_by_rules(ctx, findings)
            assert refusal.record is not None
            return Answer.of(refusal.record)
        original = log.original_of(ctx.session, ctx.message)
        if original is None:
            # Only the addressee of a message may answer it: a retour on nothing we sent to this
            # provider is refused (and counts as never sent, so it can be sent again).
            kind = CATALOGUE[ctx.message.name].answers
            log.complete(
                ctx.record,
                verdict="refused",
                status=422,
                media_type=MEDIA_TYPE,
                body=problem_bytes(
                    422,
                    "UNKNOWN_ORIGINAL",
                    f"no {kind} with BerichtIdentificatie {ctx.message.identificatie} was sent "
                    f"to {ctx.caller.code}",
                ),
            )
            return Answer.of(ctx.record)
        ctx.record.answers_id = original.id
        original.answer_id = ctx.record.id
        self.flows.messages.check(ctx, Decision())()
        store_receipt(ctx, "received")
        return Answer.of(ctx.record)
