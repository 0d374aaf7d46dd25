"""Every error answered as problem details (RFC 9457, `app.exchange.problems`), with the request id.

- `ApiError` (raised by routes) and Starlette's own HTTP errors (404 route, 405) keep their status;
- request validation (path, query, body) is 422 `INVALID_REQUEST` with one error per field,
  located by a JSON path (`toewijzingen[0].einddatum`, `query.year`);
- anything else is logged with the request id and answered 500 `INTERNAL` with that id by the
  request-id middleware, never a bare text "Internal Server Error";
- a 401 carries `WWW-Authenticate: Bearer`.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import memory
from app.db.base import Busy, is_busy
from app.exchange.problems import MEDIA_TYPE, problem
from app.metrics import LATENCY, REQUESTS

log = logging.getLogger("ijw.api")
access_log = logging.getLogger("ijw.access")

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class ErrorItem(BaseModel):
    """One thing that was wrong, located in the caller's request."""

    location: str
    message: str
    rule: str | None = None
    retourcode: str | None = None
    line: int | None = None


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details plus our `code` and `errors[]`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:ijw:problem:refused",
                    "title": "The message fails the iJw rules and was not sent",
                    "status": 422,
                    "detail": "JW301 fails 1 check(s) of the iJw 3.2 rules and was not sent",
                    "code": "REFUSED",
                    "errors": [
                        {
                            "location": "toewijzingen[0]",
                            "message": "ToewijzingNummer always denotes the same allocation",
                            "rule": "TR332",
                            "retourcode": "9332",
                        }
                    ],
                    "request_id": "5c1f0e4e0a9b4f7e8d2c3b1a09f8e7d6",
                }
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]]
    errors_total: int | None = None
    request_id: str | None = None


class ApiError(HTTPException):
    """A refusal answered as problem details with our `code` and `errors[]`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            status_code=status,
            detail=problem(status, code, message, list(errors or [])),
            headers=headers,
        )


def busy(exc: Busy) -> ApiError:
    """503 for a write that did not get its turn in the bounded wait: retry later."""
    return ApiError(503, "BUSY", str(exc), headers={"Retry-After": str(exc.retry_after)})


def json_path(loc: Sequence[int | str]) -> str:
    """A pydantic error location as a JSON path: body fields bare (`toewijzingen[0].einddatum`),
    other parts prefixed (`query.year`, `path.message_id`, `header.authorization`)."""
    parts = list(loc)
    prefix = ""
    if parts and parts[0] == "body":
        parts = parts[1:]
    elif parts:
        prefix = str(parts.pop(0))
    out = prefix
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "$"


def _respond(doc: dict[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    rid = REQUEST_ID.get()
    if rid:
        doc = {**doc, "request_id": rid}
    status = int(doc["status"])
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(doc, status_code=status, headers=headers, media_type=MEDIA_TYPE)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail: object = exc.detail
    if isinstance(detail, dict):
        return _respond(detail, exc.headers)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(
        exc.status_code, f"HTTP{exc.status_code}"
    )
    return _respond(problem(exc.status_code, code, str(detail)), exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": json_path(e.get("loc", ())), "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    return _respond(problem(422, "INVALID_REQUEST", "the request is not valid", errors))


async def _busy(request: Request, exc: Exception) -> JSONResponse:
    # A write that did not get its turn in time: 503 with Retry-After, never a 500.
    assert isinstance(exc, Busy)
    return await _http_error(request, busy(exc))


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if not is_busy(exc):
        raise exc  # a real fault: the request-id middleware logs it and answers 500
    return await _http_error(request, busy(Busy(str(exc.orig), 1)))


def install(app: FastAPI, max_body_bytes: int) -> None:
    """The error handlers, the body limit and the request-id/access-log middleware."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Busy, _busy)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(RequestIdMiddleware)


class BodyLimitMiddleware:
    """Every request body is at most `max_bytes` (OP179's 25 MB), counted while it is read: a
    larger one is refused with 413 IB003 before it is buffered."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(self.max_bytes)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise ApiError(413, "IB003", _too_large_text(self.max_bytes))
            return message

        await self.app(scope, counted, send)


def _too_large_text(limit: int) -> str:
    return f"the request exceeds the maximum of {limit} bytes"


def _too_large(limit: int) -> JSONResponse:
    return _respond(problem(413, "IB003", _too_large_text(limit)))


class RequestIdMiddleware:
    """Accepts a sane `X-Request-ID` (else makes one), returns it, and writes one JSON access-log
    line per request: method, path, status, duration and request id (never bodies or queries)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        try:
            text = given.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        rid = text if _GOOD_ID.fullmatch(text) else uuid.uuid4().hex
        token = REQUEST_ID.set(rid)
        began = time.perf_counter()
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        try:
            await self.app(scope, counting, send_with_id)
        except Exception as exc:
            # Anything a route did not turn into a problem: log it with the request id and
            # answer 500 problem+json (then let the server see the exception as usual).
            log.error(
                "unhandled error",
                exc_info=exc,
                extra={"request_id": rid, "path": scope.get("path")},
            )
            if not started:
                doc = problem(
                    500, "INTERNAL", "an internal error occurred; quote the request id to report it"
                )
                response = JSONResponse(
                    {**doc, "request_id": rid}, status_code=500, media_type=MEDIA_TYPE
                )
                await response(scope, receive, send_with_id)
            raise
        finally:
            if received > memory.LARGE_BODY:
                # a large message leaves a high-water mark of freed memory: hand it back
                await run_in_threadpool(memory.release)
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")  # never the raw path: bounded labels
            elapsed = time.perf_counter() - began
            REQUESTS.labels(scope.get("method"), template, str(status)).inc()
            LATENCY.labels(scope.get("method"), template).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "request_id": rid,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "route": template,
                    "ms": round(elapsed * 1000, 1),
                },
            )
            REQUEST_ID.reset(token)
