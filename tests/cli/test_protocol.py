"""The HTTP protocol `ijw serve` runs: TCP_NODELAY on every accepted connection.

uvicorn's `--workers` binds a socket whose protocol number is 0, and asyncio sets TCP_NODELAY
only on sockets that say IPPROTO_TCP: without our protocol doing it, every response waited for
the client's delayed ACK (~40 ms).  The server here is built the way uvicorn's workers build it.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.config import Config
from uvicorn.server import ServerState

from app.cli.protocol import ProblemH11Protocol


async def _app(scope, receive, send):  # pragma: no cover - never called: no request is sent
    raise AssertionError("no request expected")


def _accepted_nodelay(protocol_factory) -> int:
    async def main() -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn's
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def factory():
            protocol = protocol_factory()
            made = protocol.connection_made

            def connection_made(transport):
                made(transport)
                sock = transport.get_extra_info("socket")
                if not seen.done():
                    seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

            protocol.connection_made = connection_made
            return protocol

        server = await asyncio.get_running_loop().create_server(factory, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            writer.close()
            server.close()

    return asyncio.run(main())


def _protocol(cls):
    config = Config(_app, log_config=None)
    config.load()
    state = ServerState()
    return lambda: cls(config=config, server_state=state, app_state={})


def test_every_connection_has_tcp_nodelay():
    assert _accepted_nodelay(_protocol(ProblemH11Protocol)) != 0


def test_the_plain_h11_protocol_on_the_same_socket_has_not():
    # the premise: on a socket bound like uvicorn's, asyncio leaves Nagle on
    from uvicorn.protocols.http.h11_impl import H11Protocol

    assert _accepted_nodelay(_protocol(H11Protocol)) == 0
