"""Budget ceilings and utilisation: committed and spent money, forecast, CSV export.

Figures cover the caller's region (a gemeente: every member gemeente, for the joint
purchasing the ceilings belong to); a provider sees only its own rows and the ceilings it
shares.  Amounts are eurocents.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from app.api.deps import ApiError, CallerDep, ServiceDep, SessionDep, Year
from app.budget import ceilings
from app.exchange.models import Party
from app.ijw.catalogue import Role

router = APIRouter(prefix="/v1/ceilings", tags=["ceilings"])

CSV_COLUMNS = ("aanbieder", "gemeente", "categorie", "month", "committed", "spent")


class Forecast(BaseModel):
    """When the ceiling runs out: the projection from committed and spent together (declaration
    lag and realisation factors included), the plain spending rate, cumulative commitment."""

    projected: int
    projected_remaining: int
    projected_runs_out_on: str | None
    spending_rate_per_day: int | None
    runs_out_on: str | None
    committed_runs_out_on: str | None


class Unvalued(BaseModel):
    """An allocation in scope that cannot be valued, and why."""

    gemeente: str
    toewijzingnummer: int
    aanbieder: str
    categorie: str | None
    code: str | None
    reason: str
    ingangsdatum: date
    einddatum: date | None


class CeilingOut(BaseModel):
    """A ceiling with its figures (eurocents)."""

    id: int
    region: str
    name: str
    year: int
    start: str
    end: str
    kind: Literal["hard", "soft"]
    amount: int
    aanbieders: list[str]
    all_contracted: bool
    categories: list[str] | None
    codes: list[str] | None
    gemeenten: list[str] | None
    thresholds: list[int]
    thresholds_passed: list[int]
    committed: int
    spent: int
    task: int
    usage: int
    expected: int
    remaining: int
    percentage: float | None
    status: Literal["ok", "warning", "exceeded"]
    unvalued: int
    unvalued_allocations: list[Unvalued]
    overrides: int
    forecast: Forecast


class CeilingList(BaseModel):
    year: int
    items: list[CeilingOut]


class UtilisationRow(BaseModel):
    aanbieder: str
    gemeente: str
    categorie: str | None
    month: str
    committed: int
    spent: int


class Totals(BaseModel):
    committed: int
    spent: int
    spent_all_years: int


class UtilisationOut(BaseModel):
    year: int
    gemeenten: list[str]
    totals: Totals
    items: list[UtilisationRow]
    unvalued: list[Unvalued]


def _year(year: int | None, svc: ServiceDep) -> int:
    return year or svc.clock.today().year


def _anchor(party: Party, gemeente: str | None) -> str:
    """The gemeente whose region the figures cover."""
    if party.role == Role.GEMEENTE:
        return party.code
    if gemeente is None:
        raise ApiError(400, "GEMEENTE_REQUIRED", "a provider names the gemeente (?gemeente=)")
    return gemeente


@router.get("", summary="Ceilings with committed, spent, usage and forecast")
def list_ceilings(
    party: CallerDep,
    s: SessionDep,
    svc: ServiceDep,
    year: Year = None,
    gemeente: str | None = Query(None, description="providers: the gemeente of the region"),
) -> CeilingList:
    y = _year(year, svc)
    items = [
        CeilingOut.model_validate(st.as_dict())
        for st in ceilings.statuses(s, _anchor(party, gemeente), y, svc.clock.today())
        if party.role == Role.GEMEENTE or party.code in st.aanbieders
    ]
    return CeilingList(year=y, items=items)


@router.get(
    "/utilisation",
    summary="Committed and spent per provider, category, gemeente, month",
    response_model=UtilisationOut,
    responses={200: {"content": {"text/csv": {}}}},
)
def utilisation(
    party: CallerDep,
    s: SessionDep,
    svc: ServiceDep,
    year: Year = None,
    gemeente: str | None = Query(None, description="providers: the gemeente of the region"),
    format: str = Query("json", pattern="^(json|csv)$"),
) -> Any:
    y = _year(year, svc)
    util = ceilings.utilisation(s, _anchor(party, gemeente), y)
    rows = util.rows()
    if party.role == Role.AANBIEDER:
        rows = [r for r in rows if r["aanbieder"] == party.code]
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return Response(
            buffer.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="utilisation-{y}.csv"'},
        )
    return UtilisationOut(
        year=y,
        gemeenten=util.gemeenten,
        totals=Totals(
            committed=sum(r["committed"] for r in rows),
            spent=sum(r["spent"] for r in rows),
            # every year: reconciles with the TotaalToegekendBedrag of all JW325s in scope
            spent_all_years=ceilings.spent_all_years(
                s, util.gemeenten, party.code if party.role == Role.AANBIEDER else None
            ),
        ),
        items=[UtilisationRow.model_validate(r) for r in rows],
        unvalued=[
            Unvalued.model_validate(u)
            for u in util.unvalued.values()
            if party.role == Role.GEMEENTE or u["aanbieder"] == party.code
        ],
    )
