"""Werkvoorraad: the open requests (JW315 per product, JW317) with their deadlines, overdue and
soon-due first, and answering one (honour -> the allocation form, reject, in onderzoek)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from app.backoffice.service import Answered, Refusal, woonplaats_deadline
from app.db.base import transaction
from app.exchange import parties
from app.flows.requests import store as requests
from app.flows.requests.store import Request as Verzoek
from app.reference import deadlines
from app.ui.core import (
    SHOWN_AGAIN,
    FormDep,
    FormModel,
    MeDep,
    NotFound,
    UiDep,
    audit,
    page,
    problems_of,
    require,
)
from app.ui.views import Names, catalogue, client_of_message

router = APIRouter(prefix="/ui", include_in_schema=False)
SOON_WD = 2  # "binnenkort": due within this many working days


def due_class(r: Verzoek, today: date) -> tuple[str, int]:
    """(urgency, working days left): te-laat | binnenkort | op-tijd."""
    due = deadlines.due(r.due_date, today)
    if due.overdue:
        return "te-laat", due.working_days_left
    return ("binnenkort" if due.working_days_left <= SOON_WD else "op-tijd"), (
        due.working_days_left
    )


def product_of(r: Verzoek) -> dict[str, Any]:
    """What a request asks for, in one line's worth of fields."""
    c = r.content
    if r.kind == "VOT":
        product = c.get("Product") or {}
        omvang = c.get("Omvang") or {}
        return {
            "categorie": product.get("Categorie"),
            "code": product.get("Code"),
            "van": c.get("ToewijzingIngangsdatum"),
            "tot": c.get("ToewijzingEinddatum"),
            "volume": omvang.get("Volume"),
            "eenheid": omvang.get("Eenheid"),
            "frequentie": omvang.get("Frequentie"),
            "budget": c.get("Budget"),
        }

    def count(name: str) -> int:
        items = (c.get(name + "en") or {}).get(name) or []
        return len(items) if isinstance(items, list) else 1

    return {
        "wijzigen": count("TeWijzigenProduct"),
        "nieuw": count("NieuwProduct"),
        "ongewijzigd": count("OngewijzigdProduct"),
    }


@router.get("/werkvoorraad")
def werkvoorraad(request: Request, me: MeDep, ctx: UiDep) -> Response:
    today = ctx.clock.today()
    soort = request.query_params.get("soort") or ""
    aanbieder = request.query_params.get("aanbieder") or ""
    with ctx.factory() as s:
        names = Names(s)
        cat = catalogue(s, me.gemeente)
        rows = []
        open_requests = requests.open_requests(s, me.gemeente)
        for r in open_requests:
            if (soort and r.kind != soort) or (aanbieder and r.aanbieder != aanbieder):
                continue
            urgency, left = due_class(r, today)
            rows.append(
                {
                    "r": r,
                    "urgency": urgency,
                    "left": left,
                    "aanbieder": names(r.aanbieder),
                    "product": product_of(r),
                    "woonplaats": woonplaats_deadline(r),
                }
            )
        overdue, soon = ctx.backoffice.due_items(s, me.gemeente, SOON_WD)
        chase = [d for d in overdue + soon if d.kind.startswith("retour_")]
        providers = sorted({r.aanbieder for r in open_requests})
        return page(
            request,
            "werkvoorraad.html",
            me,
            active="werkvoorraad",
            rows=rows,
            chase=chase,
            names=names,
            cat=cat,
            today=today,
            providers=[(p, names(p)) for p in providers],
            counts={
                "te-laat": sum(1 for r in rows if r["urgency"] == "te-laat"),
                "binnenkort": sum(1 for r in rows if r["urgency"] == "binnenkort"),
            },
        )


def _request_page(
    request: Request,
    me: MeDep,
    ctx: UiDep,
    request_id: int,
    *,
    problems: list[Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    today = ctx.clock.today()
    with ctx.factory() as s:
        r = requests.request_by_id(s, me.gemeente, request_id)
        if r is None:
            raise NotFound(f"Verzoek {request_id} bestaat niet of hoort niet bij uw gemeente.")
        names = Names(s)
        urgency, left = due_class(r, today)
        return page(
            request,
            "verzoek.html",
            me,
            status=status,
            active="werkvoorraad",
            r=r,
            urgency=urgency,
            left=left,
            product=product_of(r),
            woonplaats=woonplaats_deadline(r),
            client=client_of_message(s, me.gemeente, r.message_id),
            answers=requests.answers_of(s, r.id),
            names=names,
            cat=catalogue(s, me.gemeente),
            problems=problems or [],
            errors=errors or {},
            today=today,
            melding=request.query_params.get("melding", ""),
        )


@router.get("/verzoeken/{request_id}")
def verzoek(request: Request, request_id: int, me: MeDep, ctx: UiDep) -> Response:
    return _request_page(request, me, ctx, request_id)


class AnswerForm(FormModel):
    """A JW319: 1 = rejected with a reason (8: with the responsible gemeente), 2 = in onderzoek."""

    antwoord: Literal["1", "2"]
    reden: str | None = Field(default=None, pattern=r"^[1-9]$")
    woonplaatsbeginsel: str | None = Field(default=None, pattern=r"^[0-9]{4}$")


@router.post("/verzoeken/{request_id}/antwoord")
def answer(request: Request, request_id: int, ctx: UiDep, form: FormDep, me: MeDep) -> Response:
    require("answer")(me)
    parsed, errors = AnswerForm.parse(form)
    if parsed is not None and parsed.antwoord == "1" and parsed.reden is None:
        errors = {"reden": "Kies een reden van afwijzing."}
    if parsed is None or errors:
        return _request_page(request, me, ctx, request_id, errors=errors, status=SHOWN_AGAIN)
    with ctx.factory() as s:
        gemeente = parties.by_code(s, me.gemeente)
    if gemeente is None:
        raise NotFound("Uw gemeente is bij deze dienst niet bekend.")
    result = ctx.backoffice.answer_request(
        gemeente,
        request_id,
        verzoek_antwoord=parsed.antwoord,
        reden_afwijzing=parsed.reden if parsed.antwoord == "1" else None,
        woonplaatsbeginsel=parsed.woonplaatsbeginsel if parsed.reden == "8" else None,
        actor=me.username,
    )
    if result is None:
        raise NotFound(f"Verzoek {request_id} bestaat niet of hoort niet bij uw gemeente.")
    action = "request.reject" if parsed.antwoord == "1" else "request.investigate"
    with transaction(ctx.factory) as s:
        if isinstance(result, Refusal):
            audit(s, ctx, me, action, "refused", f"verzoek {request_id}", code=result.code)
        else:
            assert isinstance(result, Answered)
            audit(s, ctx, me, action, "ok", f"verzoek {request_id}", message_id=result.message_id)
    if isinstance(result, Refusal):
        return _request_page(
            request, me, ctx, request_id, problems=problems_of(result), status=SHOWN_AGAIN
        )
    melding = "afgewezen" if parsed.antwoord == "1" else "onderzoek"
    return RedirectResponse(f"/ui/verzoeken/{request_id}?melding={melding}", status_code=303)
