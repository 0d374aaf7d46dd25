"""Steering tables: alerts and their webhook, and the paid status of approved prestaties."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.types import UtcDateTime


class Webhook(Base):
    """Where a gemeente wants its alerts posted (one URL per gemeente), and the secret we sign
    each delivery with (HMAC-SHA256 in X-Ijw-Signature)."""

    __tablename__ = "steering_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(4), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_user: Mapped[str | None] = mapped_column(String(100))


class Alert(Base):
    """Something a gemeente must know: a ceiling passed a threshold, a deadline is overdue.
    `key` makes each alert happen once (no duplicates, however often the scan runs); delivery
    to the webhook is retried with back-off until it succeeds."""

    __tablename__ = "steering_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(30))  # ceiling_threshold | deadline_overdue
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # pending (to deliver) | delivered | no_webhook (listed only)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_steering_alerts_gemeente", "gemeente", "id"),
        Index("ix_steering_alerts_due", "status", "next_attempt_at"),
    )


class Payment(Base):
    """An approved prestatie the finance system paid: set back by the gemeente (API or CSV)."""

    __tablename__ = "steering_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    prestatie_id: Mapped[int] = mapped_column(
        ForeignKey("money_prestaties.id", ondelete="CASCADE"), unique=True
    )
    gemeente: Mapped[str] = mapped_column(String(4))
    aanbieder: Mapped[str] = mapped_column(String(8))
    referentienummer: Mapped[str] = mapped_column(String(20))
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100))  # the finance system's payment id
    actor_user: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
