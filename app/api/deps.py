"""Request-scoped dependencies: the service state, the calling party, database sessions.

Routes take them as `Annotated` aliases: `ServiceDep`, `SessionDep`, `CallerDep`, `GemeenteDep`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.backoffice.service import BackOffice
from app.clock import Clock
from app.config import Settings
from app.db.base import Busy, read_session, transaction
from app.exchange import parties
from app.exchange.intake import Intake
from app.exchange.models import Party
from app.ijw.catalogue import Role


@dataclass
class Service:
    """Everything the routes share; built once by the composition root."""

    settings: Settings
    clock: Clock
    engine: Engine
    factory: sessionmaker[Session]
    intake: Intake
    backoffice: BackOffice


class ApiError(HTTPException):
    """An error answered as {code, message, details[]} (with extra response `headers`)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            status_code=status,
            detail={"code": code, "message": message, "details": details or []},
            headers=headers,
        )


def busy(exc: Busy) -> ApiError:
    """503 for a write that did not get its turn in the bounded wait: retry later."""
    return ApiError(503, "BUSY", str(exc), headers={"Retry-After": str(exc.retry_after)})


def not_found(what: str) -> ApiError:
    """The one 404 of every resource lookup: `what` names it, e.g. "request 7"."""
    return ApiError(404, "NOT_FOUND", f"no {what} of yours")


def _service(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


ServiceDep = Annotated[Service, Depends(_service)]


def _session(request: Request, svc: ServiceDep) -> Iterator[Session]:
    """A session with one transaction for the request: read-only for GET (never waits for a
    writer), else a unit of work that waits its turn to write (commit on success)."""
    if request.method in ("GET", "HEAD"):
        with read_session(svc.factory) as s:
            yield s
        return
    try:
        with transaction(svc.factory) as s:
            yield s
    except Busy as exc:
        raise busy(exc) from exc


SessionDep = Annotated[Session, Depends(_session)]

_bearer = HTTPBearer(auto_error=False, description="API token printed by `ijw party add`")


def _caller(
    svc: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Party:
    """The party named by the bearer token; 401 without a valid one."""
    token = credentials.credentials if credentials else None
    with read_session(svc.factory) as s:
        party = parties.authenticate(s, token)
        if party is None:
            raise ApiError(
                401,
                "UNAUTHENTICATED",
                "a valid API token is required: Authorization: Bearer <token>",
            )
        s.expunge(party)
        return party


CallerDep = Annotated[Party, Depends(_caller)]


def _gemeente(party: CallerDep) -> Party:
    """Only a gemeente may use the back-office API."""
    if party.role != Role.GEMEENTE:
        raise ApiError(403, "FORBIDDEN", "the back-office API is for gemeenten only")
    return party


GemeenteDep = Annotated[Party, Depends(_gemeente)]
