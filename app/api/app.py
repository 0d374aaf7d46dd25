"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api import berichten
from app.api.deps import Service
from app.clock import Clock, clock_for
from app.config import Settings
from app.db.base import make_engine, session_factory
from app.db.migrate import ensure_current
from app.domain.intake import Intake

DESCRIPTION = """Municipality-side iJw 3.2 message service.

Authenticate with `Authorization: Bearer <token>` (tokens come from `ijw party add`).
Providers post XML to `/v1/berichten` and poll what is addressed to them; gemeenten post their
JW301/JW319 there too and use the back-office endpoints.  Every error is JSON
`{code, message, details[]}`."""


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """Build the app; refuses to start on a database that is not fully migrated."""
    settings = settings or Settings()
    clock = clock or clock_for(settings.fixed_today)
    engine = make_engine(settings.database_url)
    ensure_current(engine)
    factory = session_factory(engine)
    svc = Service(settings, clock, engine, factory, Intake(factory, settings, clock))

    app = FastAPI(title="iJw 3.2 service", version="0.1.0", description=DESCRIPTION)
    app.state.service = svc

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if not isinstance(detail, dict):
            detail = {"code": f"HTTP{exc.status_code}", "message": str(detail), "details": []}
        return JSONResponse(detail, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"location": list(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
        ]
        return JSONResponse(
            {"code": "INVALID_REQUEST", "message": "the request is not valid", "details": details},
            status_code=422,
        )

    @app.get("/healthz", tags=["service"], summary="Liveness and database check")
    def healthz() -> dict:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok", "database": engine.dialect.name}

    app.include_router(berichten.router)
    for router in _extra_routers():
        app.include_router(router)
    return app


def _extra_routers() -> list:
    """Routers of the flow modules (back office, contracts, ...), registered in app.api.routers."""
    from app.api.routers import ROUTERS

    return ROUTERS
