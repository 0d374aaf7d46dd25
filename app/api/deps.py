"""Request-scoped dependencies: the service state, the calling party, database sessions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.config import Settings
from app.db.models import Party
from app.domain import parties
from app.domain.intake import Intake
from app.ijw.catalogue import Role


@dataclass
class Service:
    """Everything the routes share; built once by create_app."""

    settings: Settings
    clock: Clock
    engine: Engine
    factory: sessionmaker[Session]
    intake: Intake


class ApiError(HTTPException):
    """An error answered as {code, message, details[]}."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None) -> None:
        super().__init__(
            status_code=status, detail={"code": code, "message": message, "details": details or []}
        )


def service(request: Request) -> Service:
    return request.app.state.service


def session(svc: Service = Depends(service)) -> Iterator[Session]:
    """A session with one transaction for the request (commit on success)."""
    with svc.factory() as s, s.begin():
        yield s


_bearer = HTTPBearer(auto_error=False, description="API token printed by `ijw party add`")


def caller(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    svc: Service = Depends(service),
) -> Party:
    """The party named by the bearer token; 401 without a valid one."""
    token = credentials.credentials if credentials else None
    with svc.factory() as s:
        party = parties.authenticate(s, token)
        if party is None:
            raise ApiError(
                401,
                "UNAUTHENTICATED",
                "a valid API token is required: Authorization: Bearer <token>",
            )
        s.expunge(party)
        return party


def gemeente(party: Party = Depends(caller)) -> Party:
    """Only a gemeente may use the back-office API."""
    if party.role != Role.GEMEENTE:
        raise ApiError(403, "FORBIDDEN", "the back-office API is for gemeenten only")
    return party
