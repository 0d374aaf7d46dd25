"""Automatic handling of requests: what was decided for each requested product, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from app.api.deps import GemeenteDep, SessionDep, cursor_value
from app.api.pages import Page, page_of
from app.budget import store as budget

router = APIRouter(prefix="/v1/autoalloc", tags=["ceilings"])


class DecisionOut(BaseModel):
    """One automatic decision: `allocated` (with the JW301 that was sent) or `queued`."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    aanbieder: str
    referentie_aanbieder: str
    outcome: Literal["allocated", "queued"]
    reasons: list[str]
    request_message_id: int | None
    allocation_message_id: int | None
    toewijzingnummer: int | None
    decided_at: datetime


@router.get("/decisions", summary="Automatic decisions on requests, newest first")
def decisions(
    party: GemeenteDep,
    s: SessionDep,
    limit: int = Query(100, ge=1, le=1000, description="at most 1000"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
) -> Page[DecisionOut]:
    """Each requested product of a region with automatic handling: `allocated` (with the JW301
    that was sent) or `queued` (with the reasons a person has to decide)."""
    before = cursor_value(cursor) if cursor else None
    rows = budget.decisions_for(s, party.code, limit + 1, before)
    return page_of(rows, limit, lambda d: str(d.id), DecisionOut.model_validate)
