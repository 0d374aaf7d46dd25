"""The gemeente's back office (JSON, gemeente only, always scoped to the caller's own data).

- `GET  /v1/backoffice/verzoeken`: requests (VOT per product, VOW) with their deadlines
- `GET  /v1/backoffice/verzoeken/{id}` and `POST .../{id}/antwoord`: answer one (builds a JW319)
- `GET  /v1/backoffice/toewijzingen`: allocations with their state
- `GET  /v1/backoffice/toewijzingen/wijzigingen?since=`: allocations changed since a cursor
- `GET  /v1/backoffice/toewijzingen/{nummer}`: one allocation with every version
- `POST /v1/backoffice/toewijzingen`: create or change allocations (builds and checks a JW301)
- `GET  /v1/backoffice/termijnen`: overdue and soon-due items

Messages built here go through the same intake as a posted message (level 2, the pre-send rules,
the message log, the provider's feed), so a refused one answers 422 with the same findings.
`GET /v1/clock` (any party) tells the service's today, for integration tests.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import defaultdict
from datetime import date, time, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import ApiError, Service, caller, gemeente, service, session
from app.db.flows import AllocationRow
from app.db.models import MessageRecord, Party
from app.domain import allocations, deadlines, requests
from app.domain.allocations import AllocationInput, AllocationState, BuildError
from app.ijw import render
from app.ijw.catalogue.xsd_model import BASIS_XSD_VERSION, MESSAGES

router = APIRouter(prefix="/v1/backoffice", tags=["backoffice"])
clock_router = APIRouter(tags=["service"])

_STANDARD = "See docs/backoffice.md.  Gemeente tokens only; every answer is limited to the " + (
    "calling gemeente's own clients, allocations and requests."
)


# -- shapes ----------------------------------------------------------------------------------


class Product(BaseModel):
    categorie: str = Field(pattern=r"^[0-9]{2}$")
    code: str | None = Field(default=None, pattern=r"^[0-9A-Za-z]{5}$")


class Omvang(BaseModel):
    volume: int = Field(ge=0, le=99_999_999)
    eenheid: str = Field(pattern=r"^[0-9]{2}$")
    frequentie: str = Field(pattern=r"^[0-9]$")


class AllocationIn(BaseModel):
    """One allocation to send.  With `toewijzingnummer` of an existing allocation it is a
    change: fields you leave out keep their current value (give `einddatum: null` to open it).
    Without it a new allocation is made with a fresh number."""

    toewijzingnummer: int | None = Field(default=None, ge=1, le=999_999_999)
    product: Product | None = None
    ingangsdatum: date | None = None
    einddatum: date | None = None
    reden_wijziging: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    omvang: Omvang | None = None
    budget: int | None = Field(default=None, ge=0, le=99_999_999, description="eurocents")
    referentie_aanbieder: str | None = Field(default=None, max_length=36)
    commentaar: str | None = Field(default=None, max_length=1000)
    toewijzingsdatum: date | None = Field(default=None, description="default: now")
    toewijzingstijd: time | None = Field(default=None, description="default: now")


class AllocationRequest(BaseModel):
    """A JW301 for one client at one provider."""

    aanbieder: str = Field(pattern=r"^[0-9]{8}$")
    bsn: str = Field(pattern=r"^[0-9]{9}$")
    client: dict[str, Any] | None = Field(
        default=None,
        description="the JW301 Client data (Geboortedatum, Geslacht, Naam, Contactgegevens, ...)"
        " in the message's shape; optional when a JW301 was sent for this client before",
    )
    toewijzingen: list[AllocationIn] = Field(min_length=1)
    include_current: bool = Field(
        default=True,
        description="resend the client's other current allocations at this provider unchanged "
        "(OP087: every JW301 holds them all)",
    )
    identificatie: str | None = Field(default=None, min_length=1, max_length=12)


class AnswerRequest(BaseModel):
    """A JW319 on a request: 1 = rejected (with a reason), 2 = in onderzoek."""

    verzoek_antwoord: Literal["1", "2"]
    reden_afwijzing: str | None = Field(default=None, pattern=r"^[0-9]$")
    woonplaatsbeginsel: str | None = Field(
        default=None, pattern=r"^[0-9]{4}$", description="responsible gemeente (reason 8)"
    )
    identificatie: str | None = Field(default=None, min_length=1, max_length=12)


# -- helpers ---------------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | time) else value


def _version(a: allocations.Allocation | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "version_id": a.version_id,
        "message_id": a.message_id,
        "status": a.status,
        "product": {"categorie": a.categorie, "code": a.code} if a.categorie else None,
        "ingangsdatum": _iso(a.ingangsdatum),
        "einddatum": _iso(a.einddatum),
        "reden_wijziging": a.reden_wijziging,
        "omvang": (
            {"volume": a.volume, "eenheid": a.eenheid, "frequentie": a.frequentie}
            if a.volume is not None
            else None
        ),
        "budget": a.budget,
        "toewijzingsdatum": _iso(a.toewijzingsdatum),
        "toewijzingstijd": _iso(a.toewijzingstijd),
        "referentie_aanbieder": a.referentie_aanbieder,
        "unchanged": a.unchanged,
    }


def _allocation(s: AllocationState, with_versions: list[Any] | None = None) -> dict[str, Any]:
    latest = s.latest
    out: dict[str, Any] = {
        "toewijzingnummer": s.row.nummer,
        "bsn": s.row.bsn,
        "aanbieder": s.row.aanbieder,
        "state": s.state,
        "retour": (
            {"sent": "pending", "accepted": "accepted", "rejected": "rejected"}[latest.status]
            if latest
            else None
        ),
        "last_reason": s.last_reason,
        "leading": _version(s.leading),
        "rejected_version": (
            {**(_version(latest) or {}), "retour_codes": s.latest_codes}
            if latest is not None and latest.status == "rejected"
            else None
        ),
        "deliveries": [
            {
                "begindatum": _iso(d.begindatum),
                "product": {"categorie": d.categorie, "code": d.code} if d.categorie else None,
                "state": d.state,
                "einddatum": _iso(d.einddatum),
                "reden_beeindiging": d.reden,
            }
            for d in s.deliveries
        ],
        "cursor": str(s.row.change_seq),
    }
    if with_versions is not None:
        out["versions"] = with_versions
    return out


def _request(session: Session, r: requests.Request, today: date) -> dict[str, Any]:
    due = deadlines.due(r.due_date, today)
    answers = requests.answers_of(session, r.id)
    return {
        "id": r.id,
        "kind": r.kind,
        "aanbieder": r.aanbieder,
        "bsn": r.bsn,
        "referentie_aanbieder": r.referentie,
        "status": r.status,
        "dagtekening": _iso(r.dagtekening),
        "received_on": _iso(r.received_on),
        "deadline": _iso(r.due_date),
        "decision_deadline": _iso(r.deadline),
        "final_deadline": _iso(r.final_deadline),
        # OP359: a VOT rejected on woonplaatsbeginsel (reason 8) within the legal 2 weeks
        "woonplaatsbeginsel_deadline": (
            _iso(r.received_on + timedelta(weeks=deadlines.WOONPLAATS_WEEKS))
            if r.kind == "VOT"
            else None
        ),
        "overdue": r.open and due.overdue,
        "working_days_left": due.working_days_left if r.open else None,
        "decided_on": _iso(r.decided_on),
        "reden_afwijzing": r.reden_afwijzing,
        "message_id": r.message_id,
        "content": r.content,
        "answers": [
            {
                "message_id": a.message_id,
                "verzoek_antwoord": a.verzoek_antwoord,
                "reden_afwijzing": a.reden,
                "woonplaatsbeginsel": a.woonplaatsbeginsel,
                "sent_on": _iso(a.sent_on),
                "status": a.status,
            }
            for a in answers
        ],
    }


def _new_identificatie(s: Session, party: Party, kind: str) -> str:
    """An Identificatie this gemeente never used for this message type (TR056)."""
    while True:
        candidate = "BO" + secrets.token_hex(5).upper()
        used = s.scalar(
            select(MessageRecord.id).where(
                MessageRecord.message_type == kind,
                MessageRecord.sender == party.code,
                MessageRecord.identificatie == candidate,
            )
        )
        if used is None:
            return candidate


def _header(kind: str, party: Party, agb: str, ident: str, today: date) -> dict[str, Any]:
    return {
        "BerichtCode": MESSAGES[kind].code,
        "BerichtVersie": 3,
        "BerichtSubversie": 2,
        "Afzender": party.code,
        "Ontvanger": agb,
        "BerichtIdentificatie": {"Identificatie": ident, "Dagtekening": today},
        "XsdVersie": {
            "BasisschemaXsdVersie": BASIS_XSD_VERSION,
            "BerichtXsdVersie": MESSAGES[kind].xsd_version,
        },
    }


async def _send(svc: Service, party: Party, kind: str, data: dict[str, Any]) -> Any:
    """Render and put a message through the intake as if the gemeente had posted it."""
    body = render.render(kind, data)
    return await run_in_threadpool(svc.intake.receive, party.id, body)


# -- requests --------------------------------------------------------------------------------

STATUS_FILTER = Literal["open", "pending", "in_onderzoek", "honoured", "rejected", "all"]


@router.get("/verzoeken", summary="Requests with their deadlines", description=_STANDARD)
def list_requests(
    status: STATUS_FILTER = Query("open", description="open = pending or in onderzoek"),
    bsn: str | None = Query(None, pattern=r"^[0-9]{9}$"),
    party: Party = Depends(gemeente),
    s: Session = Depends(session),
    svc: Service = Depends(service),
) -> dict[str, Any]:
    today = svc.clock.today()
    if status == "open":
        items = [r for r in requests.open_requests(s, party.code) if bsn in (None, r.bsn)]
    else:
        wanted = None if status == "all" else status
        items = requests.requests_of(s, party.code, wanted, bsn)
    return {"today": today.isoformat(), "items": [_request(s, r, today) for r in items]}


@router.get("/verzoeken/{request_id}", summary="One request", description=_STANDARD)
def get_request(
    request_id: int,
    party: Party = Depends(gemeente),
    s: Session = Depends(session),
    svc: Service = Depends(service),
) -> dict[str, Any]:
    r = requests.request_by_id(s, party.code, request_id)
    if r is None:
        raise ApiError(404, "NOT_FOUND", f"no request {request_id} of yours")
    return _request(s, r, svc.clock.today())


@router.post(
    "/verzoeken/{request_id}/antwoord",
    summary="Answer a request with a JW319 (rejected or in onderzoek)",
    description="Builds the JW319, runs level 2 and the pre-send rules (TR355, TR359, TR360, "
    "TR365, TR378) and puts it in the provider's feed.  To honour a request, create the "
    "allocation(s) with its `referentie_aanbieder` instead.  " + _STANDARD,
    status_code=201,
    responses={422: {"description": "refused: {code, message, details[]}"}},
)
async def answer_request(
    request_id: int,
    body: AnswerRequest,
    party: Party = Depends(gemeente),
    svc: Service = Depends(service),
) -> Any:
    with svc.factory() as s:
        r = requests.request_by_id(s, party.code, request_id)
        if r is None:
            raise ApiError(404, "NOT_FOUND", f"no request {request_id} of yours")
        ident = body.identificatie or _new_identificatie(s, party, "JW319")
    antwoord: dict[str, Any] = {
        "ReferentieAanbieder": r.referentie,
        "VerzoekAntwoord": body.verzoek_antwoord,
        "RedenAfwijzingVerzoek": body.reden_afwijzing,
    }
    if body.woonplaatsbeginsel:
        antwoord["Woonplaatsbeginsel"] = {"Gemeente": body.woonplaatsbeginsel}
    today = svc.clock.today()
    data = {"Header": _header("JW319", party, r.aanbieder, ident, today), "Antwoord": antwoord}
    answer = await _send(svc, party, "JW319", data)
    if answer.status != 200:
        return JSONResponse(_json(answer.body), status_code=answer.status)
    with svc.factory() as s:
        fresh = requests.request_by_id(s, party.code, request_id)
        assert fresh is not None
        return JSONResponse(
            {
                "message_id": answer.message_id,
                "identificatie": ident,
                "notes": _json(answer.body).get("notes", []),
                "verzoek": _request(s, fresh, today),
            },
            status_code=201,
        )


def _json(body: bytes) -> dict[str, Any]:
    import json

    return json.loads(body)


# -- allocations -----------------------------------------------------------------------------


@router.get("/toewijzingen", summary="Allocations with their state", description=_STANDARD)
def list_allocations(
    aanbieder: str | None = Query(None, pattern=r"^[0-9]{8}$"),
    bsn: str | None = Query(None, pattern=r"^[0-9]{9}$"),
    state: str | None = Query(None, description="one of " + ", ".join(allocations.STATES)),
    limit: int = Query(200, ge=1, le=1000),
    party: Party = Depends(gemeente),
    s: Session = Depends(session),
    svc: Service = Depends(service),
) -> dict[str, Any]:
    query = select(AllocationRow).where(AllocationRow.gemeente == party.code)
    if aanbieder:
        query = query.where(AllocationRow.aanbieder == aanbieder)
    if bsn:
        query = query.where(AllocationRow.bsn == bsn)
    today = svc.clock.today()
    items = []
    for row in s.scalars(query.order_by(AllocationRow.nummer)):
        st = allocations.state_of(s, row, today)
        if state is None or st.state == state:
            items.append(_allocation(st))
            if len(items) >= limit:
                break
    return {"today": today.isoformat(), "items": items}


@router.get(
    "/toewijzingen/wijzigingen",
    summary="Allocations changed since a cursor (polling allocations)",
    description="Each changed allocation once, with its current state, oldest change first; "
    "poll again with `next_cursor`.  Changes: sent, accepted or rejected by a JW302, started, "
    "stopped, start or stop deleted.  " + _STANDARD,
)
def allocation_changes(
    since: str = Query("0", description="cursor from a previous page; 0 = from the start"),
    limit: int = Query(100, ge=1, le=500),
    party: Party = Depends(gemeente),
    s: Session = Depends(session),
    svc: Service = Depends(service),
) -> dict[str, Any]:
    if not since.isdigit():
        raise ApiError(400, "BAD_CURSOR", "since must be a cursor returned by this endpoint")
    rows = s.scalars(
        select(AllocationRow)
        .where(AllocationRow.gemeente == party.code, AllocationRow.change_seq > int(since))
        .order_by(AllocationRow.change_seq)
        .limit(limit)
    ).all()
    today = svc.clock.today()
    items = [_allocation(allocations.state_of(s, row, today)) for row in rows]
    return {"items": items, "next_cursor": items[-1]["cursor"] if items else since}


@router.get("/toewijzingen/{nummer}", summary="One allocation with its versions")
def get_allocation(
    nummer: int,
    party: Party = Depends(gemeente),
    s: Session = Depends(session),
    svc: Service = Depends(service),
) -> dict[str, Any]:
    row = s.scalar(
        select(AllocationRow).where(
            AllocationRow.gemeente == party.code, AllocationRow.nummer == nummer
        )
    )
    if row is None:
        raise ApiError(404, "NOT_FOUND", f"no allocation {nummer} of yours")
    st = allocations.state_of(s, row, svc.clock.today())
    return _allocation(st, [_version(v) for v in allocations.versions(s, party.code, nummer)])


@router.post(
    "/toewijzingen",
    summary="Create or change allocations (builds and sends a JW301)",
    description="Builds one JW301 for the client at the provider, runs the pre-create checks "
    "(e.g. budget ceilings), level 2 and the provider's checks (TR332, TR379, TR385, TR381, "
    "TR378), stores the versions and puts the message in the provider's feed.  A refusal "
    "answers 422 {code, message, details[]} and sends nothing.  " + _STANDARD,
    status_code=201,
    responses={422: {"description": "refused: {code, message, details[]}"}},
)
async def create_allocations(
    body: AllocationRequest,
    party: Party = Depends(gemeente),
    svc: Service = Depends(service),
) -> Any:
    # New ToewijzingNummers are planned before the intake transaction runs, so a concurrent
    # create (another request, worker or process) can take the same number first; the intake
    # then refuses ours with TR332 (9332) and we plan again.  Optimistic, and safe across
    # processes because the intake serialises on the party rows.
    wants_new = any(a.toewijzingnummer is None for a in body.toewijzingen)
    for _attempt in range(_CREATE_ATTEMPTS - 1):
        response = await _create_allocations(body, party, svc)
        if not (wants_new and _refused_for_number(response)):
            return response
    return await _create_allocations(body, party, svc)


_CREATE_ATTEMPTS = 5


def _refused_for_number(response: Any) -> bool:
    if not isinstance(response, JSONResponse) or response.status_code != 422:
        return False
    details = json.loads(response.body).get("details", [])
    return any(isinstance(d, dict) and d.get("rule") == "TR332" for d in details)


async def _create_allocations(body: AllocationRequest, party: Party, svc: Service) -> Any:
    return await run_in_threadpool(_create_allocations_sync, body, party, svc)


# Within one process, one gemeente's creates run one at a time (in worker threads, so the event
# loop never waits on this lock); across processes the TR332 retry above covers the rest.
_CREATE_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)


def _create_allocations_sync(body: AllocationRequest, party: Party, svc: Service) -> Any:
    with _CREATE_LOCKS[party.code]:
        return _create_allocations_locked(body, party, svc)


def _create_allocations_locked(body: AllocationRequest, party: Party, svc: Service) -> Any:
    today = svc.clock.today()
    items = [_input(a) for a in body.toewijzingen]
    with svc.factory() as s:
        client = body.client or allocations.client_block(s, party.code, body.bsn)
        if client is None:
            raise ApiError(
                422,
                "CLIENT_REQUIRED",
                "no JW301 was sent for this client before: give the client data",
            )
        try:
            planned, products = allocations.plan_jw301(
                s,
                gemeente=party.code,
                agb=body.aanbieder,
                bsn=body.bsn,
                items=items,
                now=svc.clock.now(),
                include_current=body.include_current,
            )
        except BuildError as exc:
            raise ApiError(422, exc.code, str(exc), exc.details) from exc
        results = allocations.run_pre_create_checks(s, planned, today)
        ident = body.identificatie or _new_identificatie(s, party, "JW301")
    refusals = [r for r in results if r.level == "refuse"]
    checks = [r.__dict__ for r in results]
    if refusals:
        return JSONResponse(
            {
                "code": "REFUSED",
                "message": f"{len(refusals)} pre-create check(s) refuse this allocation",
                "details": checks,
            },
            status_code=422,
        )
    client = {k: v for k, v in client.items() if k != "ToegewezenProducten"}
    client["Bsn"] = body.bsn
    client["ToegewezenProducten"] = {"ToegewezenProduct": products}
    data = {"Header": _header("JW301", party, body.aanbieder, ident, today), "Client": client}
    try:
        answer = svc.intake.receive(party.id, render.render("JW301", data))
    except render.RenderError as exc:
        raise ApiError(422, "INVALID_CLIENT", str(exc)) from exc
    if answer.status != 200:
        return JSONResponse(_json(answer.body), status_code=answer.status)
    with svc.factory() as s:
        rows = s.scalars(
            select(AllocationRow).where(
                AllocationRow.gemeente == party.code,
                AllocationRow.nummer.in_([p["ToewijzingNummer"] for p in products]),
            )
        ).all()
        out = [_allocation(allocations.state_of(s, row, today)) for row in rows]
    return JSONResponse(
        {
            "message_id": answer.message_id,
            "identificatie": ident,
            "toewijzingen": sorted(out, key=lambda a: a["toewijzingnummer"]),
            "warnings": [c for c in checks if c["level"] == "warn"]
            + _json(answer.body).get("notes", []),
        },
        status_code=201,
    )


def _input(a: AllocationIn) -> AllocationInput:
    given = a.model_fields_set
    item = AllocationInput(
        nummer=a.toewijzingnummer,
        referentie_aanbieder=a.referentie_aanbieder,
        commentaar=a.commentaar,
        toewijzingsdatum=a.toewijzingsdatum,
        toewijzingstijd=a.toewijzingstijd,
    )
    if "product" in given:
        item.categorie = a.product.categorie if a.product else None
        item.code = a.product.code if a.product else None
    for name in ("ingangsdatum", "einddatum", "reden_wijziging", "budget"):
        if name in given:
            setattr(item, name, getattr(a, name))
    if "omvang" in given:
        item.volume = a.omvang.volume if a.omvang else None
        item.eenheid = a.omvang.eenheid if a.omvang else None
        item.frequentie = a.omvang.frequentie if a.omvang else None
    return item


# -- deadlines -------------------------------------------------------------------------------


@router.get(
    "/termijnen",
    summary="Overdue and soon-due items",
    description="Decisions on requests (5 working days, 8 weeks once in onderzoek) and our "
    "JW301/JW319 still without the provider's JW302/JW320 (3 working days; chase the provider "
    "outside the message flow, OP090x2).  " + _STANDARD,
)
def due_items(
    binnen: int = Query(2, ge=0, le=60, description="soon = due within this many working days"),
    party: Party = Depends(gemeente),
    s: Session = Depends(session),
    svc: Service = Depends(service),
) -> dict[str, Any]:
    today = svc.clock.today()
    items: list[dict[str, Any]] = []
    for r in requests.open_requests(s, party.code):
        kind = "verzoek_onderzoek" if r.status == requests.IN_ONDERZOEK else "verzoek_besluit"
        items.append(
            {
                "kind": kind,
                "deadline": r.due_date,
                "verzoek_id": r.id,
                "aanbieder": r.aanbieder,
                "bsn": r.bsn,
                "referentie_aanbieder": r.referentie,
            }
        )
    unanswered = s.scalars(
        select(MessageRecord).where(
            MessageRecord.sender == party.code,
            MessageRecord.message_type.in_(("JW301", "JW319")),
            MessageRecord.direction == "in",
            MessageRecord.verdict == "sent",
            MessageRecord.answer_id.is_(None),
        )
    )
    for m in unanswered:
        sent_on = m.received_at.astimezone(_tz()).date()
        items.append(
            {
                "kind": "retour_302" if m.message_type == "JW301" else "retour_320",
                "deadline": deadlines.add_working_days(sent_on, deadlines.RETOUR_WD),
                "message_id": m.id,
                "identificatie": m.identificatie,
                "aanbieder": m.receiver,
            }
        )
    overdue, soon = [], []
    for item in sorted(items, key=lambda i: i["deadline"]):
        due = deadlines.due(item["deadline"], today)
        item.update(deadline=item["deadline"].isoformat(), working_days_left=due.working_days_left)
        if due.overdue:
            overdue.append(item)
        elif due.working_days_left <= binnen:
            soon.append(item)
    return {"today": today.isoformat(), "overdue": overdue, "soon": soon}


def _tz():  # type: ignore[no-untyped-def]
    from app.clock import AMSTERDAM

    return AMSTERDAM


# -- the service clock -----------------------------------------------------------------------


@clock_router.get("/v1/clock", summary="The service's today (Dutch date) and now")
def clock(party: Party = Depends(caller), svc: Service = Depends(service)) -> dict[str, str]:
    """What the service takes as today for TR135 and deadlines (IJW_TODAY pins it)."""
    return {"today": svc.clock.today().isoformat(), "now": svc.clock.now().isoformat()}
