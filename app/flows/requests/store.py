"""Requests from providers (REQ, spec §4.2, §4.3): the only code on the request tables.

Unit of decision: each AangevraagdProduct of a VOT (JW315), the whole Verzoek of a VOW (JW317),
keyed by (AGB, ReferentieAanbieder).  States:

    PENDING --JW319 VerzoekAntwoord 2--> IN_ONDERZOEK
    PENDING | IN_ONDERZOEK --JW301 with this ReferentieAanbieder--> HONOURED
    PENDING | IN_ONDERZOEK --JW319 VerzoekAntwoord 1--> REJECTED

The state is recomputed from what was sent and not rejected by the provider (a JW302/JW320 with
codes voids our message, OP286), so a rejected honouring puts the request back in the queue.
Only requests whose JW315/JW317 was accepted are stored: a rejected request counts as never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.flows.allocations import store as allocations
from app.flows.requests.models import RequestAnswerRow, RequestRow
from app.reference import deadlines

PENDING, IN_ONDERZOEK, HONOURED, REJECTED = "pending", "in_onderzoek", "honoured", "rejected"
OPEN_STATES = (PENDING, IN_ONDERZOEK)
STATUSES = (PENDING, IN_ONDERZOEK, HONOURED, REJECTED)


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


@dataclass(frozen=True)
class Answer:
    """A JW319 we sent on a request, with the provider's JW320 verdict (sent/accepted/rejected)."""

    message_id: int
    verzoek_antwoord: str
    reden: str | None
    woonplaatsbeginsel: str | None
    sent_on: date
    status: str


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


def _answer(a: RequestAnswerRow) -> Answer:
    return Answer(
        a.message_id, a.verzoek_antwoord, a.reden, a.woonplaatsbeginsel, a.sent_on, a.status
    )


# -- queries ---------------------------------------------------------------------------------


# Built once: these run on every JW315/JW317 (building a select costs more than running it).
_BY_REFERENCE = select(RequestRow).where(
    RequestRow.aanbieder == bindparam("agb"), RequestRow.referentie == bindparam("ref")
)
_PENDING = select(RequestRow).where(
    RequestRow.gemeente == bindparam("gemeente"),
    RequestRow.aanbieder == bindparam("agb"),
    RequestRow.bsn == bindparam("bsn"),
    RequestRow.status.in_(OPEN_STATES),
)


def _row_by_reference(session: Session, agb: str, referentie: str) -> RequestRow | None:
    return session.scalar(_BY_REFERENCE, {"agb": agb, "ref": referentie})


def request_by_reference(session: Session, agb: str, referentie: str) -> Request | None:
    """The stored request of a provider with this ReferentieAanbieder (TR347 makes it unique)."""
    row = _row_by_reference(session, agb, referentie)
    return _view(row) if row is not None else None


def request_by_id(session: Session, gemeente: str, request_id: int) -> Request | None:
    """A request of this gemeente by its id (None for another gemeente's)."""
    row = session.get(RequestRow, request_id)
    return _view(row) if row is not None and row.gemeente == gemeente else None


def requests_of_message(session: Session, message_id: int) -> list[Request]:
    """The requests a JW315/JW317 created, in document order."""
    rows = session.scalars(
        select(RequestRow).where(RequestRow.message_id == message_id).order_by(RequestRow.position)
    )
    return [_view(r) for r in rows]


def open_requests(session: Session, gemeente: str) -> list[Request]:
    """Requests waiting for our decision, earliest deadline first."""
    rows = session.scalars(
        select(RequestRow)
        .where(RequestRow.gemeente == gemeente, RequestRow.status.in_(OPEN_STATES))
        .order_by(RequestRow.deadline, RequestRow.id)
    )
    return sorted((_view(r) for r in rows), key=lambda r: (r.due_date, r.id))


def requests_of(
    session: Session,
    gemeente: str,
    status: str | None = None,
    bsn: str | None = None,
    *,
    limit: int | None = None,
    before: int | None = None,
) -> list[Request]:
    """The gemeente's requests, newest first, optionally filtered (ids below `before`)."""
    query = select(RequestRow).where(RequestRow.gemeente == gemeente)
    if before is not None:
        query = query.where(RequestRow.id < before)
    if limit is not None:
        query = query.limit(limit)
    if status is not None:
        query = query.where(RequestRow.status == status)
    if bsn is not None:
        query = query.where(RequestRow.bsn == bsn)
    return [_view(r) for r in session.scalars(query.order_by(RequestRow.id.desc()))]


def requests_received(
    session: Session, gemeenten: list[str], start: date, end: date
) -> list[Request]:
    """The gemeenten's requests received in [start, end] (steering reports)."""
    rows = session.scalars(
        select(RequestRow)
        .where(
            RequestRow.gemeente.in_(gemeenten),
            RequestRow.received_on >= start,
            RequestRow.received_on <= end,
        )
        .order_by(RequestRow.id)
    )
    return [_view(r) for r in rows]


def pending_for_client(session: Session, gemeente: str, agb: str, bsn: str) -> list[Request]:
    """TR374: requests of this provider for this client that still await a final answer."""
    rows = session.scalars(_PENDING, {"gemeente": gemeente, "agb": agb, "bsn": bsn})
    return [_view(r) for r in rows]


def answers_of(session: Session, request_id: int) -> list[Answer]:
    """Our JW319s on a request that the provider did not reject, oldest first."""
    rows = session.scalars(
        select(RequestAnswerRow)
        .where(RequestAnswerRow.request_id == request_id, RequestAnswerRow.status != REJECTED)
        .order_by(RequestAnswerRow.id)
    )
    return [_answer(a) for a in rows]


# -- writing ---------------------------------------------------------------------------------


def add_request(
    session: Session,
    *,
    kind: str,
    gemeente: str,
    aanbieder: str,
    bsn: str,
    referentie: str,
    message_id: int,
    position: int,
    dagtekening: date,
    received_on: date,
    content: dict[str, Any],
) -> None:
    """Store an accepted request, pending, due in 5 working days (OP274, OP346)."""
    session.add(
        RequestRow(
            kind=kind,
            gemeente=gemeente,
            aanbieder=aanbieder,
            bsn=bsn,
            referentie=referentie,
            message_id=message_id,
            position=position,
            dagtekening=dagtekening,
            received_on=received_on,
            status=PENDING,
            deadline=deadlines.add_working_days(received_on, deadlines.REQUEST_DECISION_WD),
            content=content,
        )
    )
    session.flush()


def add_answer(
    session: Session,
    *,
    agb: str,
    referentie: str,
    message_id: int,
    verzoek_antwoord: str,
    reden: str | None,
    woonplaatsbeginsel: str | None,
    sent_on: date,
) -> None:
    """Store our JW319 on the request (agb, referentie) and recompute the request's state."""
    row = _row_by_reference(session, agb, referentie)
    assert row is not None  # TR355 passed
    session.add(
        RequestAnswerRow(
            request_id=row.id,
            message_id=message_id,
            verzoek_antwoord=verzoek_antwoord,
            reden=reden,
            woonplaatsbeginsel=woonplaatsbeginsel,
            sent_on=sent_on,
            status="sent",
        )
    )
    _refresh(session, row)


def record_answer_verdict(
    session: Session, answer_message_id: int, retour_id: int, rejected: bool
) -> None:
    """The provider's JW320 on our JW319: a rejection voids the answer (OP286)."""
    answer = session.scalar(
        select(RequestAnswerRow).where(RequestAnswerRow.message_id == answer_message_id)
    )
    if answer is None:
        return
    answer.status = REJECTED if rejected else "accepted"
    answer.retour_message_id = retour_id
    row = session.get(RequestRow, answer.request_id)
    assert row is not None
    _refresh(session, row)


def refresh_by_reference(session: Session, agb: str, referentie: str) -> None:
    """Recompute the state of a request from the messages sent on it (module docstring)."""
    row = _row_by_reference(session, agb, referentie)
    if row is not None:
        _refresh(session, row)


def _refresh(session: Session, row: RequestRow) -> None:
    """Recompute one request's state, decision date and deadlines."""
    session.flush()
    honoured = allocations.honouring(session, row.gemeente, row.aanbieder, row.referentie)
    answers = answers_of(session, row.id)
    final = [a for a in answers if a.verzoek_antwoord == "1"]
    row.final_deadline = None
    if honoured:
        row.status, row.decided_by_message_id = HONOURED, honoured[0].message_id
        row.decided_on = honoured[0].sent_on
        row.reden_afwijzing = None
    elif final:
        row.status, row.decided_by_message_id = REJECTED, final[0].message_id
        row.decided_on, row.reden_afwijzing = final[0].sent_on, final[0].reden
    else:
        row.decided_by_message_id, row.decided_on, row.reden_afwijzing = None, None, None
        row.status = IN_ONDERZOEK if answers else PENDING
    if any(a.verzoek_antwoord == "2" for a in answers):
        row.final_deadline = row.dagtekening + timedelta(weeks=deadlines.INVESTIGATION_WEEKS)
