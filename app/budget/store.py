"""The budget package's tables: automatic decisions and allocation permits (the only code on
them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.budget.models import AllocationPermit, AutoDecision

OVERRIDE = "override"  # a hard budget ceiling may be exceeded by this allocation
CONSENT = "consent"  # the provider agreed to this change (OP186, OP298, OP299)


def decisions_for(
    session: Session, gemeente: str, limit: int = 100, before: int | None = None
) -> list[AutoDecision]:
    """The latest automatic decisions of a gemeente (ids below `before` when given)."""
    query = select(AutoDecision).where(AutoDecision.gemeente == gemeente)
    if before is not None:
        query = query.where(AutoDecision.id < before)
    return list(session.scalars(query.order_by(AutoDecision.id.desc()).limit(limit)))


def add_permit(
    session: Session,
    *,
    gemeente: str,
    nummer: int,
    kind: str,
    reason: str,
    actor_party: str | None,
    actor_user: str | None,
    now: datetime,
) -> AllocationPermit:
    """Record a permit for one allocation (the caller checked `kind`)."""
    permit = AllocationPermit(
        gemeente=gemeente,
        nummer=nummer,
        kind=kind,
        reason=reason,
        actor_party=actor_party,
        actor_user=actor_user,
        created_at=now,
        details={},
    )
    session.add(permit)
    session.flush()
    return permit


def open_permits(session: Session, gemeente: str, nummers: Sequence[int]) -> list[AllocationPermit]:
    """Permits of these allocations not used for a JW301 yet (oldest first)."""
    if not nummers:
        return []
    return list(
        session.scalars(
            select(AllocationPermit)
            .where(
                AllocationPermit.gemeente == gemeente,
                AllocationPermit.nummer.in_(list(nummers)),
                AllocationPermit.used_message_id.is_(None),
            )
            .order_by(AllocationPermit.id)
        )
    )


def use_permit(
    session: Session, permit_id: int, message_id: int, now: datetime, details: dict[str, Any]
) -> None:
    """Mark a permit used by the JW301 `message_id`, with the figures it allowed."""
    permit = session.get(AllocationPermit, permit_id)
    if permit is not None and permit.used_message_id is None:
        permit.used_message_id = message_id
        permit.used_at = now
        permit.details = {**(permit.details or {}), **details}
        session.flush()


def permits_of(
    session: Session,
    gemeenten: Sequence[str],
    *,
    kind: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[AllocationPermit]:
    """Permits of the gemeenten (optionally of one kind, created in [start, end])."""
    query = select(AllocationPermit).where(AllocationPermit.gemeente.in_(list(gemeenten)))
    if kind is not None:
        query = query.where(AllocationPermit.kind == kind)
    rows = list(session.scalars(query.order_by(AllocationPermit.id)))
    return [
        p
        for p in rows
        if (start is None or p.created_at.date() >= start)
        and (end is None or p.created_at.date() <= end)
    ]
