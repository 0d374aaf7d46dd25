"""Back-office services: allocation states, creating and changing allocations (a JW301), answering
requests (a JW319) and the items that are overdue or soon due.

Creating an allocation runs in one transaction that first locks the gemeente and the provider
(`app.exchange.parties.lock`: row locks on PostgreSQL, the write lock on SQLite), then plans the
ToewijzingNummers, records what a person decided for them (a ceiling override, the provider's
consent), and sends the JW301 through the one outbound path, whose JW301 flow runs the checks
(ceilings, stacking, contract, consent).  So two creates, in any number of processes, never plan
the same number and a ceiling check always sees the allocations sent before it.

Every action takes the acting person (`actor`, e.g. the signed-in user of the web UI, or the
X-Ijw-User header) and is kept in the audit (`app.backoffice.audit`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, get_args

from sqlalchemy.orm import Session, sessionmaker

from app.backoffice import audit
from app.budget import store as permits
from app.budget.models import AllocationPermit
from app.clock import AMSTERDAM, Clock
from app.db.base import transaction
from app.exchange import log, parties
from app.exchange.models import Party
from app.exchange.outbound import Outbound, Refused, Sent
from app.flows.allocations import store as allocations
from app.flows.allocations.planning import (
    BuildError,
    Order,
    client_block,
    plan_jw301,
)
from app.flows.allocations.store import WITHDRAWAL_REASONS, Allocation, History
from app.flows.deliveries import store as deliveries
from app.flows.deliveries.store import Delivery
from app.flows.requests import store as requests
from app.flows.requests.store import Request
from app.ijw.catalogue import Role
from app.ijw.rules.catalogue import RULES
from app.reference import deadlines

StateName = Literal[
    "undelivered",
    "sent",
    "acknowledged",
    "rejected",
    "started",
    "stopped",
    "ended",
    "withdrawn",
    "deleted",
]
STATES: tuple[str, ...] = get_args(StateName)


@dataclass(frozen=True)
class AllocationState:
    """An allocation as the back office shows it."""

    history: History
    state: str
    deliveries: list[Delivery]

    @property
    def leading(self) -> Allocation | None:
        return self.history.leading

    @property
    def latest(self) -> Allocation | None:
        return self.history.latest


def state_of(session: Session, history: History, gemeente: str, today: date) -> AllocationState:
    """One state per allocation, first match wins: undelivered (the JW301 we sent last never
    reached the provider: its only channel, the GGk, reported a Fo01), rejected (the provider
    refused the version we sent last, or every version), deleted (13), withdrawn (last change
    shortened it with a reason of JZ002 02-11 or 14), ended (Einddatum passed), stopped (its
    latest start has a stop), started, acknowledged (JW302 without codes), sent (no JW302 yet)."""
    leading, latest = history.leading, history.latest
    delivered = deliveries.deliveries(session, gemeente, history.nummer)
    if latest is not None and log.verdict_of(session, latest.message_id) == "undelivered":
        state = "undelivered"
    elif leading is None or (latest is not None and latest.status == "rejected"):
        state = "rejected"
    elif leading.deleted:
        state = "deleted"
    elif history.last_reason in WITHDRAWAL_REASONS:
        state = "withdrawn"
    elif leading.einddatum is not None and leading.einddatum < today:
        state = "ended"
    elif delivered and delivered[-1].state != "active":
        state = "stopped"
    elif delivered:
        state = "started"
    else:
        state = "acknowledged" if leading.confirmed else "sent"
    return AllocationState(history, state, delivered)


@dataclass(frozen=True)
class Refusal:
    """A back-office action that was refused: HTTP status, code, text and details."""

    status: int
    code: str
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Created:
    """A JW301 that was sent, with the allocations it carried and every warning."""

    message_id: int
    identificatie: str
    allocations: list[AllocationState]
    warnings: list[dict[str, Any]]


@dataclass(frozen=True)
class Answered:
    """A JW319 that was sent, with the request's new state."""

    message_id: int
    identificatie: str
    notes: list[dict[str, Any]]
    request: Request


@dataclass(frozen=True)
class DueItem:
    """Something the gemeente must do (or chase) by `deadline`."""

    kind: str  # verzoek_besluit | verzoek_onderzoek | retour_302 | retour_320
    deadline: date
    working_days_left: int
    verzoek_id: int | None = None
    message_id: int | None = None
    aanbieder: str | None = None
    bsn: str | None = None
    referentie_aanbieder: str | None = None
    identificatie: str | None = None


# ToegewezenProduct / Antwoord element -> the back-office JSON field it came from.
_FIELDS = {
    "ToewijzingNummer": "toewijzingnummer",
    "ReferentieAanbieder": "referentie_aanbieder",
    "Product": "product",
    "Toewijzingsdatum": "toewijzingsdatum",
    "Toewijzingstijd": "toewijzingstijd",
    "Ingangsdatum": "ingangsdatum",
    "Einddatum": "einddatum",
    "RedenWijziging": "reden_wijziging",
    "Omvang": "omvang",
    "Budget": "budget",
    "Commentaar": "commentaar",
    "VerzoekAntwoord": "verzoek_antwoord",
    "RedenAfwijzingVerzoek": "reden_afwijzing",
    "Woonplaatsbeginsel": "woonplaatsbeginsel",
}
_PRODUCT = re.compile(r"/ToegewezenProducten/ToegewezenProduct(?:\[(\d+)\])?((?:/\w+)*)$")


def request_path(xpath: str, orders: int) -> str:
    """Where in the caller's back-office JSON a finding on the message we built points.

    The first `orders` ToegewezenProducten are the caller's `toewijzingen` in order; later ones
    are the client's other current allocations we resent (OP087).  Client data keeps its message
    names (`client.Naam`); what we wrote ourselves (the header) is the request as a whole (`$`).
    """
    m = _PRODUCT.search(xpath)
    if m:
        position = int(m.group(1) or 1)
        first = (m.group(2) or "/").split("/")[1:2]
        field = "." + _FIELDS.get(first[0], first[0]) if first and first[0] else ""
        if position <= orders:
            return f"toewijzingen[{position - 1}]{field}"
        return f"current allocation {position - orders} (resent unchanged){field}"
    if "/Client/" in xpath or xpath.endswith("/Client"):
        rest = xpath.split("/Client", 1)[1].strip("/")
        return "client" + ("." + rest.replace("/", ".") if rest else "")
    if "/Antwoord" in xpath:
        rest = xpath.split("/Antwoord", 1)[1].strip("/").split("/")[0]
        return _FIELDS.get(rest, rest) if rest else "$"
    return "$"


def _refusal(outcome: Refused, orders: int = 0) -> Refusal:
    """A refusal of a message we built, in the terms of the caller's JSON request."""
    errors = []
    for d in outcome.details:
        if not d.get("rule") and "level" in d:
            errors.append({**d, "location": "toewijzingen"})  # a pre-create check
            continue
        where = d.get("location") or d.get("path") or ""
        if isinstance(where, list):
            where = where[0] if where else ""
        rule = d.get("rule")
        text = RULES[rule].summary if rule in RULES else str(d.get("message", ""))
        item: dict[str, Any] = {"location": request_path(str(where), orders), "message": text}
        if rule:
            item |= {"rule": rule, "retourcode": d.get("retourcode")}
        errors.append(item)
    return Refusal(outcome.status, outcome.code, outcome.message, errors)


class BackOffice:
    """The back office of every gemeente served here (one instance per service)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Clock,
        outbound: Outbound,
    ) -> None:
        # The pre-create checks (ceilings, contracts, consent) run in the JW301 flow itself
        # (budget.guard.AllocationGuard), so every path of a JW301 has them, this one too.
        self.factory = factory
        self.clock = clock
        self.outbound = outbound

    # -- allocations -----------------------------------------------------------------------
    def allocations(
        self,
        session: Session,
        gemeente: str,
        *,
        aanbieder: str | None = None,
        bsn: str | None = None,
        state: str | None = None,
        limit: int = 200,
        after: int = 0,
    ) -> list[AllocationState]:
        """Up to `limit` of the gemeente's allocations by ToewijzingNummer above `after`,
        optionally filtered."""
        today = self.clock.today()
        out = []
        found = allocations.histories(session, gemeente, aanbieder=aanbieder, bsn=bsn, after=after)
        for h in found:
            st = state_of(session, h, gemeente, today)
            if state is None or st.state == state:
                out.append(st)
                if len(out) >= limit:
                    break
        return out

    def allocation(self, session: Session, gemeente: str, nummer: int) -> AllocationState | None:
        """One allocation with every version."""
        h = allocations.history(session, gemeente, nummer)
        return state_of(session, h, gemeente, self.clock.today()) if h is not None else None

    def changes(
        self, session: Session, gemeente: str, since: int, limit: int
    ) -> list[AllocationState]:
        """Allocations changed since a cursor, oldest change first."""
        today = self.clock.today()
        return [
            state_of(session, h, gemeente, today)
            for h in allocations.changed_since(session, gemeente, since, limit)
        ]

    def create_allocations(
        self,
        gemeente: Party,
        *,
        aanbieder: str,
        bsn: str,
        orders: list[Order],
        client: dict[str, Any] | None,
        include_current: bool = True,
        identificatie: str | None = None,
        actor: str | None = None,
    ) -> Created | Refusal:
        """Plan, check and send one JW301 for the client at the provider (module docstring)."""
        with transaction(self.factory) as s:
            provider = parties.by_code(s, aanbieder)
            me = s.get(Party, gemeente.id)
            assert me is not None
            parties.lock(s, [me, provider])
            if provider is None or provider.role != Role.AANBIEDER:
                return Refusal(422, "IB010", f"aanbieder {aanbieder} is not known to this service")
            client = client or client_block(s, me.code, bsn)
            if client is None:
                return Refusal(
                    422,
                    "CLIENT_REQUIRED",
                    "no JW301 was sent for this client before: give the client data",
                )
            try:
                plan = plan_jw301(
                    s,
                    gemeente=me.code,
                    agb=aanbieder,
                    bsn=bsn,
                    orders=orders,
                    now=self.clock.now(),
                    include_current=include_current,
                )
            except BuildError as exc:
                return Refusal(422, exc.code, str(exc), exc.details)
            today, now = self.clock.today(), self.clock.now()
            subject = f"aanbieder {aanbieder} bsn {bsn}"
            made_permits = []
            for order, planned in zip(orders, plan.planned, strict=True):
                decided = ((permits.OVERRIDE, order.override), (permits.CONSENT, order.consent))
                for kind, reason in decided:
                    if reason:
                        made_permits.append(
                            permits.add_permit(
                                s,
                                gemeente=me.code,
                                nummer=planned.allocation.nummer,
                                kind=kind,
                                reason=reason,
                                actor_party=me.code,
                                actor_user=actor,
                                now=now,
                            )
                        )
            body = {k: v for k, v in client.items() if k != "ToegewezenProducten"}
            body["Bsn"] = bsn
            body["ToegewezenProducten"] = {"ToegewezenProduct": plan.products}
            outcome = self.outbound.send(
                s,
                sender=me,
                receiver=provider,
                kind="JW301",
                body={"Client": body},
                identificatie=identificatie,
            )
            if isinstance(outcome, Refused):
                record_id = outcome.record.id if outcome.record is not None else None
                self._refused(s, me.code, actor, subject, made_permits, record_id, outcome.details)
                return _refusal(outcome, len(orders))
            nummers = [p["ToewijzingNummer"] for p in plan.products]
            made = [
                state_of(s, h, me.code, today)
                for h in allocations.histories(s, me.code, nummers=nummers)
            ]
            warnings = [n.as_dict() for n in outcome.notes]
            audit.record(
                s,
                gemeente=me.code,
                actor=actor,
                action="allocation.sent",
                subject=subject,
                now=now,
                message_id=outcome.record.id,
                details={
                    "toewijzingnummers": [p.allocation.nummer for p in plan.planned],
                    "warnings": [w["code"] for w in warnings],
                    "overrides": [
                        {"toewijzingnummer": p.nummer, "reason": p.reason}
                        for p in made_permits
                        if p.kind == permits.OVERRIDE
                    ],
                    "consents": [p.nummer for p in made_permits if p.kind == permits.CONSENT],
                },
            )
            return Created(outcome.record.id, outcome.record.identificatie or "", made, warnings)

    def _refused(
        self,
        s: Session,
        gemeente: str,
        actor: str | None,
        subject: str,
        made_permits: list[AllocationPermit],
        message_id: int | None,
        details: list[dict[str, Any]],
    ) -> None:
        """A refused create: its permits go (the number may be planned again for another
        allocation) and the refusal is audited."""
        for p in made_permits:
            s.delete(p)
        audit.record(
            s,
            gemeente=gemeente,
            actor=actor,
            action="allocation.refused",
            subject=subject,
            now=self.clock.now(),
            message_id=message_id,
            details={"codes": sorted({str(d.get("code") or d.get("rule")) for d in details})},
        )

    def add_permit(
        self, gemeente: Party, nummer: int, kind: str, reason: str, actor: str | None
    ) -> AllocationPermit:
        """Record an override or the provider's consent for allocation `nummer` ahead of a
        JW301 the gemeente posts itself (the back office's own creates take them inline)."""
        with transaction(self.factory) as s:
            permit = permits.add_permit(
                s,
                gemeente=gemeente.code,
                nummer=nummer,
                kind=kind,
                reason=reason,
                actor_party=gemeente.code,
                actor_user=actor,
                now=self.clock.now(),
            )
            audit.record(
                s,
                gemeente=gemeente.code,
                actor=actor,
                action=f"permit.{kind}",
                subject=f"toewijzing {nummer}",
                now=self.clock.now(),
                details={"reason": reason, "permit_id": permit.id},
            )
            return permit

    # -- requests --------------------------------------------------------------------------
    def answer_request(
        self,
        gemeente: Party,
        request_id: int,
        *,
        verzoek_antwoord: str,
        reden_afwijzing: str | None,
        woonplaatsbeginsel: str | None,
        identificatie: str | None = None,
        actor: str | None = None,
    ) -> Answered | Refusal | None:
        """Send a JW319 on one of the gemeente's requests (None: no such request of yours)."""
        with transaction(self.factory) as s:
            me = s.get(Party, gemeente.id)
            assert me is not None
            r = requests.request_by_id(s, me.code, request_id)
            if r is None:
                return None
            provider = parties.by_code(s, r.aanbieder)
            parties.lock(s, [me, provider])
            if provider is None:
                return Refusal(
                    422, "IB010", f"aanbieder {r.aanbieder} is not known to this service"
                )
            antwoord: dict[str, Any] = {
                "ReferentieAanbieder": r.referentie,
                "VerzoekAntwoord": verzoek_antwoord,
                "RedenAfwijzingVerzoek": reden_afwijzing,
            }
            if woonplaatsbeginsel:
                antwoord["Woonplaatsbeginsel"] = {"Gemeente": woonplaatsbeginsel}
            outcome = self.outbound.send(
                s,
                sender=me,
                receiver=provider,
                kind="JW319",
                body={"Antwoord": antwoord},
                identificatie=identificatie,
            )
            audit.record(
                s,
                gemeente=me.code,
                actor=actor,
                action="request.refused" if isinstance(outcome, Refused) else "request.answered",
                subject=f"verzoek {request_id} aanbieder {r.aanbieder}",
                now=self.clock.now(),
                message_id=outcome.record.id if outcome.record is not None else None,
                details={"verzoek_antwoord": verzoek_antwoord, "reden": reden_afwijzing},
            )
            if isinstance(outcome, Refused):
                return _refusal(outcome)
            assert isinstance(outcome, Sent)
            fresh = requests.request_by_id(s, me.code, request_id)
            assert fresh is not None
            return Answered(
                outcome.record.id,
                outcome.record.identificatie or "",
                [n.as_dict() for n in outcome.notes],
                fresh,
            )

    # -- deadlines -------------------------------------------------------------------------
    def due_items(
        self, session: Session, gemeente: str, within: int
    ) -> tuple[list[DueItem], list[DueItem]]:
        """(overdue, soon) items on the service's today (see `due_items`)."""
        return due_items(session, gemeente, within, self.clock.today())


def due_items(
    session: Session, gemeente: str, within: int, today: date
) -> tuple[list[DueItem], list[DueItem]]:
    """(overdue, soon) items, earliest deadline first: decisions on requests (5 working
    days, 8 weeks once in onderzoek) and our JW301/JW319 still without the provider's
    JW302/JW320 (3 working days, OP090x2)."""
    found: list[tuple[date, dict[str, Any]]] = []
    for r in requests.open_requests(session, gemeente):
        kind = "verzoek_onderzoek" if r.status == requests.IN_ONDERZOEK else "verzoek_besluit"
        found.append(
            (
                r.due_date,
                {
                    "kind": kind,
                    "verzoek_id": r.id,
                    "aanbieder": r.aanbieder,
                    "bsn": r.bsn,
                    "referentie_aanbieder": r.referentie,
                },
            )
        )
    for m in log.unanswered_sends(session, gemeente):
        sent_on = m.received_at.astimezone(AMSTERDAM).date()
        found.append(
            (
                deadlines.add_working_days(sent_on, deadlines.RETOUR_WD),
                {
                    "kind": "retour_302" if m.message_type == "JW301" else "retour_320",
                    "message_id": m.id,
                    "identificatie": m.identificatie,
                    "aanbieder": m.receiver,
                },
            )
        )
    overdue: list[DueItem] = []
    soon: list[DueItem] = []
    for deadline, fields in sorted(found, key=lambda item: item[0]):
        due = deadlines.due(deadline, today)
        item = DueItem(deadline=deadline, working_days_left=due.working_days_left, **fields)
        if due.overdue:
            overdue.append(item)
        elif due.working_days_left <= within:
            soon.append(item)
    return overdue, soon


def woonplaats_deadline(r: Request) -> date | None:
    """OP359: a VOT rejected on woonplaatsbeginsel (reason 8) within the legal 2 weeks."""
    return r.received_on + timedelta(weeks=deadlines.WOONPLAATS_WEEKS) if r.kind == "VOT" else None
