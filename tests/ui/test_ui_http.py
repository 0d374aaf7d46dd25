"""The web interface over HTTP: sign-in, cookies, CSRF, roles, isolation between gemeenten,
answering a request and allocating through the back office (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.accounts import store as accounts
from app.bootstrap import create_app
from app.clock import FixedClock
from app.config import Settings
from app.db.base import session_factory, transaction
from app.reference.contracts import import_document
from app.ui import signin
from app.ui.core import STATIC, TEMPLATES
from tests.conftest import TEST_TODAY
from tests.money.support import contract_doc
from tests.ui.support import CLIENT, OTHER_G, Ui, ceiling, seed

PAGES = (
    "/ui/werkvoorraad",
    "/ui/toewijzingen",
    "/ui/declaraties",
    "/ui/plafonds",
    "/ui/berichten",
    "/ui/contracten",
    "/ui/logboek",
)
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


@pytest.fixture
def ui(api) -> Iterator[Ui]:
    """The service with the web interface, over HTTPS, with a case worker signed in."""
    seed(api)
    app = create_app(
        Settings(database_url=api.engine.url.render_as_string(False)), FixedClock(TEST_TODAY)
    )
    with TestClient(app, base_url="https://testserver") as client:
        out = Ui(client, api.engine)
        out.add_user("anna", accounts.CASE_WORKER, display_name="Anna de Vries")
        out.add_user("lees", accounts.READ_ONLY)
        out.add_user("rotterdam", accounts.CASE_WORKER, gemeente=OTHER_G)
        yield out
    app.state.service.engine.dispose()


def _request_id(ui: Ui) -> int:
    found = re.search(r'href="/ui/verzoeken/(\d+)"', ui.client.get("/ui/werkvoorraad").text)
    assert found, "the request is not in the queue"
    return int(found.group(1))


def test_every_page_asks_for_sign_in_first(ui: Ui) -> None:
    for path in PAGES:
        r = ui.client.get(path, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == f"/ui/inloggen?next={path}"


def test_sign_in_sets_a_secure_http_only_strict_cookie(ui: Ui) -> None:
    r = ui.login("anna")
    assert r.status_code == 303 and r.headers["location"] == "/ui/werkvoorraad"
    cookie = [c for c in r.headers.get_list("set-cookie") if c.startswith("ijw_ui=")]
    assert cookie, r.headers
    flags = cookie[0].lower()
    assert "httponly" in flags and "secure" in flags and "samesite=strict" in flags
    page = ui.client.get("/ui/werkvoorraad")
    assert page.status_code == 200 and "Anna de Vries" in page.text


def test_a_wrong_password_gives_one_answer_and_no_session(ui: Ui) -> None:
    for user in ("anna", "nobody"):
        r = ui.login(user, "not the password at all")
        assert r.status_code == 401
        assert "onjuist" in r.text
        assert not any(c.startswith("ijw_ui=") for c in r.headers.get_list("set-cookie"))


def test_the_sign_in_form_refuses_a_post_without_its_token(ui: Ui) -> None:
    r = ui.client.post(
        "/ui/inloggen",
        data={"gebruikersnaam": "anna", "wachtwoord": "een lang wachtwoord 2026"},
        follow_redirects=False,
    )
    assert r.status_code == 400
    assert ui.client.get("/ui/werkvoorraad", follow_redirects=False).status_code == 303


def test_every_form_post_needs_the_session_csrf_token_and_our_origin(ui: Ui) -> None:
    ui.login("anna")
    rid = _request_id(ui)
    path = f"/ui/verzoeken/{rid}/antwoord"
    r = ui.client.post(path, data={"antwoord": "2"}, follow_redirects=False)
    assert r.status_code == 403
    r = ui.client.post(path, data={"antwoord": "2", "csrf_token": "forged"})
    assert r.status_code == 403
    r = ui.post_form(
        path, {"antwoord": "2"}, page=f"/ui/verzoeken/{rid}", headers={"origin": "https://evil"}
    )
    assert r.status_code == 403
    r = ui.post_form(path, {"antwoord": "2"}, page=f"/ui/verzoeken/{rid}")
    assert r.status_code == 303
    assert "In onderzoek" in ui.client.get(f"/ui/verzoeken/{rid}").text


def test_a_rejection_is_sent_and_audited_with_the_user(ui: Ui) -> None:
    ui.login("anna")
    rid = _request_id(ui)
    r = ui.post_form(
        f"/ui/verzoeken/{rid}/antwoord", {"antwoord": "1", "reden": "3"}, f"/ui/verzoeken/{rid}"
    )
    assert r.status_code == 303
    page = ui.client.get(r.headers["location"]).text
    assert "Het verzoek is afgewezen" in page and "Geen contract" in page
    with session_factory(ui.engine)() as s:
        actions = {(e.username, e.action, e.outcome) for e in accounts.audit_entries(s, ["0363"])}
    assert ("anna", "request.reject", "ok") in actions
    assert ("anna", "signin", "ok") in actions


def test_a_refused_answer_is_explained_by_the_rule_text(ui: Ui) -> None:
    ui.login("anna")
    rid = _request_id(ui)
    ui.post_form(
        f"/ui/verzoeken/{rid}/antwoord", {"antwoord": "1", "reden": "3"}, "/ui/werkvoorraad"
    )
    # a second final answer breaks TR365 (a later answer only after "in onderzoek")
    r = ui.post_form(
        f"/ui/verzoeken/{rid}/antwoord", {"antwoord": "1", "reden": "4"}, "/ui/werkvoorraad"
    )
    assert r.status_code == 200 and "Het antwoord is niet verstuurd" in r.text
    assert "TR365" in r.text and "a later 319 only after an" in r.text


def test_read_only_users_see_but_cannot_act(ui: Ui) -> None:
    ui.login("lees")
    rid = _request_id(ui)
    page = ui.client.get(f"/ui/verzoeken/{rid}").text
    assert "Verzoek afwijzen" not in page and "kan verzoeken bekijken" in page
    r = ui.post_form(f"/ui/verzoeken/{rid}/antwoord", {"antwoord": "2"}, "/ui/werkvoorraad")
    assert r.status_code == 403
    assert ui.client.get("/ui/toewijzingen/nieuw").status_code == 403


def _allocate(ui: Ui, volume: str, **extra: str) -> object:
    form = {
        "aanbieder": "12345678",
        "bsn": CLIENT,
        "product": "45|45A04",
        "ingangsdatum": "2026-07-01",
        "einddatum": "2026-12-31",
        "volume": volume,
        "eenheid": "04",
        "frequentie": "2",
        "achternaam": "Jansen",
        "voorletters": "J",
        "geboortedatum": "2012-03-04",
        "geslacht": "1",
        "straat": "Dam",
        "huisnummer": "1",
        "postcode": "1011AB",
        "plaats": "Amsterdam",
        **extra,
    }
    return ui.post_form("/ui/toewijzingen/nieuw", form)


def test_an_allocation_made_here_honours_the_request(ui: Ui) -> None:
    ui.login("anna")
    rid = _request_id(ui)
    form = ui.client.get(f"/ui/toewijzingen/nieuw?verzoek={rid}").text
    assert 'value="R-UI-1"' in form and f'value="{CLIENT}"' in form  # prefilled
    r = _allocate(ui, "3", verzoek=str(rid), referentie_aanbieder="R-UI-1")
    assert r.status_code == 303, r.text
    detail = ui.client.get(r.headers["location"]).text
    assert "De toewijzing is verstuurd" in detail and "45A04" in detail
    assert "Toegewezen" in ui.client.get(f"/ui/verzoeken/{rid}").text
    found = ui.client.get(f"/ui/toewijzingen?bsn={CLIENT}").text
    results = found[found.index('id="resultaten"') :]
    assert CLIENT not in results and "•" * 6 + CLIENT[-3:] in results  # masked in lists


def test_a_hard_ceiling_refuses_in_words_with_the_figures(ui: Ui) -> None:
    with transaction(session_factory(ui.engine)) as s:
        import_document(s, contract_doc(ceilings=ceiling(5_000)))
    ui.login("anna")
    # 3 hours a week at EUR 87.30 from July to December: about EUR 6,800, over EUR 5,000
    r = _allocate(ui, "3")
    assert r.status_code == 200  # the form again, with the refusal
    text = r.text
    assert "Het harde budgetplafond wordt overschreden" in text
    assert "Plafond ‘Noord totaal’ (2026)" in text and "€ 5.000,00" in text
    assert "Toewijzing maken" not in text and "niet verstuurd" in text
    with session_factory(ui.engine)() as s:
        refused = [e for e in accounts.audit_entries(s, ["0363"]) if e.outcome == "refused"]
    assert refused[0].action == "allocation.create" and refused[0].detail["code"] == "REFUSED"


def test_a_user_of_another_gemeente_sees_none_of_it(ui: Ui) -> None:
    ui.login("anna")
    rid = _request_id(ui)
    _allocate(ui, "3")
    ui.client.cookies.clear()
    ui.login("rotterdam")
    assert "Geen open verzoeken" in ui.client.get("/ui/werkvoorraad").text
    assert "Geen toewijzingen gevonden" in ui.client.get("/ui/toewijzingen").text
    assert ui.client.get(f"/ui/verzoeken/{rid}").status_code == 404
    assert ui.client.get("/ui/toewijzingen/100001").status_code == 404
    assert ui.client.get("/ui/berichten/1").status_code == 404
    assert "nog bij geen regio" in ui.client.get("/ui/contracten").text
    assert "Noord totaal" not in ui.client.get("/ui/plafonds").text
    r = ui.post_form(f"/ui/verzoeken/{rid}/antwoord", {"antwoord": "2"}, "/ui/werkvoorraad")
    assert r.status_code == 404


def test_sign_out_ends_the_session_on_the_server(ui: Ui) -> None:
    ui.login("anna")
    cookie = ui.client.cookies.get("ijw_ui")
    r = ui.post_form("/ui/uitloggen", {}, "/ui/werkvoorraad")
    assert r.status_code == 303
    ui.client.cookies.set("ijw_ui", cookie, domain="testserver", path="/ui")
    assert ui.client.get("/ui/werkvoorraad", follow_redirects=False).status_code == 303


def test_pages_carry_a_strict_content_security_policy(ui: Ui) -> None:
    ui.login("anna")
    for path in PAGES:
        r = ui.client.get(path)
        assert r.status_code == 200, path
        policy = r.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/ui/toewijzingen", "/ui/toewijzingen"),
        ("https://evil.example/ui/", "/ui/werkvoorraad"),
        ("//evil.example/ui/", "/ui/werkvoorraad"),
        ("/ui/\\evil", "/ui/werkvoorraad"),
        (None, "/ui/werkvoorraad"),
    ],
)
def test_after_sign_in_we_only_go_to_our_own_pages(target: str | None, expected: str) -> None:
    assert signin.safe_next(target) == expected


def test_nothing_shipped_refers_to_another_origin() -> None:
    """Templates, styles and scripts name no other host (the SVG namespace is no request)."""
    found = []
    for path in [*TEMPLATES.rglob("*.html"), *STATIC.rglob("*.css"), *STATIC.rglob("*.js")]:
        for url in re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", path.read_text()):
            if "www.w3.org" not in url:
                found.append((path.name, url))
    assert found == []


def test_the_vendored_htmx_is_the_recorded_copy() -> None:
    data = (STATIC / "vendor" / "htmx" / "htmx.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == HTMX_SHA256
    assert "Zero-Clause BSD" in (Path(STATIC) / "vendor" / "htmx" / "LICENSE").read_text()


def test_a_region_administrator_switches_between_member_gemeenten(ui: Ui) -> None:
    with transaction(session_factory(ui.engine)) as s:
        import_document(s, contract_doc(gemeenten=("0363", "0362")))
    ui.add_user("regio", accounts.CONTRACT_MANAGER, gemeente=None, region="TEST")
    ui.login("regio")
    page = ui.client.get("/ui/werkvoorraad").text
    assert '<option value="0362" selected>' in page  # the first member to begin with
    assert "Geen open verzoeken" in page
    r = ui.post_form(
        "/ui/gemeente", {"gemeente": "0363", "next": "/ui/werkvoorraad"}, "/ui/werkvoorraad"
    )
    assert r.status_code == 303
    page = ui.client.get("/ui/werkvoorraad").text
    assert '<option value="0363" selected>' in page and "R-UI-1" in page
    r = ui.post_form("/ui/gemeente", {"gemeente": OTHER_G}, "/ui/werkvoorraad")
    assert r.status_code == 403


def test_berichtenverkeer_lists_what_the_ggk_chain_could_not_deliver(ui: Ui, api) -> None:
    """The GGk hook: a Fo01 from the chain about our JW301 shows on Berichtenverkeer."""
    from app.exchange import parties
    from app.ggk import envelope as e
    from app.ggk import store as ggk_store
    from tests.ggk import support as g

    chain_token = api.add_party("ggk", "GGK")
    with transaction(session_factory(api.engine)) as s:
        ggk_store.set_channel(s, parties.by_code(s, "12345678").id, "ggk")
    ui.login("anna")
    assert "IB210" not in ui.client.get("/ui/berichten").text
    assert _allocate(ui, "3").status_code == 303
    [di01] = g.outbox(api)
    r = ui.client.post(
        "/ggk/OntvangAsynchroon",
        content=g.fo01(di01.referentienummer, "IB210"),
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{e.SOAP_ACTION[e.FO01]}"',
            "Authorization": f"Bearer {chain_token}",
        },
    )
    assert r.status_code == 200, r.text
    page = ui.client.get("/ui/berichten").text
    assert "IB210" in page and "Ontvangende organisatie onbekend" in page


def test_every_allocation_state_has_a_dutch_label() -> None:
    from app.backoffice.service import STATES
    from app.ui import labels

    assert set(STATES) <= set(labels.ALLOCATION_STATES)
