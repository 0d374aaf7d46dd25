"""The checks on every allocation path: a JW301 the gemeente posts itself gets the hard ceiling
and profile no-stacking checks like a back-office create; overrides and the provider's consent
are recorded with who and when; OP296 and contract ends warn; committed money is true."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from app.budget import ceilings
from app.db.base import session_factory, transaction
from testkit import messages as m
from tests.money.support import AGB, GEMEENTE, OTHER_AGB, Decl, P, load_contracts, post_325
from tests.money.support import seed_allocation as alloc

A, B, C = m.bsn(1), m.bsn(3), m.bsn(4)
OVERRIDES_DAY = date(2026, 6, 15)


def _product(code: str, cat: str, unit: str, tariff: int, **extra: Any) -> dict[str, Any]:
    return {
        "categorie": cat,
        "code": code,
        "eenheid": unit,
        "valid_from": "2020-01-01",
        "tariffs": [{"eenheid": unit, "tarief": tariff, "valid_from": "2020-01-01"}],
        **extra,
    }


def _doc(ceiling_list: list[dict[str, Any]] | None = None, **over: Any) -> dict[str, Any]:
    region: dict[str, Any] = {
        "code": "AMS",
        "administrator": GEMEENTE,
        "gemeenten": [GEMEENTE],
        "stacking_exceptions": ["Acuut", "Duurzaam"],
        "exception_max_days": {"Acuut": 14},
        "realisation": {"45": 80},
        "products": [
            _product("45A04", "45", "04", 10000),
            _product("43A14", "43", "14", 20000),
            _product(
                "50P1P",
                "50",
                "82",
                120000,
                financing="profile",
                profiel="P1",
                intensiteit="Perspectief",
            ),
            _product(
                "50P1A", "50", "82", 60000, financing="profile", profiel="P1", intensiteit="Acuut"
            ),
        ],
        "contracts": [
            {
                "aanbieder": AGB,
                "codes": ["45A04", "50P1P", "50P1A"],
                "start": "2021-01-01",
                "end": "2026-09-30",
                "extension_options": [12],
            },
            {"aanbieder": OTHER_AGB, "codes": ["45A04", "50P1P"], "start": "2021-01-01"},
        ],
        "ceilings": ceiling_list or [],
    }
    region.update(over)
    return {"format": "ijw-contracts/2", "regions": [region]}


def _auth(token: str, user: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if user:
        headers["X-Ijw-User"] = user
    return headers


def _post_jw301(api, token, ident, *, agb=AGB, nummer, code="45A04", cat="45", start, end, omvang):
    product = {
        "ToewijzingNummer": nummer,
        "Product": {"Categorie": cat, "Code": code},
        "Toewijzingsdatum": date(2026, 6, 10),
        "Toewijzingstijd": time(10, 0),
        "Ingangsdatum": start,
        "Einddatum": end,
        "Omvang": omvang,
    }
    data = m.jw301_for(
        GEMEENTE, agb, ident, client_bsn=A, day=date(2026, 6, 10), products=[product]
    )
    return api.post(token, m.xml("JW301", data))


HOURS_WEEKLY = {"Volume": 3, "Eenheid": "04", "Frequentie": "2"}


def test_a_posted_jw301_meets_the_hard_ceiling_and_an_override_lets_it_through(api):
    gemeente = api.add_party("gemeente", GEMEENTE)
    api.add_party("aanbieder", AGB)
    cap = {"name": "Noord", "year": 2026, "amount": 100_000, "hard": True, "aanbieders": [AGB]}
    load_contracts(api.engine, _doc([cap]))
    r = _post_jw301(
        api,
        gemeente,
        "RAW1",
        nummer=5001,
        start=date(2026, 7, 1),
        end=date(2026, 8, 31),
        omvang=HOURS_WEEKLY,
    )
    assert r.status_code == 422 and r.json()["code"] == "REFUSED", r.text
    detail = r.json()["errors"][0]
    assert detail["code"] == "CEILING_EXCEEDED" and detail["details"]["amount"] == 100_000
    # a court-ordered measure: the gemeente records the override, then posts the same JW301
    r = api.client.post(
        "/v1/backoffice/toewijzingen/5001/override",
        json={"reden": "rechterlijke machtiging, spoed"},
        headers=_auth(gemeente, "teamleider.jansen"),
    )
    assert r.status_code == 201, r.text
    r = _post_jw301(
        api,
        gemeente,
        "RAW2",
        nummer=5001,
        start=date(2026, 7, 1),
        end=date(2026, 8, 31),
        omvang=HOURS_WEEKLY,
    )
    assert r.status_code == 200 and r.json()["status"] == "sent", r.text
    assert [n["code"] for n in r.json()["notes"]] == ["CEILING_OVERRIDDEN"]
    report = api.client.get("/v1/reports/overrides", headers=_auth(gemeente)).json()["items"]
    assert len(report) == 1 and report[0]["actor_user"] == "teamleider.jansen"
    assert report[0]["used"] and report[0]["ceiling"] == "Noord" and report[0]["over_by"] > 0
    status = api.client.get("/v1/ceilings", params={"year": 2026}, headers=_auth(gemeente)).json()
    assert status["items"][0]["overrides"] == 1 and status["items"][0]["status"] == "exceeded"
    audit = api.client.get("/v1/backoffice/audit", headers=_auth(gemeente)).json()["items"]
    assert [(e["action"], e["actor_user"]) for e in audit] == [
        ("permit.override", "teamleider.jansen")
    ]


def test_profile_no_stacking_on_a_posted_jw301_and_the_acuut_exception(api):
    gemeente = api.add_party("gemeente", GEMEENTE)
    api.add_party("aanbieder", AGB)
    api.add_party("aanbieder", OTHER_AGB)
    load_contracts(api.engine, _doc())
    piece = {"Volume": 1, "Eenheid": "82", "Frequentie": "6"}
    alloc(
        api.engine,
        7001,
        bsn=A,
        categorie="50",
        code="50P1P",
        volume=1,
        eenheid="82",
        frequentie="6",
    )
    # 92 days of Acuut at a provider without an Acuut contract: it stacks on the Perspectief
    r = _post_jw301(
        api,
        gemeente,
        "ACU1",
        agb=OTHER_AGB,
        nummer=7002,
        code="50P1A",
        cat="50",
        start=date(2026, 7, 1),
        end=date(2026, 9, 30),
        omvang=piece,
    )
    assert r.status_code == 422, r.text
    assert [d["code"] for d in r.json()["errors"]] == ["PROFILE_STACKING"]
    assert "at most 14 days" in r.json()["errors"][0]["message"]
    # 14 days at the contracted provider: the exception
    r = _post_jw301(
        api,
        gemeente,
        "ACU2",
        nummer=7003,
        code="50P1A",
        cat="50",
        start=date(2026, 7, 1),
        end=date(2026, 7, 14),
        omvang=piece,
    )
    assert r.status_code == 200 and r.json()["status"] == "sent", r.text


def test_contract_warnings_consent_and_the_audit(api):
    gemeente = api.add_party("gemeente", GEMEENTE)
    api.add_party("aanbieder", AGB)
    load_contracts(api.engine, _doc())
    auth = _auth(gemeente, "consulent.de.vries")

    def create(*items: dict[str, Any], bsn: str = B) -> Any:
        body = {
            "aanbieder": AGB,
            "bsn": bsn,
            "client": m.BACKOFFICE_CLIENT,
            "toewijzingen": list(items),
        }
        return api.client.post("/v1/backoffice/toewijzingen", json=body, headers=auth)

    outside = {
        "product": {"categorie": "43", "code": "43A14"},
        "ingangsdatum": "2026-07-01",
        "einddatum": "2026-08-31",
        "omvang": {"volume": 7, "eenheid": "14", "frequentie": "2"},
    }
    r = create(outside)
    assert r.status_code == 201, r.text
    assert [w["code"] for w in r.json()["warnings"]] == ["OP296"]
    past_end = {
        "product": {"categorie": "45", "code": "45A04"},
        "ingangsdatum": "2026-07-01",
        "einddatum": "2026-12-31",
        "omvang": {"volume": 2, "eenheid": "04", "frequentie": "2"},
    }
    r = create(past_end, bsn=C)
    warning = r.json()["warnings"][0]
    assert warning["code"] == "CONTRACT_ENDS"
    assert warning["details"]["contract_end"] == "2026-09-30"
    assert warning["details"]["options_left_months"] == 12
    contracts = api.client.get("/v1/reports/contracts", headers=auth).json()["items"]
    assert {(c["code"], c["issue"]) for c in contracts} == {
        ("43A14", "outside_contract"),
        ("45A04", "past_contract_end"),
    }
    # lowering a budget needs the provider's consent: warned without, recorded with
    alloc(
        api.engine,
        8001,
        bsn=A,
        code=None,
        volume=None,
        eenheid=None,
        frequentie=None,
        budget=100_000,
    )
    lower = {"toewijzingnummer": 8001, "budget": 80_000, "reden_wijziging": "05"}
    r = api.client.post(
        "/v1/backoffice/toewijzingen",
        json={"aanbieder": AGB, "bsn": A, "client": m.BACKOFFICE_CLIENT, "toewijzingen": [lower]},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    assert "OP299" in [w["code"] for w in r.json()["warnings"] if w["level"] == "warn"]
    agreed = {
        **lower,
        "budget": 70_000,
        "toestemming_aanbieder": "akkoord J. Smit (aanbieder), 12 juni",
    }
    r = api.client.post(
        "/v1/backoffice/toewijzingen",
        json={"aanbieder": AGB, "bsn": A, "client": m.BACKOFFICE_CLIENT, "toewijzingen": [agreed]},
        headers=auth,
    )
    codes = {(w["level"], w["code"]) for w in r.json()["warnings"]}
    assert ("info", "OP299") in codes and ("warn", "OP299") not in codes
    # ending an allocation in the past (OP186)
    alloc(api.engine, 8002, bsn=m.bsn(6))
    end_past = {"toewijzingnummer": 8002, "einddatum": "2026-05-31", "reden_wijziging": "05"}
    r = api.client.post(
        "/v1/backoffice/toewijzingen",
        json={
            "aanbieder": AGB,
            "bsn": m.bsn(6),
            "client": m.BACKOFFICE_CLIENT,
            "toewijzingen": [end_past],
        },
        headers=auth,
    )
    assert r.status_code == 201, r.text
    assert "OP186" in [w["code"] for w in r.json()["warnings"]]
    audit = api.client.get("/v1/backoffice/audit", headers=auth).json()["items"]
    assert [e["action"] for e in audit] == ["allocation.sent"] * 5
    assert all(e["actor_user"] == "consulent.de.vries" for e in audit)
    assert audit[3]["details"]["consents"] == [8001]


def test_ceiling_scopes_codes_gemeenten_open_house_and_other_periods(db_engine):
    second = "0362"
    scopes = [
        {
            "name": "Trede 7 (ambulant)",
            "year": 2026,
            "amount": 10**9,
            "aanbieders": [AGB, OTHER_AGB],
            "codes": ["45A04"],
        },
        {
            "name": "Amstelveen",
            "year": 2026,
            "amount": 10**9,
            "aanbieders": [AGB],
            "gemeenten": [second],
        },
        {
            "name": "Pool verblijf",
            "year": 2026,
            "amount": 10**9,
            "all_contracted": True,
            "categories": ["43"],
        },
        {
            "name": "Schooljaar",
            "start": "2026-08-01",
            "end": "2027-07-31",
            "amount": 10**9,
            "aanbieders": [AGB],
        },
    ]
    doc = _doc(scopes, gemeenten=[GEMEENTE, second])
    doc["regions"][0]["contracts"][0]["codes"].append("43A14")
    load_contracts(db_engine, doc)
    day = {"volume": 1, "eenheid": "14", "frequentie": "1"}
    alloc(db_engine, 1, bsn=A, volume=1, frequentie="4")  # 45A04 at AGB in 0363: 10000 a month
    alloc(db_engine, 2, bsn=B, gemeente=second, volume=1, frequentie="4")  # the same in 0362
    alloc(
        db_engine,
        3,
        bsn=C,
        categorie="43",
        code="43A14",
        **{k: day[k] for k in ("volume", "eenheid")},
        frequentie="1",
    )
    # a provider that joins the open house later counts in the pool without editing the ceiling
    joiner = "55512345"
    doc["regions"][0]["contracts"].append(
        {"aanbieder": joiner, "codes": ["43A14"], "start": "2026-03-01"}
    )
    load_contracts(db_engine, doc)
    alloc(
        db_engine,
        4,
        bsn=m.bsn(5),
        aanbieder=joiner,
        categorie="43",
        code="43A14",
        volume=1,
        eenheid="14",
        frequentie="1",
        ingangsdatum=date(2026, 7, 1),
    )
    with transaction(session_factory(db_engine)) as s:
        figures = {st.name: st for st in ceilings.statuses(s, GEMEENTE, 2026, date(2026, 6, 15))}
    assert figures["Trede 7 (ambulant)"].committed == 2 * 12 * 10000  # both gemeenten, only 45A04
    assert figures["Amstelveen"].committed == 12 * 10000  # only allocation 2
    pool = figures["Pool verblijf"]
    assert joiner in pool.aanbieders and pool.committed == 365 * 20000 + 184 * 20000
    school = figures["Schooljaar"]
    assert (school.start, school.end) == (date(2026, 8, 1), date(2027, 7, 31))
    # Aug-Dec 2026 of allocations 1 and 2 (2027: they end in 2026) plus 43A14 at AGB
    assert school.committed == 2 * 5 * 10000 + 153 * 20000


def test_committed_money_is_revalued_by_indexation_and_unvalued_allocations_are_listed(api):
    gemeente = api.add_party("gemeente", GEMEENTE)
    cap = {"name": "Noord", "year": 2027, "amount": 10**9, "aanbieders": [AGB]}
    doc = _doc([cap])
    doc["regions"][0]["contracts"][0]["end"] = None
    doc["regions"][0]["contracts"][0]["extension_options"] = []
    load_contracts(api.engine, doc)
    alloc(
        api.engine,
        1,
        bsn=A,
        volume=1,
        frequentie="4",
        ingangsdatum=date(2026, 7, 1),
        einddatum=date(2027, 6, 30),
    )
    alloc(
        api.engine,
        2,
        bsn=B,
        categorie="45",
        code="45X99",
        volume=1,
        frequentie="4",
        einddatum=date(2027, 6, 30),
    )
    auth = _auth(gemeente)

    def noord() -> dict[str, Any]:
        return api.client.get("/v1/ceilings", params={"year": 2027}, headers=auth).json()["items"][
            0
        ]

    before = noord()
    assert before["committed"] == 6 * 10000
    assert [u["toewijzingnummer"] for u in before["unvalued_allocations"]] == [2]
    assert "no contract line for 45X99" in before["unvalued_allocations"][0]["reason"]
    r = api.client.post(
        "/v1/contracts/AMS/index", json={"start": "2027-01-01", "percentage": "10"}, headers=auth
    )
    assert r.status_code == 200, r.text
    assert noord()["committed"] == 6 * 11000  # the months after the indexation at the new tariff


def test_forecast_allows_for_declaration_lag(api):
    gemeente = api.add_party("gemeente", GEMEENTE)
    provider = api.add_party("aanbieder", AGB)
    cap = {"name": "Noord", "year": 2026, "amount": 12 * 10000, "aanbieders": [AGB], "hard": False}
    load_contracts(api.engine, _doc([cap], realisation={"45": 100}))
    alloc(api.engine, 1, bsn=A, volume=1, frequentie="4")  # 10000 a month, all year
    # the provider is two months behind: it declared January to March only (today 15 June)
    for month in (1, 2, 3):
        start = date(2026, month, 1)
        end = date(2026, month, {1: 31, 2: 28, 3: 31}[month])
        decl = Decl(f"D{month}", f"N{month}", start).add(
            A, P(f"R{month}", 1, start, end, 1, tarief=10000)
        )
        post_325(api, provider, decl)
    item = api.client.get("/v1/ceilings", params={"year": 2026}, headers=_auth(gemeente)).json()[
        "items"
    ][0]
    forecast = item["forecast"]
    assert item["spent"] == 30000 and forecast["projected"] == 12 * 10000
    assert forecast["projected_runs_out_on"] == "2026-12-31"  # not two months later
