"""TLS for `ijw serve`: server certificate, client certificates (two-way TLS) and the ASGI
TLS extension, so the app can see who connected.

uvicorn verifies a client certificate against the CA bundle (`--tls-client-ca`) during the
handshake but does not tell the application whose it was.  `TlsH11Protocol` adds the standard
ASGI TLS extension (`scope["extensions"]["tls"]`, with `client_cert_name` as an RFC 4514
subject and `client_cert_chain` as PEM) to every request of a TLS connection; the GGk endpoint
checks the subject against the allowed ones (`app.ggk.auth`).
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.cli.protocol import ProblemH11Protocol

_SHORT = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "streetAddress": "STREET",
    "domainComponent": "DC",
    "userId": "UID",
}
_SPECIAL = {",", "+", '"', "\\", "<", ">", ";", "="}

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]


def _escape(value: str) -> str:
    out = "".join(f"\\{c}" if c in _SPECIAL else c for c in value)
    if out.startswith((" ", "#")):
        out = "\\" + out
    return out[:-1] + "\\ " if out.endswith(" ") else out


def rfc4514(subject: Any) -> str:
    """A certificate subject as `ssl.getpeercert()` gives it, as an RFC 4514 string."""
    rdns = []
    for rdn in reversed(subject or ()):
        rdns.append("+".join(f"{_SHORT.get(k, k)}={_escape(str(v))}" for k, v in rdn))
    return ",".join(rdns)


def tls_extension(ssl_object: ssl.SSLObject) -> dict[str, Any]:
    """The ASGI TLS extension of a connection."""
    cert = ssl_object.getpeercert()
    der = ssl_object.getpeercert(binary_form=True)
    cipher = ssl_object.cipher()
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": rfc4514(cert.get("subject")) if cert else None,
        "client_cert_error": None,
        "tls_version": None,
        "cipher_suite": None if cipher is None else cipher[0],
    }


class TlsH11Protocol(ProblemH11Protocol):
    """`ijw serve`'s h11 protocol with the ASGI TLS extension in every request's scope."""

    def connection_made(self, transport: Any) -> None:  # an asyncio transport
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        tls = tls_extension(ssl_object)
        inner: ASGI = self.app

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            scope["extensions"] = {**(scope.get("extensions") or {}), "tls": tls}
            await inner(scope, receive, send)

        self.app = app


def server_options(
    cert: str | None, key: str | None, client_ca: str | None, require: bool
) -> dict[str, Any]:
    """uvicorn's TLS keyword arguments: none without a certificate.  With a client CA, client
    certificates are verified against it, required for every connection or (default) only for
    the routes that ask for one (the GGk endpoint)."""
    if not cert:
        return {}
    options: dict[str, Any] = {"ssl_certfile": cert, "ssl_keyfile": key, "http": TlsH11Protocol}
    if client_ca:
        options["ssl_ca_certs"] = client_ca
        options["ssl_cert_reqs"] = ssl.CERT_REQUIRED if require else ssl.CERT_OPTIONAL
    return options
