"""Who may call OntvangAsynchroon: the chain, by client certificate or (TLS off) by token.

With client certificates (`ijw serve --tls-client-ca`), the TLS layer has verified the chain of
the certificate; here its subject must match one of the allowed subjects.  A subject is
matched attribute by attribute: the allowed entry `CN=ggk.example.nl,O=Inlichtingenbureau`
matches every certificate whose subject has (at least) these attributes with these values.
Without client certificates the caller presents the bearer token of a party of role `ggk`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.exchange import parties
from app.ggk.config import GgkSettings

ROLE = parties.GGK_ROLE
_SPLIT = re.compile(r"(?<!\\)[,+]")


def subject_pairs(name: str) -> set[tuple[str, str]]:
    """An RFC 4514 distinguished name as (attribute, value) pairs (attributes upper-cased)."""
    pairs = set()
    for part in _SPLIT.split(name):
        if "=" in part:
            key, _, value = part.partition("=")
            pairs.add((key.strip().upper(), value.strip().replace("\\,", ",")))
    return pairs


def subject_allowed(subject: str, allowed: Sequence[str]) -> bool:
    """Whether a certificate subject matches one of the allowed entries (module docstring)."""
    have = subject_pairs(subject)
    return any(subject_pairs(entry) <= have for entry in allowed if subject_pairs(entry))


def peer_subject(scope: Mapping[str, Any]) -> str | None:
    """The verified client certificate's subject, from the ASGI TLS extension."""
    tls = (scope.get("extensions") or {}).get("tls") or {}
    if tls.get("client_cert_error"):
        return None
    name = tls.get("client_cert_name")
    return str(name) if name else None


@dataclass(frozen=True)
class Denied:
    """Not the chain: HTTP status and why."""

    status: int
    text: str


def authorise(
    session: Session, settings: GgkSettings, scope: Mapping[str, Any], token: str | None
) -> str | Denied:
    """The caller's name for the log, or why it may not call (module docstring)."""
    if settings.certificates_required:
        subject = peer_subject(scope)
        if subject is None:
            return Denied(401, "a client certificate of the chain is required")
        if settings.allowed_subjects and not subject_allowed(subject, settings.allowed_subjects):
            return Denied(403, f"certificate subject {subject} is not allowed to call")
        return subject
    party = parties.authenticate(session, token)
    if party is None:
        return Denied(401, "a valid token of a ggk party is required: Authorization: Bearer")
    if party.role != ROLE:
        return Denied(403, f"a {party.role} may not call the GGk endpoint; only the chain (ggk)")
    return party.code
