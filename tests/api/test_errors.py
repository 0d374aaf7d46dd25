"""Every error is problem details (RFC 9457) with our code and a request id; nothing is a bare
text 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def test_401_is_a_problem_with_www_authenticate(api):
    r = api.client.get("/v1/berichten")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert body["code"] == "UNAUTHENTICATED" and body["status"] == 401
    assert {"type", "title", "detail", "errors"} <= set(body)


def test_unknown_route_and_method_are_problems(api):
    r = api.client.get("/no/such/thing")
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "NOT_FOUND"
    r = api.client.delete("/v1/berichten")
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"


def test_validation_errors_name_the_field_as_a_json_path(api):
    token = api.add_party("gemeente", "0363")
    r = api.client.post(
        "/v1/backoffice/toewijzingen",
        json={"aanbieder": "12345678", "bsn": "1", "toewijzingen": [{"budget": -1}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 422 and r.json()["code"] == "INVALID_REQUEST"
    locations = {e["location"] for e in r.json()["errors"]}
    assert {"bsn", "toewijzingen[0].budget"} <= locations
    r = api.client.get("/v1/berichten?limit=0", headers={"Authorization": f"Bearer {token}"})
    assert [e["location"] for e in r.json()["errors"]] == ["query.limit"]


def test_request_id_is_accepted_or_made_and_returned(api):
    r = api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = api.client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    made = r.headers["x-request-id"]
    assert made != "bad id with spaces" and len(made) == 32
    r = api.client.get("/v1/berichten")
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_an_unexpected_error_is_a_500_problem_with_the_request_id(api):
    app = api.client.app

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test-boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/test-boom", headers={"X-Request-ID": "req-1"})
    assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "INTERNAL" and r.json()["request_id"] == "req-1"
    assert "a bug" not in r.text  # no internals leak


def test_metrics_count_requests_messages_and_retour_codes(api):
    from prometheus_client.parser import text_string_to_metric_families

    provider = api.add_party("aanbieder", "12345678")
    api.add_party("gemeente", "0363")
    from testkit import messages as m

    api.post(provider, m.xml("JW305", m.jw305_for("12345678", "0363", "M1", client_bsn=m.bsn(1))))
    r = api.client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    requests = families["ijw_http_requests"].samples
    assert any(
        s.labels["route"] == "/v1/berichten" and s.labels["method"] == "POST" for s in requests
    )
    messages = families["ijw_messages"].samples
    assert any(
        s.labels == {"type": "JW305", "verdict": "rejected"} and s.value >= 1 for s in messages
    )
    codes = families["ijw_retour_codes"].samples
    assert any(s.labels["code"] == "9019" for s in codes)
    assert "ijw_db_connections_in_use" in families


def test_readyz_says_ready_on_a_migrated_database(api):
    r = api.client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_readyz_is_503_when_the_schema_is_not_current(api):
    from sqlalchemy import text

    with api.engine.begin() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("DELETE FROM alembic_version"))
    try:
        r = api.client.get("/readyz")
        assert r.status_code == 503 and r.json()["code"] == "NOT_READY"
        assert api.client.get("/healthz").status_code == 200  # alive, just not ready
    finally:
        with api.engine.begin() as conn:
            conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": version})


def test_a_revoked_token_is_401_at_once(api):
    from app.clock import SystemClock
    from app.db.base import session_factory, transaction
    from app.exchange import parties

    token = api.add_party("aanbieder", "12345678")
    assert api.poll(token).status_code == 200
    with transaction(session_factory(api.engine)) as s:
        parties.revoke(s, parties.by_code(s, "12345678"), SystemClock().now())
    assert api.poll(token).status_code == 401
