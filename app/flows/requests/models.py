"""Request tables (REQ, spec §3c): VOT products and VOW requests, and our answers on them.

A request is (AGB, ReferentieAanbieder) (TR347).  Only `app.flows.requests.store` reads and writes
these tables.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class RequestRow(Base):
    """A request from a provider: one row per AangevraagdProduct of a JW315 (VOT, decided per
    product) or one row per JW317 Verzoek (VOW, decided as a whole).  Only requests that were
    accepted (JW316/JW318 without codes) are stored: a rejected request counts as never sent."""

    __tablename__ = "flow_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(3))  # VOT | VOW
    gemeente: Mapped[str] = mapped_column(String(4))
    aanbieder: Mapped[str] = mapped_column(String(8))
    bsn: Mapped[str] = mapped_column(String(9))
    referentie: Mapped[str] = mapped_column(String(36))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based AangevraagdProduct (1 for a VOW)
    dagtekening: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date] = mapped_column(Date)
    # pending | in_onderzoek | honoured | rejected
    status: Mapped[str] = mapped_column(String(12))
    deadline: Mapped[date] = mapped_column(Date)  # 5 wd for the decision (OP274, OP346)
    final_deadline: Mapped[date | None] = mapped_column(Date)  # 8 weeks once "in onderzoek"
    # What was asked, model-shaped with ISO dates (product, dates, Omvang, Budget, items).
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    reden_afwijzing: Mapped[str | None] = mapped_column(String(2))

    __table_args__ = (
        UniqueConstraint("aanbieder", "referentie"),
        Index("ix_flow_requests_client", "gemeente", "aanbieder", "bsn"),
        Index("ix_flow_requests_open", "gemeente", "status", "deadline"),
    )


class RequestAnswerRow(Base):
    """A JW319 we sent on a request, with the provider's JW320 verdict on it."""

    __tablename__ = "flow_request_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("flow_requests.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    verzoek_antwoord: Mapped[str] = mapped_column(String(1))  # 1 rejected | 2 in onderzoek
    reden: Mapped[str | None] = mapped_column(String(2))
    woonplaatsbeginsel: Mapped[str | None] = mapped_column(String(4))
    sent_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # sent | accepted | rejected (by JW320)
    retour_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
