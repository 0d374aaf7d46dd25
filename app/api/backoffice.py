"""The gemeente's back office (JSON, gemeente only, always scoped to the caller's own data).

- `GET  /v1/backoffice/verzoeken`: requests (VOT per product, VOW) with their deadlines
- `GET  /v1/backoffice/verzoeken/{id}` and `POST .../{id}/antwoord`: answer one (builds a JW319)
- `GET  /v1/backoffice/toewijzingen`: allocations with their state
- `GET  /v1/backoffice/toewijzingen/wijzigingen?since=`: allocations changed since a cursor
- `GET  /v1/backoffice/toewijzingen/{nummer}`: one allocation with every version
- `POST /v1/backoffice/toewijzingen`: create or change allocations (builds and checks a JW301)
- `GET  /v1/backoffice/termijnen`: overdue and soon-due items

Messages built here take the one outbound path (level 2, the header rules, the pre-send rules,
the message log, the provider's feed), so a refused one answers 422 with the same findings as a
posted one.  `GET /v1/clock` (any party) tells the service's today, for integration tests.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.api.berichten import HopOut
from app.api.deps import (
    ApiError,
    CallerDep,
    GemeenteDep,
    RowId,
    ServiceDep,
    SessionDep,
    ToewijzingNummer,
    UserDep,
    cursor_value,
    not_found,
)
from app.api.inputs import IsoDate, MessageData, Strict, Text
from app.api.pages import Page, page_of
from app.backoffice import audit
from app.backoffice.service import (
    STATES,
    AllocationState,
    Answered,
    Created,
    DueItem,
    Refusal,
    StateName,
    woonplaats_deadline,
)
from app.db.base import read_session
from app.exchange.channels import Hop, TransportLog
from app.flows.allocations.planning import Content, Order
from app.flows.allocations.store import Allocation
from app.flows.requests import store as requests
from app.flows.requests.store import Request
from app.reference import deadlines

router = APIRouter(prefix="/v1/backoffice", tags=["backoffice"])
clock_router = APIRouter(tags=["service"])

_STANDARD = "See docs/backoffice.md.  Gemeente tokens only; every answer is limited to the " + (
    "calling gemeente's own clients, allocations and requests."
)
# A JW301's Toewijzingstijd (LDT_Tijd) has no offset: it is local time in the Netherlands.
_LOCAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
_REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"description": "refused: {code, message, details[]}"}
}


# -- input -----------------------------------------------------------------------------------


class ProductIn(Strict):
    categorie: str = Field(pattern=r"^[0-9]{2}$")
    # LDT_ProductCode: 1-5 characters, not only whitespace (regional lists use short codes).
    code: str | None = Field(default=None, min_length=1, max_length=5, pattern=r"\S")


class OmvangIn(Strict):
    volume: int = Field(ge=0, le=99_999_999)
    eenheid: str = Field(pattern=r"^[0-9]{2}$")
    frequentie: str = Field(pattern=r"^[0-9]$")


class AllocationIn(Strict):
    """One allocation to send.  With `toewijzingnummer` of an existing allocation it is a
    change: fields you leave out keep their current value (give `einddatum: null` to open it).
    Without it a new allocation is made with a fresh number."""

    toewijzingnummer: int | None = Field(default=None, ge=1, le=999_999_999)
    product: ProductIn | None = None
    ingangsdatum: IsoDate | None = None
    einddatum: IsoDate | None = None
    reden_wijziging: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    omvang: OmvangIn | None = None
    budget: int | None = Field(default=None, ge=0, le=99_999_999, description="eurocents")
    referentie_aanbieder: Text | None = Field(default=None, min_length=1, max_length=36)
    commentaar: Text | None = Field(default=None, max_length=1000)
    toewijzingsdatum: IsoDate | None = Field(default=None, description="default: now")
    toewijzingstijd: str | None = Field(
        default=None,
        pattern=_LOCAL_TIME,
        description="HH:MM:SS in Dutch local time (Europe/Amsterdam), as the JW301 carries it; "
        "default: now",
    )
    override_reden: str | None = Field(
        default=None,
        min_length=3,
        max_length=500,
        description="why a hard budget ceiling may be exceeded (unavoidable care, e.g. a court "
        "order); kept with who and when, reported",
    )
    toestemming_aanbieder: str | None = Field(
        default=None,
        min_length=3,
        max_length=500,
        description="the provider agreed to this change (OP186 end in the past, OP298 lower "
        "total volume, OP299 lower budget): who agreed and when",
    )

    def order(self) -> Order:
        """The planning order: only the fields the caller gave change anything."""
        given = self.model_fields_set
        content = Content()
        if "product" in given:
            content["categorie"] = self.product.categorie if self.product else None
            content["code"] = self.product.code if self.product else None
        if "ingangsdatum" in given:
            content["ingangsdatum"] = self.ingangsdatum
        if "einddatum" in given:
            content["einddatum"] = self.einddatum
        if "reden_wijziging" in given:
            content["reden_wijziging"] = self.reden_wijziging
        if "budget" in given:
            content["budget"] = self.budget
        if "omvang" in given:
            content["volume"] = self.omvang.volume if self.omvang else None
            content["eenheid"] = self.omvang.eenheid if self.omvang else None
            content["frequentie"] = self.omvang.frequentie if self.omvang else None
        return Order(
            nummer=self.toewijzingnummer,
            content=content,
            referentie_aanbieder=self.referentie_aanbieder,
            commentaar=self.commentaar,
            toewijzingsdatum=self.toewijzingsdatum,
            toewijzingstijd=time.fromisoformat(self.toewijzingstijd)
            if self.toewijzingstijd
            else None,
            override=self.override_reden,
            consent=self.toestemming_aanbieder,
        )


class AllocationRequest(Strict):
    """A JW301 for one client at one provider."""

    aanbieder: str = Field(pattern=r"^[0-9]{8}$")
    bsn: str = Field(pattern=r"^[0-9]{9}$")
    client: MessageData | None = Field(
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
    identificatie: Text | None = Field(default=None, min_length=1, max_length=12)


class AnswerRequest(Strict):
    """A JW319 on a request: 1 = rejected (with a reason), 2 = in onderzoek."""

    verzoek_antwoord: Literal["1", "2"]
    reden_afwijzing: str | None = Field(default=None, pattern=r"^[0-9]$")
    woonplaatsbeginsel: str | None = Field(
        default=None, pattern=r"^[0-9]{4}$", description="responsible gemeente (reason 8)"
    )
    identificatie: Text | None = Field(default=None, min_length=1, max_length=12)


# -- output ----------------------------------------------------------------------------------


class ProductOut(BaseModel):
    categorie: str
    code: str | None


class OmvangOut(BaseModel):
    volume: int
    eenheid: str | None
    frequentie: str | None


class Version(BaseModel):
    """One version of an allocation as sent in a JW301."""

    version_id: int
    message_id: int
    status: str
    product: ProductOut | None
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None
    omvang: OmvangOut | None
    budget: int | None
    toewijzingsdatum: date
    toewijzingstijd: str = Field(
        pattern=_LOCAL_TIME, description="HH:MM:SS, Dutch local time (Europe/Amsterdam)"
    )
    referentie_aanbieder: str | None
    unchanged: bool

    @classmethod
    def of(cls, a: Allocation) -> Version:
        return cls(
            version_id=a.version_id,
            message_id=a.message_id,
            status=a.status,
            product=ProductOut(categorie=a.categorie, code=a.code) if a.categorie else None,
            ingangsdatum=a.ingangsdatum,
            einddatum=a.einddatum,
            reden_wijziging=a.reden_wijziging,
            omvang=(
                OmvangOut(volume=a.volume, eenheid=a.eenheid, frequentie=a.frequentie)
                if a.volume is not None
                else None
            ),
            budget=a.budget,
            toewijzingsdatum=a.toewijzingsdatum,
            toewijzingstijd=a.toewijzingstijd.strftime("%H:%M:%S"),
            referentie_aanbieder=a.referentie_aanbieder,
            unchanged=a.unchanged,
        )


class RejectedVersion(Version):
    """The version we sent last, rejected by the provider's JW302 with these codes."""

    retour_codes: list[str]


class DeliveryOut(BaseModel):
    """A start of care with its stop state."""

    begindatum: date
    product: ProductOut | None
    state: str = Field(description="active | temp_stopped | stopped")
    einddatum: date | None
    reden_beeindiging: str | None


class AllocationOut(BaseModel):
    """An allocation with its state (docs/backoffice.md)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "toewijzingnummer": 100001,
                    "bsn": "999993653",
                    "aanbieder": "12345678",
                    "state": "acknowledged",
                    "retour": "accepted",
                    "last_reason": None,
                    "leading": {
                        "version_id": 1,
                        "message_id": 42,
                        "status": "accepted",
                        "product": {"categorie": "45", "code": "45A04"},
                        "ingangsdatum": "2026-07-01",
                        "einddatum": "2026-12-31",
                        "reden_wijziging": None,
                        "omvang": {"volume": 3, "eenheid": "04", "frequentie": "2"},
                        "budget": None,
                        "toewijzingsdatum": "2026-06-15",
                        "toewijzingstijd": "10:12:03",
                        "referentie_aanbieder": None,
                        "unchanged": False,
                    },
                    "rejected_version": None,
                    "deliveries": [],
                    "cursor": "3",
                }
            ]
        }
    )

    toewijzingnummer: int
    bsn: str
    aanbieder: str
    state: str = Field(description="one of " + ", ".join(STATES))
    retour: Literal["pending", "accepted", "rejected"] | None
    last_reason: str | None
    leading: Version | None
    rejected_version: RejectedVersion | None
    deliveries: list[DeliveryOut]
    delivery: HopOut | None = Field(
        default=None,
        description="the GGk delivery of the JW301 we sent last (absent when it went to the "
        "feed only): queued, delivered, answered, or failed with the chain's Fo01 code",
    )
    cursor: str

    @classmethod
    def of(cls, s: AllocationState, hops: dict[int, list[Hop]] | None = None) -> AllocationOut:
        h, latest = s.history, s.latest
        delivery = _last_delivery(hops, latest.message_id if latest is not None else None)
        return cls(
            toewijzingnummer=h.nummer,
            bsn=h.bsn,
            aanbieder=h.aanbieder,
            state=s.state,
            retour=(_RETOUR[latest.status] if latest is not None else None),
            last_reason=h.last_reason,
            leading=Version.of(s.leading) if s.leading is not None else None,
            rejected_version=(
                RejectedVersion(**Version.of(latest).model_dump(), retour_codes=h.latest_codes)
                if latest is not None and latest.status == "rejected"
                else None
            ),
            deliveries=[
                DeliveryOut(
                    begindatum=d.begindatum,
                    product=ProductOut(categorie=d.categorie, code=d.code) if d.categorie else None,
                    state=d.state,
                    einddatum=d.einddatum,
                    reden_beeindiging=d.reden,
                )
                for d in s.deliveries
            ],
            delivery=delivery,
            cursor=str(h.change_seq),
        )


def _last_delivery(hops: dict[int, list[Hop]] | None, message_id: int | None) -> HopOut | None:
    """The newest outbound delivery of a message, if a channel other than the feed has one."""
    out = [h for h in (hops or {}).get(message_id or 0, []) if h.direction == "out"]
    return HopOut.of(out[-1]) if out else None


def _hops(
    session: Session, transport: TransportLog, states: list[AllocationState]
) -> dict[int, list[Hop]]:
    """What the channels know of the JW301s that carried these allocations' latest versions."""
    return transport.hops(session, [st.latest.message_id for st in states if st.latest])


_RETOUR: dict[str, Literal["pending", "accepted", "rejected"]] = {
    "sent": "pending",
    "accepted": "accepted",
    "rejected": "rejected",
}


class AllocationDetail(AllocationOut):
    """An allocation with every version, oldest first."""

    versions: list[Version]


class AllocationList(Page[AllocationOut]):
    """A page of allocations by ToewijzingNummer."""

    today: date


class AllocationChanges(BaseModel):
    """Changed allocations; poll again with `next_cursor` (also when nothing changed)."""

    items: list[AllocationOut]
    next_cursor: str
    has_more: bool


class Created201(BaseModel):
    """The JW301 that was sent and the allocations it carried."""

    message_id: int
    identificatie: str
    toewijzingen: list[AllocationOut]
    warnings: list[dict[str, Any]]


class AnswerOut(BaseModel):
    message_id: int
    verzoek_antwoord: str
    reden_afwijzing: str | None
    woonplaatsbeginsel: str | None
    sent_on: date
    status: str
    delivered: bool = Field(
        default=True,
        description="false when the JW319 never reached the provider (a Fo01 from the GGk "
        "chain, see `delivery`)",
    )
    delivery: HopOut | None = Field(
        default=None, description="the GGk delivery of this JW319, when it took the GGk"
    )


class RequestOut(BaseModel):
    """A request (a VOT product or a VOW) with its deadlines and our answers."""

    id: int
    kind: str = Field(description="VOT (one requested product) | VOW (a whole request)")
    aanbieder: str
    bsn: str
    referentie_aanbieder: str
    status: str
    dagtekening: date
    received_on: date
    deadline: date
    decision_deadline: date
    final_deadline: date | None
    woonplaatsbeginsel_deadline: date | None
    overdue: bool
    working_days_left: int | None
    decided_on: date | None
    reden_afwijzing: str | None
    message_id: int
    content: dict[str, Any]
    answers: list[AnswerOut]


class RequestList(Page[RequestOut]):
    """A page of requests: open ones by deadline, others newest first."""

    today: date


class Answered201(BaseModel):
    message_id: int
    identificatie: str
    notes: list[dict[str, Any]]
    verzoek: RequestOut


class DueOut(BaseModel):
    """Something to decide (or chase) by `deadline`."""

    kind: Literal["verzoek_besluit", "verzoek_onderzoek", "retour_302", "retour_320"]
    deadline: date
    working_days_left: int
    verzoek_id: int | None = None
    message_id: int | None = None
    aanbieder: str | None = None
    bsn: str | None = None
    referentie_aanbieder: str | None = None
    identificatie: str | None = None

    @classmethod
    def of(cls, d: DueItem) -> DueOut:
        return cls.model_validate(d, from_attributes=True)


class DueItems(BaseModel):
    today: date
    overdue: list[DueOut]
    soon: list[DueOut]


def _request(
    session: Session, r: Request, today: date, transport: TransportLog | None = None
) -> RequestOut:
    due = deadlines.due(r.due_date, today)
    answers = requests.answers_of(session, r.id)
    hops = transport.hops(session, [a.message_id for a in answers]) if transport else {}
    return RequestOut(
        id=r.id,
        kind=r.kind,
        aanbieder=r.aanbieder,
        bsn=r.bsn,
        referentie_aanbieder=r.referentie,
        status=r.status,
        dagtekening=r.dagtekening,
        received_on=r.received_on,
        deadline=r.due_date,
        decision_deadline=r.deadline,
        final_deadline=r.final_deadline,
        woonplaatsbeginsel_deadline=woonplaats_deadline(r),
        overdue=r.open and due.overdue,
        working_days_left=due.working_days_left if r.open else None,
        decided_on=r.decided_on,
        reden_afwijzing=r.reden_afwijzing,
        message_id=r.message_id,
        content=r.content,
        answers=[
            AnswerOut(
                message_id=a.message_id,
                verzoek_antwoord=a.verzoek_antwoord,
                reden_afwijzing=a.reden,
                woonplaatsbeginsel=a.woonplaatsbeginsel,
                sent_on=a.sent_on,
                status=a.status,
                delivered=not any(h.failed for h in hops.get(a.message_id, [])),
                delivery=_last_delivery(hops, a.message_id),
            )
            for a in answers
        ],
    )


def _refused(refusal: Refusal) -> ApiError:
    return ApiError(refusal.status, refusal.code, refusal.message, refusal.details)


# -- requests --------------------------------------------------------------------------------

STATUS_FILTER = Literal["open", "pending", "in_onderzoek", "honoured", "rejected", "all"]


@router.get("/verzoeken", summary="Requests with their deadlines", description=_STANDARD)
def list_requests(
    party: GemeenteDep,
    s: SessionDep,
    svc: ServiceDep,
    status: STATUS_FILTER = Query("open", description="open = pending or in onderzoek"),
    bsn: str | None = Query(None, pattern=r"^[0-9]{9}$"),
    limit: int = Query(100, ge=1, le=500, description="at most 500"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
) -> RequestList:
    today = svc.clock.today()
    if status == "open":
        # Open requests are ordered by the deadline that applies now (it moves when a request
        # goes "in onderzoek"); the cursor is the position key of the last one seen.
        ordered = [r for r in requests.open_requests(s, party.code) if bsn in (None, r.bsn)]
        after = _open_key(cursor) if cursor else None
        rows = [r for r in ordered if after is None or (r.due_date, r.id) > after][: limit + 1]
        page = page_of(rows, limit, lambda r: f"{r.due_date.isoformat()}_{r.id}", lambda r: r)
    else:
        wanted = None if status == "all" else status
        before = cursor_value(cursor) if cursor else None
        rows = requests.requests_of(s, party.code, wanted, bsn, limit=limit + 1, before=before)
        page = page_of(rows, limit, lambda r: str(r.id), lambda r: r)
    return RequestList(
        today=today,
        items=[_request(s, r, today, svc.transport) for r in page.items],
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )


def _open_key(cursor: str) -> tuple[date, int]:
    day, _, ident = cursor.partition("_")
    try:
        return date.fromisoformat(day), cursor_value(ident)
    except ValueError:
        raise ApiError(400, "BAD_CURSOR", "not a cursor returned by this endpoint") from None


@router.get("/verzoeken/{request_id}", summary="One request", description=_STANDARD)
def get_request(
    request_id: RowId, party: GemeenteDep, s: SessionDep, svc: ServiceDep
) -> RequestOut:
    r = requests.request_by_id(s, party.code, request_id)
    if r is None:
        raise not_found(f"request {request_id}")
    return _request(s, r, svc.clock.today(), svc.transport)


@router.post(
    "/verzoeken/{request_id}/antwoord",
    summary="Answer a request with a JW319 (rejected or in onderzoek)",
    description="Builds the JW319, runs level 2 and the pre-send rules (TR355, TR359, TR360, "
    "TR365, TR378) and puts it in the provider's feed.  To honour a request, create the "
    "allocation(s) with its `referentie_aanbieder` instead.  " + _STANDARD,
    status_code=201,
    responses=_REFUSED,
)
async def answer_request(
    request_id: RowId, body: AnswerRequest, party: GemeenteDep, svc: ServiceDep, user: UserDep
) -> Answered201:
    result = await run_in_threadpool(
        svc.backoffice.answer_request,
        party,
        request_id,
        verzoek_antwoord=body.verzoek_antwoord,
        reden_afwijzing=body.reden_afwijzing,
        woonplaatsbeginsel=body.woonplaatsbeginsel,
        identificatie=body.identificatie,
        actor=user,
    )
    if result is None:
        raise not_found(f"request {request_id}")
    if isinstance(result, Refusal):
        raise _refused(result)
    assert isinstance(result, Answered)
    with read_session(svc.factory) as s:
        verzoek = _request(s, result.request, svc.clock.today(), svc.transport)
    return Answered201(
        message_id=result.message_id,
        identificatie=result.identificatie,
        notes=result.notes,
        verzoek=verzoek,
    )


# -- allocations -----------------------------------------------------------------------------


@router.get("/toewijzingen", summary="Allocations with their state", description=_STANDARD)
def list_allocations(
    party: GemeenteDep,
    s: SessionDep,
    svc: ServiceDep,
    aanbieder: str | None = Query(None, pattern=r"^[0-9]{8}$"),
    bsn: str | None = Query(None, pattern=r"^[0-9]{9}$"),
    state: StateName | None = Query(None, description="one of " + ", ".join(STATES)),
    limit: int = Query(200, ge=1, le=1000, description="at most 1000"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
) -> AllocationList:
    after = cursor_value(cursor, limit=999_999_999) if cursor else 0
    rows = svc.backoffice.allocations(
        s, party.code, aanbieder=aanbieder, bsn=bsn, state=state, limit=limit + 1, after=after
    )
    hops = _hops(s, svc.transport, rows[:limit])
    page = page_of(
        rows, limit, lambda st: str(st.history.nummer), lambda st: AllocationOut.of(st, hops)
    )
    return AllocationList(
        today=svc.clock.today(),
        items=page.items,
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )


@router.get(
    "/toewijzingen/wijzigingen",
    summary="Allocations changed since a cursor (polling allocations)",
    description="Each changed allocation once, with its current state, oldest change first; "
    "poll again with `next_cursor`.  Changes: sent, accepted or rejected by a JW302, started, "
    "stopped, start or stop deleted.  " + _STANDARD,
)
def allocation_changes(
    party: GemeenteDep,
    s: SessionDep,
    svc: ServiceDep,
    since: str = Query("0", description="cursor from a previous page; 0 = from the start"),
    limit: int = Query(100, ge=1, le=500),
) -> AllocationChanges:
    changed = svc.backoffice.changes(s, party.code, cursor_value(since), limit + 1)
    hops = _hops(s, svc.transport, changed[:limit])
    items = [AllocationOut.of(st, hops) for st in changed[:limit]]
    return AllocationChanges(
        items=items,
        next_cursor=items[-1].cursor if items else since,
        has_more=len(changed) > limit,
    )


@router.get("/toewijzingen/{nummer}", summary="One allocation with its versions")
def get_allocation(
    nummer: ToewijzingNummer, party: GemeenteDep, s: SessionDep, svc: ServiceDep
) -> AllocationDetail:
    st = svc.backoffice.allocation(s, party.code, nummer)
    if st is None:
        raise not_found(f"allocation {nummer}")
    return AllocationDetail(
        **AllocationOut.of(st, _hops(s, svc.transport, [st])).model_dump(),
        versions=[Version.of(v) for v in st.history.versions],
    )


@router.post(
    "/toewijzingen",
    summary="Create or change allocations (builds and sends a JW301)",
    description="Builds one JW301 for the client at the provider, runs level 2, the provider's "
    "checks (TR332, TR379, TR385, TR381, TR378) and the checks on every allocation (budget "
    "ceilings with their overrides, profile stacking, OP296 contract, OP186/OP298/OP299 "
    "consent), stores the versions and puts the message in the provider's feed.  A refusal "
    "answers 422 {code, message, details[]} and sends nothing.  X-Ijw-User names the person "
    "acting (audit).  " + _STANDARD,
    status_code=201,
    responses=_REFUSED,
)
async def create_allocations(
    body: AllocationRequest, party: GemeenteDep, svc: ServiceDep, user: UserDep
) -> Created201:
    result = await run_in_threadpool(
        svc.backoffice.create_allocations,
        party,
        aanbieder=body.aanbieder,
        bsn=body.bsn,
        orders=[a.order() for a in body.toewijzingen],
        client=body.client,
        include_current=body.include_current,
        identificatie=body.identificatie,
        actor=user,
    )
    if isinstance(result, Refusal):
        raise _refused(result)
    assert isinstance(result, Created)
    with svc.factory() as s:
        hops = _hops(s, svc.transport, result.allocations)
    return Created201(
        message_id=result.message_id,
        identificatie=result.identificatie,
        toewijzingen=sorted(
            (AllocationOut.of(st, hops) for st in result.allocations),
            key=lambda a: a.toewijzingnummer,
        ),
        warnings=result.warnings,
    )


Nummer = Annotated[int, Path(ge=1, le=999_999_999, description="ToewijzingNummer")]


class PermitIn(BaseModel):
    """Why (override) or who agreed and when (consent)."""

    model_config = ConfigDict(extra="forbid")

    reden: str = Field(min_length=3, max_length=500)


class PermitOut(BaseModel):
    id: int
    toewijzingnummer: int
    kind: Literal["override", "consent"]
    reden: str
    actor_user: str | None
    created_at: datetime


def _permit(
    svc: ServiceDep, party: GemeenteDep, nummer: int, kind: str, body: PermitIn, user: str | None
) -> PermitOut:
    p = svc.backoffice.add_permit(party, nummer, kind, body.reden, user)
    return PermitOut(
        id=p.id,
        toewijzingnummer=p.nummer,
        kind=kind,  # type: ignore[arg-type]  # override | consent
        reden=p.reason,
        actor_user=p.actor_user,
        created_at=p.created_at,
    )


@router.post(
    "/toewijzingen/{nummer}/override",
    summary="Allow the next JW301 for this allocation to exceed a hard ceiling",
    description="For unavoidable care (a court-ordered measure) sent as a JW301 of your own: "
    "the next JW301 with this ToewijzingNummer may exceed a hard budget ceiling; it is sent "
    "with a CEILING_OVERRIDDEN warning and reported.  Back-office creates take "
    "`override_reden` instead.  " + _STANDARD,
    status_code=201,
)
def add_override(
    nummer: Nummer, body: PermitIn, party: GemeenteDep, svc: ServiceDep, user: UserDep
) -> PermitOut:
    return _permit(svc, party, nummer, "override", body, user)


@router.post(
    "/toewijzingen/{nummer}/toestemming",
    summary="Record the provider's consent to a change (OP186, OP298, OP299)",
    description="The next JW301 that ends this allocation in the past, lowers its total volume "
    "or its budget is sent without the consent warning.  " + _STANDARD,
    status_code=201,
)
def add_consent(
    nummer: Nummer, body: PermitIn, party: GemeenteDep, svc: ServiceDep, user: UserDep
) -> PermitOut:
    return _permit(svc, party, nummer, "consent", body, user)


class AuditOut(BaseModel):
    """One back-office action: who (the acting user), what, on what, when."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user: str | None
    action: str
    subject: str
    message_id: int | None
    details: dict[str, Any]


class AuditList(BaseModel):
    items: list[AuditOut]
    next_cursor: str


@router.get("/audit", summary="Who did what in the back office", description=_STANDARD)
def audit_log(
    party: GemeenteDep,
    s: SessionDep,
    since: int = Query(0, ge=0, le=2**62, description="cursor from a previous page"),
    actor: str | None = Query(None, max_length=100),
    action: str | None = Query(None, max_length=40),
    limit: int = Query(100, ge=1, le=1000),
) -> AuditList:
    items = audit.entries(s, party.code, actor=actor, action=action, after=since, limit=limit)
    return AuditList(
        items=[AuditOut.model_validate(e) for e in items],
        next_cursor=str(items[-1].id if items else since),
    )


# -- deadlines -------------------------------------------------------------------------------


@router.get(
    "/termijnen",
    summary="Overdue and soon-due items",
    description="Decisions on requests (5 working days, 8 weeks once in onderzoek) and our "
    "JW301/JW319 still without the provider's JW302/JW320 (3 working days; chase the provider "
    "outside the message flow, OP090x2).  " + _STANDARD,
)
def due_items(
    party: GemeenteDep,
    s: SessionDep,
    svc: ServiceDep,
    binnen: int = Query(2, ge=0, le=60, description="soon = due within this many working days"),
) -> DueItems:
    overdue, soon = svc.backoffice.due_items(s, party.code, binnen)
    return DueItems(
        today=svc.clock.today(),
        overdue=[DueOut.of(d) for d in overdue],
        soon=[DueOut.of(d) for d in soon],
    )


# -- the service clock -----------------------------------------------------------------------


class ClockOut(BaseModel):
    today: str
    now: str


@clock_router.get("/v1/clock", summary="The service's today (Dutch date) and now")
def clock(party: CallerDep, svc: ServiceDep) -> ClockOut:
    """What the service takes as today for TR135 and deadlines (IJW_TODAY pins it)."""
    return ClockOut(today=svc.clock.today().isoformat(), now=svc.clock.now().isoformat())
