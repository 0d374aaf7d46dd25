"""The FastAPI application: error handlers, the health route and the routers it is given.

`app.bootstrap.create_app` builds the service and passes the routers; this module wires no flow.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.deps import Service, busy
from app.db.base import READ_ONLY, Busy, is_busy

DESCRIPTION = """Municipality-side iJw 3.2 message service.

Authenticate with `Authorization: Bearer <token>` (tokens come from `ijw party add`).
Providers post XML to `/v1/berichten` and poll what is addressed to them; gemeenten post their
JW301/JW319 there too and use the back-office endpoints.  Every error is JSON
`{code, message, details[]}`."""


class Health(BaseModel):
    status: str
    database: str


def build_app(svc: Service, routers: Sequence[APIRouter]) -> FastAPI:
    """The app around a built service, serving `routers`."""
    app = FastAPI(title="iJw 3.2 service", version="0.1.0", description=DESCRIPTION)
    app.state.service = svc

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # ApiError carries the {code, message, details} dict; Starlette's own errors a string.
        detail: object = exc.detail
        if not isinstance(detail, dict):
            detail = {"code": f"HTTP{exc.status_code}", "message": str(detail), "details": []}
        return JSONResponse(detail, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Busy)
    async def _busy(request: Request, exc: Busy) -> JSONResponse:
        # A write that did not get its turn: the one error path, as an ApiError.
        return await _http_error(request, busy(exc))

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if not is_busy(exc):
            raise exc  # a real fault: the server error handler answers 500 and logs it
        return await _http_error(request, busy(Busy(str(exc.orig), 1)))

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
    def healthz() -> Health:
        with svc.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            conn.exec_driver_sql("SELECT 1")
        return Health(status="ok", database=svc.engine.dialect.name)

    for router in routers:
        app.include_router(router)
    return app
