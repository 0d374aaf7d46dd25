"""Steering reports: the figures per period, gemeente, provider and product; they reconcile with
the ceilings and the ledger; paging, CSV and the caller's scope."""

from __future__ import annotations

import csv
import io
from datetime import date

from app.budget import ceilings
from app.db.base import session_factory
from app.reference.contracts import version_sections
from app.steering.reports import SECTIONS, sections
from tests.money.support import AGB, GEMEENTE
from tests.steering.support import HOUR, MEMBER, auth, build


def _report(api, token, name, **params):
    r = api.client.get(f"/v1/reports/{name}", params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def test_volumes_reconcile_with_ceilings_and_the_ledger(api):
    w = build(api)
    rows = _report(api, w.gemeente, "volumes", limit=5000)["items"]
    by = {r["period"]: r for r in rows}
    jan, mar, may = by["2026-01"], by["2026-03"], by["2026-05"]
    assert (jan["gemeente"], jan["aanbieder"], jan["code"], jan["eenheid"]) == (
        GEMEENTE,
        AGB,
        "45A04",
        "04",
    )
    assert jan["allocated_units"] == 2.0 and jan["allocated_euros"] == 2 * HOUR
    assert jan["approved_units"] == 2.0 and jan["approved_euros"] == 2 * HOUR
    assert (
        jan["clients"] == 2 and jan["new_clients"] == 2 and jan["average_cost_per_client"] == HOUR
    )
    assert mar["ending_clients"] == 1 and mar["average_duration_days"] == 90.0
    assert by["2026-04"]["clients"] == 1  # only B: A paused in April
    assert may["new_clients"] == 1 and may["clients"] == 2  # A is back
    assert by["2026-02"]["approved_euros"] == 0  # the February line was rejected
    # reconciliation: committed as the ceilings value it, approved as the ledger books it
    committed = sum(r["allocated_euros"] for r in rows)
    util = api.client.get(
        "/v1/ceilings/utilisation", params={"year": 2026}, headers=auth(w.gemeente)
    ).json()
    assert committed == sum(i["committed"] for i in util["items"] if i["gemeente"] == GEMEENTE)
    assert sum(r["approved_euros"] for r in rows) == util["totals"]["spent_all_years"] == 2 * HOUR
    ceiling = api.client.get("/v1/ceilings", params={"year": 2026}, headers=auth(w.gemeente)).json()
    # the set's ceiling covers the member too (its client C: EUR 100 a month all year)
    assert ceiling["items"][0]["committed"] == committed + 12 * HOUR
    quarter = _report(api, w.gemeente, "volumes", period="quarter")["items"]
    assert [r["period"] for r in quarter] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert sum(r["allocated_euros"] for r in quarter) == committed


def test_stops_returning_clients_and_process_figures(api):
    w = build(api)
    stops = _report(api, w.gemeente, "stops")["items"]
    assert [(s["period"], s["reden"], s["ended"]) for s in stops] == [("2026-03", "31", 1)]
    back = _report(api, w.gemeente, "returning")["items"]
    assert back == [
        {"period": "2026-05", "gemeente": GEMEENTE, "categorie": "45", "returning_clients": 1}
    ]
    process = {r["period"]: r for r in _report(api, w.gemeente, "process")["items"]}
    jan = process["2026-01"]
    assert jan["late_starts"] == 1  # started 5 January, reported 15 June
    assert jan["not_started"] == 1  # B: allocated from January, no start (OP271)
    assert jan["declaration_lines"] == 2 and jan["rejected_lines"] == 0
    assert process["2026-02"]["rejected_share"] == 100.0
    assert process["2026-02"]["rejected_by_rule"] == {"TR418": 1}
    assert process["2026-03"]["late_stops"] == 1
    assert process["2026-05"]["not_started"] == 1  # A's second allocation


def test_paging_csv_and_scope(api):
    w = build(api)
    first = _report(api, w.gemeente, "volumes", limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"] == "2" and first["total"] == 12
    rest = _report(api, w.gemeente, "volumes", cursor=2, limit=100)
    assert rest["next_cursor"] is None and len(rest["items"]) == 10
    r = api.client.get("/v1/reports/volumes", params={"format": "csv"}, headers=auth(w.gemeente))
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 12 and int(rows[0]["allocated_euros"]) == 2 * HOUR
    # a member sees its own figures; only the administrator sees the whole set
    member = _report(api, w.member, "volumes")
    assert {i["gemeente"] for i in member["items"]} == {MEMBER}
    forbidden = api.client.get(
        "/v1/reports/volumes", params={"gemeente": GEMEENTE}, headers=auth(w.member)
    )
    assert forbidden.status_code == 403
    assert (
        api.client.get(
            "/v1/reports/volumes", params={"set": "AMS"}, headers=auth(w.member)
        ).status_code
        == 403
    )
    everyone = _report(api, w.gemeente, "volumes", set="AMS", limit=5000)
    assert {i["gemeente"] for i in everyone["items"]} == {GEMEENTE, MEMBER}
    # a provider sees its own rows of the gemeente it names
    mine = _report(api, w.provider, "volumes", gemeente=GEMEENTE)
    assert mine["total"] == 12 and {i["aanbieder"] for i in mine["items"]} == {AGB}
    overrides = api.client.get(
        "/v1/reports/overrides", params={"gemeente": GEMEENTE}, headers=auth(w.provider)
    )
    assert overrides.status_code == 403
    realisation = _report(api, w.gemeente, "realisation")["items"]
    kinds = {(r["kind"], r["ceiling"] or r["aanbieder"]) for r in realisation}
    assert ("ceiling", "Noord") in kinds and ("provider", AGB) in kinds


def test_sections_for_the_web_interface(api):
    """What the web interface's hooks show: the reports as flat sections, the set's versions and
    the ceilings per month."""
    build(api)
    with session_factory(api.engine)() as s:
        found = dict(sections(s, GEMEENTE, 2026, date(2026, 6, 15)))
        assert list(found) == [title for _, title in SECTIONS]
        process = found["Procescijfers"]
        assert any(r["rejected_by_rule"] == "TR418:1" for r in process)  # flat for a table
        [(title, versions)] = version_sections(s, GEMEENTE, 2026)
        assert title == "Versies van AMS" and versions[0]["wijziging"] == "import"
        util, with_months = ceilings.statuses_by_month(s, GEMEENTE, 2026, date(2026, 6, 15))
        status, months = with_months[0]
        assert sum(c.committed for c in months.values()) == status.committed
        assert util.per_allocation[(GEMEENTE, 3)].get("committed") == 12 * HOUR
