"""Logboek: who did what (sign-ins, answers, allocations, imports, downloads) in this gemeente."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts import store as accounts
from app.ui.core import MeDep, UiDep, page

router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE = 100


@router.get("/logboek")
def logboek(request: Request, me: MeDep, ctx: UiDep) -> Response:
    raw = request.query_params.get("vanaf", "")
    start = int(raw) if raw.isdigit() and len(raw) < 8 else 0
    with ctx.factory() as s:
        entries = accounts.audit_entries(s, [me.gemeente], limit=PAGE + 1, offset=start)
        return page(
            request,
            "logboek.html",
            me,
            active="logboek",
            entries=entries[:PAGE],
            more=len(entries) > PAGE,
            start=start,
            size=PAGE,
        )
