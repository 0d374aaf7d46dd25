"""Budget ceilings: valuation, utilisation that reconciles with the booked prestaties, hard and
soft ceilings on back-office allocations, forecast, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date
from fractions import Fraction

from sqlalchemy import func, select

from app.budget import ceilings
from app.budget.ceilings import forecast, monthly_value, unit_tariff
from app.db.base import session_factory, transaction
from app.flows.allocations.store import Allocation
from app.flows.declarations.models import Declaration, PrestatieLine
from testkit.messages import BACKOFFICE_CLIENT, bsn
from tests.money.support import (
    AGB,
    GEMEENTE,
    OTHER_AGB,
    Decl,
    P,
    contract_doc,
    load_contracts,
    parties,
    post_325,
)
from tests.money.support import seed_allocation as alloc

A, B, C = bsn(1), bsn(3), bsn(4)


def valued(**kw) -> Allocation:
    base = dict(
        gemeente=GEMEENTE,
        bsn="999990019",
        aanbieder=AGB,
        nummer=1,
        categorie="45",
        code="45A04",
        ingangsdatum=date(2026, 1, 1),
        einddatum=date(2026, 12, 31),
        volume=3,
        eenheid="04",
        frequentie="2",
        budget=None,
    )
    base.update(kw)
    return Allocation(**base)


# --------------------------------------------------------------------------- valuation


def test_weekly_hours_valued_pro_rata_per_day():
    months = monthly_value(valued(), Fraction(8730), 2026)
    assert months[(2026, 1)] == 3 * 8730 * 31 // 7  # 31 days of 3 h/week at € 87.30
    assert sum(months.values()) == sum(
        int(Fraction(3 * 8730, 7) * d) for d in (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    )


def test_monthly_frequency_partial_months_and_open_end():
    months = monthly_value(
        valued(frequentie="4", volume=10, ingangsdatum=date(2026, 11, 16), einddatum=None),
        Fraction(8730),
        2026,
    )
    assert months == {(2026, 11): 10 * 8730 * 15 // 30, (2026, 12): 10 * 8730}


def test_budget_and_total_spread_over_the_allocation():
    budget = valued(
        volume=None,
        eenheid=None,
        frequentie=None,
        budget=365_00,
        ingangsdatum=date(2026, 1, 1),
        einddatum=date(2026, 12, 31),
    )
    assert sum(monthly_value(budget, None, 2026).values()) == 365_00
    total = valued(frequentie="6", volume=20, einddatum=date(2027, 6, 30))
    in_2026 = sum(monthly_value(total, Fraction(8730), 2026).values())
    in_2027 = sum(monthly_value(total, Fraction(8730), 2027).values())
    assert abs(in_2026 + in_2027 - 20 * 8730) <= 24  # floored per month
    assert in_2026 > in_2027


def test_unit_conversion_and_unvalued_allocations():
    assert unit_tariff(8730, "04", "01") == Fraction(8730, 60)
    assert unit_tariff(146, "01", "04") == 146 * 60
    assert unit_tariff(None, "83", "83") == 1
    assert unit_tariff(7550, "16", "14") is None
    assert (
        monthly_value(valued(code=None, volume=None, eenheid=None, frequentie=None), None, 2026)
        == {}
    )


def test_forecast_at_the_spending_rate_and_by_commitment():
    spent = {(2026, 1): 31_000, (2026, 2): 28_000}  # € 10 a day
    out = forecast(100_000, 2026, spent, {}, date(2026, 3, 15))
    assert out["spending_rate_per_day"] == 1000
    assert out["runs_out_on"] == "2026-04-10"  # day 100 of the year
    assert forecast(10**9, 2026, spent, {}, date(2026, 3, 15))["runs_out_on"] is None
    committed = {(2026, m): 10_000 for m in range(1, 13)}
    assert (
        forecast(35_000, 2026, {}, committed, date(2026, 3, 15))["committed_runs_out_on"]
        == "2026-04-16"
    )


# --------------------------------------------------------------------------- reconciliation


def _approved_total(engine) -> int:
    with transaction(session_factory(engine)) as s:
        rows = s.execute(
            select(PrestatieLine.debet_credit, func.sum(PrestatieLine.bedrag))
            .where(PrestatieLine.status == "approved")
            .group_by(PrestatieLine.debet_credit)
        ).all()
        toegekend = s.scalar(select(func.sum(Declaration.toegekend)))
    total = sum(v if dc == "D" else -v for dc, v in rows)
    assert total == toegekend
    return total


def test_utilisation_reconciles_to_the_cent_with_booked_prestaties(api):
    gemeente, provider, other = parties(api)
    load_contracts(
        api.engine,
        contract_doc(
            products=[
                {"categorie": "45", "code": "45A04", "eenheid": "04", "valid_from": "2020-01-01"},
                {"categorie": "43", "code": "43A14", "eenheid": "14", "valid_from": "2020-01-01"},
            ],
            tariffs=[
                {
                    "aanbieder": agb,
                    "code": code,
                    "variant": "inspanning",
                    "tariffs": [{"eenheid": unit, "tarief": t, "valid_from": "2020-01-01"}],
                }
                for agb in (AGB, OTHER_AGB)
                for code, unit, t in (("45A04", "04", 8730), ("43A14", "14", 24517))
            ],
        ),
    )
    alloc(api.engine, 1, bsn=A)
    alloc(
        api.engine, 2, bsn=B, categorie="43", code="43A14", eenheid="14", frequentie="1", volume=1
    )
    alloc(api.engine, 3, bsn=C, aanbieder=OTHER_AGB)
    apr, may = (date(2026, 4, 1), date(2026, 4, 30)), (date(2026, 5, 1), date(2026, 5, 31))
    post_325(
        api,
        provider,
        Decl("D1", "N1", date(2026, 4, 1))
        .add(A, P("A1", 1, *apr, 7))
        .add(B, P("B1", 2, *apr, 30, tarief=24517, eenheid="14", categorie="43", code="43A14")),
    )
    ans = post_325(
        api,
        provider,
        Decl("D2", "N2", date(2026, 5, 1))
        .add(A, P("A2", 1, *may, 99), P("A3", 1, *apr, 7, credit_of="A1"), P("A4", 1, *apr, 5))
        .add(B, P("B2", 2, *may, 31, tarief=24517, eenheid="14", categorie="43", code="43A14")),
    )
    assert ans.prestaties == {"A2": ["9321"]}  # rejected: not booked
    post_325(
        api, other, Decl("D3", "N3", date(2026, 5, 1), agb=OTHER_AGB).add(C, P("C1", 3, *may, 11))
    )
    booked = _approved_total(api.engine)
    assert booked == 5 * 8730 + 30 * 24517 + 31 * 24517 + 11 * 8730

    r = api.client.get(
        "/v1/ceilings/utilisation",
        params={"year": 2026},
        headers={"Authorization": f"Bearer {gemeente}"},
    )
    body = r.json()
    assert body["totals"]["spent"] == booked == body["totals"]["spent_all_years"]
    by = {(i["aanbieder"], i["categorie"], i["month"]): i for i in body["items"]}
    assert by[(AGB, "45", "2026-04")]["spent"] == 5 * 8730  # A1 credited, A4 instead
    assert by[(AGB, "43", "2026-05")]["spent"] == 31 * 24517
    assert by[(OTHER_AGB, "45", "2026-05")]["spent"] == 11 * 8730
    assert by[(AGB, "45", "2026-01")]["committed"] == 3 * 8730 * 31 // 7
    # CSV has the same figures
    r = api.client.get(
        "/v1/ceilings/utilisation",
        params={"year": 2026, "format": "csv"},
        headers={"Authorization": f"Bearer {gemeente}"},
    )
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sum(int(row["spent"]) for row in rows) == booked
    # a provider sees only its own rows
    r = api.client.get(
        "/v1/ceilings/utilisation",
        params={"year": 2026, "gemeente": GEMEENTE},
        headers={"Authorization": f"Bearer {other}"},
    )
    assert {i["aanbieder"] for i in r.json()["items"]} == {OTHER_AGB}
    assert r.json()["totals"]["spent"] == 11 * 8730 == r.json()["totals"]["spent_all_years"]


# --------------------------------------------------------------------------- ceilings


def _ceilings_doc(ceiling_list):
    return contract_doc(
        products=[
            {"categorie": "45", "code": "45A04", "eenheid": "04", "valid_from": "2020-01-01"},
            {"categorie": "51", "code": "51A04", "eenheid": "04", "valid_from": "2020-01-01"},
        ],
        tariffs=[
            {
                "aanbieder": agb,
                "code": code,
                "variant": "inspanning",
                "tariffs": [{"eenheid": "04", "tarief": 10000, "valid_from": "2020-01-01"}],
            }
            for agb in (AGB, OTHER_AGB)
            for code in ("45A04", "51A04")
        ],
        ceilings=ceiling_list,
    )


def test_ceiling_kinds_per_provider_pooled_category_and_uncapped(api):
    gemeente, provider, _ = parties(api)
    load_contracts(
        api.engine,
        _ceilings_doc(
            [
                {
                    "name": "Noord",
                    "year": 2026,
                    "amount": 1_000_000,
                    "hard": True,
                    "aanbieders": [AGB],
                },
                {
                    "name": "Pool 45",
                    "year": 2026,
                    "amount": 3_000_000,
                    "hard": False,
                    "aanbieders": [AGB, OTHER_AGB],
                    "categories": ["45"],
                },
            ]
        ),
    )
    # 1 h per month at € 100 for 12 months = € 1,200 committed each
    alloc(api.engine, 1, bsn=A, volume=1, frequentie="4")
    alloc(api.engine, 2, bsn=B, volume=1, frequentie="4", aanbieder=OTHER_AGB)
    alloc(api.engine, 3, bsn=C, volume=1, frequentie="4", categorie="51", code="51A04")
    r = api.client.get(
        "/v1/ceilings", params={"year": 2026}, headers={"Authorization": f"Bearer {gemeente}"}
    )
    items = {i["name"]: i for i in r.json()["items"]}
    assert items["Noord"]["committed"] == 2 * 120_000  # categories 45 and 51 of AGB
    assert items["Pool 45"]["committed"] == 2 * 120_000  # 45 of both, not 51
    assert items["Noord"]["kind"] == "hard" and items["Pool 45"]["kind"] == "soft"
    # spending above the commitment counts (catching up): usage = max per allocation
    post_325(
        api,
        provider,
        Decl("D1", "N1", date(2026, 5, 1)).add(
            A, P("A1", 1, date(2026, 5, 1), date(2026, 5, 31), 1, tarief=10000)
        ),
    )
    items = {
        i["name"]: i
        for i in api.client.get(
            "/v1/ceilings", params={"year": 2026}, headers={"Authorization": f"Bearer {gemeente}"}
        ).json()["items"]
    }
    assert items["Noord"]["spent"] == 10_000 and items["Noord"]["usage"] == 240_000
    assert items["Noord"]["forecast"]["spending_rate_per_day"] == 10_000 // 151


NEW = {
    "product": {"categorie": "45", "code": "45A04"},
    "ingangsdatum": "2026-07-01",
    "einddatum": "2026-12-31",
    "omvang": {"volume": 10, "eenheid": "04", "frequentie": "4"},  # € 6,000 in 2026
}
CLIENT = BACKOFFICE_CLIENT


def _create(api, token, agb=AGB):
    return api.client.post(
        "/v1/backoffice/toewijzingen",
        json={"aanbieder": agb, "bsn": A, "client": CLIENT, "toewijzingen": [NEW]},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_hard_ceiling_refuses_with_figures_soft_warns(api):
    gemeente, _, _ = parties(api)
    load_contracts(
        api.engine,
        _ceilings_doc(
            [
                {
                    "name": "Noord",
                    "year": 2026,
                    "amount": 500_000,
                    "hard": True,
                    "aanbieders": [AGB],
                },
                {
                    "name": "Zuid",
                    "year": 2026,
                    "amount": 500_000,
                    "hard": False,
                    "aanbieders": [OTHER_AGB],
                },
            ]
        ),
    )
    r = _create(api, gemeente, AGB)
    assert r.status_code == 422
    detail = r.json()["errors"][0]
    assert detail["code"] == "CEILING_EXCEEDED" and detail["level"] == "refuse"
    assert (
        detail["details"]["amount"] == 500_000 and detail["details"]["this_allocation"] == 600_000
    )
    assert detail["details"]["over_by"] == 100_000
    r = _create(api, gemeente, OTHER_AGB)
    assert r.status_code == 201
    assert r.json()["warnings"][0]["code"] == "SPENDING_ROOM_EXCEEDED"


def test_allocation_within_the_ceiling_passes_without_warning(api):
    gemeente, _, _ = parties(api)
    load_contracts(
        api.engine,
        _ceilings_doc(
            [
                {
                    "name": "Noord",
                    "year": 2026,
                    "amount": 600_000,
                    "hard": True,
                    "aanbieders": [AGB],
                    "thresholds": [],  # no warning before the ceiling itself
                },
            ]
        ),
    )
    r = _create(api, gemeente, AGB)
    assert r.status_code == 201 and r.json()["warnings"] == []
    with transaction(session_factory(api.engine)) as s:
        st = ceilings.statuses(s, GEMEENTE, 2026, date(2026, 6, 15))[0]
    assert st.committed == 600_000 and st.remaining == 0
