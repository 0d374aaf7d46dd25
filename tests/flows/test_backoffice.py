"""The back-office API: gemeente only, scoped to the caller; builds JW301/JW319 via the intake."""

from __future__ import annotations

from datetime import date

import pytest

from app.bootstrap import Wiring
from app.flows.allocations.planning import CheckResult
from testkit import messages as m

G, OTHER_G, AGB = "0363", "0599", "12345678"
TODAY = date(2026, 6, 15)  # a Monday
B1, B2 = m.bsn(3), m.bsn(6)
CLIENT = m.BACKOFFICE_CLIENT
NEW = {
    "product": {"categorie": "45", "code": "45A04"},
    "ingangsdatum": "2026-07-01",
    "einddatum": "2026-12-31",
    "omvang": {"volume": 3, "eenheid": "04", "frequentie": "2"},
}


@pytest.fixture
def office(make_api):
    api = make_api(TODAY)
    tokens = {
        "gemeente": api.add_party("gemeente", G),
        "other": api.add_party("gemeente", OTHER_G),
        "aanbieder": api.add_party("aanbieder", AGB),
    }
    return api, tokens


def call(api, token, method, path, **kw):
    return api.client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)


def create(api, token, *items, bsn=B1, client=CLIENT, **extra):
    body = {"aanbieder": AGB, "bsn": bsn, "toewijzingen": list(items), **extra}
    if client is not None:
        body["client"] = client
    return call(api, token, "POST", "/v1/backoffice/toewijzingen", json=body)


def test_create_builds_a_jw301_for_the_provider(office):
    api, t = office
    r = create(api, t["gemeente"], NEW)
    assert r.status_code == 201, r.text
    made = r.json()["toewijzingen"]
    assert len(made) == 1 and made[0]["state"] == "sent" and made[0]["retour"] == "pending"
    nummer = made[0]["toewijzingnummer"]
    feed = api.poll(t["aanbieder"]).json()["items"]
    assert [i["message_type"] for i in feed] == ["JW301"]
    xml = feed[0]["xml"]
    assert f"<jw301:ToewijzingNummer>{nummer}<" in xml and "Coolsingel" in xml
    assert feed[0]["identificatie"] == r.json()["identificatie"]


def test_change_keeps_unset_fields_and_resends_other_current_allocations(office):
    api, t = office
    first = create(api, t["gemeente"], NEW).json()["toewijzingen"][0]["toewijzingnummer"]
    second_item = {**NEW, "product": {"categorie": "45", "code": "45A06"}}
    r = create(api, t["gemeente"], second_item, client=None)  # client data from the last 301
    assert r.status_code == 201, r.text
    # both are in the second JW301 (OP087): the first one unchanged
    assert {a["toewijzingnummer"] for a in r.json()["toewijzingen"]} >= {first}
    change = {"toewijzingnummer": first, "einddatum": "2027-06-30", "reden_wijziging": "04"}
    r = create(api, t["gemeente"], change, client=None)
    assert r.status_code == 201, r.text
    detail = call(api, t["gemeente"], "GET", f"/v1/backoffice/toewijzingen/{first}").json()
    lead = detail["leading"]
    assert lead["einddatum"] == "2027-06-30" and lead["reden_wijziging"] == "04"
    assert lead["omvang"] == {"volume": 3, "eenheid": "04", "frequentie": "2"}  # kept
    assert len(detail["versions"]) == 3
    assert detail["versions"][1]["unchanged"] is True  # resent in the second JW301
    assert detail["versions"][1]["reden_wijziging"] is None  # IV099


def test_refused_allocation_is_422_with_findings_and_sends_nothing(office):
    api, t = office
    first = create(api, t["gemeente"], NEW).json()["toewijzingen"][0]["toewijzingnummer"]
    api.poll(t["aanbieder"])
    bad = {"toewijzingnummer": first, "omvang": {"volume": 5, "eenheid": "04", "frequentie": "2"}}
    r = create(api, t["gemeente"], bad, client=None)
    assert r.status_code == 422 and r.json()["code"] == "REFUSED"
    assert [d["retourcode"] for d in r.json()["errors"]] == ["9332"]
    assert len(api.poll(t["aanbieder"]).json()["items"]) == 1  # only the first JW301


def test_unknown_client_needs_client_data(office):
    api, t = office
    r = create(api, t["gemeente"], NEW, client=None)
    assert r.status_code == 422 and r.json()["code"] == "CLIENT_REQUIRED"


def test_pre_create_checks_can_refuse_or_warn(office, make_api):
    _, t = office
    seen = []

    def ceiling(session, planned, today):
        seen.append((len(planned), today))
        if planned[0].allocation.code == "45A06":
            return [CheckResult("refuse", "CEILING", "hard ceiling reached", {"left": 0})]
        return [CheckResult("warn", "CEILING_SOON", "90% of the ceiling used", {"left": 100})]

    api = make_api(TODAY, Wiring(pre_create_checks=[ceiling]))
    r = create(api, t["gemeente"], NEW)
    assert r.status_code == 201 and r.json()["warnings"][0]["code"] == "CEILING_SOON"
    r = create(api, t["gemeente"], {**NEW, "product": {"categorie": "45", "code": "45A06"}})
    assert r.status_code == 422 and r.json()["errors"][0]["details"] == {"left": 0}
    assert seen == [(1, TODAY), (1, TODAY)]
    assert [i["message_type"] for i in api.poll(t["aanbieder"]).json()["items"]] == ["JW301"]


def _vot(t, api, ref="R1", bsn=B1, day=date(2026, 6, 12)):
    data = {
        "Header": m.header_for("JW315", AGB, G, f"V{ref}", day),
        "Client": {
            **m.client_person(bsn),
            "AangevraagdeProducten": {
                "AangevraagdProduct": [
                    {
                        "ReferentieAanbieder": ref,
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
    r = api.post(t["aanbieder"], m.xml("JW315", data))
    assert r.status_code == 200 and b"RetourCode" not in r.content, r.text


def test_requests_queue_answer_and_honour(office):
    api, t = office
    _vot(t, api, "R1")
    items = call(api, t["gemeente"], "GET", "/v1/backoffice/verzoeken").json()["items"]
    assert len(items) == 1
    req = items[0]
    # received on Monday 2026-06-15: 5 working days later is Monday 2026-06-22
    assert req["status"] == "pending" and req["deadline"] == "2026-06-22"
    assert req["working_days_left"] == 5 and req["overdue"] is False
    assert req["woonplaatsbeginsel_deadline"] == "2026-06-29"  # OP359: 2 weeks
    r = call(
        api,
        t["gemeente"],
        "POST",
        f"/v1/backoffice/verzoeken/{req['id']}/antwoord",
        json={"verzoek_antwoord": "2"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["verzoek"]["status"] == "in_onderzoek"
    assert r.json()["verzoek"]["deadline"] == "2026-08-07"  # 8 weeks after the Dagtekening
    r = call(
        api,
        t["gemeente"],
        "POST",
        f"/v1/backoffice/verzoeken/{req['id']}/antwoord",
        json={"verzoek_antwoord": "2"},
    )
    assert r.status_code == 422 and [d["retourcode"] for d in r.json()["errors"]] == ["9360"]
    honour = {**NEW, "referentie_aanbieder": "R1"}
    assert create(api, t["gemeente"], honour).status_code == 201
    assert call(api, t["gemeente"], "GET", "/v1/backoffice/verzoeken").json()["items"] == []
    done = call(api, t["gemeente"], "GET", f"/v1/backoffice/verzoeken/{req['id']}").json()
    assert done["status"] == "honoured" and done["decided_on"] == "2026-06-15"
    types = [i["message_type"] for i in api.poll(t["aanbieder"]).json()["items"]]
    assert types == ["JW316", "JW319", "JW301"]


def test_another_gemeente_sees_nothing(office):
    api, t = office
    _vot(t, api, "R1")
    nummer = create(api, t["gemeente"], NEW).json()["toewijzingen"][0]["toewijzingnummer"]
    own = call(api, t["gemeente"], "GET", "/v1/backoffice/verzoeken").json()["items"]
    assert len(own) == 1
    other = t["other"]
    assert call(api, other, "GET", "/v1/backoffice/verzoeken").json()["items"] == []
    assert call(api, other, "GET", "/v1/backoffice/verzoeken?status=all").json()["items"] == []
    assert call(api, other, "GET", "/v1/backoffice/toewijzingen").json()["items"] == []
    changes = call(api, other, "GET", "/v1/backoffice/toewijzingen/wijzigingen").json()
    assert changes["items"] == []
    assert call(api, other, "GET", f"/v1/backoffice/toewijzingen/{nummer}").status_code == 404
    assert call(api, other, "GET", f"/v1/backoffice/verzoeken/{own[0]['id']}").status_code == 404
    r = call(
        api,
        other,
        "POST",
        f"/v1/backoffice/verzoeken/{own[0]['id']}/antwoord",
        json={"verzoek_antwoord": "1", "reden_afwijzing": "5"},
    )
    assert r.status_code == 404
    termijnen = call(api, other, "GET", "/v1/backoffice/termijnen").json()
    assert termijnen["overdue"] == [] and termijnen["soon"] == []


def test_providers_may_not_use_the_back_office(office):
    api, t = office
    for path in ("/v1/backoffice/verzoeken", "/v1/backoffice/toewijzingen"):
        r = call(api, t["aanbieder"], "GET", path)
        assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    assert call(api, "nope", "GET", "/v1/backoffice/verzoeken").status_code == 401


def test_changes_since_a_cursor(office):
    api, t = office
    a = create(api, t["gemeente"], NEW).json()["toewijzingen"][0]["toewijzingnummer"]
    page = call(api, t["gemeente"], "GET", "/v1/backoffice/toewijzingen/wijzigingen").json()
    assert [i["toewijzingnummer"] for i in page["items"]] == [a]
    cursor = page["next_cursor"]
    again = call(
        api, t["gemeente"], "GET", f"/v1/backoffice/toewijzingen/wijzigingen?since={cursor}"
    ).json()
    assert again["items"] == [] and again["next_cursor"] == cursor
    # the provider accepts the JW301: the allocation changes (acknowledged)
    xml301 = api.poll(t["aanbieder"]).json()["items"][0]["xml"].encode()
    retour = _retour_302(xml301)
    assert api.post(t["aanbieder"], retour).status_code == 200
    page = call(
        api, t["gemeente"], "GET", f"/v1/backoffice/toewijzingen/wijzigingen?since={cursor}"
    ).json()
    assert [(i["toewijzingnummer"], i["state"]) for i in page["items"]] == [(a, "acknowledged")]
    bad = call(api, t["gemeente"], "GET", "/v1/backoffice/toewijzingen/wijzigingen?since=x")
    assert bad.status_code == 400


def _retour_302(xml301: bytes, codes: list[str] | None = None) -> bytes:
    from app.ijw import model, render, retour, xml

    info, tree = xml.read(xml301)
    forward = model.to_model(tree, info)
    decision = retour.Decision()
    for code in codes or []:
        decision.add_code(
            forward.root["Client"]["ToegewezenProducten"]["ToegewezenProduct"][0], code
        )
    data = retour.build_retour(forward, decision, identificatie="P1", today=TODAY)
    return render.render("JW302", data)


def test_rejected_allocation_is_visible_with_its_codes(office):
    api, t = office
    a = create(api, t["gemeente"], NEW).json()["toewijzingen"][0]["toewijzingnummer"]
    xml301 = api.poll(t["aanbieder"]).json()["items"][0]["xml"].encode()
    assert api.post(t["aanbieder"], _retour_302(xml301, ["9332"])).status_code == 200
    rows = call(api, t["gemeente"], "GET", "/v1/backoffice/toewijzingen?state=rejected").json()
    assert [i["toewijzingnummer"] for i in rows["items"]] == [a]
    item = rows["items"][0]
    assert item["retour"] == "rejected" and item["rejected_version"]["retour_codes"] == ["9332"]
    assert item["leading"] is None
    assert [i["message_type"] for i in api.poll(t["gemeente"]).json()["items"]] == ["JW302"]


def test_overdue_and_soon_due_items(make_api):
    # a request received on Wednesday 2026-06-03 is due Wednesday 2026-06-10
    early = make_api(date(2026, 6, 3))
    t = {
        "gemeente": early.add_party("gemeente", G),
        "aanbieder": early.add_party("aanbieder", AGB),
    }
    _vot(t, early, "R1", day=date(2026, 6, 2))
    r = create(early, t["gemeente"], NEW)  # a JW301 without JW302: due in 3 working days
    assert r.status_code == 201
    now = call(early, t["gemeente"], "GET", "/v1/backoffice/termijnen?binnen=5").json()
    assert now["overdue"] == []
    assert sorted(i["kind"] for i in now["soon"]) == ["retour_302", "verzoek_besluit"]
    late = make_api(date(2026, 6, 9))  # same database, six days later
    later = call(late, t["gemeente"], "GET", "/v1/backoffice/termijnen?binnen=1").json()
    assert [i["kind"] for i in later["overdue"]] == ["retour_302"]  # due 2026-06-08
    assert [(i["kind"], i["deadline"]) for i in later["soon"]] == [
        ("verzoek_besluit", "2026-06-10")
    ]
    assert later["soon"][0]["working_days_left"] == 1


def test_clock_endpoint_tells_the_service_today(office):
    api, t = office
    r = call(api, t["aanbieder"], "GET", "/v1/clock")
    assert r.status_code == 200 and r.json()["today"] == "2026-06-15"


def test_backoffice_is_in_openapi(office):
    api, _ = office
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/backoffice/verzoeken",
        "/v1/backoffice/verzoeken/{request_id}/antwoord",
        "/v1/backoffice/toewijzingen",
        "/v1/backoffice/toewijzingen/wijzigingen",
        "/v1/backoffice/termijnen",
    ):
        assert path in paths


def test_concurrent_creates_never_plan_the_same_number(office):
    """Numbers are planned outside the intake transaction; creates of one gemeente serialise."""
    import threading

    api, t = office
    clients = [m.bsn(100 + i) for i in range(6)]
    barrier = threading.Barrier(len(clients))
    results: dict[str, object] = {}

    def worker(bsn: str) -> None:
        barrier.wait()
        results[bsn] = create(api, t["gemeente"], NEW, bsn=bsn)

    threads = [threading.Thread(target=worker, args=(b,)) for b in clients]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(r.status_code == 201 for r in results.values()), [r.text for r in results.values()]
    numbers = [r.json()["toewijzingen"][0]["toewijzingnummer"] for r in results.values()]
    assert len(set(numbers)) == len(clients)
