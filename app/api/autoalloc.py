"""Automatic handling of requests: what was decided for each requested product, and why."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from app.api.deps import gemeente, session
from app.db.models import Party
from app.domain import autoalloc

router = APIRouter(prefix="/v1/autoalloc", tags=["ceilings"])


@router.get("/decisions", summary="Automatic decisions on requests, newest first")
def decisions(
    limit: int = Query(100, ge=1, le=1000),
    party: Party = Depends(gemeente),
    s: Session = Depends(session),
) -> dict[str, Any]:
    """Each requested product of a region with automatic handling: `allocated` (with the JW301
    that was sent) or `queued` (with the reasons a person has to decide)."""
    return {
        "items": [
            {
                "id": d.id,
                "aanbieder": d.aanbieder,
                "referentie_aanbieder": d.referentie_aanbieder,
                "outcome": d.outcome,
                "reasons": d.reasons,
                "request_message_id": d.request_message_id,
                "allocation_message_id": d.allocation_message_id,
                "toewijzingnummer": d.toewijzingnummer,
                "decided_at": d.decided_at.isoformat(),
            }
            for d in autoalloc.decisions_for(s, party.code, limit)
        ]
    }
