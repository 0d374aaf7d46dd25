"""The FastAPI application: error handlers, the health route and the routers it is given.

`app.bootstrap.create_app` builds the service and passes the routers; this module wires no flow.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from app.api import errors
from app.api.deps import Service

DESCRIPTION = """Municipality-side iJw 3.2 message service.

Authenticate with `Authorization: Bearer <token>` (tokens come from `ijw party add`).
Providers post XML to `/v1/berichten` and poll what is addressed to them; gemeenten post their
JW301/JW319 there too and use the back-office endpoints.  Every error is problem details
(RFC 9457, `application/problem+json`): `type`, `title`, `status`, `detail`, our `code` and
`errors[]` with a `location` each; docs/errors.md lists the codes."""


class Health(BaseModel):
    status: str
    database: str


def build_app(svc: Service, routers: Sequence[APIRouter]) -> FastAPI:
    """The app around a built service, serving `routers`."""
    app = FastAPI(title="iJw 3.2 service", version="0.1.0", description=DESCRIPTION)
    app.state.service = svc

    errors.install(app, svc.settings.max_body_bytes)

    @app.get("/healthz", tags=["service"], summary="Liveness and database check")
    def healthz() -> Health:
        with svc.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return Health(status="ok", database=svc.engine.dialect.name)

    for router in routers:
        app.include_router(router)
    return app
