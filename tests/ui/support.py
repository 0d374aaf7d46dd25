"""A signed-in client of the web interface over HTTPS (in-process), and small demo-like data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from app.accounts import store as accounts
from app.clock import SystemClock
from app.db.base import session_factory, transaction
from app.reference.contracts import import_document
from testkit import messages as m
from tests.money.support import contract_doc

G, OTHER_G, AGB = "0363", "0599", "12345678"
PASSWORD = "een lang wachtwoord 2026"
CLIENT = m.bsn(41)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Ui:
    """An HTTPS test client of the app (Secure cookies are only sent over HTTPS)."""

    client: TestClient
    engine: Any

    def add_user(self, username: str, role: str, gemeente: str | None = G, **kw: Any) -> None:
        with transaction(session_factory(self.engine)) as s:
            accounts.add_user(
                s,
                username=username,
                password=PASSWORD,
                role=role,
                gemeente=gemeente,
                now=SystemClock().now(),
                **kw,
            )

    def login(self, username: str, password: str = PASSWORD, follow: bool = False) -> Any:
        page = self.client.get("/ui/inloggen")
        token = re.search(r'name="login_token" value="([^"]+)"', page.text)
        assert token
        return self.client.post(
            "/ui/inloggen",
            data={
                "gebruikersnaam": username,
                "wachtwoord": password,
                "login_token": token.group(1),
                "next": "/ui/werkvoorraad",
            },
            follow_redirects=follow,
        )

    def post_form(self, path: str, data: dict[str, str], page: str | None = None, **kw: Any) -> Any:
        """POST a form with the CSRF token of `page` (default: the same path)."""
        html = self.client.get(page or path).text  # any page of ours carries the token
        return self.client.post(
            path, data={"csrf_token": csrf(html), **data}, follow_redirects=False, **kw
        )


def ceiling(amount_euro: int) -> list[dict[str, Any]]:
    return [
        {
            "name": "Noord totaal",
            "year": 2026,
            "amount": amount_euro * 100,
            "hard": True,
            "aanbieders": [AGB],
        }
    ]


def seed(api: Any, ceiling_euro: int = 250_000) -> dict[str, str]:
    """The gemeente, another gemeente, the provider, contracts with a hard ceiling and one VOT."""
    tokens = {
        "gemeente": api.add_party("gemeente", G, "Gemeente Amsterdam"),
        "other": api.add_party("gemeente", OTHER_G, "Gemeente Rotterdam"),
        "provider": api.add_party("aanbieder", AGB, "Jeugdhulp Noord"),
    }
    with transaction(session_factory(api.engine)) as s:
        import_document(s, contract_doc(ceilings=ceiling(ceiling_euro)))
    data = {
        "Header": m.header_for("JW315", AGB, G, "VOT1", date(2026, 6, 12)),
        "Client": {
            **m.client_person(CLIENT),
            "AangevraagdeProducten": {
                "AangevraagdProduct": [
                    {
                        "ReferentieAanbieder": "R-UI-1",
                        "Product": {"Categorie": "45", "Code": "45A04"},
                        "ToewijzingIngangsdatum": date(2026, 7, 1),
                        "ToewijzingEinddatum": date(2026, 12, 31),
                        "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
                        "Verwijzer": {"Type": "01"},
                    }
                ]
            },
        },
    }
    r = api.post(tokens["provider"], m.xml("JW315", data))
    assert r.status_code == 200, r.text
    return tokens
