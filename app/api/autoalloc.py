"""Automatic handling of requests: what was decided for each requested product, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from app.api.deps import GemeenteDep, SessionDep
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


class DecisionList(BaseModel):
    items: list[DecisionOut]


@router.get("/decisions", summary="Automatic decisions on requests, newest first")
def decisions(
    party: GemeenteDep, s: SessionDep, limit: int = Query(100, ge=1, le=1000)
) -> DecisionList:
    """Each requested product of a region with automatic handling: `allocated` (with the JW301
    that was sent) or `queued` (with the reasons a person has to decide)."""
    return DecisionList(
        items=[DecisionOut.model_validate(d) for d in budget.decisions_for(s, party.code, limit)]
    )
