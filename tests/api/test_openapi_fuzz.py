"""The OpenAPI document is true: schemathesis generates requests for every operation, as a
gemeente and as an aanbieder (and without a token), and checks that no answer is a server
error and that statuses, content types and bodies are the ones documented; invalid data must be
rejected.  The budget (examples per operation) is bounded so the suite stays quick; raise
IJW_FUZZ_EXAMPLES for a longer run."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app.bootstrap import create_app
from app.clock import FixedClock, SystemClock
from app.config import Settings
from app.db.base import make_engine, session_factory, transaction
from app.db.migrate import upgrade
from app.exchange import parties
from app.ijw.catalogue import Role
from testkit import messages as m

EXAMPLES = int(os.environ.get("IJW_FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
TOKENS: dict[str, str] = {}


def _app():  # type: ignore[no-untyped-def]
    """The service on a SQLite file with a gemeente, two providers and some state."""
    path = Path(os.environ.get("PYTEST_TMPDIR", "/tmp")) / f"fuzz-{os.getpid()}.sqlite"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        for role, code in (("gemeente", "0363"), ("aanbieder", "12345678")):
            _, TOKENS[role] = parties.add_party(s, Role(role), code, "", SystemClock())
    engine.dispose()
    app = create_app(Settings(database_url=url), FixedClock(date(2026, 6, 15)))
    from fastapi.testclient import TestClient

    with TestClient(app) as client:  # some state to read: an allocation, a start, a request
        g = {"Authorization": f"Bearer {TOKENS['gemeente']}"}
        a = {"Authorization": f"Bearer {TOKENS['aanbieder']}"}
        client.post(
            "/v1/berichten",
            content=m.xml("JW301", m.jw301_for("0363", "12345678", "F1", client_bsn=m.bsn(1))),
            headers=g,
        )
        client.post(
            "/v1/berichten",
            content=m.xml("JW305", m.jw305_for("12345678", "0363", "F2", client_bsn=m.bsn(1))),
            headers=a,
        )
    return app


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.mark.parametrize("role", ["gemeente", "aanbieder", None])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_as_documented(case, role):  # type: ignore[no-untyped-def]
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if role and not (header and header.mode == GenerationMode.NEGATIVE):
        # a real token, unless this case is about a broken Authorization header
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKENS[role]}"}
    case.call_and_validate(checks=CHECKS)
