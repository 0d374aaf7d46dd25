"""The GGk's entry point: `POST /ggk/OntvangAsynchroon` (SOAP 1.1) and `GET ...?wsdl`.

The chain calls it with a StUF-GGk envelope (ggk_Di01, ggk_Du01 or Fo01, chosen by SOAPAction
or the body element) and gets a Bv03, or a SOAP fault with a Fo03 (docs/ggk.md).  Callers are
the chain only: a verified client certificate with an allowed subject when `ijw serve` checks
them, else the token of a party of role `ggk`.  The 25 MB limit is enforced while reading.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.deps import ServiceDep
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


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it exceeds `limit` (never buffers more)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    PATH,
    summary="Receive a StUF-GGk envelope (SOAP 1.1)",
    description=_DOC,
    response_class=Response,
    responses={200: {"content": {"text/xml": {}}}, 500: {"content": {"text/xml": {}}}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/xml": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
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
    data = await _read_limited(request, MAX_ENVELOPE_BYTES)
    if data is None:
        too_large = EnvelopeError(
            Code.TOO_LARGE, f"the envelope exceeds {MAX_ENVELOPE_BYTES} bytes"
        )
        return _soap(ggk.inbound.fault(too_large))
    reply = await run_in_threadpool(
        ggk.inbound.handle, data, request.headers.get("soapaction"), who
    )
    return _soap(reply)


@router.get(PATH, summary="The WSDL of this service at this address (?wsdl)")
def get_wsdl(request: Request, ggk: GgkDep) -> Response:
    """Our WSDL of OntvangAsynchroon, pointing at the address it was fetched from."""
    if "wsdl" not in request.query_params:
        return Response(
            b"POST SOAP 1.1 envelopes here; GET ?wsdl for the WSDL\n",
            status_code=400,
            media_type="text/plain",
        )
    address = ggk.settings.public_url or str(request.url.replace(query=None, fragment=None))
    return Response(wsdl.wsdl(address), media_type=SOAP_MEDIA)
