"""The web interface in a real browser: Debian's headless Chromium driven by Playwright, on a
live server (its own port on 127.0.0.1) with the demo data `make run` loads.

A case worker signs in with the keyboard, walks every page, answers a request, honours another
with an allocation, is refused by a hard ceiling (in words, with the figures), reads a
declaration's lines with the rules that decided them, opens the ceiling charts and downloads
the CSVs; no console error, no request to another origin, every form control labelled and all
text in AA contrast.  A user of another gemeente sees none of it.

With IJW_UI_SCREENSHOTS=1 the walk writes the screenshots of the main pages to docs/ (CI leaves
it unset, so the tree stays clean).
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app.accounts import store as accounts
from app.bootstrap import create_app, main
from app.clock import SystemClock
from app.config import Settings
from app.db.base import make_engine, session_factory, transaction
from app.exchange import parties
from app.ijw.catalogue import Role
from app.ui.demo import bsn

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TODAY = "2026-06-15"
PASSWORD = "demo-wachtwoord-voor-de-test"
DOCS = Path(__file__).resolve().parents[2] / "docs"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests need Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")

# Labels, chart titles, language, one h1 and AA contrast of all text (see the file).
A11Y_CHECK = (Path(__file__).with_name("a11y_check.js")).read_text()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on its own port with the demo data, and a user of another gemeente."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ui') / 'demo.sqlite'}"
    settings = Settings(database_url=url, fixed_today=TODAY)
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(printed):
        env.setenv("IJW_TODAY", TODAY)
        env.setenv("IJW_DEMO_PASSWORD", PASSWORD)
        env.setenv("IJW_DATABASE_URL", url)  # `ijw demo` sets it; restored afterwards
        assert main(["demo", "--database-url", url]) == 0  # what `make run` does
    # `make run` tells where the web interface is and who to sign in as
    assert "web interface: http://127.0.0.1:8000/ui/" in printed.getvalue()
    assert f"password for every demo user (new on every run): {PASSWORD}" in printed.getvalue()
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        parties.add_party(s, Role.GEMEENTE, "0599", "Gemeente Rotterdam", SystemClock())
        accounts.add_user(
            s,
            username="rotterdam",
            password=PASSWORD,
            role=accounts.CASE_WORKER,
            gemeente="0599",
            now=SystemClock().now(),
        )
    engine.dispose()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), log_level="warning", log_config=None)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


class Watch:
    """What a page did: console errors, script errors, every URL it requested."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.urls: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.urls.append(r.url))

    def assert_clean(self, base: str) -> None:
        assert self.errors == []
        foreign = [u for u in self.urls if not u.startswith(base + "/")]
        assert foreign == [], "requests to another origin"


def _page(browser: Any) -> tuple[Any, Any]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="nl-NL"
    )
    page = context.new_page()
    return context, page


def _sign_in_with_the_keyboard(page: Any, base: str, username: str) -> None:
    page.goto(base + "/ui/")
    assert page.url.startswith(base + "/ui/inloggen")
    assert page.evaluate("document.activeElement.id") == "gebruikersnaam"  # autofocus
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/ui/werkvoorraad")
    page.keyboard.press("Tab")  # on every page the first stop is the skip link ...
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")  # ... which takes the keyboard past the menu
    assert page.evaluate("location.hash") == "#inhoud"


def _check(page: Any) -> None:
    assert page.evaluate(A11Y_CHECK) == []


def _shot(page: Any, name: str) -> None:
    if os.environ.get("IJW_UI_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / f"ui-{name}.png"))


NAV = [
    ("Werkvoorraad", "Werkvoorraad", "werkvoorraad"),
    ("Toewijzingen", "Toewijzingen", "toewijzingen"),
    ("Declaraties", "Declaraties", "declaraties"),
    ("Plafonds en uitputting", "Plafonds en uitputting 2026", "plafonds"),
    ("Berichtenverkeer", "Berichtenverkeer", "berichten"),
    ("Contracten", "Contracten", "contracten"),
    ("Logboek", "Logboek", None),
]


def test_a_case_worker_works_through_the_day(live: str, browser: Any) -> None:
    context, page = _page(browser)
    watch = Watch(page)
    _sign_in_with_the_keyboard(page, live, "demo")

    # every page, through the menu
    for link, heading, shot in NAV:
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name=link).click()
        assert page.locator("h1").inner_text() == heading
        _check(page)
        if shot:
            _shot(page, shot)

    # answer a request: reject the most overdue one
    page.goto(live + "/ui/werkvoorraad")
    late = page.locator("tr.te-laat a").first
    late.click()
    page.select_option("#reden", "7")
    page.get_by_role("button", name="Verzoek afwijzen").click()
    assert "Het verzoek is afgewezen" in page.locator(".notice.ok").inner_text()
    _check(page)

    # honour the next one: the form comes filled in with what the provider asked
    page.goto(live + "/ui/werkvoorraad")
    page.locator("#resultaten tbody tr a").first.click()
    _shot(page, "verzoek")
    page.get_by_role("link", name="Toewijzing maken").click()
    assert page.input_value("#f-bsn") and page.input_value("#f-ingangsdatum")
    _check(page)
    page.fill("#f-straat", "Dam")
    page.fill("#f-huisnummer", "1")
    page.fill("#f-postcode", "1012JS")
    page.fill("#f-plaats", "Amsterdam")
    page.get_by_role("button", name="Toewijzing versturen").click()
    page.wait_for_url("**/ui/toewijzingen/*")
    assert "De toewijzing is verstuurd" in page.locator("main").inner_text()
    _shot(page, "toewijzing")

    # a large allocation at Noord is refused by its hard ceiling, in words and euros
    page.goto(live + "/ui/toewijzingen/nieuw")
    page.fill("#f-bsn", bsn(500))
    page.fill("#f-aanbieder", "12345678")
    page.select_option("#f-product", "43|43A14")
    page.fill("#f-ingangsdatum", "2026-07-01")
    page.fill("#f-einddatum", "2026-12-31")
    page.fill("#f-volume", "7")
    page.select_option("#f-eenheid", "14")
    page.select_option("#f-frequentie", "2")
    for field, value in (
        ("achternaam", "Visser"),
        ("voorletters", "A"),
        ("geboortedatum", "2012-03-04"),
        ("straat", "Dam"),
        ("huisnummer", "2"),
        ("postcode", "1012JS"),
        ("plaats", "Amsterdam"),
    ):
        page.fill(f"#f-{field}", value)
    page.select_option("#f-geslacht", "2")
    page.get_by_role("button", name="Toewijzing versturen").click()
    alert = page.get_by_role("alert").first
    text = alert.inner_text()
    assert "Het harde budgetplafond wordt overschreden" in text
    assert "Noord totaal" in text and "te veel" in text
    assert page.evaluate("document.activeElement.id") == "error-melding"  # read first
    _check(page)
    _shot(page, "plafond-geweigerd")

    # a declaration's lines with the decision and the rule that decided, in words
    page.goto(live + "/ui/declaraties")
    page.locator("#resultaten tbody a").first.click()
    assert "tellen op tot het toegekende bedrag" in page.locator("main").inner_text()
    page.get_by_role("link", name="Afgekeurd (").click()
    reasons = page.locator("table.lines tbody").inner_text()
    assert "TR321" in reasons or "TR418" in reasons
    assert (
        "GeleverdVolume within the maximum" in reasons
        or "ProductTarief equals the contract tariff" in reasons
    )
    _check(page)
    _shot(page, "declaratie")

    # the ceiling charts, and the CSV beside every table
    page.goto(live + "/ui/plafonds")
    charts = page.locator("svg.chart[role=img]")
    assert charts.count() >= 5
    assert "Noord totaal" in charts.first.locator("title").text_content()
    for name in ("CSV: Plafonds", "CSV: Per aanbieder", "CSV: Per productcategorie"):
        with page.expect_download() as download:
            page.get_by_role("link", name=name).click()
        data = Path(download.value.path()).read_bytes().decode("utf-8-sig")
        header, first = data.splitlines()[:2]
        assert ";" in header and first.strip()
    assert data.splitlines()[0].startswith("Categorie;Vastgelegd (€)")

    # a message with its XML
    page.goto(live + "/ui/berichten")
    page.locator("#resultaten tbody a").first.click()
    assert page.locator("pre.xml").inner_text().startswith("<?xml")

    watch.assert_clean(live)
    context.close()


def test_a_contract_manager_previews_an_import_before_it_changes_anything(
    live: str, browser: Any
) -> None:
    context, page = _page(browser)
    watch = Watch(page)
    _sign_in_with_the_keyboard(page, live, "demo-contract")
    page.goto(live + "/ui/contracten")
    with page.expect_download() as download:
        page.get_by_role("link", name="Contractdocument downloaden (JSON)").click()
    document = Path(download.value.path()).read_text()
    changed = document.replace('"tarief": 8730', '"tarief": 8990', 1)
    assert changed != document
    page.fill("#document", changed)
    page.get_by_role("button", name="Voorbeeld tonen").click()
    preview = page.locator("section.preview").inner_text()
    assert "1 wijziging " in preview and "8730 → 8990" in preview
    assert "€ 87,30" in page.locator("main").inner_text()  # nothing imported yet
    _check(page)
    page.get_by_role("button", name="Import bevestigen").click()
    assert "Geïmporteerd" in page.get_by_role("status").first.inner_text()
    assert "€ 89,90" in page.locator("main").inner_text()
    watch.assert_clean(live)
    context.close()


def test_a_user_of_another_gemeente_sees_none_of_it(live: str, browser: Any) -> None:
    context, page = _page(browser)
    watch = Watch(page)
    _sign_in_with_the_keyboard(page, live, "rotterdam")
    main = page.locator("main")
    assert "Geen open verzoeken" in main.inner_text()
    page.goto(live + "/ui/toewijzingen")
    assert "Geen toewijzingen gevonden" in main.inner_text()
    page.goto(live + "/ui/declaraties")
    assert "Geen declaraties gevonden" in main.inner_text()
    page.goto(live + "/ui/plafonds")
    assert "Er zijn geen plafonds" in main.inner_text()
    page.goto(live + "/ui/berichten")
    assert "Geen berichten" in main.inner_text()
    for path in ("/ui/toewijzingen/100001", "/ui/declaraties/1", "/ui/berichten/1"):
        response = page.goto(live + path)
        assert response.status == 404 and page.locator("h1").inner_text() == "Niet gevonden"
    assert date.fromisoformat(TODAY)  # the demo's today, pinned
    watch.errors = [e for e in watch.errors if "404" not in e]  # the 404s above are expected
    watch.assert_clean(live)
    context.close()


def test_the_page_check_finds_what_is_wrong(browser: Any) -> None:
    """The accessibility check above is real: a bad page fails it on every count."""
    context, page = _page(browser)
    page.set_content(
        '<html lang="en"><body><p style="color:#999">pale</p><input name="q">'
        '<svg class="chart"></svg></body></html>'
    )
    problems = page.evaluate(A11Y_CHECK)
    assert "page language is not nl" in problems and "not exactly one h1" in problems
    assert "control without a label: q" in problems
    assert "chart without role=img and a title" in problems
    assert any(p.startswith("2.85 contrast") for p in problems)
    context.close()
