"""Header rules (levels 3/4): run on every XSD- and level-2-valid message before its flow.

A header rule returns (rule, location) pairs; any of them rejects the whole message with the
rule's retourcode from the rule catalogue.  The generic ones live here (TR056, TR135); the
composition root adds those owned by other packages (TR378 needs the CBS code list).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import bindparam, select

from app.exchange.flow import GEMEENTE_SENDS, Context
from app.exchange.models import MessageRecord
from app.ijw.retour import Decision, DeclarationDecision

HeaderFinding = tuple[str, str]
"""(rule, location) of a failed header rule."""

HeaderRule = Callable[[Context], list[HeaderFinding]]


_TR056 = select(MessageRecord.id).where(
    MessageRecord.message_type == bindparam("kind"),
    MessageRecord.sender == bindparam("sender"),
    MessageRecord.identificatie == bindparam("ident"),
    MessageRecord.direction == "in",
    MessageRecord.verdict != "refused",  # refused at level 1 = never received
    MessageRecord.id != bindparam("own"),
)
# our own outbound: only messages that actually left count (a refused draft did not)
_TR056_SENT = _TR056.where(MessageRecord.verdict == "sent").limit(1)
_TR056 = _TR056.limit(1)


def tr056_identificatie_unique(ctx: Context) -> list[HeaderFinding]:
    """TR056 (9056): Identificatie not used before by this sender for this message type."""
    msg = ctx.message
    query = _TR056_SENT if msg.name in GEMEENTE_SENDS else _TR056
    params = {
        "kind": msg.name,
        "sender": msg.sender,
        "ident": msg.identificatie,
        "own": ctx.record.id,
    }
    used = ctx.session.scalar(query, params)
    loc = msg.header.loc("BerichtIdentificatie", "Identificatie")
    return [("TR056", loc)] if used is not None else []


def tr135_dagtekening_not_future(ctx: Context) -> list[HeaderFinding]:
    """TR135 (8848): Dagtekening is not after the system date."""
    if ctx.message.dagtekening > ctx.today:
        return [("TR135", ctx.message.header.loc("BerichtIdentificatie", "Dagtekening"))]
    return []


GENERIC: tuple[HeaderRule, ...] = (tr056_identificatie_unique, tr135_dagtekening_not_future)


def judge_header(
    rules: Sequence[HeaderRule], ctx: Context, decision: Decision | DeclarationDecision
) -> None:
    """Run every header rule; each finding rejects the message with its rule's code."""
    for header_rule in rules:
        for rule, location in header_rule(ctx):
            decision.reject_header(rule, location)
