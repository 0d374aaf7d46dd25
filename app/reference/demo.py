"""Demo contracts shaped like the regional seeds (financing-and-ceilings.md), for `make run`."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.reference.contract_doc import FORMAT
from app.reference.contracts import import_document


def demo_document(year: int = 2026) -> dict[str, Any]:
    """A regional set for gemeente 0363 and two neighbours: minutes and hours (p x q),
    day-parts, etmaal (24 h), output trajectories, euro budgets, profile x intensity products
    with the no-stacking exceptions, regional default tariffs (last year's and this year's,
    indexed) with one provider exception, contract lines with extension options, ceilings per
    provider and pooled, a realisation factor per category."""
    start = f"{year - 1}-01-01"
    last_year_end = f"{year - 1}-12-31"
    pxq = [
        ("45", "45A01", "Ambulante jeugdhulp (minuten)", "01", 146),
        ("45", "45A04", "Ambulante jeugdhulp individueel (uur)", "04", 8730),
        ("41", "41A16", "Dagbehandeling (dagdeel)", "16", 7550),
        ("43", "43A14", "Verblijf inclusief behandeling (etmaal)", "14", 24500),
        ("44", "44A14", "Pleegzorg (etmaal)", "14", 6200),
        ("46", "46A84", "Crisisinterventie (stuks inspanning)", "84", 41000),
    ]
    output = [("54", "54D82", "Dyslexiezorg, traject", "82", 360000)]
    budget = [("55", "55B83", "Landelijk ingekochte zorg (budget)", "83", None)]
    profiles = [
        (f"50P{p}{i[0]}", f"Profiel {p}", i, tariff)
        for p, base in ((1, 120000), (2, 180000))
        for i, tariff in (
            ("Perspectief", base),
            ("Intensief", base * 2),
            ("Acuut", base // 2),
            ("Duurzaam", base + base // 2),
        )
    ]

    def tariffs(unit: str, tariff: int | None) -> list[dict[str, Any]]:
        # last year's tariff, then this year's (indexed 3 %)
        old = None if tariff is None else tariff * 100 // 103
        return [
            {"eenheid": unit, "tarief": old, "valid_from": start, "valid_to": last_year_end},
            {"eenheid": unit, "tarief": tariff, "valid_from": f"{year}-01-01"},
        ]

    products: list[dict[str, Any]] = [
        {
            "categorie": c,
            "code": k,
            "name": n,
            "eenheid": u,
            "financing": financing,
            "valid_from": start,
            "tariffs": tariffs(u, t),
        }
        for financing, rows in (("pxq", pxq), ("output", output), ("budget", budget))
        for c, k, n, u, t in rows
    ]
    products += [
        {
            "categorie": "50",
            "code": code,
            "name": f"{profiel} x {intensiteit}",
            "eenheid": "82",
            "financing": "profile",
            "profiel": profiel,
            "intensiteit": intensiteit,
            "valid_from": start,
            "tariffs": tariffs("82", t),
        }
        for code, profiel, intensiteit, t in profiles
    ]
    # An old code replaced at the start of the year: still valid for running allocations.
    products.append(
        {
            "categorie": "45",
            "code": "45A99",
            "name": "Oude ambulante code",
            "eenheid": "04",
            "valid_from": "2019-01-01",
            "valid_to": last_year_end,
            "tariffs": [
                {"eenheid": "04", "tarief": 8000, "valid_from": "2019-01-01"},
            ],
        }
    )
    products[-1]["tariffs"][0]["valid_to"] = last_year_end
    regular = [k for _, k, _, _, _ in pxq + output + budget]
    term = {"start": start, "end": f"{year + 1}-12-31", "extension_options": [12, 12]}
    contracts = [
        {"aanbieder": "12345678", "codes": regular + [code for code, *_ in profiles], **term},
        {
            "aanbieder": "87654321",
            "codes": regular,
            **term,
            # a provider exception: day-parts at Zuid cost more this year
            "tariffs": [
                {"code": "41A16", "eenheid": "16", "tarief": 7800, "valid_from": f"{year}-01-01"}
            ],
        },
        {"aanbieder": "12345678", "codes": ["45A99"], "start": "2019-01-01", "end": last_year_end},
    ]
    return {
        "format": FORMAT,
        "regions": [
            {
                "code": "DEMO-AMS",
                "name": "Regio Amsterdam-Amstelland (demo)",
                "administrator": "0363",
                "gemeenten": ["0363", "0362", "0437"],
                "auto_allocate": False,  # opt-in: set it (and import) to try item 5
                "stacking_exceptions": ["Acuut", "Duurzaam"],
                "exception_max_days": {"Acuut": 14},
                "realisation": {"45": 85, "43": 95},
                "payment": {"kostenplaats": "JH-REGIO", "grootboek": "4700"},
                "products": products,
                "contracts": contracts,
                "ceilings": [
                    {
                        "name": "Noord totaal",
                        "year": year,
                        "amount": 250_000_00,
                        "hard": True,
                        "aanbieders": ["12345678"],
                        "thresholds": [75, 90],
                    },
                    {
                        "name": "Zuid bestedingsruimte",
                        "year": year,
                        "amount": 120_000_00,
                        "hard": False,
                        "aanbieders": ["87654321"],
                    },
                    {
                        "name": "Verblijf regionaal (pool)",
                        "year": year,
                        "amount": 900_000_00,
                        "hard": True,
                        "all_contracted": True,
                        "categories": ["43", "44"],
                    },
                ],
            }
        ],
    }


def load_demo_contracts(session: Session, today: date) -> None:
    """Demo loader: import the demo set for `today`'s year (idempotent: it replaces itself)."""
    import_document(session, demo_document(today.year))
