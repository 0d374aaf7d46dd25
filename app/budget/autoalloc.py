"""Automatic handling of requests (issue 5, item 5): opt-in per region.

When a JW315 has been accepted (its products entered the queue), each requested product of a
contract set with `auto_allocate` is judged right away, in the same transaction:

- the product is specific (category + code) and contracted with this provider on the requested
  Ingangsdatum, in the unit the contract prices it in (so it is valued at the contract tariff);
- the client is known from an earlier JW301 (a JW301 needs contact data a JW315 lacks);
- no current allocation of the same product at this provider overlaps the period (OP307,
  stacking) and no profile x intensity product would stack (app.budget.financing);
- no budget ceiling (hard or soft) would be exceeded (app.budget.ceilings);
- the JW301 passes the one outbound path (level 2, the header rules and the provider's
  pre-send checks, `app.exchange.outbound`).

Then the service builds the JW301 (with the ReferentieAanbieder, IV097; the client's other
current allocations at this provider resent unchanged, OP087), logs it as sent by the gemeente,
stores the allocation and puts it in the provider's feed - the request is honoured.  Otherwise
the product stays in the gemeente's queue.  Either way the decision and its reasons are kept
(`money_auto_decisions`) and shown in the back office.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.budget import ceilings, financing
from app.budget.models import AutoDecision
from app.exchange import parties
from app.exchange.flow import Context
from app.exchange.models import MessageRecord, Party
from app.exchange.outbound import Outbound, Sent
from app.flows.allocations import store
from app.flows.allocations.planning import Order, Planned, client_block, plan_jw301
from app.flows.allocations.store import Allocation
from app.flows.requests import store as requests
from app.flows.requests.store import Request
from app.ijw.retour import Decision
from app.reference.contracts import load_contracts
from app.reference.products import regions_of

log = logging.getLogger("ijw.autoalloc")

ALLOCATED, QUEUED = "allocated", "queued"


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _units_fit(requested: str, contract: str) -> bool:
    return requested == contract or (requested, contract) in {("01", "04"), ("04", "01")}


def judge_request(
    session: Session, request: Request, today: date, auto_sets: set[int] | None = None
) -> tuple[list[str], list[str], Allocation | None]:
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
        against.append(
            f"product {categorie}/{code} is not contracted with {request.aanbieder}"
            f" on {start.isoformat()}"
        )
    elif auto_sets is not None and row.region_id not in auto_sets:
        against.append(f"product {code} is contracted in a set without automatic handling")
    elif omvang is not None and not _units_fit(omvang["Eenheid"], row.eenheid):
        against.append(
            f"requested unit {omvang['Eenheid']} does not match the contract unit {row.eenheid}"
        )
    else:
        reasons.append(
            f"contracted: {code} at {row.tarief if row.tarief is not None else 'budget'}"
            f" per unit {row.eenheid} ({row.variant})"
        )
    nummer = store.next_nummer(session, request.gemeente)
    if nummer is None:
        against.append("every ToewijzingNummer of this gemeente is used")
        return against, reasons, None
    planned = Allocation(
        gemeente=request.gemeente,
        nummer=nummer,
        bsn=request.bsn,
        aanbieder=request.aanbieder,
        categorie=categorie,
        code=code,
        ingangsdatum=start,
        einddatum=end,
        volume=omvang["Volume"] if omvang else None,
        eenheid=omvang["Eenheid"] if omvang else None,
        frequentie=omvang["Frequentie"] if omvang else None,
        budget=budget,
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
    # a hard or a soft ceiling exceeded: a person decides; passing a threshold is only noted
    results = ceilings.check_planned(session, [Planned(planned, None)], today)
    exceeded = [
        c for c in results if c.code in (ceilings.CEILING_EXCEEDED, ceilings.SPENDING_ROOM_EXCEEDED)
    ]
    against.extend(c.message for c in exceeded)
    if not exceeded:
        reasons.append("within every budget ceiling")
        reasons.extend(c.message for c in results)
    return against, reasons, planned


class AutoAllocation:
    """Extension of the JW315 flow: judges each requested product after the requests were
    stored, and sends the JW301 through the one outbound path when every condition holds."""

    def __init__(self, outbound: Outbound) -> None:
        self.outbound = outbound

    def check(self, ctx: Context, decision: Decision) -> None:
        return None

    def apply(self, ctx: Context, plan: None) -> None:
        auto = {r.id for r in regions_of(ctx.session, ctx.gemeente) if r.auto_allocate}
        if not auto:
            return
        gemeente = parties.by_code(ctx.session, ctx.gemeente)
        if gemeente is None:
            return
        for request in requests.requests_of_message(ctx.session, ctx.record.id):
            self.handle_request(ctx, request, gemeente, ctx.caller, auto)

    def handle_request(
        self,
        ctx: Context,
        request: Request,
        gemeente: Party,
        provider: Party,
        auto_sets: set[int] | None = None,
    ) -> AutoDecision:
        """Decide one requested product; allocate it when every condition holds."""
        session = ctx.session
        against, reasons, planned = judge_request(session, request, ctx.today, auto_sets)
        client = client_block(session, request.gemeente, request.bsn)
        if client is None:
            against.append("client data unknown: no earlier JW301 for this client (contact data)")
        record: MessageRecord | None = None
        if not against and planned is not None and client is not None:
            record, problems = self._send_jw301(ctx, request, planned, client, gemeente, provider)
            against.extend(problems)
            if record is not None:
                reasons.append(f"JW301 {record.identificatie} sent")
        allocated = record is not None and not against
        decision = AutoDecision(
            request_message_id=request.message_id,
            gemeente=request.gemeente,
            aanbieder=request.aanbieder,
            referentie_aanbieder=request.referentie,
            bsn=request.bsn,
            outcome=ALLOCATED if allocated else QUEUED,
            reasons=against if against else reasons,
            allocation_message_id=record.id if allocated and record is not None else None,
            toewijzingnummer=planned.nummer if allocated and planned is not None else None,
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
        self,
        ctx: Context,
        request: Request,
        planned: Allocation,
        client: dict[str, Any],
        gemeente: Party,
        provider: Party,
    ) -> tuple[MessageRecord | None, list[str]]:
        """Plan and send the JW301 honouring `request` (in the JW315's transaction)."""
        order = Order(
            nummer=None,
            content={
                "categorie": planned.categorie,
                "code": planned.code,
                "ingangsdatum": planned.ingangsdatum,
                "einddatum": planned.einddatum,
                "volume": planned.volume,
                "eenheid": planned.eenheid,
                "frequentie": planned.frequentie,
                "budget": planned.budget,
            },
            referentie_aanbieder=request.referentie,
        )
        plan = plan_jw301(
            ctx.session,
            gemeente=request.gemeente,
            agb=request.aanbieder,
            bsn=request.bsn,
            orders=[order],
            now=ctx.now,
        )
        body = {**client, "Bsn": request.bsn}
        body["ToegewezenProducten"] = {"ToegewezenProduct": plan.products}
        outcome = self.outbound.send(
            ctx.session,
            sender=gemeente,
            receiver=provider,
            kind="JW301",
            body={"Client": body},
            prefix="AU",
        )
        if isinstance(outcome, Sent):
            return outcome.record, []
        if not outcome.details or outcome.code != "REFUSED":
            return None, [f"the JW301 cannot be built: {outcome.message}"]
        return None, [f"JW301 fails {f['rule']} ({f['retourcode']})" for f in outcome.details]
