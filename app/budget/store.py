"""The automatic decisions of the budget package: the only code on its table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.budget.models import AutoDecision


def decisions_for(session: Session, gemeente: str, limit: int = 100) -> list[AutoDecision]:
    """The latest automatic decisions of a gemeente."""
    return list(
        session.scalars(
            select(AutoDecision)
            .where(AutoDecision.gemeente == gemeente)
            .order_by(AutoDecision.id.desc())
            .limit(limit)
        )
    )
