"""The HTTP/1.1 protocol `ijw serve` runs: uvicorn's h11 protocol, except that a request it
cannot even parse (e.g. a NUL in a header) is answered with problem details like every other
refusal, not uvicorn's plain text; and every TCP connection has TCP_NODELAY."""

from __future__ import annotations

import asyncio
import socket

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.exchange.problems import MEDIA_TYPE, problem_bytes


class ProblemH11Protocol(H11Protocol):
    """h11 with a problem+json 400 for unparseable requests, and no Nagle delay."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # uvicorn's --workers binds its own socket with protocol number 0, so asyncio does not
        # set TCP_NODELAY on the connections it accepts: a response written as headers, then
        # body, then waited ~40 ms for the client's delayed ACK (measured: /healthz p50 1.2 ms
        # with one process, 44 ms with two workers).  Set it on every TCP connection.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def send_400_response(self, msg: str) -> None:
        body = problem_bytes(400, "BAD_HTTP_REQUEST", f"the HTTP request cannot be read: {msg}")
        headers = [
            (b"content-type", MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            output = self.conn.send(event)
            if output:
                self.transport.write(output)
        self.transport.close()
