"""Request-scoped dependencies: the service state, the calling party, database sessions.

Routes take them as `Annotated` aliases: `ServiceDep`, `SessionDep`, `CallerDep`, `GemeenteDep`,
`UserDep` (the person acting, for the per-user audit).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.api.errors import ApiError
from app.backoffice.service import BackOffice
from app.clock import Clock
from app.config import Settings
from app.db.base import read_session, transaction
from app.exchange import parties
from app.exchange.channels import NoTransportLog, TransportLog
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
    # what the delivery channels know of a message (the GGk envelopes), for the message log
    transport: TransportLog = field(default_factory=NoTransportLog)


INT32_MAX = 2_147_483_647  # ids and sequence numbers are 32-bit integer columns
MAX_OFFSET = 1_000_000

MessageId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a message id")]
RowId = Annotated[int, Path(ge=1, le=INT32_MAX, description="an id returned by this API")]
ToewijzingNummer = Annotated[
    int, Path(ge=1, le=999_999_999, description="a ToewijzingNummer (at most 9 digits)")
]
Year = Annotated[
    int | None, Query(ge=2000, le=2100, description="a calendar year; default: this year")
]


def cursor_value(text: str, *, limit: int = INT32_MAX) -> int:
    """A numeric cursor handed out by this API (`0` = from the start); 400 BAD_CURSOR else."""
    if not (text.isdigit() and len(text) <= 10 and int(text) <= limit):
        raise ApiError(400, "BAD_CURSOR", "not a cursor returned by this endpoint")
    return int(text)


# The dependencies that only look at the request are `async def`: FastAPI runs a plain `def`
# dependency in the thread pool, and each such hop cost more than the work it does (profiled).


async def strict_query(request: Request) -> None:
    """Refuse query parameters the route does not take (a typo never silently does nothing)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {p.alias for p in _query_params(dependant)}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ApiError(
            422,
            "INVALID_REQUEST",
            "the request is not valid",
            [
                {"location": f"query.{name}", "message": "unknown query parameter"}
                for name in unknown
            ],
        )


def _query_params(dependant: Any) -> list[Any]:
    found = list(dependant.query_params)
    for sub in dependant.dependencies:
        found.extend(_query_params(sub))
    return found


async def read_limited(request: Request, limit: int, code: str, message: str) -> bytes:
    """Read the body, refusing (413 `code`) as soon as it exceeds `limit`; never buffers more."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, code, message)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, code, message)
        chunks.append(chunk)
    return b"".join(chunks)


def not_found(what: str) -> ApiError:
    """The one 404 of every resource lookup: `what` names it, e.g. "request 7"."""
    return ApiError(404, "NOT_FOUND", f"no {what} of yours")


async def _service(request: Request) -> Service:
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
    with transaction(svc.factory) as s:  # Busy: the app's handler answers 503 BUSY
        yield s


# scope="function": the transaction ends (commits) before the answer is sent.  FastAPI's default
# closes a yield dependency after the response, so a commit that failed had already been
# answered 2xx, and a client was told of a change that was never stored.
SessionDep = Annotated[Session, Depends(_session, scope="function")]

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


async def _gemeente(party: CallerDep) -> Party:
    """Only a gemeente may use the back-office API."""
    if party.role != Role.GEMEENTE:
        raise ApiError(403, "FORBIDDEN", "the back-office API is for gemeenten only")
    return party


GemeenteDep = Annotated[Party, Depends(_gemeente)]


__all__ = ["ApiError", "CallerDep", "GemeenteDep", "Service", "ServiceDep", "SessionDep", "UserDep"]


async def _acting_user(
    x_ijw_user: Annotated[
        str | None,
        Header(
            description="the person acting for the calling party (per-user audit); the web UI "
            "sends the signed-in user",
            max_length=100,
            pattern=r"^[^\x00-\x1f\x7f]+$",
        ),
    ] = None,
) -> str | None:
    """The acting user named by the X-Ijw-User header (None without one)."""
    return x_ijw_user.strip() or None if x_ijw_user else None


UserDep = Annotated[str | None, Depends(_acting_user)]
