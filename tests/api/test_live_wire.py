"""What only a real server shows: requests HTTP itself cannot parse, answered as problems too."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from testkit.live import live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = Path(tmp_path_factory.mktemp("wire")) / "wire.sqlite"
    with live_server(f"sqlite:///{db}") as base:
        yield base


def _raw(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    url = urlparse(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def test_a_nul_in_a_header_is_a_problem_not_plain_text(server: str) -> None:
    status, headers, body = _raw(
        server, b"GET /v1/berichten HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\x00b\r\n\r\n"
    )
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert json.loads(body)["code"] == "BAD_HTTP_REQUEST"


def test_a_real_server_answers_problems_with_a_request_id(server: str) -> None:
    status, headers, body = _raw(
        server, b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == 404 and headers["content-type"] == "application/problem+json"
    assert json.loads(body)["request_id"] == headers["x-request-id"]
