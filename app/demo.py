"""Demo data for `make run`: one gemeente and two aanbieders (plus what flow modules add)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.clock import SystemClock
from app.config import Settings
from app.db.base import make_engine, session_factory, transaction
from app.db.migrate import upgrade
from app.domain import parties
from app.ijw.catalogue import Role

DEMO_PARTIES = [
    (Role.GEMEENTE, "0363", "Gemeente Amsterdam (demo)"),
    (Role.AANBIEDER, "12345678", "Jeugdhulp Noord (demo)"),
    (Role.AANBIEDER, "87654321", "Zorgaanbieder Zuid (demo)"),
]

# Flow modules add loaders for their demo data: (session, settings) -> None, idempotent.
DEMO_LOADERS: list[Callable[[Session, Settings], None]] = []

from app.domain.contracts import load_demo_contracts  # noqa: E402

DEMO_LOADERS.append(load_demo_contracts)


def load_demo(settings: Settings) -> list[tuple[str, str, str, str]]:
    """Migrate, create the demo parties if missing and give each a fresh token."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    out = []
    with transaction(session_factory(engine)) as session:
        for role, code, name in DEMO_PARTIES:
            party = parties.by_code(session, code)
            if party is None:
                party, token = parties.add_party(session, role, code, name, SystemClock())
            else:
                token = parties.rotate_token(session, party)
            out.append((str(role), code, name, token))
        for loader in DEMO_LOADERS:
            loader(session, settings)
    engine.dispose()
    return out
