"""Money does not overflow: ceilings of 9,000,000.00 euro and 10^12 cents work end to end.

Before the fix the forecast turned "days until the ceiling runs out" into a date even when that
was millions of days away, so GET /v1/ceilings and back-office creates answered 500.
"""

from __future__ import annotations

from datetime import date

from app.budget.ceilings import forecast
from tests.money.support import AGB, Decl, P, contract_doc, load_contracts, parties, post_325
from tests.money.support import seed_allocation as alloc
from tests.money.test_ceilings import _create

BIG = 9_000_000_00  # 9,000,000.00 euro in cents


def test_forecast_of_a_ceiling_far_beyond_this_year_is_null():
    spent = {(2026, 1): 100}  # 1 euro in January: a rate of 3 cents a day
    out = forecast(10**12, 2026, spent, {}, date(2026, 3, 1))
    assert out["runs_out_on"] is None and out["spending_rate_per_day"] == 3


def test_large_ceilings_answer_with_their_figures(api):
    gemeente, provider, _ = parties(api)
    ceilings = [
        {"name": "Groot", "year": 2026, "amount": BIG, "hard": True, "aanbieders": [AGB]},
        {"name": "Enorm", "year": 2026, "amount": 10**12, "hard": False, "aanbieders": [AGB]},
    ]
    load_contracts(api.engine, contract_doc(ceilings=ceilings))
    alloc(api.engine, 1, bsn="999990019")
    may = (date(2026, 5, 1), date(2026, 5, 31))
    post_325(
        api, provider, Decl("D1", "N1", date(2026, 5, 1)).add("999990019", P("A1", 1, *may, 1))
    )
    auth = {"Authorization": f"Bearer {gemeente}"}
    r = api.client.get("/v1/ceilings", params={"year": 2026}, headers=auth)
    assert r.status_code == 200, r.text
    items = {i["name"]: i for i in r.json()["items"]}
    assert items["Groot"]["amount"] == BIG and items["Enorm"]["amount"] == 10**12
    assert items["Groot"]["spent"] == 8730 and items["Groot"]["forecast"]["runs_out_on"] is None
    assert items["Enorm"]["remaining"] == 10**12 - items["Enorm"]["usage"]
    r = _create(api, gemeente)
    assert r.status_code == 201, r.text
