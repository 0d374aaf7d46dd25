"""Runtime settings, from the environment (IJW_*) with safe defaults for `make run`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

MAX_BODY_BYTES = 25 * 1024 * 1024  # OP179: files stay within 25 MB


def version() -> str:
    """The installed version of the service (pyproject.toml)."""
    try:
        return metadata.version("ijw-service")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class ConfigError(ValueError):
    """A setting cannot be used as given (the CLI prints it as one line and exits 2)."""


def state_dir() -> Path:
    """Where the embedded database and demo files live: $IJW_STATE_DIR or ./var."""
    return Path(os.environ.get("IJW_STATE_DIR", "var")).resolve()


def _default_db() -> str:
    return os.environ.get("IJW_DATABASE_URL") or f"sqlite:///{state_dir() / 'ijw.sqlite'}"


def _seconds(name: str, default: str) -> float:
    """A number of seconds from the environment, 0 < value <= 600; ConfigError else."""
    text = os.environ.get(name, default)
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {text!r}") from None
    if not 0 < value <= 600:
        raise ConfigError(f"{name} must be more than 0 and at most 600 seconds, not {text!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Service settings; one instance per app."""

    database_url: str = field(default_factory=_default_db)
    max_body_bytes: int = MAX_BODY_BYTES
    # Versions we put in outbound messages (spec §2.1, §7 Q7): appinfo by default; XsltVersie is
    # only written when configured, because we do not run the official XSLTs.
    outbound_xsd_version: str | None = field(
        default_factory=lambda: os.environ.get("IJW_OUTBOUND_XSD_VERSION")
    )
    xslt_version: str | None = field(default_factory=lambda: os.environ.get("IJW_XSLT_VERSION"))
    # DEBUG | INFO | WARNING | ERROR for the JSON logs on stderr.
    log_level: str = field(default_factory=lambda: os.environ.get("IJW_LOG_LEVEL", "INFO"))
    # Seconds a write waits for its turn (SQLite's single writer, PostgreSQL's row locks) before
    # it is answered 503 with Retry-After.
    write_wait: float = field(default_factory=lambda: _seconds("IJW_WRITE_WAIT", "10"))
    # A fixed "today" (YYYY-MM-DD) for integration tests and demos; empty = the system date.
    fixed_today: str | None = field(default_factory=lambda: os.environ.get("IJW_TODAY") or None)
