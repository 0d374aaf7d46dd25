"""The intake pipeline: bytes in, the stored answer out (spec §3.0).

Order: level 1 (well-formed, UTF-8, no DTD, known namespace, XSD) -> authorisation (the header
names the caller; the caller's role may send this type; the addressee is served here) -> a
byte-identical resend gets the stored answer -> level 2 (in-message rules, Header 0001) -> header
rules (TR056 9056, TR135 8848, and those flows add) -> the flow's class rules -> commit the effect,
the answer and the feed entries in one transaction.

Nothing here speaks HTTP: an `Answer` carries the status, media type and body the API returns
verbatim (and that a resend gets back byte for byte).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.config import Settings
from app.db.base import transaction
from app.db.models import MessageRecord, Party
from app.domain import feed, flows, parties
from app.ijw import model, render, retour, xml
from app.ijw.catalogue import CATALOGUE, MessageInfo, Role
from app.ijw.retour import Decision, DeclarationDecision, Versions
from app.ijw.rules import engine

log = logging.getLogger("ijw.intake")

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
HEEN_WITH_RETOUR = {"JW305", "JW307", "JW315", "JW317"}
GEMEENTE_SENDS = {"JW301", "JW319"}
PROVIDER_RETOURS = {"JW302", "JW320"}
JSON = "application/json"
XML = "application/xml"


@dataclass(frozen=True)
class Answer:
    """What the caller gets back (HTTP status, media type, body) and the logged message id."""

    status: int
    media_type: str
    body: bytes
    message_id: int | None = None
    resend: bool = False


def error_body(code: str, message: str, details: list[Any] | None = None) -> bytes:
    """The JSON error shape of every refusal: {code, message, details[]}."""
    return json.dumps({"code": code, "message": message, "details": details or []}).encode()


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, default=str).encode()


# Level-1 refusals: kind -> (HTTP status, channel code) (spec §3a; GGK/VECOZO code lists).
_REJECTION = {
    xml.RejectionKind.NOT_WELL_FORMED: (400, "BRS14"),
    xml.RejectionKind.NOT_UTF8: (400, "BRS14"),
    xml.RejectionKind.DTD_FORBIDDEN: (400, "BRS14"),
    xml.RejectionKind.UNKNOWN_NAMESPACE: (400, "IB004"),
    xml.RejectionKind.XSD_INVALID: (422, "IB014"),
}

HeaderRule = Callable[[flows.Context], list[tuple[str, str, str]]]
"""A header rule returns (rule, retourcode, location) triples; any of them rejects the message."""

_HEADER_RULES: list[HeaderRule] = []


def header_rule(func: HeaderRule) -> HeaderRule:
    """Register a level-3/4 header rule (run for every XSD- and level-2-valid message)."""
    _HEADER_RULES.append(func)
    return func


@header_rule
def tr056_identificatie_unique(ctx: flows.Context) -> list[tuple[str, str, str]]:
    """TR056 (9056): Identificatie not used before by this sender for this message type."""
    msg = ctx.message
    query = select(MessageRecord.id).where(
        MessageRecord.message_type == msg.name,
        MessageRecord.sender == msg.sender,
        MessageRecord.identificatie == msg.identificatie,
        MessageRecord.direction == "in",
        MessageRecord.verdict != "refused",  # refused at level 1 = never received
        MessageRecord.id != ctx.record.id,
    )
    if msg.name in GEMEENTE_SENDS:
        # our own outbound: only messages that actually left count (a refused draft did not)
        query = query.where(MessageRecord.verdict == "sent")
    used = ctx.session.scalar(query.limit(1))
    loc = msg.header.loc("BerichtIdentificatie", "Identificatie")
    return [("TR056", "9056", loc)] if used is not None else []


@header_rule
def tr135_dagtekening_not_future(ctx: flows.Context) -> list[tuple[str, str, str]]:
    """TR135 (8848): Dagtekening is not after the system date."""
    if ctx.message.dagtekening > ctx.today:
        return [("TR135", "8848", ctx.message.header.loc("BerichtIdentificatie", "Dagtekening"))]
    return []


class Intake:
    """Processes posted messages; one instance per app (thread-safe, no per-request state)."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings, clock: Clock) -> None:
        self.factory = factory
        self.settings = settings
        self.clock = clock
        self.versions = Versions(xsd=settings.outbound_xsd_version, xslt=settings.xslt_version)

    # -- entry point -------------------------------------------------------------------------
    def receive(self, caller_id: int, data: bytes) -> Answer:
        """Process one posted message from the party `caller_id`; everything or nothing commits."""
        sha = hashlib.sha256(data).hexdigest()
        rejection: xml.Rejection | None = None
        message: model.Message | None = None
        try:
            info, tree = xml.read(data)
            message = model.to_model(tree, info)
            del tree  # the message keeps it until the level-2 rules ran (TR358 reads raw text)
        except xml.Rejection as exc:
            rejection = exc
        with transaction(self.factory) as session:
            caller = session.get(Party, caller_id)
            assert caller is not None
            counterpart = self._counterpart(session, caller, message)
            parties.lock(session, [caller, counterpart])
            previous = session.scalar(
                select(MessageRecord)
                .where(
                    MessageRecord.from_party_id == caller.id,
                    MessageRecord.sha256 == sha,
                    MessageRecord.direction == "in",
                )
                .order_by(MessageRecord.id.desc())
                .limit(1)
            )
            if previous is not None:
                log.info("resend answered from the log", extra={"message_id": previous.id})
                return Answer(
                    previous.status_code,
                    previous.response_media_type,
                    previous.response_body,
                    previous.id,
                    resend=True,
                )
            if rejection is not None or message is None:
                assert rejection is not None
                return self._refuse_level1(session, caller, data, sha, rejection)
            refusal = self._authorise(caller, counterpart, message.info, message)
            if refusal is not None:
                return self._refuse(session, caller, data, sha, message, *refusal)
            assert counterpart is not None
            record = self._record_in(session, caller, counterpart, data, sha, message)
            ctx = flows.Context(
                session, caller, counterpart, message, record, self.clock, self.settings
            )
            findings = [f.as_dict() for f in engine.check(message)]
            message.tree = None  # free the source tree: the rest works on the parsed model
            name = message.name
            if name in HEEN_WITH_RETOUR:
                return self._heen(ctx, findings)
            if name == "JW323":
                return self._declaration(ctx, findings)
            if name in GEMEENTE_SENDS:
                return self._gemeente_sends(ctx, findings)
            return self._provider_retour(ctx, findings)

    # -- level 1 and authorisation -----------------------------------------------------------
    @staticmethod
    def _counterpart(
        session: Session, caller: Party, message: model.Message | None
    ) -> Party | None:
        if message is None:
            return None
        header = message.header
        other = header["Afzender"] if message.name in PROVIDER_RETOURS else header["Ontvanger"]
        return parties.by_code(session, other)

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
        self, session: Session, caller: Party, data: bytes, sha: str, rejection: xml.Rejection
    ) -> Answer:
        status, code = _REJECTION[rejection.kind]
        details = [{"line": e.line, "path": e.path, "message": e.message} for e in rejection.errors]
        body = error_body(code, rejection.message, details)
        record = MessageRecord(
            direction="in",
            message_type=None,
            sender=caller.code,
            from_party_id=caller.id,
            sha256=sha,
            size=len(data),
            raw=data,
            received_at=self.clock.now(),
            verdict="refused",
            retour_codes=[],
            findings=details,
            status_code=status,
            response_media_type=JSON,
            response_body=body,
        )
        session.add(record)
        session.flush()
        log.info(
            "refused at level 1",
            extra={"message_id": record.id, "code": code, "party": caller.code},
        )
        return Answer(status, JSON, body, record.id)

    def _refuse(
        self,
        session: Session,
        caller: Party,
        data: bytes,
        sha: str,
        message: model.Message,
        status: int,
        code: str,
        text: str,
    ) -> Answer:
        body = error_body(code, text)
        record = self._record_in(session, caller, None, data, sha, message)
        record.verdict, record.status_code, record.response_body = "refused", status, body
        session.flush()
        log.info("refused", extra={"message_id": record.id, "code": code, "party": caller.code})
        return Answer(status, JSON, body, record.id)

    def _record_in(
        self,
        session: Session,
        caller: Party,
        counterpart: Party | None,
        data: bytes,
        sha: str,
        message: model.Message,
    ) -> MessageRecord:
        record = MessageRecord(
            direction="in",
            message_type=message.name,
            sender=message.sender,
            receiver=message.receiver,
            identificatie=message.identificatie,
            dagtekening=message.dagtekening,
            from_party_id=caller.id,
            to_party_id=counterpart.id if counterpart is not None else None,
            sha256=sha,
            size=len(data),
            raw=data,
            received_at=self.clock.now(),
            verdict="pending",
            retour_codes=[],
            findings=[],
            status_code=0,
            response_media_type=JSON,
            response_body=b"",
        )
        session.add(record)
        session.flush()
        return record

    def _header_findings(self, ctx: flows.Context) -> list[tuple[str, str, str]]:
        flows.flow_for(ctx.message.name)  # loads flow modules, which may add header rules
        out: list[tuple[str, str, str]] = []
        for rule in _HEADER_RULES:
            out.extend(rule(ctx))
        return out

    def _judge_header(
        self,
        ctx: flows.Context,
        findings: list[dict[str, Any]],
        decision: Decision | DeclarationDecision,
    ) -> None:
        """Level 2 rejects with 0001 (spec §3.0 step 2); otherwise run the header rules (step 3)."""
        if findings:
            decision.header.append(retour.TECHNICAL_REJECTION)
            decision.findings.extend(findings)
            return
        for rule, code, loc in self._header_findings(ctx):
            decision.reject_header(code, rule, loc)

    # -- the four kinds of message -----------------------------------------------------------
    def _heen(self, ctx: flows.Context, findings: list[dict[str, Any]]) -> Answer:
        decision = Decision()
        self._judge_header(ctx, findings, decision)
        flow = flows.flow_for(ctx.message.name)
        if not decision.header and flow is not None:
            flow.check(ctx, decision)
            if decision.accepted:
                flow.apply(ctx, decision)
        verdict = "accepted" if decision.accepted else "rejected"
        return self._answer_with(
            ctx,
            decision,
            verdict,
            lambda ident: retour.build_retour(
                ctx.message, decision, identificatie=ident, today=ctx.today, versions=self.versions
            ),
        )

    def _declaration(self, ctx: flows.Context, findings: list[dict[str, Any]]) -> Answer:
        decision = DeclarationDecision()
        self._judge_header(ctx, findings, decision)
        flow = flows.flow_for("JW323")
        if not decision.header and flow is not None:
            flow.check(ctx, decision)
            if not decision.declaration:
                flow.apply(ctx, decision)
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
        ctx: flows.Context,
        decision: Decision | DeclarationDecision,
        verdict: str,
        build: Callable[[str], dict[str, Any]],
    ) -> Answer:
        """Build, check, store and feed the retour/JW325; answer the caller with its bytes."""
        answer_type = CATALOGUE[ctx.message.name].answered_by
        assert answer_type is not None and ctx.counterpart is not None
        out = MessageRecord(
            direction="out",
            message_type=answer_type,
            sender=ctx.counterpart.code,
            receiver=ctx.caller.code,
            from_party_id=ctx.counterpart.id,
            to_party_id=ctx.caller.id,
            sha256="",
            size=0,
            raw=b"",
            received_at=ctx.now,
            verdict="sent",
            retour_codes=[],
            findings=[],
            status_code=200,
            response_media_type=XML,
            response_body=b"",
            answers_id=ctx.record.id,
        )
        ctx.session.add(out)
        ctx.session.flush()
        identificatie = f"R{out.id}"
        root = render.build_tree(answer_type, build(identificatie))
        # Our own answer must never fail its schema or carry a level-2 error (e.g. TR342 on a
        # JW325): that would be a bug, so it is checked on the built tree before it leaves.
        info = CATALOGUE[answer_type]
        tree = root.getroottree()
        xml.validate(tree, info)
        own = engine.check(model.to_model(tree, info))
        if own:
            raise RuntimeError(f"built {answer_type} fails its own rules: {own}")
        codes = [e.text for e in root.iter(f"{{{info.namespace}}}RetourCode")]
        body = render.serialize(root)
        del root, tree
        out.raw, out.sha256, out.size = body, hashlib.sha256(body).hexdigest(), len(body)
        out.identificatie, out.dagtekening = identificatie, ctx.today
        out.retour_codes = codes
        rec = ctx.record
        rec.verdict, rec.retour_codes, rec.findings = verdict, codes, decision.findings
        rec.status_code, rec.response_media_type, rec.response_body = 200, XML, body
        rec.answer_id = out.id
        feed.append(
            ctx.session, ctx.caller, out, ctx.now
        )  # the sender can fetch it after a timeout
        feed.append(ctx.session, ctx.counterpart, rec, ctx.now)  # the gemeente sees what came in
        log.info(
            "answered",
            extra={
                "message_id": rec.id,
                "message_type": rec.message_type,
                "verdict": verdict,
                "answer_id": out.id,
                "party": ctx.caller.code,
            },
        )
        return Answer(200, XML, body, rec.id)

    def _gemeente_sends(self, ctx: flows.Context, findings: list[dict[str, Any]]) -> Answer:
        decision = Decision()
        if not findings:
            for rule, code, loc in self._header_findings(ctx):
                decision.reject_header(code, rule, loc)
            flow = flows.flow_for(ctx.message.name)
            if not decision.header and flow is not None:
                flow.check(ctx, decision)
        problems = findings + decision.findings
        if problems:
            return self._finish_refusal(ctx, problems)
        flow = flows.flow_for(ctx.message.name)
        if flow is not None:
            flow.apply(ctx, decision)
        return self._finish_stored(ctx, "sent", forward_to=ctx.counterpart)

    def _provider_retour(self, ctx: flows.Context, findings: list[dict[str, Any]]) -> Answer:
        if findings:
            return self._finish_refusal(ctx, findings)
        answers = CATALOGUE[ctx.message.name].answers
        original = ctx.session.scalar(
            select(MessageRecord)
            .where(
                MessageRecord.message_type == answers,
                MessageRecord.sender == ctx.message.sender,
                MessageRecord.identificatie == ctx.message.identificatie,
                MessageRecord.verdict == "sent",
            )
            .order_by(MessageRecord.id.desc())
            .limit(1)
        )
        if original is not None:
            ctx.record.answers_id = original.id
            original.answer_id = ctx.record.id
        decision = Decision()
        flow = flows.flow_for(ctx.message.name)
        if flow is not None:
            flow.check(ctx, decision)
            flow.apply(ctx, decision)
        return self._finish_stored(ctx, "received", forward_to=ctx.counterpart)

    def _finish_refusal(self, ctx: flows.Context, problems: list[dict[str, Any]]) -> Answer:
        """A gemeente message (or provider retour) that fails rules is refused and not sent."""
        name = ctx.message.name
        text = f"{name} fails {len(problems)} check(s) of the iJw 3.2 rules and was not " + (
            "sent" if name in GEMEENTE_SENDS else "accepted"
        )
        body = error_body("REFUSED", text, problems)
        rec = ctx.record
        rec.verdict, rec.findings = "rejected", problems
        rec.retour_codes = sorted({p["retourcode"] for p in problems})
        rec.status_code, rec.response_media_type, rec.response_body = 422, JSON, body
        log.info(
            "refused by rules",
            extra={"message_id": rec.id, "message_type": name, "party": ctx.caller.code},
        )
        return Answer(422, JSON, body, rec.id)

    def _finish_stored(self, ctx: flows.Context, verdict: str, forward_to: Party | None) -> Answer:
        rec = ctx.record
        body = _json(
            {
                "message_id": rec.id,
                "message_type": rec.message_type,
                "status": verdict,
                "answers": rec.answers_id,
                "notes": ctx.notes,
            }
        )
        rec.verdict, rec.status_code, rec.response_media_type, rec.response_body = (
            verdict,
            200,
            JSON,
            body,
        )
        if forward_to is not None:
            feed.append(ctx.session, forward_to, rec, ctx.now)
        log.info(
            "stored",
            extra={
                "message_id": rec.id,
                "message_type": rec.message_type,
                "verdict": verdict,
                "party": ctx.caller.code,
            },
        )
        return Answer(200, JSON, body, rec.id)
