"""Signing in and out, and a region administrator's choice of gemeente.

The sign-in form is protected against login CSRF with a double-submit token (a short-lived
cookie and the same value in the form); after sign-in the session's own CSRF token takes over.
A new session token is issued at every sign-in (no session fixation).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from app.accounts import store as accounts
from app.db.base import transaction
from app.ui.core import (
    COOKIE,
    Forbidden,
    FormDep,
    Me,
    MeDep,
    SignInRequired,
    UiDep,
    audit,
    page,
    read_form,
    same_origin,
    signed_in,
)

router = APIRouter(prefix="/ui", include_in_schema=False)
LOGIN_COOKIE = "ijw_ui_login"


def safe_next(target: str | None) -> str:
    """Only our own pages are a place to go after sign-in (no open redirect)."""
    if target and target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/werkvoorraad"


def _maybe_me(request: Request, ctx: UiDep) -> Me | None:
    try:
        return signed_in(request, ctx)
    except (SignInRequired, Forbidden):
        return None


def _login_page(
    request: Request, ctx: UiDep, *, error: str = "", status: int = 200, username: str = ""
) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        None,
        status=status,
        login_token=token,
        error=error,
        username=username,
        next=safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=1800,
        httponly=True,
        secure=ctx.settings.secure_cookies,
        samesite="strict",
        path="/ui",
    )
    return response


@router.get("/inloggen")
def login_form(request: Request, ctx: UiDep) -> Response:
    if _maybe_me(request, ctx) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _login_page(request, ctx)


@router.post("/inloggen")
async def login(request: Request, ctx: UiDep) -> Response:
    form: FormData = await read_form(request)
    username = str(form.get("gebruikersnaam") or "").strip().lower()[:64]
    password = str(form.get("wachtwoord") or "")
    token = form.get("login_token")
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not (
        isinstance(token, str)
        and cookie
        and secrets.compare_digest(token, cookie)
        and same_origin(request)
    ):
        return _login_page(
            request, ctx, error="Het formulier was verlopen. Probeer het opnieuw.", status=400
        )
    now = ctx.clock.now()
    with transaction(ctx.factory) as s:
        outcome = accounts.authenticate(s, username, password, now)
        user = outcome.user
        started = None
        if user is not None:
            started = accounts.start_session(s, user, now, ctx.settings.lifetime)
        accounts.audit(
            s,
            user_id=user.id if user is not None else None,
            username=username or "?",
            gemeente=(started[1].gemeente if started else None),
            action="signin",
            outcome="ok" if user is not None else "failed",
            now=now,
            detail={} if user is not None else {"reason": outcome.reason},
        )
    if started is None:
        # one answer for every failure: an unknown name, a wrong password and a lock look alike
        return _login_page(
            request,
            ctx,
            error="Deze combinatie van gebruikersnaam en wachtwoord is onjuist, "
            "of het account is tijdelijk geblokkeerd.",
            status=401,
            username=username,
        )
    response = RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)
    response.set_cookie(
        COOKIE,
        started[0],
        httponly=True,
        secure=ctx.settings.secure_cookies,
        samesite="strict",
        path="/ui",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/ui")
    return response


@router.post("/uitloggen")
def logout(request: Request, ctx: UiDep, me: MeDep, form: FormDep) -> Response:
    with transaction(ctx.factory) as s:
        accounts.end_session(s, request.cookies.get(COOKIE))
        audit(s, ctx, me, "signout", "ok")
    response = RedirectResponse("/ui/inloggen?uitgelogd=1", status_code=303)
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.post("/gemeente")
def choose_gemeente(
    request: Request, ctx: UiDep, me: Annotated[Me, Depends(signed_in)], form: FormDep
) -> Response:
    """A region administrator works for another member gemeente."""
    wanted = str(form.get("gemeente") or "")
    with transaction(ctx.factory) as s:
        found = accounts.session_for(
            s, request.cookies.get(COOKIE), ctx.clock.now(), ctx.settings.lifetime
        )
        if found is None:
            raise SignInRequired
        if not accounts.choose_gemeente(s, found[0], found[1], wanted):
            raise Forbidden("Deze gemeente hoort niet bij uw regio.")
        audit(s, ctx, me, "choose_gemeente", "ok", wanted)
    return RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)
