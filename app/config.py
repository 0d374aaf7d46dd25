"""Runtime settings, from the environment (IJW_*) with safe defaults for `make run`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = f"sqlite:///{ROOT / 'var' / 'ijw.sqlite'}"
MAX_BODY_BYTES = 25 * 1024 * 1024  # OP179: files stay within 25 MB


@dataclass(frozen=True)
class Settings:
    """Service settings; one instance per app."""

    database_url: str = field(
        default_factory=lambda: os.environ.get("IJW_DATABASE_URL", DEFAULT_DB)
    )
    max_body_bytes: int = MAX_BODY_BYTES
    # Versions we put in outbound messages (spec §2.1, §7 Q7): appinfo by default; XsltVersie is
    # only written when configured, because we do not run the official XSLTs.
    outbound_xsd_version: str | None = field(
        default_factory=lambda: os.environ.get("IJW_OUTBOUND_XSD_VERSION")
    )
    xslt_version: str | None = field(default_factory=lambda: os.environ.get("IJW_XSLT_VERSION"))
    # Seconds a write waits for its turn (SQLite's single writer, PostgreSQL's row locks) before
    # it is answered 503 with Retry-After.
    write_wait: float = field(default_factory=lambda: float(os.environ.get("IJW_WRITE_WAIT", "10")))
    # A fixed "today" (YYYY-MM-DD) for integration tests and demos; empty = the system date.
    fixed_today: str | None = field(default_factory=lambda: os.environ.get("IJW_TODAY") or None)
