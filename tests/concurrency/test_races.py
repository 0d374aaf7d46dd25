"""Many processes, one truth (issue 10): requests raced for real against several `ijw serve`
processes on one PostgreSQL database - two instances and one instance with two workers, as
several machines behind a load balancer would run them.

Every test fires its requests at once (threads released together), spread over the processes,
and then checks the invariants in the database and the feeds: no number handed out twice, no
ceiling over-booked, exactly one effect per message, no 5xx.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from app.clock import SystemClock
from app.db.base import make_engine, session_factory, transaction
from app.db.migrate import upgrade
from app.exchange.models import MessageRecord
from app.exchange.parties import add_party
from app.flows.allocations.models import AllocationRow, AllocationVersionRow
from app.flows.declarations.models import Declaration, PrestatieLine
from app.flows.requests.models import RequestRow
from app.ijw.catalogue import Role
from app.ijw.render import render
from app.reference.contracts import import_document
from testkit import messages as m
from testkit.messages import BACKOFFICE_CLIENT, bsn
from tests.concurrency.live import Client, Server, at_once, postgres_database, start_all
from tests.money.support import Decl, P

pytestmark = pytest.mark.postgres

TODAY = date(2026, 6, 15)
G0, G1, G2 = "0363", "0518", "0599"  # G1 and G2 form a region with pooled ceilings
P1, P2, P3, P4 = "12345678", "22222222", "33333333", "44444444"
BUDGET = 100_000  # cents per allocation
HARD = 250_000  # cents: two allocations fit, a third (or two changes to 1400) does not
POOL = 150_000  # cents: the pooled ceiling holds one allocation

CONTRACTS = {
    "format": "ijw-contracts/1",
    "regions": [
        {
            "code": "RACE",
            "name": "Race region",
            "gemeenten": [G1, G2],
            "products": [
                {"categorie": "45", "code": "45A04", "eenheid": "04", "valid_from": "2020-01-01"}
            ],
            "contracts": [
                {
                    "aanbieder": agb,
                    "code": "45A04",
                    "variant": "inspanning",
                    "tariffs": [{"eenheid": "04", "tarief": 8730, "valid_from": "2020-01-01"}],
                }
                for agb in (P2, P3, P4)
            ],
            "ceilings": [
                {"name": "P2 hard", "year": 2026, "amount": HARD, "hard": True, "aanbieders": [P2]},
                {
                    "name": "Pool",
                    "year": 2026,
                    "amount": POOL,
                    "hard": True,
                    "aanbieders": [P3, P4],
                },
            ],
        }
    ],
}


@dataclass
class Cluster:
    servers: list[Server]
    tokens: dict[str, str]
    engine: Engine

    def client(self, i: int, code: str) -> Client:
        """Party `code` talking to the i-th process (round robin)."""
        return Client(self.servers[i % len(self.servers)], self.tokens[code])

    def scalar(self, query: Any) -> Any:
        with session_factory(self.engine)() as s:
            return s.scalar(query)

    def rows(self, query: Any) -> list[Any]:
        with session_factory(self.engine)() as s:
            return list(s.execute(query).all())


@pytest.fixture(scope="module")
def cluster():
    url = postgres_database("race")
    upgrade(url)
    engine = make_engine(url)
    tokens: dict[str, str] = {}
    with transaction(session_factory(engine)) as s:
        for role, codes in ((Role.GEMEENTE, (G0, G1, G2)), (Role.AANBIEDER, (P1, P2, P3, P4))):
            for code in codes:
                tokens[code] = add_party(s, role, code, "race", SystemClock())[1]
        import_document(s, CONTRACTS)
    servers = start_all([Server(url, TODAY), Server(url, TODAY), Server(url, TODAY, workers=2)])
    try:
        yield Cluster(servers, tokens, engine)
    finally:
        for server in servers:
            server.stop()
        engine.dispose()


def _new_allocation(agb: str, client_bsn: str, **content: Any) -> dict[str, Any]:
    return {
        "aanbieder": agb,
        "bsn": client_bsn,
        "client": BACKOFFICE_CLIENT,
        "toewijzingen": [
            {
                "product": {"categorie": "45"},
                "ingangsdatum": "2026-01-01",
                "einddatum": "2026-12-31",
                "budget": BUDGET,
                **content,
            }
        ],
    }


def _create(client: Client, body: dict[str, Any]) -> Any:
    return lambda: client.post_json("/v1/backoffice/toewijzingen", body)


def _no_server_errors(responses: list[Any]) -> None:
    assert [r.status_code for r in responses if r.status_code >= 500] == []


# --------------------------------------------------------------------------- numbers (defects 2, 5)


def test_parallel_creates_never_plan_the_same_number(cluster):
    # 24 creates for distinct new clients (defect 5: some were refused with 9332 once the TR332
    # retries ran out) and, for 4 of those clients, the same create a second time (defect 2:
    # two processes gave both the same ToewijzingNummer and stored the second JW301 as a version
    # of the first).  The same allocation twice is one allocation: the later of each pair
    # carries the earlier (OP087) and is refused for the overlap (TR302).
    clients = [bsn(1000 + i) for i in range(24)]
    bodies = [_new_allocation(P1, b) for b in clients] + [
        _new_allocation(P1, b) for b in clients[:4]
    ]
    results = at_once([_create(cluster.client(i, G0), b) for i, b in enumerate(bodies)])
    _no_server_errors(results)
    for i in range(4):
        pair = sorted((results[i], results[24 + i]), key=lambda r: r.status_code)
        assert [r.status_code for r in pair] == [201, 422], [r.text[:300] for r in pair]
        assert [d["rule"] for d in pair[1].json()["errors"]] == ["TR302"]
    assert all(r.status_code == 201 for r in results[4:24]), [r.text[:300] for r in results]
    sent = [r.json()["message_id"] for r in results if r.status_code == 201]
    assert len(sent) == 24
    # every create made its own allocation: the first version of each number is its own JW301
    first = cluster.rows(
        select(AllocationRow.nummer, func.min(AllocationVersionRow.message_id))
        .join(AllocationVersionRow, AllocationVersionRow.allocation_id == AllocationRow.id)
        .where(AllocationRow.gemeente == G0, AllocationRow.bsn.in_(clients))
        .group_by(AllocationRow.nummer)
    )
    assert sorted(mid for _, mid in first) == sorted(sent)
    # ... and reached the provider exactly once
    feed = Counter(i["message_id"] for i in cluster.client(0, P1).feed())
    assert all(feed[mid] == 1 for mid in sent)


# --------------------------------------------------------------------------- ceilings (defect 3)


def _usage(cluster: Cluster, name: str) -> int:
    r = cluster.client(0, G1).get("/v1/ceilings", year=2026)
    assert r.status_code == 200, r.text
    return next(c["usage"] for c in r.json()["items"] if c["name"] == name)


def test_changes_under_a_hard_ceiling_are_never_both_booked(cluster):
    # Two allocations of 1000 euro under a hard ceiling of 2500; both changed to 1400 at once in
    # two processes: once both were accepted (usage 2799.86, "exceeded").
    made = []
    for i in range(2):
        r = cluster.client(i, G1).post_json(
            "/v1/backoffice/toewijzingen", _new_allocation(P2, bsn(2000 + i))
        )
        assert r.status_code == 201, r.text
        made.append((bsn(2000 + i), r.json()["toewijzingen"][0]["toewijzingnummer"]))
    changes = [
        _create(
            cluster.client(i, G1),
            {
                "aanbieder": P2,
                "bsn": b,
                "toewijzingen": [{"toewijzingnummer": n, "budget": 140_000}],
            },
        )
        for i, (b, n) in enumerate(made)
    ]
    results = at_once(changes)
    _no_server_errors(results)
    assert sorted(r.status_code for r in results) == [201, 422], [r.text[:300] for r in results]
    refused = next(r for r in results if r.status_code == 422).json()
    assert refused["errors"][0]["code"] == "CEILING_EXCEEDED"
    assert _usage(cluster, "P2 hard") <= HARD


def test_a_pooled_ceiling_is_not_over_booked_by_two_gemeenten(cluster):
    # The ceiling pools two gemeenten and two providers: a create from G1 at P3 and one from
    # G2 at P4 take disjoint party locks, so the check must serialise on the region itself.
    bodies = [
        (G1, _new_allocation(P3, bsn(3000 + i)))
        if i % 2
        else (G2, _new_allocation(P4, bsn(3000 + i)))
        for i in range(4)
    ]
    results = at_once([_create(cluster.client(i, g), b) for i, (g, b) in enumerate(bodies)])
    _no_server_errors(results)
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 422, 422, 422], [r.text[:300] for r in results]
    assert _usage(cluster, "Pool") <= POOL


# --------------------------------------------------------------------------- one effect per message


def _jw315(ident: str, client_bsn: str, ref: str) -> bytes:
    data = m.jw315()
    data["Header"] = m.header_for("JW315", P1, G0, ident, date(2026, 6, 10))
    data["Client"]["Bsn"] = client_bsn
    products = data["Client"]["AangevraagdeProducten"]["AangevraagdProduct"]
    for i, product in enumerate(products):
        product["ReferentieAanbieder"] = f"{ref}-{i}"
    return render("JW315", data)


def test_identical_resends_at_once_have_one_effect_and_one_answer(cluster):
    body = _jw315("RESEND1", bsn(4000), "RS1")
    results = at_once([lambda i=i: cluster.client(i, P1).post_xml(body) for i in range(6)])
    assert [r.status_code for r in results] == [200] * 6
    assert len({r.content for r in results}) == 1  # the stored answer, byte for byte
    assert [r.headers.get("X-Resend") for r in results].count(None) == 1
    refs = cluster.rows(select(RequestRow.id).where(RequestRow.referentie.like("RS1-%")))
    assert len(refs) == 2  # the message's two products, stored once
    digests = cluster.scalar(
        select(func.count()).where(
            MessageRecord.identificatie == "RESEND1", MessageRecord.direction == "in"
        )
    )
    assert digests == 1


def test_one_identificatie_with_different_contents_is_received_once(cluster):
    bodies = [_jw315("SAMEID", bsn(4100 + i), f"SI{i}") for i in range(6)]
    results = at_once([lambda i=i: cluster.client(i, P1).post_xml(bodies[i]) for i in range(6)])
    assert [r.status_code for r in results] == [200] * 6
    rejected = [r for r in results if b"RetourCode>9056</" in r.content]
    assert len(rejected) == 5, [r.content[:400] for r in results]
    stored = cluster.rows(select(RequestRow.referentie).where(RequestRow.referentie.like("SI%")))
    assert len(stored) == 2  # the accepted message's two products only


# --------------------------------------------------------------------------- declarations


def test_parallel_declarations_never_book_more_than_the_allocation(cluster):
    # Two allocations: A has 10 hours in total (frequency 6, TR322), B a Budget of 1000 euro
    # (aspecific, TR369).  Five declarations, each declaring 4 hours / 400 euro on both (in a
    # month of its own, so TR389 does not separate them), sent at once: two fit on each.
    a, b = bsn(5000), bsn(5001)
    made = []
    for body in (
        _new_allocation(
            P1,
            a,
            product={"categorie": "45", "code": "45A04"},
            budget=None,
            omvang={"volume": 10, "eenheid": "04", "frequentie": "6"},
        ),
        _new_allocation(P1, b),
    ):
        r = cluster.client(0, G0).post_json("/v1/backoffice/toewijzingen", body)
        assert r.status_code == 201, r.text
        made.append(r.json()["toewijzingen"][0]["toewijzingnummer"])
    n_volume, n_budget = made
    decls = []
    for k in range(1, 6):
        begin = date(2026, k, 1)
        end = date(2026, k + 1, 1) - timedelta(days=1)
        decl = Decl(f"DECL{k}", f"RACE{k}", date(2026, 5, 1), agb=P1, gemeente=G0)
        decl.add(a, P(f"RV{k}", n_volume, begin, end, 4, tarief=10_000))
        decl.add(b, P(f"RB{k}", n_budget, begin, end, 4, tarief=10_000))
        decls.append(decl.xml())
    results = at_once([lambda k=k: cluster.client(k, P1).post_xml(decls[k]) for k in range(5)])
    assert [r.status_code for r in results] == [200] * 5, [r.text[:300] for r in results]
    for nummer, rule_total in ((n_volume, 8), (n_budget, 80_000)):
        total, lines = cluster.rows(
            select(
                func.sum(PrestatieLine.volume if nummer == n_volume else PrestatieLine.bedrag),
                func.count(),
            ).where(
                PrestatieLine.toewijzingnummer == nummer,
                PrestatieLine.gemeente == G0,
                PrestatieLine.status == "approved",
            )
        )[0]
        assert (total, lines) == (rule_total, 2)
    # exactly one declaration with both its lines per message
    per_message = cluster.rows(
        select(Declaration.nummer, func.count(PrestatieLine.id))
        .join(PrestatieLine, PrestatieLine.declaration_id == Declaration.id)
        .where(Declaration.nummer.like("RACE%"))
        .group_by(Declaration.nummer)
    )
    assert sorted(per_message) == [(f"RACE{k}", 2) for k in range(1, 6)]
