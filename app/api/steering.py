"""Steering information, the payment export and alerts over HTTP (docs/reports.md).

- `GET  /v1/reports`: the reports there are
- `GET  /v1/reports/payments` (JSON or CSV) and `POST /v1/reports/payments/paid` (JSON or CSV)
- `GET  /v1/reports/{name}`: volumes, stops, returning, realisation, process, contracts,
  overrides; per month, quarter or year; paged; JSON or CSV
- `GET  /v1/alerts`, `PUT|DELETE /v1/alerts/webhook`, `POST /v1/alerts/scan`

Scope: a gemeente sees its own figures; the administrator of a contract set sees every active
member with `set=`; a provider sees only its own rows of the gemeente it names (`gemeente=`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from app.api.deps import (
    ApiError,
    CallerDep,
    GemeenteDep,
    ServiceDep,
    SessionDep,
    UserDep,
    read_limited,
)
from app.api.errors import json_path
from app.api.inputs import IsoDate
from app.exchange.models import Party
from app.ijw.catalogue import Role
from app.reference import contracts as sets
from app.steering import alerts, payments, reports

router = APIRouter(tags=["reports"])
MAX_CSV_BYTES = 10 * 1024 * 1024
_DESCRIPTIONS = {
    "volumes": "allocated and approved units and euros, clients, new and ending clients, "
    "average duration and cost per client",
    "stops": "ended care by stop reason (JZ588)",
    "returning": "clients back within 12 months after their care ended",
    "realisation": "ceilings (usage, remaining, forecast) and committed, expected and spent "
    "money per provider and category",
    "process": "days to allocation, requests past deadline, not started (OP271), late starts "
    "and stops, declaration lines rejected by rule",
    "contracts": "allocations outside a valid contract (OP296) or past its end",
    "overrides": "hard ceilings overridden: who, when, why, by how much",
}
ReportName = Literal[
    "volumes", "stops", "returning", "realisation", "process", "contracts", "overrides"
]


class ReportInfo(BaseModel):
    name: str
    description: str


class ReportIndex(BaseModel):
    items: list[ReportInfo]


class ReportPage(BaseModel):
    """One page of a report's rows (keys per report: docs/reports.md)."""

    report: str
    period: str
    start: date
    end: date
    gemeenten: list[str]
    total: int
    items: list[dict[str, Any]]
    next_cursor: str | None


def _scope(s: SessionDep, party: Party, gemeente: str | None, region: str | None) -> list[str]:
    """The gemeenten the caller may see figures of (module docstring)."""
    if party.role == Role.AANBIEDER:
        if gemeente is None:
            raise ApiError(400, "GEMEENTE_REQUIRED", "a provider names the gemeente (?gemeente=)")
        return [gemeente]
    if region is not None:
        found = sets.visible_to(s, region, party.code)
        if found is None or found.administrator != party.code:
            raise ApiError(
                403, "FORBIDDEN", f"only the administrator of {region} sees all its members"
            )
        members = [g for g, st in sets.members_of(s, region) if st == sets.ACTIVE]
        if gemeente is not None:
            if gemeente not in members:
                raise ApiError(404, "NOT_FOUND", f"gemeente {gemeente} is not in {region}")
            return [gemeente]
        return members
    if gemeente not in (None, party.code):
        raise ApiError(403, "FORBIDDEN", "a gemeente sees its own figures (or use ?set=)")
    return [party.code]


def _csv(rows: list[dict[str, Any]], name: str) -> Response:
    return Response(
        reports.to_csv(rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/v1/reports", summary="The steering reports there are")
def report_index(party: CallerDep) -> ReportIndex:
    return ReportIndex(
        items=[ReportInfo(name=n, description=d) for n, d in _DESCRIPTIONS.items()]
        + [ReportInfo(name="payments", description="approved prestaties to pay, paid status")]
    )


# -- payments (before /v1/reports/{name}) ----------------------------------------------------


class PaymentRow(BaseModel):
    """An approved prestatie to pay: the declaration it came in, the allocation it belongs to,
    the signed amount, the finance fields and whether it was paid."""

    declaratie_id: int
    declaratienummer: str
    identificatie: str
    message_id: int
    aanbieder: str
    bsn: str
    toewijzingnummer: int
    referentienummer: str
    vorig_referentienummer: str | None
    categorie: str
    code: str
    periode_begin: date
    periode_end: date
    volume: int
    eenheid: str
    tarief: int | None
    debet_credit: Literal["D", "C"]
    bedrag: int
    kostenplaats: str | None
    grootboek: str | None
    status: Literal["open", "paid"]
    paid_on: date | None
    payment_reference: str | None


class PaymentExport(BaseModel):
    gemeente: str
    total: int
    bedrag: int
    items: list[PaymentRow]
    next_cursor: str | None


@router.get(
    "/v1/reports/payments",
    summary="Payment export: approved prestaties per declaration",
    response_model=PaymentExport,
    responses={200: {"content": {"text/csv": {}}}},
)
def payment_export(
    party: GemeenteDep,
    s: SessionDep,
    start: IsoDate | None = Query(None, alias="from", description="ProductPeriode from"),
    end: IsoDate | None = Query(None, alias="to", description="ProductPeriode to"),
    aanbieder: str | None = Query(None, pattern=r"^[0-9]{8}$"),
    status: Literal["open", "paid", "all"] = "open",
    format: Literal["json", "csv"] = "json",
    cursor: int = Query(0, ge=0, le=10**9),
    limit: int = Query(1000, ge=1, le=10_000),
) -> Any:
    """Every approved prestatie sent to you (credits negative), per declaration in document
    order, with its declaration, JW323 message and allocation, `kostenplaats` and `grootboek`
    from your contract set's payment settings, and its paid status.  CSV: the whole export."""
    rows = payments.export(s, party.code, start=start, end=end, aanbieder=aanbieder, status=status)
    if format == "csv":
        return Response(
            payments.to_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="payments.csv"'},
        )
    page = rows[cursor : cursor + limit]
    return PaymentExport(
        gemeente=party.code,
        total=len(rows),
        bedrag=sum(r["bedrag"] for r in rows),
        items=[PaymentRow.model_validate(r) for r in page],
        next_cursor=str(cursor + limit) if cursor + limit < len(rows) else None,
    )


class PaidItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aanbieder: str = Field(pattern=r"^[0-9]{8}$")
    referentienummer: str = Field(min_length=1, max_length=20)
    paid_on: date
    payment_reference: str = Field(min_length=1, max_length=100)


class PaidOut(BaseModel):
    marked: int
    already_paid: int


@router.post(
    "/v1/reports/payments/paid",
    summary="Set approved prestaties to paid (JSON list or CSV)",
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def payments_paid(
    request: Request, party: GemeenteDep, svc: ServiceDep, user: UserDep
) -> PaidOut:
    """JSON: a list of `{aanbieder, referentienummer, paid_on, payment_reference}`; CSV: the
    same columns with a header.  All or nothing: an unknown prestatie refuses the list (422)."""
    raw = await read_limited(request, MAX_CSV_BYTES, "TOO_LARGE", f"at most {MAX_CSV_BYTES} bytes")
    try:
        if request.headers.get("content-type", "").startswith("text/csv"):
            items = payments.parse_paid_csv(raw.decode("utf-8-sig"))
        else:
            try:
                parsed = TypeAdapter(list[PaidItem]).validate_json(raw)
            except ValidationError as exc:
                raise ApiError(
                    422,
                    "INVALID_REQUEST",
                    "a list of paid items",
                    [
                        {"location": json_path(("body", *e["loc"])), "message": e["msg"]}
                        for e in exc.errors()
                    ],
                ) from None
            items = [
                payments.PaidIn(p.aanbieder, p.referentienummer, p.paid_on, p.payment_reference)
                for p in parsed
            ]
    except UnicodeDecodeError:
        raise ApiError(400, "NOT_UTF8", "the CSV is not UTF-8") from None
    except payments.PaidError as exc:
        raise ApiError(422, "PAID_INVALID", str(exc), exc.errors) from None
    with svc.factory() as s, s.begin():
        try:
            result = payments.mark_paid(s, party.code, items, user, svc.clock.now())
        except payments.PaidError as exc:
            raise ApiError(422, "PAID_INVALID", str(exc), exc.errors) from None
    return PaidOut.model_validate(result)


# -- the reports ---------------------------------------------------------------------------


@router.get(
    "/v1/reports/{name}",
    summary="A steering report (JSON pages or CSV)",
    response_model=ReportPage,
    responses={200: {"content": {"text/csv": {}}}},
)
def report(
    name: ReportName,
    party: CallerDep,
    s: SessionDep,
    svc: ServiceDep,
    period: Literal["month", "quarter", "year"] = "month",
    start: IsoDate | None = Query(None, alias="from", description="default: 1 January this year"),
    end: IsoDate | None = Query(None, alias="to", description="default: 31 December this year"),
    gemeente: str | None = Query(None, pattern=r"^[0-9]{4}$"),
    aanbieder: str | None = Query(None, pattern=r"^[0-9]{8}$"),
    region: str | None = Query(None, alias="set", max_length=40, description="administrator"),
    dagen: int = Query(reports.START_WD, ge=1, le=365, description="OP271: working days"),
    format: Literal["json", "csv"] = "json",
    cursor: int = Query(0, ge=0, le=10**9),
    limit: int = Query(500, ge=1, le=5000),
) -> Any:
    """Rows per period (and per gemeente, provider, category, code where the report has them),
    sorted; page with `cursor`/`limit`, or get everything as CSV."""
    today = svc.clock.today()
    p0 = start or date(today.year, 1, 1)
    p1 = end or date(today.year, 12, 31)
    if p1 < p0 or (p1 - p0).days > 5 * 366:
        raise ApiError(400, "BAD_PERIOD", "from..to is at most five years, from before to")
    if name == "overrides" and party.role == Role.AANBIEDER:
        # the reasons (a court order) are the gemeente's: a provider sees its own rows elsewhere
        raise ApiError(403, "FORBIDDEN", "the overrides report is for gemeenten")
    gemeenten = _scope(s, party, gemeente, region)
    q = reports.Query(
        tuple(gemeenten),
        p0,
        p1,
        period,
        aanbieder=party.code if party.role == Role.AANBIEDER else aanbieder,
        today=today,
        not_started_days=dagen,
    )
    rows = reports.run(s, name, q)
    if format == "csv":
        return _csv(rows, name)
    return ReportPage(
        report=name,
        period=period,
        start=p0,
        end=p1,
        gemeenten=gemeenten,
        total=len(rows),
        items=rows[cursor : cursor + limit],
        next_cursor=str(cursor + limit) if cursor + limit < len(rows) else None,
    )


# -- alerts ----------------------------------------------------------------------------------


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    payload: dict[str, Any]
    created_at: datetime
    status: Literal["pending", "delivered", "no_webhook"]
    attempts: int
    delivered_at: datetime | None
    last_error: str | None


class AlertList(BaseModel):
    items: list[AlertOut]
    next_cursor: str


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(min_length=8, max_length=500, pattern=r"^https?://[^\s]+$")]


class WebhookOut(BaseModel):
    url: str
    secret: str = Field(description="verify X-Ijw-Signature: sha256=HMAC(secret, body)")


class ScanOut(BaseModel):
    created: int
    delivered: int


@router.get("/v1/alerts", summary="Your alerts: ceilings past a threshold, overdue deadlines")
def list_alerts(
    party: GemeenteDep,
    s: SessionDep,
    since: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=1000),
) -> AlertList:
    items = alerts.alerts_of(s, party.code, since, limit)
    return AlertList(
        items=[AlertOut.model_validate(a) for a in items],
        next_cursor=str(items[-1].id if items else since),
    )


@router.put("/v1/alerts/webhook", summary="Post your alerts to this URL (signed)")
def put_webhook(
    party: GemeenteDep,
    s: SessionDep,
    svc: ServiceDep,
    user: UserDep,
    body: WebhookIn = Body(...),
) -> WebhookOut:
    """Replaces the URL and makes a new signing secret (shown once)."""
    hook = alerts.set_webhook(s, party.code, body.url, user, svc.clock.now())
    return WebhookOut(url=hook.url, secret=hook.secret)


@router.delete("/v1/alerts/webhook", summary="Stop posting your alerts", status_code=204)
def delete_webhook(party: GemeenteDep, s: SessionDep) -> Response:
    alerts.remove_webhook(s, party.code)
    return Response(status_code=204)


@router.post("/v1/alerts/scan", summary="Look for new alerts now and deliver what is due")
def scan_alerts(party: GemeenteDep, svc: ServiceDep) -> ScanOut:
    """What `ijw alerts run` does for every gemeente, for you alone."""
    with svc.factory() as s, s.begin():
        created = len(alerts.scan(s, party.code, svc.clock.today(), svc.clock.now()))
    delivered = alerts.deliver(svc.factory, svc.clock.now(), gemeente=party.code)
    return ScanOut(created=created, delivered=delivered)
