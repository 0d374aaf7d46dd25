"""Demo data for `make run`: months of real traffic between the demo gemeente and two providers,
and demo users to sign in with.

Everything goes through the service itself: the back office sends the JW301s and JW319s, the
providers' JW302, JW305, JW307, JW315 and JW323 are posted to the intake, each on its own day
(the service's clock is moved), so every message is checked, logged and answered as in real
life.  The history runs from five months before today: allocations (some honouring a request),
their JW302s (one rejected, one still missing), starts and stops, monthly declarations (some lines
over the allocated volume or at a wrong tariff) and open requests around their deadlines.
The two hard and soft ceilings are topped up so a large new allocation is refused (hard) or
warned about (soft).  Loading twice changes nothing (the first provider message is the marker).
"""

from __future__ import annotations

import calendar
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.accounts import store as accounts
from app.backoffice.service import Answered, BackOffice, Created, Refusal
from app.budget import ceilings
from app.clock import AMSTERDAM
from app.db.base import transaction
from app.exchange import log, parties
from app.exchange.intake import Intake
from app.exchange.models import Party
from app.flows.allocations.planning import Content, Order
from app.flows.requests import store as requests_store
from app.harness.scenario import forward_message
from app.ijw import model, render, retour, xml
from app.ijw.header import Versions
from app.ijw.volumes import Omvang, period_maximum
from app.reference import deadlines
from app.reference.contracts import (
    ContractBook,
    load_contracts,
    region_gemeenten,
)

GEMEENTE = "0363"
NOORD, ZUID = "12345678", "87654321"
MARKER = "DEMO00000001"  # Identificatie of the first provider message: the demo ran
HISTORY_DAYS = 150
# (categorie, code, eenheid, frequentie, volume): what the demo clients get
PRODUCTS = (
    ("45", "45A04", "04", "2", 3),
    ("45", "45A01", "01", "2", 120),
    ("41", "41A16", "16", "2", 3),
    ("44", "44A14", "14", "2", 7),
    ("45", "45A04", "04", "2", 4),
    ("46", "46A84", "84", "4", 2),
)
SURNAMES = (
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot",
    "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra",
    "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Berg",
    "van Dijk", "Schouten", "Willems", "Hoekstra", "Koster", "Prins", "Kuipers", "Verhoeven",
)  # fmt: skip
DEMO_USERS = (
    ("demo", accounts.CASE_WORKER, GEMEENTE, None, "Demo Behandelaar"),
    ("demo-lezer", accounts.READ_ONLY, GEMEENTE, None, "Demo Lezer"),
    ("demo-contract", accounts.CONTRACT_MANAGER, GEMEENTE, None, "Demo Contractbeheerder"),
    ("demo-regio", accounts.CONTRACT_MANAGER, None, "DEMO-AMS", "Demo Regiobeheerder"),
)


class DemoClock:
    """The service's clock during the demo: today is whatever day the demo is at."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.tick = 0

    def now(self) -> datetime:
        self.tick += 1  # strictly increasing within a day (Toewijzingstijd, ordering)
        start = datetime.combine(self.day, time(8, 0), AMSTERDAM).astimezone(UTC)
        return start + timedelta(seconds=7 * self.tick)

    def today(self) -> date:
        return self.day


@dataclass(frozen=True)
class Parts:
    """What the demo drives: the intake, the back office and sessions on the same database."""

    intake: Intake
    backoffice: BackOffice
    factory: sessionmaker[Session]


class DemoError(RuntimeError):
    """A demo message was refused: the demo data no longer fits the rules."""


def bsn(n: int) -> str:
    """A distinct 11-proof BSN per n (demo clients, from 300000000 on)."""
    value = 300_000_000 + n * 1000
    while True:
        s = f"{value:09d}"
        if (sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])) % 11 == 0:
            return s
        value += 1


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


@dataclass
class Client:
    """One demo client and what happened to its allocation."""

    n: int
    agb: str
    product: tuple[str, str, str, str, int]
    start: date
    end: date
    nummer: int = 0
    jw301_id: int = 0
    accepted: bool = False
    person: dict[str, Any] = field(default_factory=dict)


@dataclass
class Demo:
    """The run: the clock, the parts, counters for unique identifications."""

    parts: Parts
    clock: DemoClock
    today: date
    seq: int = 0
    events: list[tuple[date, int, Callable[[], None]]] = field(default_factory=list)

    def at(self, day: date, action: Callable[[], None]) -> None:
        if day <= self.today:
            self.events.append((day, len(self.events), action))

    def run(self) -> None:
        for day, _, action in sorted(self.events, key=lambda e: (e[0], e[1])):
            self.clock.day = day
            action()
        self.events.clear()
        self.clock.day = self.today

    def ident(self) -> str:
        self.seq += 1
        return f"DEMO{self.seq:08d}"

    def party(self, code: str) -> Party:
        with self.parts.factory() as s:
            party = parties.by_code(s, code)
            assert party is not None, f"demo party {code} is missing"
            s.expunge(party)
            return party

    def post(
        self, sender: str, kind: str, body: dict[str, Any], *, ident: str | None = None
    ) -> int:
        """A provider posts a message on the demo's day; its log id (refusals raise)."""
        data = forward_message(
            kind,
            body,
            sender=sender,
            receiver=GEMEENTE,
            identificatie=ident or self.ident(),
            dagtekening=self.clock.day,
        )
        return self._receive(sender, render.render(kind, data), kind)

    def _receive(self, sender: str, data: bytes, kind: str) -> int:
        answer = self.parts.intake.receive(self.party(sender).id, data)
        with self.parts.factory() as s:
            record = (
                log.message_of(s, self.party(sender), answer.message_id)
                if answer.message_id
                else None
            )
            verdict = record.verdict if record is not None else "?"
        if verdict not in ("accepted", "partially_accepted", "received"):
            raise DemoError(f"demo {kind} from {sender} was {verdict}: {answer.body[:400]!r}")
        assert answer.message_id is not None
        return answer.message_id

    def retour(self, sender: str, original_id: int, codes: list[str] | None = None) -> None:
        """The provider's JW302/JW320 on one of our messages (accepted, or with codes)."""
        with self.parts.factory() as s:
            record = log.message_of(s, self.party(sender), original_id)
            assert record is not None
            raw = record.raw
        info, tree = xml.read(raw)
        forward = model.to_model(tree, info)
        decision = retour.Decision()
        if codes:
            for node in model.walk(forward.root):
                if node.name == "ToegewezenProduct":
                    for code in codes:
                        decision.add_code(node, code)
                    break
        kind = "JW302" if forward.name == "JW301" else "JW320"
        data = retour.build_retour(
            forward, decision, identificatie=self.ident(), today=self.clock.day, versions=Versions()
        )
        self._receive(sender, render.render(kind, data), kind)


def _person(n: int) -> dict[str, Any]:
    rng = random.Random(n)
    return {
        "Geboortedatum": {
            "Datum": date(2008 + rng.randrange(12), 1 + rng.randrange(12), 1 + rng.randrange(28))
        },
        "Geslacht": str(1 + rng.randrange(2)),
        "Naam": {
            "Geslachtsnaam": {"Achternaam": SURNAMES[n % len(SURNAMES)]},
            "Voorletters": "ABCDEFGHJKLMNPRSTW"[n % 18],
        },
    }


def _jw301_client(n: int) -> dict[str, Any]:
    person = _person(n)
    person["Naam"] = {**person["Naam"], "NaamGebruik": "1"}
    return {
        **person,
        "Contactgegevens": {
            "Contact": [
                {
                    "Soort": "01",
                    "Adres": {
                        "Huis": {"Huisnummer": 1 + n},
                        "Postcode": f"10{11 + n % 80:02d}AB",
                        "Straatnaam": "Demostraat",
                        "Plaatsnaam": "Amsterdam",
                        "LandCode": "NL",
                    },
                }
            ]
        },
    }


def load_traffic(parts: Parts, clock: DemoClock, today: date) -> bool:
    """Months of demo traffic up to `today` (False: it was loaded before)."""
    with parts.factory() as s:
        if log.identificatie_used(s, NOORD, "JW315", MARKER):
            return False
    demo = Demo(parts, clock, today)
    start = today - timedelta(days=HISTORY_DAYS)
    gemeente = demo.party(GEMEENTE)
    clients: list[Client] = []
    for n in range(30):
        agb = NOORD if n % 3 != 2 else ZUID
        product = PRODUCTS[n % len(PRODUCTS)]
        begin = start + timedelta(days=4 * n + 3)
        short = n % 6 == 5
        end = begin + timedelta(days=60 if short else 240)
        clients.append(Client(n, agb, product, begin, end))

    # the first provider message is the marker: a request honoured by the first allocation
    first = clients[0]

    def allocate(c: Client, ref: str | None = None) -> Callable[[], None]:
        def act() -> None:
            cat, code, unit, freq, volume = c.product
            result = parts.backoffice.create_allocations(
                gemeente,
                aanbieder=c.agb,
                bsn=bsn(c.n),
                orders=[
                    Order(
                        nummer=None,
                        content=Content(
                            categorie=cat,
                            code=code,
                            ingangsdatum=c.start,
                            einddatum=c.end,
                            volume=volume,
                            eenheid=unit,
                            frequentie=freq,
                        ),
                        referentie_aanbieder=ref,
                    )
                ],
                client=_jw301_client(c.n),
            )
            if isinstance(result, Refusal):
                raise DemoError(f"demo allocation refused: {result.code} {result.details}")
            assert isinstance(result, Created)
            c.jw301_id = result.message_id
            c.nummer = max(a.history.nummer for a in result.allocations)

        return act

    def jw302(c: Client, codes: list[str] | None = None) -> Callable[[], None]:
        def act() -> None:
            demo.retour(c.agb, c.jw301_id, codes)
            c.accepted = not codes

        return act

    def start_care(c: Client) -> Callable[[], None]:
        def act() -> None:
            if not c.accepted:
                return
            cat, code, *_ = c.product
            demo.post(
                c.agb,
                "JW305",
                {
                    "Client": {
                        "Bsn": bsn(c.n),
                        **_person(c.n),
                        "StartProducten": {
                            "StartProduct": [
                                {
                                    "ToewijzingNummer": c.nummer,
                                    "Product": {"Categorie": cat, "Code": code},
                                    "ToewijzingIngangsdatum": c.start,
                                    "Begindatum": c.start + timedelta(days=2),
                                    "StatusAanlevering": "1",
                                }
                            ]
                        },
                    }
                },
            )

        return act

    def stop_care(c: Client, reason: str, on: date) -> Callable[[], None]:
        def act() -> None:
            if not c.accepted:
                return
            cat, code, *_ = c.product
            demo.post(
                c.agb,
                "JW307",
                {
                    "Client": {
                        "Bsn": bsn(c.n),
                        **_person(c.n),
                        "StopProducten": {
                            "StopProduct": [
                                {
                                    "ToewijzingNummer": c.nummer,
                                    "Product": {"Categorie": cat, "Code": code},
                                    "ToewijzingIngangsdatum": c.start,
                                    "Begindatum": c.start + timedelta(days=2),
                                    "StatusAanlevering": "1",
                                    "RedenBeeindiging": reason,
                                    "Einddatum": on,
                                }
                            ]
                        },
                    }
                },
            )

        return act

    demo.at(first.start - timedelta(days=5), _request_action(demo, first, "VOT-DEMO-0001", MARKER))
    for c in clients:
        made = c.start - timedelta(days=3)
        if c.n == len(clients) - 1:  # sent yesterday: the provider's JW302 is still due
            made = today - timedelta(days=1)
        honours = c.n < 4
        if honours and c.n > 0:
            demo.at(made - timedelta(days=2), _request_action(demo, c, f"VOT-DEMO-{c.n + 1:04d}"))
        demo.at(made, allocate(c, f"VOT-DEMO-{c.n + 1:04d}" if honours else None))
        if c.n == 7:
            demo.at(made + timedelta(days=1), jw302(c, ["8001"]))  # rejected by the provider
        elif made < today - timedelta(days=1):
            demo.at(made + timedelta(days=1), jw302(c))
            demo.at(c.start + timedelta(days=3), start_care(c))
        if c.end < today:
            demo.at(c.end + timedelta(days=1), stop_care(c, "31", c.end))
        elif c.n == 9:
            demo.at(today - timedelta(days=6), stop_care(c, "20", today - timedelta(days=7)))
    demo.run()

    # monthly declarations of the months before this one
    with parts.factory() as s:
        # each provider's contract tariffs (regional defaults or its own exceptions)
        books = {agb: load_contracts(s, GEMEENTE, agb) for agb in (NOORD, ZUID)}
    month = date(start.year, start.month, 1)
    numbers = {NOORD: 0, ZUID: 0}
    while month_end(month) < today:
        on = month_end(month) + timedelta(days=5)
        for agb in (NOORD, ZUID):
            demo.at(on, _declaration(demo, agb, month, clients, books[agb], numbers))
        month = month_end(month) + timedelta(days=1)
    demo.run()
    _top_up(demo, gemeente)
    _open_requests(demo, gemeente, today)
    return True


def _declaration(
    demo: Demo,
    agb: str,
    month: date,
    clients: list[Client],
    book: ContractBook,
    numbers: dict[str, int],
) -> Callable[[], None]:
    def act() -> None:
        last = month_end(month)
        per_client: list[dict[str, Any]] = []
        total = 0
        k = 0
        for c in clients:
            if c.agb != agb or not c.accepted or c.start > last or c.end < month:
                continue
            cat, code, unit, freq, volume = c.product
            begin, end = max(month, c.start), min(last, c.end)
            most = period_maximum(Omvang(volume, unit, freq), begin, end, c.start, c.end)
            if most <= 0:
                continue
            row = book.tariff(code, begin)
            if row is None or row.tarief is None:
                continue  # not contracted for this period: nothing to declare
            k += 1
            declared = max(1, most * 4 // 5)
            tariff = row.tarief
            if k == 3:
                declared = most + 2  # more than allocated: TR321 rejects the line
            elif k == 5 and month.month % 2 == 0:
                tariff += 150  # not the contract tariff: TR418 rejects the line
            amount = declared * tariff
            total += amount
            numbers[agb] += 1
            per_client.append(
                {
                    "Bsn": bsn(c.n),
                    "Prestaties": {
                        "Prestatie": [
                            {
                                "ProductReferentie": {
                                    "ReferentieNummer": f"P{agb[:2]}{month:%Y%m}{numbers[agb]:05d}"
                                },
                                "ToewijzingNummer": c.nummer,
                                "ProductCategorie": cat,
                                "ProductCode": code,
                                "ProductPeriode": {"Begindatum": begin, "Einddatum": end},
                                "GeleverdVolume": declared,
                                "Eenheid": unit,
                                "ProductTarief": tariff,
                                "IngediendBedrag": {"Bedrag": amount, "DebetCredit": "D"},
                            }
                        ]
                    },
                }
            )
        if not per_client:
            return
        demo.post(
            agb,
            "JW323",
            {
                "Declaratie": {
                    "DeclaratieNummer": f"D{agb[:3]}{month:%Y%m}",
                    "DeclaratiePeriode": {"Begindatum": month, "Einddatum": last},
                    "DeclaratieDagtekening": demo.clock.day,
                    "TotaalIngediendBedrag": {"TotaalBedrag": total, "DebetCredit": "D"},
                    "Clienten": {"Client": per_client},
                }
            },
        )

    return act


def _top_up(demo: Demo, gemeente: Party) -> None:
    """A budget allocation per provider that brings its ceiling to 85 % (hard) or 97 % (soft),
    so one more large allocation is refused or warned about."""
    today = demo.today
    end = date(today.year, 12, 31)
    with demo.parts.factory() as s:
        figures = {st.name: st for st in ceilings.statuses(s, GEMEENTE, today.year, today)}
    for n, (agb, name, share) in enumerate(
        ((NOORD, "Noord totaal", 85), (ZUID, "Zuid bestedingsruimte", 97)), start=100
    ):
        st = figures.get(name)
        if st is None:
            continue
        gap = st.amount * share // 100 - st.usage
        if gap <= 0:
            continue
        result = demo.parts.backoffice.create_allocations(
            gemeente,
            aanbieder=agb,
            bsn=bsn(n),
            orders=[
                Order(
                    nummer=None,
                    content=Content(
                        categorie="55", code=None, ingangsdatum=today, einddatum=end, budget=gap
                    ),
                    commentaar="Landelijk ingekochte zorg (demo)",
                )
            ],
            client=_jw301_client(n),
        )
        if isinstance(result, Refusal):
            raise DemoError(f"demo top-up refused: {result.code} {result.details}")


def _open_requests(demo: Demo, gemeente: Party, today: date) -> None:
    """Requests in the queue: overdue, soon due, fresh, one in onderzoek, one rejected."""
    back = [9, 7, 5, 4, 3, 2, 1, 0, 0]
    for k, days_back in enumerate(back):
        n = 200 + k
        agb = NOORD if k % 2 == 0 else ZUID
        cat, code, unit, freq, volume = PRODUCTS[k % len(PRODUCTS)]
        received = _working_days_before(today, days_back)
        begin = received + timedelta(days=14)
        c = Client(n, agb, (cat, code, unit, freq, volume), begin, begin + timedelta(days=180))
        demo.at(received, _request_action(demo, c, f"VOT-DEMO-{n:04d}"))
    investigated = Client(220, NOORD, PRODUCTS[3], today, today + timedelta(days=200))
    demo.at(today - timedelta(days=20), _request_action(demo, investigated, "VOT-DEMO-0220"))
    rejected = Client(221, ZUID, PRODUCTS[0], today, today + timedelta(days=90))
    demo.at(today - timedelta(days=30), _request_action(demo, rejected, "VOT-DEMO-0221"))
    demo.run()
    with demo.parts.factory() as s:
        from_log = {
            r.referentie: r.id
            for r in requests_store.requests_of(s, GEMEENTE)
            if r.referentie in ("VOT-DEMO-0220", "VOT-DEMO-0221")
        }
    for ref, answer, reason, back_days in (
        ("VOT-DEMO-0220", "2", None, 18),
        ("VOT-DEMO-0221", "1", "3", 27),
    ):
        request_id = from_log.get(ref)
        if request_id is None:
            continue

        def act(
            request_id: int = request_id, answer: str = answer, reason: str | None = reason
        ) -> None:
            result = demo.parts.backoffice.answer_request(
                gemeente,
                request_id,
                verzoek_antwoord=answer,
                reden_afwijzing=reason,
                woonplaatsbeginsel=None,
            )
            if not isinstance(result, Answered):
                raise DemoError(f"demo answer refused: {result}")
            demo.retour(result.request.aanbieder, result.message_id)  # the provider's JW320

        demo.at(today - timedelta(days=back_days), act)
    demo.run()


def _request_action(
    demo: Demo, c: Client, ref: str, ident: str | None = None
) -> Callable[[], None]:
    def act() -> None:
        cat, code, unit, freq, volume = c.product
        demo.post(
            c.agb,
            "JW315",
            {
                "Client": {
                    "Bsn": bsn(c.n),
                    **_person(c.n),
                    "AangevraagdeProducten": {
                        "AangevraagdProduct": [
                            {
                                "ReferentieAanbieder": ref,
                                "Product": {"Categorie": cat, "Code": code},
                                "ToewijzingIngangsdatum": c.start,
                                "ToewijzingEinddatum": c.end,
                                "Omvang": {"Volume": volume, "Eenheid": unit, "Frequentie": freq},
                                "Verwijzer": {"Type": "02", "ZorgverlenerCode": "01234567"},
                            }
                        ]
                    },
                }
            },
            ident=ident,
        )

    return act


def _working_days_before(day: date, n: int) -> date:
    while n > 0:
        day -= timedelta(days=1)
        if deadlines.is_working_day(day):
            n -= 1
    return day


def load_users(factory: sessionmaker[Session], now: datetime, password: str | None = None) -> str:
    """The demo users, all with one fresh password (returned); made when missing."""
    password = password or secrets.token_urlsafe(12)
    with transaction(factory) as s:
        for username, role, gemeente, region, name in DEMO_USERS:
            if region is not None and region_gemeenten(s, region) is None:
                continue
            user = accounts.user_by_name(s, username)
            if user is None:
                accounts.add_user(
                    s,
                    username=username,
                    password=password,
                    role=role,
                    gemeente=gemeente,
                    region=region,
                    display_name=name,
                    now=now,
                )
            else:
                accounts.set_password(s, user, password)
                accounts.set_active(s, user, True)
    return password
