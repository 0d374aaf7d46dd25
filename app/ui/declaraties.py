"""Declaraties: per declaration its lines with the decision and the rule that decided, in words
(the rule's text from the rule catalogue), filters, and totals that match the JW325."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.flows.declarations import store
from app.ui.core import MeDep, NotFound, UiDep, page
from app.ui.views import Names, catalogue

router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE = 100


@router.get("/declaraties")
def declaraties(request: Request, me: MeDep, ctx: UiDep) -> Response:
    q = request.query_params
    status = q.get("status", "")
    aanbieder = q.get("aanbieder", "").strip()
    nummer = q.get("nummer", "").strip()
    errors = {}
    if status and status not in store.DECLARATION_STATUSES:
        errors["status"] = "Kies een van de statussen."
    if aanbieder and not re.fullmatch(r"[0-9]{8}", aanbieder):
        errors["aanbieder"] = "Een AGB-code heeft 8 cijfers."
    if nummer and not re.fullmatch(r"[0-9A-Za-z]{1,12}", nummer):
        errors["nummer"] = "Een declaratienummer heeft hoogstens 12 letters en cijfers."
    with ctx.factory() as s:
        rows = (
            []
            if errors
            else store.declarations(
                s,
                store.Scope(gemeente=me.gemeente, aanbieder=aanbieder or None),
                nummer=nummer or None,
                status=status or None,
                limit=500,
            )
        )
        return page(
            request,
            "declaraties.html",
            me,
            status=200,
            active="declaraties",
            rows=rows,
            names=Names(s),
            errors=errors,
            totals={
                "ingediend": sum(d.ingediend for d in rows),
                "toegekend": sum(d.toegekend for d in rows),
                "regels": sum(d.n_prestaties for d in rows),
            },
        )


@router.get("/declaraties/{declaration_id}")
def declaratie(request: Request, declaration_id: int, me: MeDep, ctx: UiDep) -> Response:
    q = request.query_params
    status = q.get("regels", "")
    if status not in ("", *store.LINE_STATUSES):
        status = ""
    start = int(q["vanaf"]) if q.get("vanaf", "").isdigit() and len(q["vanaf"]) < 8 else 0
    with ctx.factory() as s:
        d = store.declaration(s, store.Scope(gemeente=me.gemeente), declaration_id)
        if d is None or not 0 < declaration_id < 2**31:
            raise NotFound(f"Declaratie {declaration_id} bestaat niet of is niet aan u gericht.")
        total, lines = store.lines_of(s, d.id, status or None, PAGE, start)
        # the approved lines add up to the JW325's TotaalToegekendBedrag (debets minus credits)
        _, approved = store.lines_of(s, d.id, "approved", 1_000_000, 0)
        approved_sum = sum(p.bedrag if p.debet_credit == "D" else -p.bedrag for p in approved)
        counts = {st: store.lines_of(s, d.id, st, 1, 0)[0] for st in store.LINE_STATUSES}
        return page(
            request,
            "declaratie.html",
            me,
            active="declaraties",
            d=d,
            lines=lines,
            total=total,
            start=start,
            size=PAGE,
            regels=status,
            counts=counts,
            approved_sum=approved_sum,
            answer_id=store.answer_id(s, d),
            names=Names(s),
            cat=catalogue(s, me.gemeente),
        )
