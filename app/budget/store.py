"""The automatic decisions of the budget package: the only code on its table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.budget.models import AutoDecision


def decisions_for(
    session: Session, gemeente: str, limit: int = 100, before: int | None = None
) -> list[AutoDecision]:
    """The latest automatic decisions of a gemeente (ids below `before` when given)."""
    query = select(AutoDecision).where(AutoDecision.gemeente == gemeente)
    if before is not None:
        query = query.where(AutoDecision.id < before)
    return list(session.scalars(query.order_by(AutoDecision.id.desc()).limit(limit)))
