"""The allocation store and the JW301/JW302 flows through POST /v1/berichten.

Which version leads, what a JW302 does to it, the query API other modules build on, and the
pre-send rules TR332, TR379, TR385 (with a real declaration in the ledger), TR381 and OP087.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from app.db.base import session_factory, transaction
from app.flows.allocations import store as allocations
from app.flows.allocations.models import AllocationChangeRow, AllocationVersionRow
from testkit import messages as m
from tests.money.support import Decl, P, load_contracts, post_325

G, AGB, OTHER = "0363", "12345678", "87654321"
TODAY = date(2026, 6, 15)
# Distinct 11-proof BSNs.
B1, B2, B3 = m.bsn(3), m.bsn(6), m.bsn(9)


def setup(api):
    return api.add_party("gemeente", G), api.add_party("aanbieder", AGB)


def send_301(api, token, ident, **kw):
    data = m.jw301_for(G, AGB, ident, **kw)
    return data, api.post(token, m.xml("JW301", data))


def codes(r) -> list[str]:
    return sorted(d["retourcode"] for d in r.json()["errors"])


def query(api, fn, *args):
    with transaction(session_factory(api.engine)) as s:
        return fn(s, *args)


def test_sent_version_leads_until_a_302_rejects_it(api):
    gemeente, provider = setup(api)
    client = B1
    first, r = send_301(api, gemeente, "T1", client_bsn=client)
    assert r.status_code == 200 and r.json()["status"] == "sent"
    lead = query(api, allocations.allocation, G, 1001)
    assert lead is not None and lead.status == "sent" and not lead.confirmed
    api.post(provider, m.xml("JW302", m.retour_of(first, "JW302", "P1", date(2026, 1, 21))))
    assert query(api, allocations.allocation, G, 1001).confirmed

    # an extension the provider rejects: the earlier accepted version leads again
    second, r = send_301(
        api,
        gemeente,
        "T2",
        client_bsn=client,
        einddatum=date(2027, 6, 30),
        reden="04",
        day=date(2026, 3, 1),
    )
    assert r.status_code == 200
    assert query(api, allocations.allocation, G, 1001).einddatum == date(2027, 6, 30)
    retour = m.retour_of(second, "JW302", "P2", date(2026, 3, 2), codes=["8848"])
    assert api.post(provider, m.xml("JW302", retour)).status_code == 200
    lead = query(api, allocations.allocation, G, 1001)
    assert lead.einddatum == date(2026, 12, 31) and lead.confirmed
    history = query(api, allocations.versions, G, 1001)
    assert [v.status for v in history] == ["accepted", "rejected"]


def test_allocation_with_only_rejected_versions_does_not_exist(api):
    gemeente, provider = setup(api)
    data, _ = send_301(api, gemeente, "T1", client_bsn=B1)
    body = m.xml("JW302", m.retour_of(data, "JW302", "P1", date(2026, 1, 21), codes=["9056"]))
    assert api.post(provider, body).status_code == 200
    assert query(api, allocations.allocation, G, 1001) is None
    assert query(api, allocations.allocations_for, G, AGB, B1) == []


def test_current_allocations_exclude_deleted_and_ended(api):
    gemeente, _ = setup(api)
    client = B3
    products = [
        _product(2001, date(2026, 1, 1), date(2026, 12, 31)),
        _product(2002, date(2025, 1, 1), date(2025, 12, 31), code="45A06"),  # ended
        _product(2003, date(2026, 2, 1), date(2026, 2, 1), code="45A05", reden="13"),  # deleted
        _product(2004, date(2026, 9, 1), None, code="45A01", omvang=False, budget=None),
    ]
    _, r = send_301(api, gemeente, "T1", client_bsn=client, products=products, day=TODAY)
    assert r.status_code == 200, r.text
    current = query(api, allocations.current_allocations, G, AGB, client, TODAY)
    assert [a.nummer for a in current] == [2001, 2004]  # the future one counts (TR349)
    assert query(api, allocations.allocation, G, 2003).deleted
    assert query(api, allocations.allocation, G, 2004).variant == "specific"
    assert len(query(api, allocations.allocations_for, G, AGB, client)) == 4


def _product(nummer, ingang, eind, *, code="45A04", reden=None, omvang=True, budget=None):
    p = {
        "ToewijzingNummer": nummer,
        "Product": {"Categorie": "45", "Code": code},
        "Toewijzingsdatum": date(2026, 1, 20),  # on or before the Dagtekening (TR134)
        "Toewijzingstijd": "10:00:00",
        "Ingangsdatum": ingang,
        "Einddatum": eind,
        "RedenWijziging": reden,
        "Budget": budget,
    }
    if omvang:
        p["Omvang"] = {"Volume": 2, "Eenheid": "04", "Frequentie": "2" if eind else "4"}
    else:
        p["Omvang"] = {"Volume": 2, "Eenheid": "04", "Frequentie": "4"}
    return p


def test_unchanged_resend_is_flagged_and_changes_are_logged(api):
    gemeente, _ = setup(api)
    send_301(api, gemeente, "T1", client_bsn=B1)
    send_301(api, gemeente, "T2", client_bsn=B1)  # identical content, same datum/tijd
    history = query(api, allocations.versions, G, 1001)
    assert [v.unchanged for v in history] == [False, True]
    with transaction(session_factory(api.engine)) as s:
        seqs = s.scalars(select(AllocationChangeRow.seq).order_by(AllocationChangeRow.id)).all()
    assert seqs == [1, 2]


def test_tr332_9332_number_of_another_client_or_changed_omvang(api):
    gemeente, _ = setup(api)
    send_301(api, gemeente, "T1", client_bsn=B1)
    _, r = send_301(api, gemeente, "T2", client_bsn=B2)
    assert r.status_code == 422 and codes(r) == ["9332"]
    changed = _product(1001, date(2026, 2, 1), date(2026, 12, 31))
    changed["Omvang"]["Volume"] = 5
    _, r = send_301(api, gemeente, "T3", client_bsn=B1, products=[changed])
    assert r.status_code == 422 and codes(r) == ["9332"]
    # passing: the same allocation extended under its number
    _, r = send_301(api, gemeente, "T4", client_bsn=B1, einddatum=date(2027, 3, 31), reden="04")
    assert r.status_code == 200
    with transaction(session_factory(api.engine)) as s:  # refused messages stored nothing
        assert s.scalar(select(func.count()).select_from(AllocationVersionRow)) == 2


def test_tr379_9379_reference_only_for_an_open_request_and_once(api):
    gemeente, provider = setup(api)
    client = B1
    _, r = send_301(api, gemeente, "T1", client_bsn=client, referentie="NOPE")
    assert r.status_code == 422 and codes(r) == ["9379"]
    api.post(provider, _vot(client, "REF1"))
    honour, r = send_301(api, gemeente, "T2", client_bsn=client, referentie="REF1")
    assert r.status_code == 200
    _, r = send_301(
        api,
        gemeente,
        "T3",
        client_bsn=client,
        referentie="REF1",
        reden="05",
        einddatum=date(2026, 11, 30),
    )
    assert r.status_code == 422 and codes(r) == ["9379"]
    # the provider rejects the honouring JW301: it counts as never sent, the reference is free
    api.post(provider, m.xml("JW302", m.retour_of(honour, "JW302", "P1", TODAY, ["8848"])))
    _, r = send_301(api, gemeente, "T4", client_bsn=client, referentie="REF1")
    assert r.status_code == 200, r.text


def _vot(client: str, ref: str, day: date = date(2026, 1, 10)) -> bytes:
    data = {
        "Header": m.header_for("JW315", AGB, G, f"V{ref}", day),
        "Client": {
            **m.client_person(client),
            "AangevraagdeProducten": {
                "AangevraagdProduct": [
                    {
                        "ReferentieAanbieder": ref,
                        "Product": {"Categorie": "45", "Code": "45A04"},
                        "ToewijzingIngangsdatum": date(2026, 2, 1),
                        "ToewijzingEinddatum": date(2026, 12, 31),
                        "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
                        "Verwijzer": {"Type": "01"},
                    }
                ]
            },
        },
    }
    body = m.xml("JW315", data)
    return body


def test_tr385_9385_no_delete_with_approved_uncredited_prestaties(api):
    gemeente, provider = setup(api)
    client = B1
    _, r = send_301(
        api,
        gemeente,
        "T1",
        client_bsn=client,
        ingangsdatum=date(2026, 1, 1),
        day=date(2026, 1, 2),
    )
    assert r.status_code == 200
    load_contracts(api.engine)
    may = P("R1", 1001, date(2026, 5, 1), date(2026, 5, 31), 12)
    answer = post_325(api, provider, Decl("D1", "N1", date(2026, 5, 1)).add(client, may))
    assert answer.declaration == ["8001"]
    delete = dict(
        client_bsn=client,
        ingangsdatum=date(2026, 1, 1),
        einddatum=date(2026, 1, 1),
        reden="13",
        day=date(2026, 6, 12),
    )
    _, r = send_301(api, gemeente, "T2", **delete)
    assert r.status_code == 422 and codes(r) == ["9385"]
    # credited in full: the delete is allowed (spec §4.5 "lift the TR385 delete block")
    credit = P("R2", 1001, date(2026, 5, 1), date(2026, 5, 31), 12, credit_of="R1")
    answer = post_325(api, provider, Decl("D2", "N2", date(2026, 5, 1)).add(client, credit))
    assert answer.declaration == ["8001"], answer
    _, r = send_301(api, gemeente, "T3", **delete)
    assert r.status_code == 200, r.text
    assert query(api, allocations.allocation, G, 1001).deleted


def test_tr381_s329_code_outside_its_category_is_refused(api):
    gemeente, _ = setup(api)
    bad = _product(1001, date(2026, 2, 1), date(2026, 12, 31), code="43A04")
    _, r = send_301(api, gemeente, "T1", client_bsn=B1, products=[bad])
    assert r.status_code == 422 and codes(r) == ["S329"]
    _, r = send_301(api, gemeente, "T2", client_bsn=B1)
    assert r.status_code == 200


def test_op087_missing_current_allocation_is_a_warning_not_a_refusal(api):
    gemeente, _ = setup(api)
    send_301(api, gemeente, "T1", client_bsn=B1)
    other = _product(1002, date(2026, 3, 1), date(2026, 12, 31), code="45A06")
    _, r = send_301(api, gemeente, "T2", client_bsn=B1, products=[other])
    assert r.status_code == 200
    notes = json.loads(r.content)["notes"]
    assert notes and notes[0]["code"] == "OP087"
    assert notes[0]["details"]["toewijzingnummers"] == [1001]


def test_tr332_number_of_a_rejected_allocation_is_free_again(api):
    gemeente, provider = setup(api)
    data, _ = send_301(api, gemeente, "T1", client_bsn=B1)
    api.post(provider, m.xml("JW302", m.retour_of(data, "JW302", "P1", TODAY, codes=["9056"])))
    _, r = send_301(api, gemeente, "T2", client_bsn=B2)  # OP286: the first never counted
    assert r.status_code == 200, r.text
    lead = query(api, allocations.allocation, G, 1001)
    assert lead.bsn == B2 and query(api, allocations.allocations_for, G, AGB, B1) == []
