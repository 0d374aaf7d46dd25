"""A stand-in of the GGk chain for integrators, tests and the demo (`ijw ggk simulate`).

It plays both sides of the chain towards one service:

- the GGk's own OntvangAsynchroon (`POST /ggk/OntvangAsynchroon`): it takes what the service
  delivers (Di01, Du01, Fo01), checks it against our envelope schema, acknowledges with a Bv03,
  records and prints it; an identical redelivery is acknowledged again and counted, not
  recorded twice.  It can pretend to be down (HTTP 503) or answer the next N calls with a Fo03;
- the chain delivering to the service: `POST /sim/send` wraps a provider's message in a Di01
  (or, for a JW302/JW320, a Du01 answering the Di01 that carried the JW301/JW319 it names) and
  calls the service's endpoint; `POST /sim/fo01` sends a Fo01 about one of the service's
  envelopes (e.g. IB210 unknown receiver).

It talks to the service over HTTP only and keeps what it saw in memory (and, with a record
folder, one file per envelope).  The control API under /sim is what `ijw ggk send`, `fo01`,
`down`, `up` and `received` call.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from app.exchange.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from app.exchange.problems import problem_bytes
from app.ggk import envelope
from app.ggk.envelope import Code, EnvelopeError

_log = logging.getLogger("ijw.ggk.simulator")
SOAP_MEDIA = "text/xml; charset=utf-8"
APPLICATION = "GGk-simulator"
CHAIN = "IB"  # the organisation the simulator answers and reports errors as


@dataclass(frozen=True)
class Received:
    """One envelope the service delivered to the simulator."""

    operation: str
    referentienummer: str
    cross_ref: str | None
    functie: str | None
    zender: str | None
    ontvanger: str | None
    body: bytes  # the StUF message as it came (inside the SOAP body)
    payload: bytes | None  # the decoded iJw message of a Di01/Du01
    code: str | None  # the fault code of a Fo01
    at: datetime

    def as_dict(self, raw: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "operation": self.operation,
            "referentienummer": self.referentienummer,
            "crossRefnummer": self.cross_ref,
            "functie": self.functie,
            "zender": self.zender,
            "ontvanger": self.ontvanger,
            "code": self.code,
            "at": self.at.isoformat(),
        }
        if raw:
            out["envelope"] = self.body.decode()
            out["payload"] = self.payload.decode() if self.payload is not None else None
        return out


@dataclass
class Link:
    """How the simulator reaches the service: its endpoint and credentials."""

    service_url: str  # the service's base URL, e.g. http://127.0.0.1:8000
    token: str | None = None  # a ggk party's token (TLS off)
    cert: str | None = None  # our client certificate (PEM) when the service checks them
    key: str | None = None
    ca: str | None = None  # the service's CA (https)
    timeout: float = 30.0

    @property
    def endpoint(self) -> str:
        return self.service_url.rstrip("/") + "/ggk/OntvangAsynchroon"

    def client(self) -> httpx.Client:
        verify: Any = True
        if self.ca or self.cert:
            context = ssl.create_default_context(cafile=self.ca)
            if self.cert:
                context.load_cert_chain(self.cert, self.key)
            verify = context
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(timeout=self.timeout, verify=verify, headers=headers)


@dataclass
class State:
    """What the simulator saw and how it behaves (thread-safe)."""

    down: bool = False
    faults: int = 0  # answer this many next calls with a Fo03
    delay: float = 0.0  # seconds between taking an envelope and acknowledging it (a slow GGk)
    received: list[Received] = field(default_factory=list)
    redeliveries: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    _answers: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)  # ref -> (c14n, Bv03)
    _lock: threading.Lock = field(default_factory=threading.Lock)


class SendIn(BaseModel):
    """A provider's message for the service, as the chain delivers it."""

    model_config = ConfigDict(extra="forbid")
    xml: str = Field(max_length=envelope.MAX_ENVELOPE_BYTES // 2)
    sender: str = Field(alias="from", pattern=r"^[0-9]{8}$", description="the provider's AGB")
    cross_ref: str | None = Field(default=None, pattern=r"^[0-9a-f-]{36}$")
    applicatie: str = Field(default="Zorgsoft", min_length=3, max_length=50)


class Fo01In(BaseModel):
    """A Fo01 from the chain about one of the service's envelopes."""

    model_config = ConfigDict(extra="forbid")
    cross_ref: str = Field(pattern=r"^[0-9a-f-]{36}$")
    code: str = Field(default="IB210", min_length=1, max_length=7)
    text: str = Field(default="Ontvangende organisatie onbekend", max_length=200)


class FaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=0, le=1000)


class SlowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(ge=0, le=300)


class Simulator:
    """The simulator's behaviour, independent of HTTP serving (module docstring)."""

    def __init__(self, link: Link, record: Path | None = None, echo: bool = True) -> None:
        self.link = link
        self.record = record
        self.echo = echo
        self.state = State()

    # -- the GGk side: what the service delivers ---------------------------------------------
    def take(self, data: bytes, soap_action: str | None) -> tuple[int, bytes]:
        """Answer one delivery from the service: (HTTP status, SOAP bytes)."""
        st = self.state
        with st._lock:
            if st.down:
                return 503, b"the GGk simulator pretends to be down\n"
        try:
            incoming = envelope.read_request(data, soap_action)
        except EnvelopeError as exc:
            return 500, self._fo03(exc, None)
        routing = incoming.routing
        with st._lock:
            if st.faults > 0:
                st.faults -= 1
                failure = EnvelopeError("RIN001", "the simulator was told to fail this call")
                return 500, self._fo03(failure, routing)
            seen = st._answers.get(routing.referentienummer)
            if seen is not None:
                if seen[0] != incoming.canonical:
                    clash = EnvelopeError(Code.REUSED_REFERENCE, "referentienummer not unique")
                    return 500, self._fo03(clash, routing)
                st.redeliveries += 1
                return 200, seen[1]
            bv03 = self._bv03(routing)
            st._answers[routing.referentienummer] = (incoming.canonical, bv03)
            item = Received(
                operation=incoming.operation,
                referentienummer=routing.referentienummer,
                cross_ref=routing.cross_ref,
                functie=routing.functie,
                zender=routing.zender.organisatie,
                ontvanger=routing.ontvanger.organisatie,
                body=envelope.serialize(incoming.element),
                payload=incoming.envelope.payload if incoming.envelope else None,
                code=incoming.error.fault.code if incoming.error else None,
                at=datetime.now(UTC),
            )
            st.received.append(item)
            delay = st.delay
        self._show(item)
        if delay:
            time.sleep(delay)  # taken, acknowledged late: what a retry after a lost Bv03 meets
        return 200, bv03

    def _show(self, item: Received) -> None:
        what = item.functie or item.code or ""
        line = (
            f"GGk <- {item.operation} {what} ref={item.referentienummer}"
            f"{' cross=' + item.cross_ref if item.cross_ref else ''}"
            f" {item.zender} -> {item.ontvanger}"
        )
        if self.echo:
            print(line, flush=True)
        _log.info("received", extra={"operation": item.operation, "functie": what})
        if self.record is not None:
            self.record.mkdir(parents=True, exist_ok=True)
            name = f"{len(self.state.received):04d}-{item.operation}-{what}.xml"
            (self.record / name).write_bytes(item.body)

    def _bv03(self, routing: envelope.Routing) -> bytes:
        answer = envelope.Routing(
            "Bv03",
            envelope.System(CHAIN, APPLICATION),
            routing.zender,
            envelope.new_reference(),
            envelope.timestamp(datetime.now(UTC)),
            routing.referentienummer,
        )
        return envelope.soap_message(envelope.serialize(envelope.build_bv03(answer)))

    @staticmethod
    def _fo03(exc: EnvelopeError, routing: envelope.Routing | None) -> bytes:
        answer = envelope.Routing(
            "Fo03",
            envelope.System(CHAIN, APPLICATION),
            routing.zender if routing else envelope.System(None, envelope.GGK_APPLICATION),
            envelope.new_reference(),
            envelope.timestamp(datetime.now(UTC)),
            routing.referentienummer if routing else "",
        )
        fo03 = envelope.build_fo03(answer, envelope.Fault(exc.code, "client", exc.text[:200]))
        return envelope.soap_fault(fo03, f"{exc.code}: {exc.text}"[:500])

    # -- the chain side: delivering to the service -------------------------------------------
    def send(
        self, xml: bytes, sender: str, cross_ref: str | None = None, app: str = "Zorgsoft"
    ) -> dict[str, Any]:
        """Deliver a provider's message to the service: a Di01, or for a JW302/JW320 a Du01
        answering the Di01 that carried the message it names.  Returns what happened."""
        seen = envelope.peek(xml)
        if seen is None or seen.message_type is None:
            raise ValueError("the file is not an iJw 3.2 message")
        functie = seen.message_type
        retour = functie in ("JW302", "JW320")
        gemeente = seen.afzender if retour else seen.ontvanger
        if retour and cross_ref is None:
            cross_ref = self._carrier_of(functie, seen)
            if cross_ref is None:
                raise ValueError(
                    f"no Di01 received that carried the message this {functie} answers; "
                    "give its referentienummer (--cross-ref)"
                )
        operation = envelope.DU01 if retour else envelope.DI01
        routing = envelope.Routing(
            envelope.BERICHTCODE[operation],
            envelope.System(sender, app),
            envelope.System(gemeente or "", envelope.GGK_APPLICATION),
            envelope.new_reference(),
            envelope.timestamp(datetime.now(UTC)),
            cross_ref if retour else None,
            functie,
        )
        versions = envelope.Versions("0001", "0000", "0003", "0002")
        element = envelope.build_envelope(envelope.Envelope(operation, routing, versions, xml))
        return self._call(operation, envelope.serialize(element), routing)

    def _carrier_of(self, functie: str, seen: envelope.Peek) -> str | None:
        """The Di01 we received whose payload the JW302/JW320 answers (same header)."""
        answers = "JW301" if functie == "JW302" else "JW319"
        with self.state._lock:
            received = list(self.state.received)
        for item in reversed(received):
            if item.operation != envelope.DI01 or item.functie != answers or not item.payload:
                continue
            carried = envelope.peek(item.payload)
            if carried is not None and carried.identificatie == seen.identificatie:
                return item.referentienummer
        return None

    def fo01(self, cross_ref: str, code: str, text: str) -> dict[str, Any]:
        """Report an error about the service's envelope `cross_ref`, as the chain does."""
        with self.state._lock:
            about = next((r for r in self.state.received if r.referentienummer == cross_ref), None)
        routing = envelope.Routing(
            "Fo01",
            envelope.System(CHAIN, "GGKWebservice"),
            envelope.System(about.zender if about else None, envelope.GGK_APPLICATION),
            envelope.new_reference(),
            envelope.timestamp(datetime.now(UTC)),
            cross_ref,
        )
        details = f"{about.functie}-00010000" if about and about.functie else None
        original = etree.fromstring(about.body) if about else None
        fault = envelope.Fault(code, "client", text, details, original)
        element = envelope.build_fo01(routing, fault)
        return self._call(envelope.FO01, envelope.serialize(element), routing)

    def _call(self, operation: str, body: bytes, routing: envelope.Routing) -> dict[str, Any]:
        headers = {
            "Content-Type": SOAP_MEDIA,
            "SOAPAction": f'"{envelope.SOAP_ACTION[operation]}"',
        }
        with self.link.client() as client:
            response = client.post(
                self.link.endpoint, content=envelope.soap_message(body), headers=headers
            )
        answer = envelope.read_answer(response.status_code, response.content)
        result = {
            "operation": operation,
            "functie": routing.functie,
            "referentienummer": routing.referentienummer,
            "crossRefnummer": routing.cross_ref,
            "status": response.status_code,
            "acknowledged": answer.acknowledged,
            "code": answer.code,
            "text": answer.text,
        }
        with self.state._lock:
            self.state.sent.append(result)
        if self.echo:
            outcome = "Bv03" if answer.acknowledged else f"Fo03 {answer.code}: {answer.text}"
            print(f"GGk -> {operation} {routing.functie or ''} {outcome}", flush=True)
        return result

    # -- the HTTP app ------------------------------------------------------------------------
    def app(self) -> FastAPI:
        """The simulator as an ASGI app (the GGk endpoint and the /sim control API)."""
        api = FastAPI(title="GGk simulator", description=__doc__)
        sim = self

        @api.post("/ggk/OntvangAsynchroon", summary="The GGk: take an envelope from the service")
        async def take(request: Request) -> Response:
            data = await request.body()
            status, body = await run_in_threadpool(
                sim.take, data, request.headers.get("soapaction")
            )
            media = SOAP_MEDIA if body.startswith(b"<?xml") else "text/plain"
            return Response(body, status_code=status, media_type=media)

        @api.get("/sim/received", summary="What the service delivered, oldest first")
        def received(raw: bool = False) -> dict[str, Any]:
            with sim.state._lock:
                items = [r.as_dict(raw) for r in sim.state.received]
                return {
                    "down": sim.state.down,
                    "redeliveries": sim.state.redeliveries,
                    "items": items,
                    "sent": list(sim.state.sent),
                }

        @api.post("/sim/down", summary="Pretend to be down (HTTP 503)")
        def down() -> dict[str, bool]:
            with sim.state._lock:
                sim.state.down = True
            return {"down": True}

        @api.post("/sim/up", summary="Be up again")
        def up() -> dict[str, bool]:
            with sim.state._lock:
                sim.state.down = False
            return {"down": False}

        @api.post("/sim/faults", summary="Answer the next N deliveries with a Fo03")
        def faults(body: FaultsIn) -> dict[str, int]:
            with sim.state._lock:
                sim.state.faults = body.count
            return {"faults": body.count}

        @api.post("/sim/slow", summary="Acknowledge every delivery only after some seconds")
        def slow(body: SlowIn) -> dict[str, float]:
            with sim.state._lock:
                sim.state.delay = body.seconds
            return {"delay": body.seconds}

        @api.post("/sim/send", summary="Deliver a provider's message to the service")
        async def send(body: SendIn) -> Response:
            try:
                result = await run_in_threadpool(
                    sim.send, body.xml.encode(), body.sender, body.cross_ref, body.applicatie
                )
            except ValueError as exc:
                return _json_error(422, str(exc))
            except httpx.HTTPError as exc:
                return _json_error(502, f"the service did not answer: {exc}")
            return _json(result)

        @api.post("/sim/fo01", summary="Send a Fo01 about one of the service's envelopes")
        async def fo01(body: Fo01In) -> Response:
            try:
                result = await run_in_threadpool(sim.fo01, body.cross_ref, body.code, body.text)
            except httpx.HTTPError as exc:
                return _json_error(502, f"the service did not answer: {exc}")
            return _json(result)

        return api


def _json(data: dict[str, Any]) -> Response:
    return Response(json.dumps(data), media_type="application/json")


def _json_error(status: int, message: str) -> Response:
    """A problem document (RFC 9457), the error shape of the service too."""
    body = problem_bytes(status, "SIMULATOR", message)
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)
