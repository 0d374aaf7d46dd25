"""The FastAPI application: error handlers, the health route and the routers it is given.

`app.bootstrap.create_app` builds the service and passes the routers; this module wires no flow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool

from app.api import errors, openapi
from app.api.deps import Service, strict_query
from app.config import version
from app.db.migrate import SchemaNotCurrent, ensure_current
from app.metrics import POOL_IN_USE
from app.metrics import render as render_metrics

DESCRIPTION = """Municipality-side iJw 3.2 message service.

Authenticate with `Authorization: Bearer <token>` (tokens come from `ijw party add`).
Providers post XML to `/v1/berichten` and poll what is addressed to them; gemeenten post their
JW301/JW319 there too and use the back-office endpoints.  Every error is problem details
(RFC 9457, `application/problem+json`): `type`, `title`, `status`, `detail`, our `code` and
`errors[]` with a `location` each; docs/errors.md lists the codes."""


TAGS = [
    {"name": "berichten", "description": "Post iJw messages; poll what is addressed to you."},
    {
        "name": "backoffice",
        "description": "The gemeente's back office: requests, allocations, deadlines.",
    },
    {"name": "declarations", "description": "Every declared line with its decision and rule."},
    {"name": "contracts", "description": "Regions, products, contracts and tariffs as data."},
    {"name": "ceilings", "description": "Budget ceilings, utilisation and automatic handling."},
    {"name": "service", "description": "Health, readiness, metrics and the service clock."},
]


class Health(BaseModel):
    status: str
    database: str


def _checked_out(engine: Engine) -> int:
    pool = engine.pool
    return pool.checkedout() if isinstance(pool, QueuePool) else 0


def build_app(svc: Service, routers: Sequence[APIRouter], lifespan: Any = None) -> FastAPI:
    """The app around a built service, serving `routers`; `lifespan` (an async context manager
    factory) runs background work such as a delivery worker while the app serves."""
    # Swagger UI and ReDoc from assets in the package (an intranet has no CDN).
    app = FastAPIOffline(
        title="iJw 3.2 service",
        version=version(),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        generate_unique_id_function=openapi.operation_id,
        lifespan=lifespan,
    )
    app.state.service = svc

    errors.install(app, svc.settings.max_body_bytes)

    @app.get("/healthz", tags=["service"], summary="Liveness: the process answers")
    def healthz() -> Health:
        return Health(status="ok", database=svc.engine.dialect.name)

    @app.get(
        "/readyz",
        tags=["service"],
        summary="Readiness: the database answers and is migrated",
        responses={503: {"model": errors.Problem, "description": "not ready"}},
    )
    def readyz() -> Health:
        try:
            ensure_current(svc.engine)
        except (SchemaNotCurrent, SQLAlchemyError) as exc:
            raise errors.ApiError(503, "NOT_READY", str(exc).splitlines()[0]) from None
        return Health(status="ready", database=svc.engine.dialect.name)

    @app.get(
        "/metrics",
        tags=["service"],
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}}},
    )
    def metrics_text() -> Response:
        POOL_IN_USE.set(_checked_out(svc.engine))
        body, media = render_metrics()
        return Response(body, media_type=media)

    for router in routers:
        app.include_router(router, dependencies=[Depends(strict_query)])
    openapi.install(app)
    return app
