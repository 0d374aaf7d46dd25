"""Tiny ASGI apps for the worker supervisor's tests (imported by the spawned workers)."""

from __future__ import annotations

import os
from typing import Any


def pid_app() -> Any:
    """An app that answers every request with the pid of the worker that served it."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = str(os.getpid()).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def broken_app() -> Any:
    """An app factory that fails, as a worker with an unusable setting would."""
    raise RuntimeError("this worker cannot start")
