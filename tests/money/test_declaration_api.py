"""JW323 -> JW325 through POST /v1/berichten: spec §6 S11-S14 and the declaration-level rules."""

from __future__ import annotations

from datetime import date

from app.ijw.volumes import month_end
from testkit.messages import bsn
from tests.money.support import AGB, Answer325, Decl, P, load_contracts, parties, post_325
from tests.money.support import seed_allocation as alloc

A, B = bsn(1), bsn(3)
MAY = date(2026, 5, 1)


def may(ref: str, nummer: int = 1001, volume: int = 12, **kw) -> P:
    return P(ref, nummer, date(2026, 5, 1), date(2026, 5, 31), volume, **kw)


def test_s11_all_approved_8001_and_totals(api):
    _, provider, _ = parties(api)
    alloc(api.engine, 1001, bsn=A)
    load_contracts(api.engine)
    decl = Decl("D1", "N1", MAY).add(
        A, may("R1"), P("R2", 1001, date(2026, 4, 1), date(2026, 4, 30), 10)
    )
    ans = post_325(api, provider, decl)
    assert ans.header == ["0200"] and ans.declaration == ["8001"]
    assert ans.toegekend == (12 + 10) * 8730 and ans.prestaties == {}
    assert ans.identificatie_declaratie == "D1"  # DeclaratieIdentificatie links the 323 (TR337)


def test_s12_partly_rejected_tr321_and_tr338(api):
    _, provider, _ = parties(api)
    alloc(api.engine, 1001, bsn=A)  # 3 h per week: May 2026 touches 5 ISO weeks -> 15 h
    alloc(api.engine, 1002, bsn=B)
    load_contracts(api.engine)
    decl = (
        Decl("D1", "N1", MAY)
        .add(A, may("RA1", volume=16), P("RA2", 1001, date(2026, 4, 1), date(2026, 4, 30), 10))
        .add(B, may("RB1", 1002, volume=15), may("RB2", 9999, volume=2))
    )
    ans = post_325(api, provider, decl)
    assert ans.header == ["0200"] and ans.declaration == ["0200"]
    assert ans.prestaties == {"RA1": ["9321"], "RB2": ["9338"]}
    assert ans.clients == {A: ["0200"], B: ["0200"]}
    assert ans.toegekend == (10 + 15) * 8730


def test_s13_tr333_duplicate_declaratienummer_books_nothing(api):
    _, provider, _ = parties(api)
    alloc(api.engine, 1001, bsn=A)
    assert post_325(api, provider, Decl("D1", "N1", MAY).add(A, may("R1"))).declaration == ["8001"]
    ans = post_325(
        api,
        provider,
        Decl("D2", "N1", MAY).add(A, P("R2", 1001, date(2026, 4, 1), date(2026, 4, 30), 3)),
    )
    assert ans.declaration == ["9333"] and ans.toegekend == 0 and ans.prestaties == {}
    # nothing was booked: R2 (April) can be declared again under a new number
    ans = post_325(
        api,
        provider,
        Decl("D3", "N2", MAY).add(A, P("R2", 1001, date(2026, 4, 1), date(2026, 4, 30), 3)),
    )
    assert ans.declaration == ["8001"]


def test_tr318_period_before_latest_accepted_is_8214_same_period_allowed(api):
    _, provider, _ = parties(api)
    alloc(api.engine, 1001, bsn=A)
    assert post_325(api, provider, Decl("D1", "N1", MAY).add(A, may("R1"))).declaration == ["8001"]
    april = P("R2", 1001, date(2026, 4, 1), date(2026, 4, 30), 3)
    ans = post_325(api, provider, Decl("D2", "N2", date(2026, 4, 1)).add(A, april))
    assert ans.declaration == ["8214"] and ans.toegekend == 0
    # a repeat of the latest period is allowed (OP284), with the same April prestatie
    assert post_325(api, provider, Decl("D3", "N3", MAY).add(A, april)).declaration == ["8001"]


def test_s14_credit_and_redeclare(api):
    _, provider, _ = parties(api)
    alloc(api.engine, 1001, bsn=A)
    april = dict(nummer=1001, begin=date(2026, 4, 1), end=date(2026, 4, 30))
    rn10 = P("RN10", volume=10, **april)
    assert post_325(api, provider, Decl("D1", "N1", date(2026, 4, 1)).add(A, rn10)).declaration == [
        "8001"
    ]
    # the corrected debet first in the document, the credit after it: credits are processed first
    decl = Decl("D2", "N2", MAY).add(
        A, P("RN12", volume=8, **april), P("RN11", volume=10, credit_of="RN10", **april)
    )
    ans = post_325(api, provider, decl)
    assert ans.declaration == ["8001"] and ans.toegekend == (8 - 10) * 8730


def test_s14_negative_variants(api):
    _, provider, _ = parties(api)
    alloc(api.engine, 1001, bsn=A)
    alloc(api.engine, 1002, bsn=A)
    april = dict(nummer=1001, begin=date(2026, 4, 1), end=date(2026, 4, 30))
    post_325(
        api, provider, Decl("D1", "N1", date(2026, 4, 1)).add(A, P("RN10", volume=10, **april))
    )
    ans = post_325(
        api,
        provider,
        Decl("D2", "N2", MAY).add(
            A,
            P("RN12", volume=8, **april),  # TR389: RN10 not credited
            P("RN11", 1001, date(2026, 5, 1), date(2026, 5, 31), 1),
            P("RN13", volume=10, credit_of="NOPE", **april),  # TR323: unknown debet
            P("RN14", volume=9, credit_of="RN10", **april),  # TR323: not identical to RN10
        ),
    )
    assert ans.prestaties == {
        "RN12": ["9389"],
        "RN13": ["8017"],
        "RN14": ["8017"],
    }
    # TR314: a number used before (approved or rejected) cannot be used again
    ans = post_325(
        api,
        provider,
        Decl("D2b", "N2b", MAY).add(A, P("RN10", 1002, date(2026, 5, 1), date(2026, 5, 31), 1)),
    )
    assert ans.prestaties == {"RN10": ["8021"]}
    assert post_325(
        api, provider, Decl("D3", "N3", MAY).add(A, P("RN15", volume=10, credit_of="RN10", **april))
    ).declaration == ["8001"]
    ans = post_325(
        api, provider, Decl("D4", "N4", MAY).add(A, P("RN16", volume=10, credit_of="RN10", **april))
    )
    assert ans.prestaties == {"RN16": ["9390"]}  # TR390: credited twice
    # crediting a rejected prestatie: RN12 was rejected (9389) -> 8017
    ans = post_325(
        api, provider, Decl("D5", "N5", MAY).add(A, P("RN17", volume=8, credit_of="RN12", **april))
    )
    assert ans.prestaties == {"RN17": ["8017"]}


def test_answer_parses_as_jw325(api):
    _, provider, _ = parties(api)
    r = api.post(provider, Decl("D1", "N1", MAY).add(A, may("R1", 4242)).xml())
    ans = Answer325.parse(r.content)
    assert ans.prestaties == {"R1": ["9338"]} and ans.toegekend == 0 and AGB in r.text


def test_odd_referentienummers_are_stored_exactly(api):
    """LDT_ReferentieNummer is any string: backslashes, tabs and \\N survive bulk booking."""
    _, provider, _ = parties(api)
    alloc(api.engine, 1001, bsn=A)
    alloc(api.engine, 1002, bsn=A, code="45A04")
    odd = ["A\\B", "T\tX", "\\N", "é€ 'q\""]
    months = [date(2026, m, 1) for m in (2, 3, 4, 5)]
    decl = Decl("D1", "N1", MAY)
    for ref, month in zip(odd, months, strict=True):
        decl.add(A, P(ref, 1001, month, month_end(month), 3))
    assert post_325(api, provider, decl).declaration == ["8001"]
    again = Decl("D2", "N2", MAY).add(
        A, *(P(ref, 1002, MAY, date(2026, 5, 31), 1) for ref in odd[:1])
    )
    assert post_325(api, provider, again).prestaties == {odd[0]: ["8021"]}
    r = api.client.get("/v1/declarations", headers={"Authorization": f"Bearer {provider}"}).json()
    first = next(d for d in r["items"] if d["declaratienummer"] == "N1")
    lines = api.client.get(
        f"/v1/declarations/{first['id']}/prestaties",
        headers={"Authorization": f"Bearer {provider}"},
    ).json()["items"]
    assert [line["referentienummer"] for line in lines] == odd
