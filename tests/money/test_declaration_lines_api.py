"""Which lines of declaration X were approved, which rejected and why: both sides, scoped."""

from __future__ import annotations

from datetime import date

from testkit.messages import bsn
from tests.money.support import GEMEENTE, Decl, P, parties
from tests.money.support import seed_allocation as alloc

A, B = bsn(1), bsn(3)
MAY = date(2026, 5, 1)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _declare(api):
    gemeente, provider, other = parties(api)
    alloc(api.engine, 1001, bsn=A)
    decl = Decl("D1", "N1", MAY).add(
        A,
        P("OK1", 1001, date(2026, 5, 1), date(2026, 5, 31), 10),
        P("BAD1", 1001, date(2026, 4, 2), date(2026, 4, 30), 10),  # TR387
        P("BAD2", 4242, date(2026, 5, 1), date(2026, 5, 31), 1),  # TR338
    )
    r = api.post(provider, decl.xml())
    assert r.status_code == 200
    return gemeente, provider, other, int(r.headers["x-message-id"])


def test_provider_and_gemeente_see_every_line_with_reasons(api):
    gemeente, provider, _, message_id = _declare(api)
    for token in (provider, gemeente):
        d = api.client.get(f"/v1/declarations/by-message/{message_id}", headers=_auth(token))
        assert d.status_code == 200
        summary = d.json()
        assert summary["declaratienummer"] == "N1" and summary["status"] == "partially_accepted"
        assert summary["approved"] == 1 and summary["rejected"] == 2
        assert summary["totaal_toegekend"] == 10 * 8730 and summary["answer_message_id"]
        lines = api.client.get(
            f"/v1/declarations/{summary['id']}/prestaties", headers=_auth(token)
        ).json()
        assert lines["total"] == 3
        by_ref = {item["referentienummer"]: item for item in lines["items"]}
        assert by_ref["OK1"]["status"] == "approved" and by_ref["OK1"]["codes"] == []
        assert by_ref["BAD1"]["codes"] == ["9387"]
        assert by_ref["BAD1"]["reasons"][0]["rule"] == "TR387"
        assert by_ref["BAD2"]["reasons"][0]["rule"] == "TR338"
        rejected = api.client.get(
            f"/v1/declarations/{summary['id']}/prestaties",
            params={"status": "rejected"},
            headers=_auth(token),
        ).json()
        assert [i["referentienummer"] for i in rejected["items"]] == ["BAD1", "BAD2"]
    # the JW325's message id finds the same declaration
    answer_id = summary["answer_message_id"]
    d = api.client.get(f"/v1/declarations/by-message/{answer_id}", headers=_auth(provider))
    assert d.json()["id"] == summary["id"]


def test_other_parties_see_nothing(api):
    _, _, other, message_id = _declare(api)
    other_gemeente = api.add_party("gemeente", "0599")
    for token in (other, other_gemeente):
        r = api.client.get(f"/v1/declarations/by-message/{message_id}", headers=_auth(token))
        assert r.status_code == 404
        assert api.client.get("/v1/declarations", headers=_auth(token)).json()["items"] == []
        r = api.client.get(
            "/v1/prestaties/OK1", params={"aanbieder": "12345678"}, headers=_auth(token)
        )
        assert r.status_code == 404


def test_prestatie_by_referentienummer(api):
    gemeente, provider, _, _ = _declare(api)
    r = api.client.get("/v1/prestaties/BAD1", headers=_auth(provider))
    assert r.status_code == 200 and r.json()["items"][0]["codes"] == ["9387"]
    r = api.client.get("/v1/prestaties/OK1", headers=_auth(gemeente))
    assert r.status_code == 400  # a gemeente names the provider
    r = api.client.get(
        "/v1/prestaties/OK1", params={"aanbieder": "12345678"}, headers=_auth(gemeente)
    )
    assert r.json()["items"][0]["status"] == "approved"
    listed = api.client.get(
        "/v1/declarations", params={"declaratienummer": "N1"}, headers=_auth(gemeente)
    )
    assert [d["gemeente"] for d in listed.json()["items"]] == [GEMEENTE]


def test_rejected_declaration_keeps_lines_as_not_assessed(api):
    gemeente, provider, _, _ = _declare(api)
    r = api.post(
        provider,
        Decl("D2", "N1", MAY).add(A, P("X1", 1001, date(2026, 3, 1), date(2026, 3, 31), 1)).xml(),
    )
    d = api.client.get(
        f"/v1/declarations/by-message/{r.headers['x-message-id']}", headers=_auth(gemeente)
    ).json()
    assert d["status"] == "rejected" and d["codes"] == ["9333"]
    assert d["explanation"][0]["rule"] == "TR333"
    lines = api.client.get(f"/v1/declarations/{d['id']}/prestaties", headers=_auth(gemeente))
    assert lines.json()["items"][0]["status"] == "not_assessed"
    # not booked: X1 may be sent again
    r = api.post(
        provider,
        Decl("D3", "N2", MAY).add(A, P("X1", 1001, date(2026, 3, 1), date(2026, 3, 31), 1)).xml(),
    )
    assert b"8001" in r.content
