"""Declarations: which lines of a JW323 were approved, which rejected and why.

A JW325 lists only rejected prestaties and is hard to link back to its JW323.  These endpoints
answer, for the provider that sent a declaration and for the gemeente it was sent to (nobody
else), the decision on every prestatie with the rule(s) that decided it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.api.deps import (
    ApiError,
    CallerDep,
    MessageId,
    RowId,
    SessionDep,
    cursor_value,
    not_found,
)
from app.api.pages import Page, page_of
from app.exchange.models import Party
from app.flows.declarations import store
from app.flows.declarations.models import Declaration, PrestatieLine
from app.ijw.catalogue import Role
from app.ijw.rules.catalogue import RULES

router = APIRouter(prefix="/v1/declarations", tags=["declarations"])
prestaties_router = APIRouter(prefix="/v1/prestaties", tags=["declarations"])


class Period(BaseModel):
    begin: date
    end: date


class Explanation(BaseModel):
    """A rule, the retourcode it gave and what it means."""

    rule: str | None
    code: str | None
    meaning: str | None

    @classmethod
    def of(cls, rule: str | None, code: str | None) -> Explanation:
        meta = RULES.get(rule or "")
        return cls(rule=rule, code=code, meaning=meta.summary if meta else None)


class DeclarationOut(BaseModel):
    """A declaration with its outcome (amounts in signed eurocents)."""

    id: int
    declaratienummer: str
    gemeente: str
    aanbieder: str
    identificatie: str
    dagtekening: date
    periode: Period
    status: str
    codes: list[str]
    explanation: list[Explanation]
    totaal_ingediend: int
    totaal_toegekend: int
    prestaties: int
    approved: int
    rejected: int
    checks: dict[str, list[str]]
    message_id: int
    answer_message_id: int | None
    received_at: datetime


class ProductOut(BaseModel):
    categorie: str
    code: str


class LineOut(BaseModel):
    """One prestatie with its decision and the rules behind its codes."""

    position: int
    bsn: str
    referentienummer: str
    vorig_referentienummer: str | None
    toewijzingnummer: int
    product: ProductOut
    periode: Period
    geleverd_volume: int
    eenheid: str
    product_tarief: int | None
    ingediend_bedrag: int
    debet_credit: str
    status: str
    codes: list[str]
    reasons: list[Explanation]
    credited_by: str | None


class DeclarationLines(Page[LineOut]):
    """A page of a declaration's lines, with the declaration and how many lines match."""

    declaration: DeclarationOut
    total: int


class PrestatieOut(LineOut):
    declaration_id: int
    declaratienummer: str


class PrestatieList(Page[PrestatieOut]):
    """Every line with one ReferentieNummer (a debet and its credits: never more than a few)."""


def _scope(party: Party) -> store.Scope:
    """The caller's own declarations: sent by it, or addressed to it."""
    if party.role == Role.AANBIEDER:
        return store.Scope(aanbieder=party.code)
    return store.Scope(gemeente=party.code)


def _summary(s: Session, d: Declaration) -> DeclarationOut:
    return DeclarationOut(
        id=d.id,
        declaratienummer=d.nummer,
        gemeente=d.gemeente,
        aanbieder=d.aanbieder,
        identificatie=d.identificatie,
        dagtekening=d.dagtekening,
        periode=Period(begin=d.periode_begin, end=d.periode_end),
        status=d.status,
        codes=list(d.codes or []),
        explanation=[Explanation.of(f.get("rule"), f.get("retourcode")) for f in d.findings or []],
        totaal_ingediend=d.ingediend,
        totaal_toegekend=d.toegekend,
        prestaties=d.n_prestaties,
        approved=d.n_approved,
        rejected=d.n_prestaties - d.n_approved if d.status != "rejected" else 0,
        checks=d.checks or {},
        message_id=d.message_id,
        answer_message_id=store.answer_id(s, d),
        received_at=d.received_at,
    )


def _line(p: PrestatieLine) -> LineOut:
    return LineOut(
        position=p.position,
        bsn=p.bsn,
        referentienummer=p.referentienummer,
        vorig_referentienummer=p.vorig_referentienummer,
        toewijzingnummer=p.toewijzingnummer,
        product=ProductOut(categorie=p.categorie, code=p.code),
        periode=Period(begin=p.periode_begin, end=p.periode_end),
        geleverd_volume=p.volume,
        eenheid=p.eenheid,
        product_tarief=p.tarief,
        ingediend_bedrag=p.bedrag,
        debet_credit=p.debet_credit,
        status=p.status,
        codes=list(p.codes or []),
        reasons=[Explanation.of(r, RULES[r].retourcode if r in RULES else None) for r in p.rules],
        credited_by=p.credited_by,
    )


def _get(s: Session, party: Party, declaration_id: int) -> Declaration:
    d = store.declaration(s, _scope(party), declaration_id)
    if d is None:
        raise not_found(f"declaration {declaration_id}")
    return d


@router.get("", summary="Your declarations (newest first)")
def list_declarations(
    party: CallerDep,
    s: SessionDep,
    declaratienummer: str | None = Query(None, description="filter on DeclaratieNummer"),
    status: Literal["accepted", "partially_accepted", "rejected"] | None = Query(None),
    limit: int = Query(50, ge=1, le=500, description="at most 500"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
) -> Page[DeclarationOut]:
    """Declarations you sent (aanbieder) or received (gemeente) that reached the rules."""
    before = cursor_value(cursor) if cursor else None
    rows = store.declarations(
        s, _scope(party), nummer=declaratienummer, status=status, limit=limit + 1, before=before
    )
    return page_of(rows, limit, lambda d: str(d.id), lambda d: _summary(s, d))


@router.get("/by-message/{message_id}", summary="The declaration of a posted JW323")
def by_message(message_id: MessageId, party: CallerDep, s: SessionDep) -> DeclarationOut:
    """By the X-Message-Id of the JW323 post, or the message id of its JW325."""
    d = store.declaration_of_message(s, _scope(party), message_id)
    if d is None:
        raise not_found(f"declaration for message {message_id}")
    return _summary(s, d)


@router.get("/{declaration_id}", summary="One declaration with its outcome")
def get_declaration(declaration_id: RowId, party: CallerDep, s: SessionDep) -> DeclarationOut:
    return _summary(s, _get(s, party, declaration_id))


@router.get("/{declaration_id}/prestaties", summary="Every line with its decision and reasons")
def declaration_lines(
    declaration_id: RowId,
    party: CallerDep,
    s: SessionDep,
    status: Literal["approved", "rejected", "not_assessed"] | None = Query(None),
    limit: int = Query(1000, ge=1, le=5000, description="at most 5000"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
) -> DeclarationLines:
    """Lines in document order: status, retourcodes and the rule behind each code."""
    d = _get(s, party, declaration_id)
    after = cursor_value(cursor) if cursor else 0
    total, rows = store.lines_of(s, d.id, status, limit + 1, after)
    page = page_of(rows, limit, lambda p: str(p.position), _line)
    return DeclarationLines(
        declaration=_summary(s, d),
        total=total,
        items=page.items,
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )


@prestaties_router.get("/{referentienummer}", summary="A prestatie by its ReferentieNummer")
def prestatie(
    referentienummer: str,
    party: CallerDep,
    s: SessionDep,
    aanbieder: str | None = Query(None, description="the provider (gemeenten must name it)"),
) -> PrestatieList:
    """Every line with this ReferentieNummer and the credits that refer to it."""
    if party.role == Role.AANBIEDER:
        rows = store.prestaties_by_reference(s, party.code, referentienummer)
    else:
        if aanbieder is None:
            raise ApiError(400, "AANBIEDER_REQUIRED", "name the aanbieder (?aanbieder=AGB)")
        rows = store.prestaties_by_reference(s, aanbieder, referentienummer, gemeente=party.code)
    if not rows:
        raise not_found(f"prestatie {referentienummer}")
    return PrestatieList(
        items=[
            PrestatieOut(**dict(_line(p)), declaration_id=d.id, declaratienummer=d.nummer)
            for p, d in rows
        ],
        next_cursor=None,
        has_more=False,
    )
