"""The one outbound path: every message the gemeente sends (JW301, JW319).

    header builder -> render -> XSD -> level 2 + header rules + the flow's pre-send checks
    -> message log -> the flow stores it -> the provider's feed

all inside the caller's transaction.  The back office, automatic handling and (through
`judge`) a JW301/JW319 the gemeente posts itself take this path, so every such message gets the
same checks.  A message that fails any check is refused with its findings, logged as `rejected`
and never reaches the provider.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.config import Settings
from app.exchange import log
from app.exchange.channels import Dispatcher, FeedDispatcher
from app.exchange.flow import GEMEENTE_SENDS, Context, Flows, Note
from app.exchange.header_rules import HeaderRule, judge_header
from app.exchange.models import MessageRecord, Party
from app.exchange.problems import MEDIA_TYPE, finding_errors, problem_bytes
from app.ijw import model, render, xml
from app.ijw.header import Versions, forward_header
from app.ijw.retour import Decision
from app.ijw.rules import engine

log_ = logging.getLogger("ijw.outbound")


@dataclass(frozen=True)
class Sent:
    """The message left: logged as `sent` and in the provider's feed."""

    record: MessageRecord
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class Refused:
    """The message did not leave; `details` are the findings (rule, retourcode, location)."""

    status: int
    code: str
    message: str
    details: list[dict[str, Any]]
    record: MessageRecord | None = None


Outcome = Sent | Refused


class Outbound:
    """Builds, checks, logs and forwards the gemeente's messages (one instance per service)."""

    def __init__(
        self,
        flows: Flows,
        header_rules: Sequence[HeaderRule],
        settings: Settings,
        clock: Clock,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.flows = flows
        self.dispatcher: Dispatcher = dispatcher or FeedDispatcher()
        self.header_rules = tuple(header_rules)
        self.settings = settings
        self.clock = clock
        self.versions = Versions(xsd=settings.outbound_xsd_version, xslt=settings.xslt_version)

    @staticmethod
    def new_identificatie(session: Session, sender: str, kind: str, prefix: str) -> str:
        """An Identificatie `sender` never used for `kind` (TR056): `prefix` + 10 hex digits."""
        while True:
            candidate = prefix + secrets.token_hex(5).upper()
            if not log.identificatie_used(session, sender, kind, candidate):
                return candidate

    def send(
        self,
        session: Session,
        *,
        sender: Party,
        receiver: Party,
        kind: str,
        body: Mapping[str, Any],
        identificatie: str | None = None,
        prefix: str = "BO",
    ) -> Outcome:
        """Build message `kind` from its body (everything but the Header) and send it.

        The caller holds the transaction (and the party locks, see `app.exchange.parties`).
        """
        now = self.clock.now()
        ident = identificatie or self.new_identificatie(session, sender.code, kind, prefix)
        header = forward_header(
            kind, sender.code, receiver.code, ident, self.clock.today(), self.versions
        )
        try:
            raw = render.render(kind, {"Header": header, **body})
        except render.RenderError as exc:
            return Refused(422, "INVALID_MESSAGE", f"the {kind} cannot be built: {exc}", [])
        try:
            info, tree = xml.read(raw)
        except xml.Rejection as exc:
            details = [{"line": e.line, "path": e.path, "message": e.message} for e in exc.errors]
            record = log.refused(
                session,
                caller=sender,
                counterpart=receiver,
                data=raw,
                message=None,
                now=now,
                status=422,
                code="IB014",
                text=exc.message,
                details=details,
            )
            return Refused(422, "IB014", exc.message, details, record)
        message = model.to_model(tree, info)
        record = log.inbound(
            session, caller=sender, counterpart=receiver, data=raw, message=message, now=now
        )
        ctx = Context(session, sender, receiver, message, record, self.clock, self.settings)
        findings = [f.as_dict() for f in engine.check(message)]
        message.tree = None
        return self.judge(ctx, findings)

    def judge(self, ctx: Context, findings: list[dict[str, Any]]) -> Outcome:
        """Level-2 `findings`, then the header rules and the flow's pre-send checks; store and
        forward the message when nothing failed, else refuse it."""
        decision = Decision()
        apply = None
        if not findings:
            judge_header(self.header_rules, ctx, decision)
            if not decision.header:
                apply = self.flows.messages.check(ctx, decision)
        # A flow's pre-send check may refuse with a note of level "refuse" (a hard budget
        # ceiling, profile stacking): no retourcode of the standard, but the message stays here.
        refusals = [n.as_dict() for n in ctx.notes if n.level == "refuse"]
        problems = findings + decision.findings + refusals
        if problems:
            return refuse_by_rules(ctx, problems)
        if apply is not None:
            apply()
        store_receipt(ctx, "sent", self.dispatcher)
        return Sent(ctx.record, list(ctx.notes))


def refuse_by_rules(ctx: Context, problems: list[dict[str, Any]]) -> Refused:
    """A gemeente message (or provider retour) that fails rules is refused and not sent."""
    name = ctx.message.name
    text = f"{name} fails {len(problems)} check(s) of the iJw 3.2 rules and was not " + (
        "sent" if name in GEMEENTE_SENDS else "accepted"
    )
    rec = ctx.record
    rec.findings = problems
    rec.retour_codes = sorted({p["retourcode"] for p in problems if p.get("retourcode")})
    log.complete(
        rec,
        verdict="rejected",
        status=422,
        media_type=MEDIA_TYPE,
        body=problem_bytes(422, "REFUSED", text, finding_errors(problems)),
    )
    log_.info(
        "refused by rules",
        extra={"message_id": rec.id, "message_type": name, "party": ctx.caller.code},
    )
    return Refused(422, "REFUSED", text, problems, rec)


def store_receipt(ctx: Context, verdict: str, dispatcher: Dispatcher | None = None) -> None:
    """Complete the log row with a JSON receipt and hand the message to the other party: to
    its feed, or through `dispatcher` (the channels a gemeente's message leaves by)."""
    rec = ctx.record
    body = json.dumps(
        {
            "message_id": rec.id,
            "message_type": rec.message_type,
            "status": verdict,
            "answers": rec.answers_id,
            "notes": [n.as_dict() for n in ctx.notes],
        },
        default=str,
    ).encode()
    log.complete(rec, verdict=verdict, status=200, media_type=log.JSON, body=body)
    if ctx.counterpart is not None:
        (dispatcher or FeedDispatcher()).dispatch(ctx, ctx.counterpart, rec)
    log_.info(
        "stored",
        extra={
            "message_id": rec.id,
            "message_type": rec.message_type,
            "verdict": verdict,
            "party": ctx.caller.code,
        },
    )
