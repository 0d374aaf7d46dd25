"""GGk settings, from the environment (IJW_GGK_*, IJW_TLS_*), with safe defaults.

Outbound: `IJW_GGK_URL` is the GGk's OntvangAsynchroon endpoint; without it nothing is
delivered (the outbox still fills, so nothing is lost).  Inbound: when `ijw serve` checks client
certificates (`IJW_TLS_CLIENT_CA`), the chain authenticates with one whose subject is allowed;
otherwise with the bearer token of a party of role `ggk`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import metadata

from app.config import ConfigError

CHANNELS = ("feed", "ggk", "both")


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}") from None


def _app_version() -> tuple[int, int]:
    """(major, minor) of the installed service: the envelope's applicatie(Sub)Versie."""
    try:
        parts = metadata.version("ijw-service").split(".")
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except (metadata.PackageNotFoundError, ValueError):
        return 0, 0


def _subjects(value: str | None) -> tuple[str, ...]:
    return tuple(s.strip() for s in (value or "").split(";") if s.strip())


@dataclass(frozen=True)
class GgkSettings:
    """What the GGk adapter, its delivery worker and the TLS checks are told."""

    url: str | None = field(default_factory=lambda: os.environ.get("IJW_GGK_URL") or None)
    # our client certificate towards the GGk (PEM; the key may be in the same file)
    client_cert: str | None = field(
        default_factory=lambda: os.environ.get("IJW_GGK_CLIENT_CERT") or None
    )
    client_key: str | None = field(
        default_factory=lambda: os.environ.get("IJW_GGK_CLIENT_KEY") or None
    )
    # CA bundle that signs the GGk's server certificate (default: the system's)
    ca_bundle: str | None = field(
        default_factory=lambda: os.environ.get("IJW_GGK_CA_BUNDLE") or None
    )
    application: str = field(
        default_factory=lambda: os.environ.get("IJW_GGK_APPLICATIE", "iJw-service")
    )
    timeout: float = field(default_factory=lambda: _float("IJW_GGK_TIMEOUT", 20.0))
    # a worker's claim on an entry; must exceed the longest call (timeout) by a margin
    lease: float = field(default_factory=lambda: _float("IJW_GGK_LEASE", 120.0))
    backoff_base: float = field(default_factory=lambda: _float("IJW_GGK_BACKOFF", 2.0))
    backoff_max: float = field(default_factory=lambda: _float("IJW_GGK_BACKOFF_MAX", 600.0))
    poll_interval: float = field(default_factory=lambda: _float("IJW_GGK_POLL", 1.0))
    # the endpoint's address as the chain sees it, for our WSDL (behind a proxy); default: the
    # address the WSDL was fetched from
    public_url: str | None = field(
        default_factory=lambda: os.environ.get("IJW_GGK_PUBLIC_URL") or None
    )
    default_channel: str = field(
        default_factory=lambda: os.environ.get("IJW_GGK_DEFAULT_CHANNEL", "feed")
    )
    # inbound: set by `ijw serve --tls-client-ca` (client certificates are checked)
    client_ca: str | None = field(
        default_factory=lambda: os.environ.get("IJW_TLS_CLIENT_CA") or None
    )
    allowed_subjects: tuple[str, ...] = field(
        default_factory=lambda: _subjects(os.environ.get("IJW_GGK_ALLOWED_SUBJECTS"))
    )
    version: tuple[int, int] = field(default_factory=_app_version)

    def __post_init__(self) -> None:
        if self.default_channel not in CHANNELS:
            raise ConfigError(f"IJW_GGK_DEFAULT_CHANNEL must be one of {', '.join(CHANNELS)}")
        if self.lease <= self.timeout:
            raise ConfigError("IJW_GGK_LEASE must be longer than IJW_GGK_TIMEOUT")

    @property
    def certificates_required(self) -> bool:
        """Inbound callers prove who they are with a client certificate, not a token."""
        return self.client_ca is not None
