"""The per-user audit of back-office actions: the only code on its table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backoffice.models import AuditEntry


def record(
    session: Session,
    *,
    gemeente: str,
    actor: str | None,
    action: str,
    subject: str,
    now: datetime,
    message_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Keep one back-office action (in the action's own transaction)."""
    entry = AuditEntry(
        at=now,
        gemeente=gemeente,
        actor_user=actor,
        action=action,
        subject=subject[:100],
        message_id=message_id,
        details=details or {},
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session,
    gemeente: str,
    *,
    actor: str | None = None,
    action: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[AuditEntry]:
    """The gemeente's audit entries after cursor `after`, oldest first (optionally one person's
    or one action's)."""
    query = select(AuditEntry).where(AuditEntry.gemeente == gemeente, AuditEntry.id > after)
    if actor is not None:
        query = query.where(AuditEntry.actor_user == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query.order_by(AuditEntry.id).limit(limit)))
