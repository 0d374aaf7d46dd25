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
