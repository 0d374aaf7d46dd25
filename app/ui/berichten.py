"""Berichtenverkeer: the gemeente's message log (type, direction, state, retour codes), what to
act on (messages the provider has not confirmed, refused ones, failed deliveries), one message
with its findings in words and its XML."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.clock import AMSTERDAM
from app.db.base import transaction
from app.exchange import log, parties
from app.exchange.models import MessageRecord, Party
from app.ijw.catalogue import CATALOGUE
from app.ijw.rules.catalogue import RULES
from app.ui import labels
from app.ui.core import MeDep, NotFound, Problem, UiDep, audit, page
from app.ui.views import Names

router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE = 50
_BY_RETOURCODE = {m.retourcode: m.code for m in RULES.values() if m.retourcode != "0001"}


def findings_in_words(findings: list[dict[str, object]]) -> list[Problem]:
    """A message's findings: the rule, its retourcode, where, and the rule's text."""
    out = []
    for f in findings:
        rule = f.get("rule")
        code = f.get("retourcode")
        if not isinstance(rule, str) and isinstance(code, str):
            rule = _BY_RETOURCODE.get(code)
        location = f.get("location")
        where = "/".join(str(p) for p in location if p) if isinstance(location, list) else ""
        text = labels.rule_text(rule if isinstance(rule, str) else None) or str(
            f.get("message", "")
        )
        out.append(
            Problem(
                f"{rule or 'Controle'}" + (f" (retourcode {code})" if code else ""),
                text + (f" — bij {where}" if where else ""),
                rule=rule if isinstance(rule, str) else None,
                code=code if isinstance(code, str) else None,
            )
        )
    return out


def channel(m: MessageRecord, party: Party) -> str:
    """How the message travelled (the message log knows the HTTP API and our own retours; the
    GGk transport adds its channel to the log when it comes)."""
    if m.direction == "out":
        return "retour van de dienst"
    if m.from_party_id == party.id:
        return "back office" if (m.identificatie or "").startswith("BO") else "API gemeente"
    return "API aanbieder"


@router.get("/berichten")
def berichten(request: Request, me: MeDep, ctx: UiDep) -> Response:
    q = request.query_params
    soort = q.get("soort", "")
    status = q.get("status", "")
    before = int(q["voor"]) if q.get("voor", "").isdigit() and len(q["voor"]) < 12 else None
    soort = soort if soort in CATALOGUE else ""
    status = status if status in labels.VERDICTS or status == "received" else ""
    today = ctx.clock.today()
    with ctx.factory() as s:
        party = parties.by_code(s, me.gemeente)
        if party is None:
            raise NotFound("Uw gemeente is bij deze dienst niet bekend.")
        rows = log.messages_of(
            s,
            party,
            message_type=soort or None,
            verdict=status or None,
            before=before,
            limit=PAGE + 1,
        )
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        overdue, _ = ctx.backoffice.due_items(s, me.gemeente, 0)
        unconfirmed = [d for d in overdue if d.kind.startswith("retour_")]
        recent = [
            m
            for m in log.messages_of(s, party, limit=200)
            if m.verdict in ("rejected", "refused")
            and m.received_at.astimezone(AMSTERDAM).date() >= today - timedelta(days=30)
        ]
        failures = (
            list(ctx.hooks.delivery_failures(s, me.gemeente))
            if ctx.hooks.delivery_failures is not None
            else None
        )
        return page(
            request,
            "berichten.html",
            me,
            active="berichten",
            rows=rows,
            more=more,
            names=Names(s),
            party=party,
            unconfirmed=unconfirmed,
            recent=recent,
            failures=failures,
            types=sorted(CATALOGUE),
            channel=channel,
        )


@router.get("/berichten/{message_id}")
def bericht(request: Request, message_id: int, me: MeDep, ctx: UiDep) -> Response:
    with ctx.factory() as s:
        party = parties.by_code(s, me.gemeente)
        m = log.message_of(s, party, message_id) if party is not None else None
        if party is None or m is None:
            raise NotFound(f"Bericht {message_id} bestaat niet of is niet van uw gemeente.")
        xml_text = _xml_of(m)
        return page(
            request,
            "bericht.html",
            me,
            active="berichten",
            m=m,
            party=party,
            names=Names(s),
            problems=findings_in_words(list(m.findings or [])),
            xml=xml_text,
            answer=log.message_of(s, party, m.answer_id) if m.answer_id else None,
            answers=log.message_of(s, party, m.answers_id) if m.answers_id else None,
            channel=channel,
        )


def _xml_of(m: MessageRecord) -> str:
    """The message's XML: what was posted, or (a retour we built) what we answered."""
    raw = m.raw or b""
    if not raw and m.response_media_type == log.XML:
        raw = m.response_body or b""
    return raw.decode("utf-8", errors="replace")


@router.get("/berichten/{message_id}/xml")
def bericht_xml(request: Request, message_id: int, me: MeDep, ctx: UiDep) -> Response:
    with ctx.factory() as s:
        party = parties.by_code(s, me.gemeente)
        m = log.message_of(s, party, message_id) if party is not None else None
        if party is None or m is None:
            raise NotFound(f"Bericht {message_id} bestaat niet of is niet van uw gemeente.")
        body = _xml_of(m).encode("utf-8")
        name = f"{m.message_type or 'bericht'}-{m.id}.xml"
    with transaction(ctx.factory) as s:
        audit(s, ctx, me, "download.xml", "ok", f"bericht {message_id}")
    return Response(
        body,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
