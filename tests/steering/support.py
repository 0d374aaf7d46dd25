"""A small region with a year of allocations, starts, stops and declarations, for the steering
tests: gemeente 0363 (administrator of set AMS) and member 0362, provider 12345678."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from testkit import messages as m
from tests.money.support import AGB, GEMEENTE, Decl, P, load_contracts, post_325
from tests.money.support import seed_allocation as alloc

MEMBER = "0362"
A, B, C = m.bsn(1), m.bsn(3), m.bsn(4)
HOUR = 10_000  # cents


def region() -> dict[str, Any]:
    return {
        "format": "ijw-contracts/2",
        "regions": [
            {
                "code": "AMS",
                "administrator": GEMEENTE,
                "gemeenten": [GEMEENTE, MEMBER],
                "payment": {
                    "kostenplaats": "JH-100",
                    "grootboek": "4700",
                    "by_categorie": {"45": {"grootboek": "4745"}},
                },
                "products": [
                    {
                        "categorie": "45",
                        "code": "45A04",
                        "eenheid": "04",
                        "valid_from": "2020-01-01",
                        "tariffs": [{"eenheid": "04", "tarief": HOUR, "valid_from": "2020-01-01"}],
                    }
                ],
                "contracts": [{"aanbieder": AGB, "codes": ["45A04"], "start": "2021-01-01"}],
                "ceilings": [
                    {
                        "name": "Noord",
                        "year": 2026,
                        "amount": 40 * HOUR,
                        "hard": False,
                        "aanbieders": [AGB],
                        "thresholds": [50, 90],
                    }
                ],
            }
        ],
    }


@dataclass
class World:
    gemeente: str
    member: str
    provider: str


def _month_end(month: int) -> date:
    return date(2026, month, {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}.get(month, 31))


def build(api) -> World:
    """Allocations (1 hour a month at EUR 100): A January-March, stopped (reason 31) on 31 March
    and reported in June; A again from May (a returning client); B all year, never started;
    C in the member gemeente.  Declarations: January for A and B, February for A with a wrong
    tariff (rejected, TR418)."""
    world = World(
        api.add_party("gemeente", GEMEENTE),
        api.add_party("gemeente", MEMBER),
        api.add_party("aanbieder", AGB),
    )
    load_contracts(api.engine, region())
    monthly = {"volume": 1, "frequentie": "4"}
    alloc(api.engine, 1, bsn=A, einddatum=date(2026, 3, 31), **monthly)
    alloc(api.engine, 2, bsn=A, ingangsdatum=date(2026, 5, 1), **monthly)
    alloc(api.engine, 3, bsn=B, **monthly)
    alloc(api.engine, 4, bsn=C, gemeente=MEMBER, **monthly)
    start = {
        "ToewijzingNummer": 1,
        "Product": {"Categorie": "45", "Code": "45A04"},
        "ToewijzingIngangsdatum": date(2026, 1, 1),
        "Begindatum": date(2026, 1, 5),
        "StatusAanlevering": "1",
    }
    data = m.jw305_for(AGB, GEMEENTE, "S1", client_bsn=A, starts=[start], day=date(2026, 6, 1))
    assert api.post(world.provider, m.xml("JW305", data)).status_code == 200
    stop = {k: v for k, v in start.items() if k != "StatusAanlevering"}
    stop.update(
        {"RedenBeeindiging": "31", "Einddatum": date(2026, 3, 31), "StatusAanlevering": "1"}
    )
    data = m.jw305_for(AGB, GEMEENTE, "S2", client_bsn=A, day=date(2026, 6, 1))
    data["Header"]["BerichtCode"] = "440"
    del data["Client"]["StartProducten"]
    data["Client"]["StopProducten"] = {"StopProduct": [stop]}
    r = api.post(world.provider, m.xml("JW307", data))
    assert r.status_code == 200 and b"RetourCode" not in r.content, r.text
    jan = (date(2026, 1, 1), _month_end(1))
    feb = (date(2026, 2, 1), _month_end(2))
    post_325(
        api,
        world.provider,
        Decl("D1", "N1", jan[0])
        .add(A, P("A-01", 1, *jan, 1, tarief=HOUR))
        .add(B, P("B-01", 3, *jan, 1, tarief=HOUR)),
    )
    answer = post_325(
        api, world.provider, Decl("D2", "N2", feb[0]).add(A, P("A-02", 1, *feb, 1, tarief=HOUR + 1))
    )
    assert answer.prestaties == {"A-02": ["0611"]}
    return world


def auth(token: str, user: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if user:
        headers["X-Ijw-User"] = user
    return headers
