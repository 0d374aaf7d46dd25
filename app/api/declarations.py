"""Declarations: which lines of a JW323 were approved, which rejected and why.

A JW325 lists only rejected prestaties and is hard to link back to its JW323.  These endpoints
answer, for the provider that sent a declaration and for the gemeente it was sent to (nobody
else), the decision on every prestatie with the rule(s) that decided it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.api.deps import ApiError, caller, session
from app.db.models import MessageRecord, Party
from app.db.money import Declaration, PrestatieLine
from app.ijw.catalogue import Role
from app.ijw.rules.catalogue import RULES

router = APIRouter(prefix="/v1/declarations", tags=["declarations"])
prestaties_router = APIRouter(prefix="/v1/prestaties", tags=["declarations"])

STATUSES = ("approved", "rejected", "not_assessed")


def _scope(query: Any, party: Party) -> Any:
    """Restrict to the caller's own declarations: sent by it, or addressed to it."""
    if party.role == Role.AANBIEDER:
        return query.where(Declaration.aanbieder == party.code)
    return query.where(Declaration.gemeente == party.code)


def _summary(d: Declaration, answer_id: int | None) -> dict[str, Any]:
    return {
        "id": d.id,
        "declaratienummer": d.nummer,
        "gemeente": d.gemeente,
        "aanbieder": d.aanbieder,
        "identificatie": d.identificatie,
        "dagtekening": d.dagtekening.isoformat(),
        "periode": {"begin": d.periode_begin.isoformat(), "end": d.periode_end.isoformat()},
        "status": d.status,
        "codes": list(d.codes or []),
        "explanation": [_explain(f.get("rule"), f.get("retourcode")) for f in d.findings or []],
        "totaal_ingediend": d.ingediend,
        "totaal_toegekend": d.toegekend,
        "prestaties": d.n_prestaties,
        "approved": d.n_approved,
        "rejected": d.n_prestaties - d.n_approved if d.status != "rejected" else 0,
        "checks": d.checks or {},
        "message_id": d.message_id,
        "answer_message_id": answer_id,
        "received_at": d.received_at.isoformat(),
    }


def _explain(rule: str | None, code: str | None) -> dict[str, Any]:
    meta = RULES.get(rule or "")
    return {"rule": rule, "code": code, "meaning": meta.summary if meta else None}


def _line(p: PrestatieLine) -> dict[str, Any]:
    return {
        "position": p.position,
        "bsn": p.bsn,
        "referentienummer": p.referentienummer,
        "vorig_referentienummer": p.vorig_referentienummer,
        "toewijzingnummer": p.toewijzingnummer,
        "product": {"categorie": p.categorie, "code": p.code},
        "periode": {"begin": p.periode_begin.isoformat(), "end": p.periode_end.isoformat()},
        "geleverd_volume": p.volume,
        "eenheid": p.eenheid,
        "product_tarief": p.tarief,
        "ingediend_bedrag": p.bedrag,
        "debet_credit": p.debet_credit,
        "status": p.status,
        "codes": list(p.codes or []),
        "reasons": [_explain(r, RULES[r].retourcode if r in RULES else None) for r in p.rules],
        "credited_by": p.credited_by,
    }


def _get(s: Session, party: Party, declaration_id: int) -> Declaration:
    d = s.scalar(_scope(select(Declaration).where(Declaration.id == declaration_id), party))
    if d is None:
        raise ApiError(404, "NOT_FOUND", f"no declaration {declaration_id} of yours")
    return d


def _answer_id(s: Session, d: Declaration) -> int | None:
    return s.scalar(select(MessageRecord.answer_id).where(MessageRecord.id == d.message_id))


@router.get("", summary="Your declarations (newest first)")
def list_declarations(
    declaratienummer: str | None = Query(None, description="filter on DeclaratieNummer"),
    status: str | None = Query(None, description="accepted | partially_accepted | rejected"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    party: Party = Depends(caller),
    s: Session = Depends(session),
) -> dict[str, Any]:
    """Declarations you sent (aanbieder) or received (gemeente) that reached the rules."""
    query = _scope(select(Declaration), party)
    if declaratienummer is not None:
        query = query.where(Declaration.nummer == declaratienummer)
    if status is not None:
        query = query.where(Declaration.status == status)
    rows = s.scalars(query.order_by(Declaration.id.desc()).offset(offset).limit(limit)).all()
    return {"items": [_summary(d, _answer_id(s, d)) for d in rows]}


@router.get("/by-message/{message_id}", summary="The declaration of a posted JW323")
def by_message(
    message_id: int, party: Party = Depends(caller), s: Session = Depends(session)
) -> dict[str, Any]:
    """By the X-Message-Id of the JW323 post, or the message id of its JW325."""
    d = s.scalar(
        _scope(
            select(Declaration).where(
                or_(
                    Declaration.message_id == message_id,
                    Declaration.message_id.in_(
                        select(MessageRecord.answers_id).where(MessageRecord.id == message_id)
                    ),
                )
            ),
            party,
        )
    )
    if d is None:
        raise ApiError(404, "NOT_FOUND", f"no declaration of yours for message {message_id}")
    return _summary(d, _answer_id(s, d))


@router.get("/{declaration_id}", summary="One declaration with its outcome")
def get_declaration(
    declaration_id: int, party: Party = Depends(caller), s: Session = Depends(session)
) -> dict[str, Any]:
    d = _get(s, party, declaration_id)
    return _summary(d, _answer_id(s, d))


@router.get("/{declaration_id}/prestaties", summary="Every line with its decision and reasons")
def declaration_lines(
    declaration_id: int,
    status: str | None = Query(None, description="approved | rejected | not_assessed"),
    limit: int = Query(1000, ge=1, le=5000),
    offset: int = Query(0, ge=0),
    party: Party = Depends(caller),
    s: Session = Depends(session),
) -> dict[str, Any]:
    """Lines in document order: status, retourcodes and the rule behind each code."""
    d = _get(s, party, declaration_id)
    if status is not None and status not in STATUSES:
        raise ApiError(400, "BAD_STATUS", f"status is one of {', '.join(STATUSES)}")
    query = select(PrestatieLine).where(PrestatieLine.declaration_id == d.id)
    count = (
        select(func.count()).select_from(PrestatieLine).where(PrestatieLine.declaration_id == d.id)
    )
    if status is not None:
        query = query.where(PrestatieLine.status == status)
        count = count.where(PrestatieLine.status == status)
    rows = s.scalars(query.order_by(PrestatieLine.position).offset(offset).limit(limit)).all()
    return {
        "declaration": _summary(d, _answer_id(s, d)),
        "total": s.scalar(count),
        "items": [_line(p) for p in rows],
    }


@prestaties_router.get("/{referentienummer}", summary="A prestatie by its ReferentieNummer")
def prestatie(
    referentienummer: str,
    aanbieder: str | None = Query(None, description="the provider (gemeenten must name it)"),
    party: Party = Depends(caller),
    s: Session = Depends(session),
) -> dict[str, Any]:
    """Every line with this ReferentieNummer and the credits that refer to it."""
    query = select(PrestatieLine, Declaration).join(
        Declaration, Declaration.id == PrestatieLine.declaration_id
    )
    if party.role == Role.AANBIEDER:
        query = query.where(PrestatieLine.aanbieder == party.code)
    else:
        if aanbieder is None:
            raise ApiError(400, "AANBIEDER_REQUIRED", "name the aanbieder (?aanbieder=AGB)")
        query = query.where(
            PrestatieLine.gemeente == party.code, PrestatieLine.aanbieder == aanbieder
        )
    query = query.where(
        or_(
            PrestatieLine.referentienummer == referentienummer,
            PrestatieLine.vorig_referentienummer == referentienummer,
        )
    )
    rows = s.execute(query.order_by(PrestatieLine.id)).all()
    if not rows:
        raise ApiError(404, "NOT_FOUND", f"no prestatie {referentienummer} of yours")
    return {
        "items": [
            {**_line(p), "declaration_id": d.id, "declaratienummer": d.nummer} for p, d in rows
        ]
    }
