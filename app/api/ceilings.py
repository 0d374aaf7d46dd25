"""Budget ceilings and utilisation: committed and spent money, forecast, CSV export.

Figures cover the caller's region (a gemeente: every member gemeente, for the joint
purchasing the ceilings belong to); a provider sees only its own rows and the ceilings it
shares.  Amounts are eurocents.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.deps import ApiError, Service, caller, service, session
from app.db.models import Party
from app.domain import ceilings
from app.ijw.catalogue import Role

router = APIRouter(prefix="/v1/ceilings", tags=["ceilings"])

CSV_COLUMNS = ("aanbieder", "gemeente", "categorie", "month", "committed", "spent")


def _year(year: int | None, svc: Service) -> int:
    return year or svc.clock.today().year


def _anchor(s: Session, party: Party, gemeente: str | None) -> str:
    """The gemeente whose region the figures cover."""
    if party.role == Role.GEMEENTE:
        return party.code
    if gemeente is None:
        raise ApiError(400, "GEMEENTE_REQUIRED", "a provider names the gemeente (?gemeente=)")
    return gemeente


@router.get("", summary="Ceilings with committed, spent, usage and forecast")
def list_ceilings(
    year: int | None = Query(None, description="default: this year"),
    gemeente: str | None = Query(None, description="providers: the gemeente of the region"),
    party: Party = Depends(caller),
    s: Session = Depends(session),
    svc: Service = Depends(service),
) -> dict[str, Any]:
    y = _year(year, svc)
    items = [
        st.as_dict()
        for st in ceilings.statuses(s, _anchor(s, party, gemeente), y, svc.clock.today())
        if party.role == Role.GEMEENTE or party.code in st.aanbieders
    ]
    return {"year": y, "items": items}


@router.get("/utilisation", summary="Committed and spent per provider, category, gemeente, month")
def utilisation(
    year: int | None = Query(None, description="default: this year"),
    gemeente: str | None = Query(None, description="providers: the gemeente of the region"),
    format: str = Query("json", pattern="^(json|csv)$"),
    party: Party = Depends(caller),
    s: Session = Depends(session),
    svc: Service = Depends(service),
) -> Any:
    y = _year(year, svc)
    util = ceilings.utilisation(s, _anchor(s, party, gemeente), y)
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
    return {
        "year": y,
        "gemeenten": util.gemeenten,
        "totals": {
            "committed": sum(r["committed"] for r in rows),
            "spent": sum(r["spent"] for r in rows),
            # every year: reconciles with the TotaalToegekendBedrag of all JW325s in scope
            "spent_all_years": ceilings.spent_all_years(
                s, util.gemeenten, party.code if party.role == Role.AANBIEDER else None
            ),
        },
        "items": rows,
    }
