"""Back-office tables: the per-user audit of back-office actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.types import UtcDateTime


class AuditEntry(Base):
    """One back-office action: which gemeente, which person (the acting user the caller named,
    X-Ijw-User), what, on what, with which outcome.  Written in the action's transaction."""

    __tablename__ = "backoffice_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    gemeente: Mapped[str] = mapped_column(String(4))
    actor_user: Mapped[str | None] = mapped_column(String(100))
    # allocation.create | allocation.refused | request.answer | permit.add | payment.paid | ...
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(100))  # e.g. "aanbieder 12345678 bsn ..."
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_backoffice_audit_gemeente_at", "gemeente", "at"),)
