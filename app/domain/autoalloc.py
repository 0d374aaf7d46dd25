"""Automatic handling of requests (issue 5, item 5): opt-in per region.

When a JW315 has been accepted (its products entered the queue), each requested product of a
region with `auto_allocate` is judged right away, in the same transaction:

- the product is specific (category + code) and contracted with this provider on the requested
  Ingangsdatum, in the unit the contract prices it in (so it is valued at the contract tariff);
- the client is known from an earlier JW301 (a JW301 needs contact data a JW315 lacks);
- no current allocation of the same product at this provider overlaps the period (OP307,
  stacking) and no profile x intensity product would stack (app.domain.financing);
- no budget ceiling (hard or soft) would be exceeded (app.domain.ceilings);
- the JW301 passes level 2 and the provider's pre-send checks.

Then the service builds the JW301 (with the ReferentieAanbieder, IV097; the client's other
current allocations at this provider resent unchanged, OP087), logs it as sent by the gemeente,
stores the allocation and puts it in the provider's feed - the request is honoured.  Otherwise
the product stays in the gemeente's queue.  Either way the decision and its reasons are kept
(`money_auto_decisions`) and shown in the back office.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.flows import RequestRow
from app.db.models import MessageRecord, Party
from app.db.money import AutoDecision
from app.domain import allocations as store
from app.domain import ceilings, feed, financing, flows, parties
from app.domain.contracts import load_contracts
from app.domain.products import region_of
from app.ijw import model, render, xml
from app.ijw.catalogue.xsd_model import BASIS_XSD_VERSION, MESSAGES
from app.ijw.retour import Decision
from app.ijw.rules import engine

log = logging.getLogger("ijw.autoalloc")

ALLOCATED, QUEUED = "allocated", "queued"


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _units_fit(requested: str, contract: str) -> bool:
    return requested == contract or (requested, contract) in {("01", "04"), ("04", "01")}


def judge_request(
    session: Session, request: RequestRow, today: date
) -> tuple[list[str], list[str], store.PlannedAllocation | None]:
    """(reasons against, reasons for, the planned allocation) for one requested product."""
    content = request.content
    against: list[str] = []
    reasons: list[str] = []
    product = content.get("Product") or {}
    categorie, code = product.get("Categorie"), product.get("Code")
    start = _date(content.get("ToewijzingIngangsdatum"))
    end = _date(content.get("ToewijzingEinddatum"))
    omvang = content.get("Omvang")
    budget = content.get("Budget")
    assert start is not None
    if code is None:
        against.append("not a specific product (category and code): a person decides")
        return against, reasons, None
    book = load_contracts(session, request.gemeente, request.aanbieder)
    row = book.tariff(code, start)
    if row is None or row.categorie != categorie:
        against.append(f"product {categorie}/{code} is not contracted with {request.aanbieder}"
                       f" on {start.isoformat()}")
    elif omvang is not None and not _units_fit(omvang["Eenheid"], row.eenheid):
        against.append(
            f"requested unit {omvang['Eenheid']} does not match the contract unit {row.eenheid}"
        )
    else:
        reasons.append(
            f"contracted: {code} at {row.tarief if row.tarief is not None else 'budget'}"
            f" per unit {row.eenheid} ({row.variant})"
        )
    planned = store.PlannedAllocation(
        gemeente=request.gemeente,
        aanbieder=request.aanbieder,
        bsn=request.bsn,
        nummer=store.next_nummer(session, request.gemeente),
        categorie=categorie,
        code=code,
        ingangsdatum=start,
        einddatum=end,
        reden_wijziging=None,
        volume=omvang["Volume"] if omvang else None,
        eenheid=omvang["Eenheid"] if omvang else None,
        frequentie=omvang["Frequentie"] if omvang else None,
        budget=budget,
        previous=None,
    )
    same = [
        a
        for a in store.current_allocations(
            session, request.gemeente, request.aanbieder, request.bsn, today
        )
        if (a.categorie, a.code) == (categorie, code) and a.overlaps(start, end)
    ]
    if same:
        against.append(
            f"stacking: allocation {same[0].nummer} for {code} overlaps the requested period"
        )
    profile = financing.stacking_conflicts(
        session,
        request.gemeente,
        request.bsn,
        [financing.Candidate(None, request.aanbieder, code, start, end)],
        today,
    )
    against.extend(profile)
    if not same and not profile:
        reasons.append("no stacking conflict")
    ceiling = ceilings.check_planned(session, [planned], today)
    against.extend(c.message for c in ceiling)
    if not ceiling:
        reasons.append("within every budget ceiling")
    return against, reasons, planned


def handle_request(
    session: Session, request: RequestRow, gemeente: Party, provider: Party, ctx: flows.Context
) -> AutoDecision:
    """Decide one requested product; allocate it when every condition holds."""
    today = ctx.today
    against, reasons, planned = judge_request(session, request, today)
    client = store.client_block(session, request.gemeente, request.bsn)
    if client is None:
        against.append("client data unknown: no earlier JW301 for this client (contact data)")
    record: MessageRecord | None = None
    if not against and planned is not None and client is not None:
        record, problems = _send_jw301(session, request, planned, client, gemeente, provider, ctx)
        against.extend(problems)
        if record is not None:
            reasons.append(f"JW301 {record.identificatie} sent")
    decision = AutoDecision(
        request_message_id=request.message_id,
        gemeente=request.gemeente,
        aanbieder=request.aanbieder,
        referentie_aanbieder=request.referentie,
        bsn=request.bsn,
        outcome=ALLOCATED if record is not None and not against else QUEUED,
        reasons=against if against else reasons,
        allocation_message_id=record.id if record is not None and not against else None,
        toewijzingnummer=planned.nummer if planned is not None and not against else None,
        decided_at=ctx.now,
    )
    session.add(decision)
    session.flush()
    log.info(
        "automatic decision",
        extra={"outcome": decision.outcome, "request_message_id": request.message_id},
    )
    return decision


def _send_jw301(
    session: Session,
    request: RequestRow,
    planned: store.PlannedAllocation,
    client: dict[str, Any],
    gemeente: Party,
    provider: Party,
    ctx: flows.Context,
) -> tuple[MessageRecord | None, list[str]]:
    """Build, check, log, store and feed the JW301 honouring `request` (inside the current
    transaction, as the back office would via the intake)."""
    item = store.AllocationInput(
        nummer=None,
        categorie=planned.categorie,
        code=planned.code,
        ingangsdatum=planned.ingangsdatum,
        einddatum=planned.einddatum,
        volume=planned.volume,
        eenheid=planned.eenheid,
        frequentie=planned.frequentie,
        budget=planned.budget,
        referentie_aanbieder=request.referentie,
        commentaar=None,
    )
    _, products = store.plan_jw301(
        session,
        gemeente=request.gemeente,
        agb=request.aanbieder,
        bsn=request.bsn,
        items=[item],
        now=ctx.now,
    )
    ident = _identificatie(session, gemeente.code)
    header = {
        "BerichtCode": MESSAGES["JW301"].code,
        "BerichtVersie": 3,
        "BerichtSubversie": 2,
        "Afzender": gemeente.code,
        "Ontvanger": provider.code,
        "BerichtIdentificatie": {"Identificatie": ident, "Dagtekening": ctx.today},
        "XsdVersie": {
            "BasisschemaXsdVersie": BASIS_XSD_VERSION,
            "BerichtXsdVersie": MESSAGES["JW301"].xsd_version,
        },
    }
    body = dict(client)
    body["Bsn"] = request.bsn
    body["ToegewezenProducten"] = {"ToegewezenProduct": products}
    try:
        raw = render.render("JW301", {"Header": header, "Client": body})
        info, tree = xml.read(raw)
    except (render.RenderError, xml.Rejection) as exc:
        return None, [f"the JW301 cannot be built: {exc}"]
    message = model.to_model(tree, info)
    findings = [f.as_dict() for f in engine.check(message)]
    if findings:
        return None, [f"JW301 fails {f['rule']} ({f['retourcode']})" for f in findings]
    record = MessageRecord(
        direction="in",
        message_type="JW301",
        sender=gemeente.code,
        receiver=provider.code,
        identificatie=ident,
        dagtekening=ctx.today,
        from_party_id=gemeente.id,
        to_party_id=provider.id,
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        raw=raw,
        received_at=ctx.now,
        verdict="pending",
        retour_codes=[],
        findings=[],
        status_code=0,
        response_media_type="application/json",
        response_body=b"",
    )
    session.add(record)
    session.flush()
    sub = flows.Context(session, gemeente, provider, message, record, ctx.clock, ctx.settings)
    flow = flows.flow_for("JW301")
    decision = Decision()
    if flow is not None:
        flow.check(sub, decision)
    if decision.findings:
        session.delete(record)
        session.flush()
        return None, [
            f"JW301 fails {f['rule']} ({f['retourcode']}) before sending" for f in decision.findings
        ]
    if flow is not None:
        flow.apply(sub, decision)
    record.verdict, record.status_code = "sent", 200
    record.response_body = json.dumps(
        {"message_id": record.id, "message_type": "JW301", "status": "sent", "automatic": True}
    ).encode()
    feed.append(session, provider, record, ctx.now)
    return record, []


def _identificatie(session: Session, gemeente: str) -> str:
    """An Identificatie this gemeente never used for a JW301 (TR056)."""
    while True:
        candidate = "AU" + secrets.token_hex(5).upper()
        used = session.scalar(
            select(MessageRecord.id).where(
                MessageRecord.message_type == "JW301",
                MessageRecord.sender == gemeente,
                MessageRecord.identificatie == candidate,
            )
        )
        if used is None:
            return candidate


class AutoAllocation:
    """Extension of the JW315 flow: runs after the requests were stored."""

    def check(self, ctx: flows.Context, decision: Any) -> None:
        return None

    def apply(self, ctx: flows.Context, decision: Any) -> None:
        gemeente_code = ctx.message.receiver
        region = region_of(ctx.session, gemeente_code)
        if region is None or not region.auto_allocate:
            return
        gemeente = parties.by_code(ctx.session, gemeente_code)
        provider = ctx.caller
        if gemeente is None:
            return
        rows = ctx.session.scalars(
            select(RequestRow)
            .where(RequestRow.message_id == ctx.record.id)
            .order_by(RequestRow.position)
        ).all()
        for row in rows:
            handle_request(ctx.session, row, gemeente, provider, ctx)


def decisions_for(session: Session, gemeente: str, limit: int = 100) -> list[AutoDecision]:
    """The latest automatic decisions of a gemeente."""
    return list(
        session.scalars(
            select(AutoDecision)
            .where(AutoDecision.gemeente == gemeente)
            .order_by(AutoDecision.id.desc())
            .limit(limit)
        )
    )


flows.extend("JW315", AutoAllocation())
