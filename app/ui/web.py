"""Mount the web interface on the service's app: the pages, the static files, the HTML error
pages and the security headers.  `app.bootstrap.create_app` calls `mount` once."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ui import (
    berichten,
    contracten,
    declaraties,
    logboek,
    plafonds,
    signin,
    toewijzingen,
    werkvoorraad,
)
from app.ui.core import STATIC, Forbidden, NotFound, SignInRequired, UiContext, env, page

ROUTERS = (
    signin.router,
    werkvoorraad.router,
    toewijzingen.router,
    declaraties.router,
    plafonds.router,
    berichten.router,
    contracten.router,
    logboek.router,
)

# Nothing leaves the origin: every script, style, image and font comes from this server.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


class UiHeaders:
    """The security headers of the web pages (and no-store on every page that is not a static
    asset).  Plain ASGI: the API's requests pass through untouched, at no cost."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/ui"):
            await self.app(scope, receive, send)
            return
        static = path.startswith("/ui/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    # pages show personal data: never from a shared cache or the back button
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def mount(app: FastAPI, ctx: UiContext) -> None:
    """Serve the web interface under /ui (and send / there)."""
    app.state.ui = ctx
    for name in env.list_templates():  # compiled now, not on somebody's first page
        env.get_template(name)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/", status_code=307)

    @app.get("/ui", include_in_schema=False)
    @app.get("/ui/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/ui/werkvoorraad", status_code=303)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: Exception) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        location = (
            f"/ui/inloggen?next={quote(target, safe='/')}"
            if request.method == "GET"
            else "/ui/inloggen"
        )
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": location})
        return RedirectResponse(location, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Exception) -> Response:
        return page(request, "error.html", None, status=403, title="Geen toegang", text=str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: Exception) -> Response:
        return page(request, "error.html", None, status=404, title="Niet gevonden", text=str(exc))

    app.add_middleware(UiHeaders)
