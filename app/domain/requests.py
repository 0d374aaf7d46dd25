"""Requests from providers (REQ, spec §4.2, §4.3): JW315 -> JW316, JW317 -> JW318, and our
answers JW319 (with the provider's JW320).

Unit of decision: each AangevraagdProduct of a VOT (JW315), the whole Verzoek of a VOW (JW317),
keyed by (AGB, ReferentieAanbieder).  States:

    PENDING --JW319 VerzoekAntwoord 2--> IN_ONDERZOEK
    PENDING | IN_ONDERZOEK --JW301 with this ReferentieAanbieder--> HONOURED
    PENDING | IN_ONDERZOEK --JW319 VerzoekAntwoord 1--> REJECTED

The state is recomputed from what was sent and not rejected by the provider (a JW302/JW320 with
codes voids our message, OP286), so a rejected honouring puts the request back in the queue.
Only requests whose JW315/JW317 was accepted are stored: a rejected request counts as never sent.

Rules on received requests: TR347 (9347), TR374 (9374), TR304 (8187), TR349 (9349), TR350
(9350), TR351 (9351), TR357 (9357), TR373 (9373), TR361 (9361), TR375 (9375), TR411 (9411),
TR412 (9412), TR381 (S329).  Pre-send rules on our JW319: TR355 (9355), TR359 (9359), TR360
(9360), TR365 (9365) and TR378 (S300) on Woonplaatsbeginsel.

Scoping choices (spec §7 Q11): a client has a pending request (TR374) while any product of a VOT
or a VOW of the same provider to the same gemeente is PENDING or IN_ONDERZOEK; 9374 goes on Client
in a JW315 and on Verzoek in a JW317.  TR347 holds per AGB over the whole service ("uniek voor de
aanbieder binnen het wettelijk domein").  When the Client class fails, its descendants are not
assessed (0233); failures of other classes never stop their siblings or children from being
checked (spec §6 S10: Verzoek 9349 with TeWijzigenProduct 0200).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.flows import AllocationVersionRow, RequestAnswerRow, RequestRow
from app.domain import allocations, deadlines, flows
from app.domain.allocations import Allocation
from app.ijw.model import Node, many, plain, walk
from app.ijw.retour import Decision

PENDING, IN_ONDERZOEK, HONOURED, REJECTED = "pending", "in_onderzoek", "honoured", "rejected"
OPEN_STATES = (PENDING, IN_ONDERZOEK)


@dataclass(frozen=True)
class Request:
    """One request (a VOT product or a VOW) with its state and deadlines."""

    id: int
    kind: str  # VOT | VOW
    gemeente: str
    aanbieder: str
    bsn: str
    referentie: str
    message_id: int
    position: int
    dagtekening: date
    received_on: date
    status: str
    deadline: date
    final_deadline: date | None
    content: dict[str, Any]
    decided_on: date | None
    decided_by_message_id: int | None
    reden_afwijzing: str | None

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def due_date(self) -> date:
        """The deadline that applies now: 8 weeks once in onderzoek, else 5 working days."""
        return (
            self.final_deadline
            if self.status == IN_ONDERZOEK and self.final_deadline
            else (self.deadline)
        )


def _view(r: RequestRow) -> Request:
    return Request(
        r.id,
        r.kind,
        r.gemeente,
        r.aanbieder,
        r.bsn,
        r.referentie,
        r.message_id,
        r.position,
        r.dagtekening,
        r.received_on,
        r.status,
        r.deadline,
        r.final_deadline,
        r.content,
        r.decided_on,
        r.decided_by_message_id,
        r.reden_afwijzing,
    )


# -- queries ---------------------------------------------------------------------------------


def request_by_reference(session: Session, agb: str, referentie: str) -> Request | None:
    """The stored request of a provider with this ReferentieAanbieder (TR347 makes it unique)."""
    row = session.scalar(
        select(RequestRow).where(RequestRow.aanbieder == agb, RequestRow.referentie == referentie)
    )
    return _view(row) if row is not None else None


def request_by_id(session: Session, gemeente: str, request_id: int) -> Request | None:
    """A request of this gemeente by its id (None for another gemeente's)."""
    row = session.get(RequestRow, request_id)
    return _view(row) if row is not None and row.gemeente == gemeente else None


def open_requests(session: Session, gemeente: str) -> list[Request]:
    """Requests waiting for our decision, earliest deadline first."""
    rows = session.scalars(
        select(RequestRow)
        .where(RequestRow.gemeente == gemeente, RequestRow.status.in_(OPEN_STATES))
        .order_by(RequestRow.deadline, RequestRow.id)
    )
    return sorted((_view(r) for r in rows), key=lambda r: (r.due_date, r.id))


def requests_of(
    session: Session, gemeente: str, status: str | None = None, bsn: str | None = None
) -> list[Request]:
    """The gemeente's requests, newest first, optionally filtered."""
    query = select(RequestRow).where(RequestRow.gemeente == gemeente)
    if status is not None:
        query = query.where(RequestRow.status == status)
    if bsn is not None:
        query = query.where(RequestRow.bsn == bsn)
    return [_view(r) for r in session.scalars(query.order_by(RequestRow.id.desc()))]


def pending_for_client(session: Session, gemeente: str, agb: str, bsn: str) -> list[Request]:
    """TR374: requests of this provider for this client that still await a final answer."""
    rows = session.scalars(
        select(RequestRow).where(
            RequestRow.gemeente == gemeente,
            RequestRow.aanbieder == agb,
            RequestRow.bsn == bsn,
            RequestRow.status.in_(OPEN_STATES),
        )
    )
    return [_view(r) for r in rows]


def answers_of(session: Session, request_id: int) -> list[RequestAnswerRow]:
    """Our JW319s on a request that the provider did not reject, oldest first."""
    return list(
        session.scalars(
            select(RequestAnswerRow)
            .where(RequestAnswerRow.request_id == request_id, RequestAnswerRow.status != REJECTED)
            .order_by(RequestAnswerRow.id)
        )
    )


def honouring_versions(
    session: Session, gemeente: str, agb: str, referentie: str
) -> list[AllocationVersionRow]:
    """Allocation versions sent with this ReferentieAanbieder and not rejected by a JW302."""
    return list(
        session.scalars(
            select(AllocationVersionRow)
            .where(
                AllocationVersionRow.gemeente == gemeente,
                AllocationVersionRow.aanbieder == agb,
                AllocationVersionRow.referentie_aanbieder == referentie,
                AllocationVersionRow.status != "rejected",
            )
            .order_by(AllocationVersionRow.id)
        )
    )


# -- state -----------------------------------------------------------------------------------


def refresh_by_reference(session: Session, agb: str, referentie: str, today: date) -> None:
    """Recompute the state of a request from the messages sent on it (module docstring)."""
    row = session.scalar(
        select(RequestRow).where(RequestRow.aanbieder == agb, RequestRow.referentie == referentie)
    )
    if row is not None:
        refresh(session, row, today)


def refresh(session: Session, row: RequestRow, today: date) -> None:
    """Recompute one request's state, decision date and deadlines."""
    session.flush()
    honoured = honouring_versions(session, row.gemeente, row.aanbieder, row.referentie)
    answers = answers_of(session, row.id)
    final = [a for a in answers if a.verzoek_antwoord == "1"]
    row.final_deadline = None
    if honoured:
        row.status, row.decided_by_message_id = HONOURED, honoured[0].message_id
        row.decided_on = honoured[0].sent_at.date()
        row.reden_afwijzing = None
    elif final:
        row.status, row.decided_by_message_id = REJECTED, final[0].message_id
        row.decided_on, row.reden_afwijzing = final[0].sent_on, final[0].reden
    else:
        row.decided_by_message_id, row.decided_on, row.reden_afwijzing = None, None, None
        row.status = IN_ONDERZOEK if answers else PENDING
    if any(a.verzoek_antwoord == "2" for a in answers):
        row.final_deadline = row.dagtekening + timedelta(weeks=deadlines.INVESTIGATION_WEEKS)


# -- shared checks ---------------------------------------------------------------------------


def _product(node: Node | None) -> tuple[str | None, str | None]:
    if not node:
        return None, None
    return node.get("Categorie"), node.get("Code")


def _product_known(ctx: flows.Context, categorie: str, code: str | None, on: date) -> bool:
    """TR381 via the product code list in use (app.domain.products, issue 5)."""
    from app.domain.products import product_known

    return product_known(ctx.session, gemeente_code(ctx), categorie, code, on)


def gemeente_code(ctx: flows.Context) -> str:
    """Our gemeentecode in a message between this gemeente and a provider."""
    message = ctx.message
    return message.sender if message.name in ("JW301", "JW319") else message.receiver


def check_product_code(
    ctx: flows.Context, decision: Decision, node: Node, product: Node | None, on: date
) -> None:
    """TR381 (S329) on the class that holds `product`."""
    categorie, code = _product(product)
    if categorie is not None and not _product_known(ctx, categorie, code, on):
        decision.add(node, "S329", "TR381")


def _mark_descendants_not_assessed(decision: Decision, node: Node) -> None:
    for child in walk(node):
        if child is not node:
            decision.not_assessed.add(child)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _same_product(a: tuple[str | None, str | None], b: tuple[str | None, str | None]) -> bool:
    """The product test of TR302/TR361: code if both have one, else category; no category
    (generic) is the same as any product."""
    if a[0] is None or b[0] is None:
        return True
    if a[1] is not None and b[1] is not None:
        return a[1] == b[1]
    return a[0] == b[0]


def _overlap(a: tuple[date, date | None], b: tuple[date, date | None]) -> bool:
    return (a[1] is None or b[0] <= a[1]) and (b[1] is None or a[0] <= b[1])


# -- JW315: Verzoek om toewijzing ------------------------------------------------------------


class Jw315Flow:
    """JW315 -> JW316: TR374 on Client, TR347 and TR381 per AangevraagdProduct; accepted
    products enter the gemeente's queue, decision due in 5 working days (OP274)."""

    def check(self, ctx: flows.Context, decision: Decision) -> None:
        client = ctx.message.root["Client"]
        agb, bsn = ctx.message.sender, client["Bsn"]
        if pending_for_client(ctx.session, gemeente_code(ctx), agb, bsn):
            decision.add(client, "9374", "TR374")
            _mark_descendants_not_assessed(decision, client)
            return
        for node in many(client, "AangevraagdeProducten", "AangevraagdProduct"):
            if request_by_reference(ctx.session, agb, node["ReferentieAanbieder"]) is not None:
                decision.add(node, "9347", "TR347")
            check_product_code(
                ctx, decision, node, node.get("Product"), node["ToewijzingIngangsdatum"]
            )

    def apply(self, ctx: flows.Context, decision: Decision) -> None:
        message, client = ctx.message, ctx.message.root["Client"]
        deadline = deadlines.add_working_days(ctx.today, deadlines.REQUEST_DECISION_WD)
        for i, node in enumerate(many(client, "AangevraagdeProducten", "AangevraagdProduct"), 1):
            ctx.session.add(
                RequestRow(
                    kind="VOT",
                    gemeente=gemeente_code(ctx),
                    aanbieder=message.sender,
                    bsn=client["Bsn"],
                    referentie=node["ReferentieAanbieder"],
                    message_id=ctx.record.id,
                    position=i,
                    dagtekening=message.dagtekening,
                    received_on=ctx.today,
                    status=PENDING,
                    deadline=deadline,
                    content=_json_safe(plain(node)),
                )
            )
        ctx.session.flush()


# -- JW317: Verzoek om wijziging -------------------------------------------------------------


@dataclass
class _Item:
    node: Node
    product: tuple[str | None, str | None]
    period: tuple[date, date | None]


class Jw317Flow:
    """JW317 -> JW318: TR304 on Client; TR347, TR374, TR349 on Verzoek; TR350, TR351, TR357,
    TR373, TR375, TR411, TR412 on the products; TR361 on the later of two overlapping ones;
    TR381 on NieuwProduct.  Accepted: the VOW enters the queue, due in 5 working days (OP346)."""

    def check(self, ctx: flows.Context, decision: Decision) -> None:
        message = ctx.message
        client = message.root["Client"]
        verzoek = client["Verzoek"]
        gemeente, agb, bsn = gemeente_code(ctx), message.sender, client["Bsn"]
        dagtekening = message.dagtekening
        ongewijzigd = many(verzoek, "OngewijzigdeProducten", "OngewijzigdProduct")
        te_wijzigen = many(verzoek, "TeWijzigenProducten", "TeWijzigenProduct")
        nieuw = many(verzoek, "NieuweProducten", "NieuwProduct")

        found: dict[int, Allocation | None] = {}
        for node in (*ongewijzigd, *te_wijzigen):
            nummer = int(node["ToewijzingNummer"])
            found[nummer] = allocations.allocation(ctx.session, gemeente, nummer)
        # TR304 (8187): every referenced allocation belongs to this client.
        if any(a is not None and not a.deleted and a.bsn != bsn for a in found.values()):
            decision.add(client, "8187", "TR304")
            _mark_descendants_not_assessed(decision, client)
            return

        def current(nummer: int) -> Allocation | None:
            a = found.get(nummer)
            ok = a is not None and a.aanbieder == agb and a.bsn == bsn
            return a if ok and a is not None and a.is_current(dagtekening) else None

        if pending_for_client(ctx.session, gemeente, agb, bsn):
            decision.add(verzoek, "9374", "TR374")
        if request_by_reference(ctx.session, agb, verzoek["ReferentieAanbieder"]) is not None:
            decision.add(verzoek, "9347", "TR347")
        listed = {int(n["ToewijzingNummer"]) for n in (*ongewijzigd, *te_wijzigen)}
        for a in allocations.current_allocations(ctx.session, gemeente, agb, bsn, dagtekening):
            if a.nummer not in listed:
                decision.add(verzoek, "9349", "TR349")
                break

        items: list[_Item] = []
        for node in ongewijzigd:
            a = current(int(node["ToewijzingNummer"]))
            if a is None:
                decision.add(node, "9350", "TR350")
                continue
            items.append(_Item(node, (a.categorie, a.code), (a.ingangsdatum, a.einddatum)))
        for node in te_wijzigen:
            a = current(int(node["ToewijzingNummer"]))
            if a is None:
                decision.add(node, "9351", "TR351")
                continue
            self._check_change(decision, node, a, dagtekening)
            period = (node["GewensteIngangsdatum"], node.get("Einddatum") or a.einddatum)
            items.append(_Item(node, (a.categorie, a.code), period))
        for node in nieuw:
            check_product_code(
                ctx, decision, node, node.get("Product"), node["GewensteIngangsdatum"]
            )
            period = (node["GewensteIngangsdatum"], node.get("Einddatum"))
            items.append(_Item(node, _product(node.get("Product")), period))
        # TR361 (9361): the same product twice with overlapping periods; the later class gets it.
        for i, later in enumerate(items):
            if any(
                _same_product(earlier.product, later.product)
                and _overlap(earlier.period, later.period)
                for earlier in items[:i]
            ):
                decision.add(later.node, "9361", "TR361")

    @staticmethod
    def _check_change(decision: Decision, node: Node, a: Allocation, dagtekening: date) -> None:
        gewenst: date = node["GewensteIngangsdatum"]
        omvang, budget = node.get("Omvang"), node.get("Budget")
        # TR357: a change that does not start in the future covers the whole period.
        if gewenst <= dagtekening and gewenst != a.ingangsdatum:
            decision.add(node, "9357", "TR357")
        # TR373: a Budget change or a change of a total (frequency 6) runs from the Ingangsdatum.
        budget_change = budget is not None and budget != a.budget
        total_change = (
            omvang is not None
            and omvang["Frequentie"] == "6"
            and (
                (omvang["Volume"], omvang["Eenheid"], omvang["Frequentie"])
                != (a.volume, a.eenheid, a.frequentie)
            )
        )
        if (budget_change or total_change) and gewenst != a.ingangsdatum:
            decision.add(node, "9373", "TR373")
        # TR375/TR411/TR412: Omvang follows the allocation's product detail.
        if a.categorie is None:
            if omvang is not None and a.ends_after_2020_or_open:
                decision.add(node, "9375", "TR375")
        elif a.code is not None:
            if omvang is None:
                decision.add(node, "9411", "TR411")
        elif omvang is not None and a.ends_after_2020_or_open:
            decision.add(node, "9412", "TR412")

    def apply(self, ctx: flows.Context, decision: Decision) -> None:
        message, client = ctx.message, ctx.message.root["Client"]
        verzoek = client["Verzoek"]
        ctx.session.add(
            RequestRow(
                kind="VOW",
                gemeente=gemeente_code(ctx),
                aanbieder=message.sender,
                bsn=client["Bsn"],
                referentie=verzoek["ReferentieAanbieder"],
                message_id=ctx.record.id,
                position=1,
                dagtekening=message.dagtekening,
                received_on=ctx.today,
                status=PENDING,
                deadline=deadlines.add_working_days(ctx.today, deadlines.REQUEST_DECISION_WD),
                content=_json_safe(plain(verzoek)),
            )
        )
        ctx.session.flush()


# -- JW319 (ours) and JW320 (the provider's retour on it) ------------------------------------


class Jw319Flow:
    """Our answer on a request: TR355, TR359, TR360, TR365 on Antwoord and TR378 (S300) on
    Woonplaatsbeginsel are checked before it leaves; then the request's state follows it."""

    def check(self, ctx: flows.Context, decision: Decision) -> None:
        from app.domain.codelists import gemeente_valid

        antwoord = ctx.message.root["Antwoord"]
        wpb = antwoord.get("Woonplaatsbeginsel")
        if wpb is not None and not gemeente_valid(
            ctx.session, wpb["Gemeente"], ctx.message.dagtekening
        ):
            decision.add(wpb, "S300", "TR378")
        req = request_by_reference(
            ctx.session, ctx.message.receiver, antwoord["ReferentieAanbieder"]
        )
        if req is None or req.gemeente != ctx.message.sender:
            decision.add(antwoord, "9355", "TR355")
            return
        if honouring_versions(ctx.session, req.gemeente, req.aanbieder, req.referentie):
            decision.add(antwoord, "9359", "TR359")
        earlier = answers_of(ctx.session, req.id)
        if antwoord["VerzoekAntwoord"] == "2" and earlier:
            decision.add(antwoord, "9360", "TR360")
        if any(a.verzoek_antwoord != "2" for a in earlier):
            decision.add(antwoord, "9365", "TR365")
        if antwoord.get("RedenAfwijzingVerzoek") == "8" and req.kind == "VOW":
            ctx.notes.append(
                {
                    "level": "warn",
                    "code": "WJ759",
                    "message": "reason 8 (woonplaatsbeginsel) is meant for a VOT, not a VOW",
                }
            )

    def apply(self, ctx: flows.Context, decision: Decision) -> None:
        antwoord = ctx.message.root["Antwoord"]
        row = ctx.session.scalar(
            select(RequestRow).where(
                RequestRow.aanbieder == ctx.message.receiver,
                RequestRow.referentie == antwoord["ReferentieAanbieder"],
            )
        )
        assert row is not None  # TR355 passed
        wpb = antwoord.get("Woonplaatsbeginsel")
        ctx.session.add(
            RequestAnswerRow(
                request_id=row.id,
                message_id=ctx.record.id,
                verzoek_antwoord=antwoord["VerzoekAntwoord"],
                reden=antwoord.get("RedenAfwijzingVerzoek"),
                woonplaatsbeginsel=wpb["Gemeente"] if wpb else None,
                sent_on=ctx.today,
                status="sent",
            )
        )
        refresh(ctx.session, row, ctx.today)


class Jw320Flow:
    """The provider's retour on our JW319: any code other than 0200/0233 voids the answer."""

    def check(self, ctx: flows.Context, decision: Decision) -> None:
        return None

    def apply(self, ctx: flows.Context, decision: Decision) -> None:
        original = ctx.record.answers_id
        if original is None:
            return
        answer = ctx.session.scalar(
            select(RequestAnswerRow).where(RequestAnswerRow.message_id == original)
        )
        if answer is None:
            return
        codes = allocations._codes(ctx.message.root)
        answer.status = REJECTED if any(c not in ("0200", "0233") for c in codes) else "accepted"
        answer.retour_message_id = ctx.record.id
        row = ctx.session.get(RequestRow, answer.request_id)
        assert row is not None
        refresh(ctx.session, row, ctx.today)


flows.register("JW315", Jw315Flow())
flows.register("JW317", Jw317Flow())
flows.register("JW319", Jw319Flow())
flows.register("JW320", Jw320Flow())
