"""The GGk's entry point: `POST /ggk/OntvangAsynchroon` (SOAP 1.1) and `GET ...?wsdl`.

The chain calls it with a StUF-GGk envelope (ggk_Di01, ggk_Du01 or Fo01, chosen by SOAPAction
or the body element) and gets a Bv03, or a SOAP fault with a Fo03 (docs/ggk.md).  Callers are
the chain only: a verified client certificate with an allowed subject when `ijw serve` checks
them, else the token of a party of role `ggk`.  The 25 MB limit is enforced while reading.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import ApiError, ServiceDep
from app.ggk import wsdl
from app.ggk.auth import Denied, authorise
from app.ggk.envelope import MAX_ENVELOPE_BYTES, Code, EnvelopeError
from app.ggk.inbound import Reply
from app.ggk.service import Ggk

router = APIRouter(tags=["ggk"])
PATH = "/ggk/OntvangAsynchroon"
SOAP_MEDIA = "text/xml; charset=utf-8"
_bearer = HTTPBearer(auto_error=False, description="token of a party of role ggk (TLS off)")

_DOC = """SOAP 1.1 OntvangAsynchroon of the StUF-GGk envelope (ggk0210): `ggk_Di01`, `ggk_Du01`
and `Fo01`, selected by SOAPAction or the body element.  Answered with a Bv03 at once; the
payload is processed exactly as `POST /v1/berichten`, its retour leaves later as a Du01.  A
refused envelope gets HTTP 500 with a SOAP fault carrying a Fo03 (RIN001, IB007, IB009, IB210,
IB213, IB216, IB240, or the intake's code).  Authenticate with a client certificate (TLS) or,
where TLS is off, the token of a `ggk` party.  The WSDL: `GET /ggk/OntvangAsynchroon?wsdl`."""


def _ggk(request: Request) -> Ggk:
    ggk: Ggk = request.app.state.ggk
    return ggk


GgkDep = Annotated[Ggk, Depends(_ggk)]


def _soap(reply: Reply) -> Response:
    return Response(reply.body, status_code=reply.status, media_type=SOAP_MEDIA)


class _TooLarge(Exception):
    """The body grew past the limit while it was read."""


class SoapBodyLimit:
    """The 25 MB limit on the GGk endpoint, answered in its own protocol: a SOAP fault with a
    Fo03 IB007 rather than the JSON problem every other route gets.  It wraps the app outside
    the general body limit, so it always speaks first on these paths (`app.bootstrap`)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_ENVELOPE_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PATH):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            ggk: Ggk = scope["app"].state.ggk
            await _soap(ggk.inbound.fault(_too_large(self.max_bytes)))(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        await self.app(scope, counted, send)


def _too_large(limit: int) -> EnvelopeError:
    return EnvelopeError(Code.TOO_LARGE, f"the envelope exceeds {limit} bytes")


# SOAP is described by its WSDL (GET ?wsdl), not by the OpenAPI document: a SOAP 1.1 fault is
# HTTP 500 with text/xml by definition, which the problem+json conventions of the JSON API
# (and their checks) do not describe.
@router.post(PATH, summary="Receive a StUF-GGk envelope (SOAP 1.1)", description=_DOC,
             response_class=Response, include_in_schema=False)  # fmt: skip
async def ontvang_asynchroon(
    request: Request,
    svc: ServiceDep,
    ggk: GgkDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    token = credentials.credentials if credentials else None

    def check() -> str | Denied:
        with svc.factory() as session:
            return authorise(session, ggk.settings, request.scope, token)

    who = await run_in_threadpool(check)
    if isinstance(who, Denied):
        fault = ggk.inbound.fault(EnvelopeError(Code.NOT_AUTHORISED, who.text), None, who.status)
        return _soap(fault)
    try:
        data = await request.body()  # bounded by SoapBodyLimit while it is read
    except _TooLarge:
        return _soap(ggk.inbound.fault(_too_large(MAX_ENVELOPE_BYTES)))
    reply = await run_in_threadpool(
        ggk.inbound.handle, data, request.headers.get("soapaction"), who
    )
    return _soap(reply)


@router.get(PATH, summary="The WSDL of this service at this address", include_in_schema=False)
def get_wsdl(
    request: Request,
    ggk: GgkDep,
    wsdl_: Annotated[str | None, Query(alias="wsdl", description="present: the WSDL")] = None,
) -> Response:
    """Our WSDL of OntvangAsynchroon, pointing at the address it was fetched from."""
    if wsdl_ is None:
        raise ApiError(400, "WSDL_ONLY", "POST SOAP 1.1 envelopes here; GET ?wsdl for the WSDL")
    address = ggk.settings.public_url or str(request.url.replace(query=None, fragment=None))
    return Response(wsdl.wsdl(address), media_type=SOAP_MEDIA)
