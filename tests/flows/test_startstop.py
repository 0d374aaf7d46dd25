"""Start and stop: order inside a message, all-or-nothing, resends, what is only logged."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.bootstrap import Wiring
from app.db.base import session_factory, transaction
from app.exchange.models import MessageRecord
from app.flows.deliveries import store as startstop
from app.flows.deliveries.models import StartRow, StopRow
from app.harness.runner import retour_codes
from testkit import messages as m
from tests.conftest import TEST_TODAY

G, AGB = "0363", "12345678"
B1 = m.bsn(3)


def setup(api, nummer=1001):
    gemeente, provider = api.add_party("gemeente", G), api.add_party("aanbieder", AGB)
    r = api.post(gemeente, m.xml("JW301", m.jw301_for(G, AGB, "A1", client_bsn=B1, nummer=nummer)))
    assert r.status_code == 200, r.text
    return gemeente, provider


def start(begin=date(2026, 2, 2), status="1", **kw):
    return {
        "ToewijzingNummer": 1001,
        "Product": {"Categorie": "45", "Code": "45A04"},
        "ToewijzingIngangsdatum": date(2026, 2, 1),
        "Begindatum": begin,
        "StatusAanlevering": status,
        **kw,
    }


def stop(reden, einde, status="1", begin=date(2026, 2, 2)):
    item = start(begin, status)
    item.pop("StatusAanlevering")
    return {**item, "RedenBeeindiging": reden, "Einddatum": einde, "StatusAanlevering": status}


def post_starts(api, token, ident, starts, day=date(2026, 3, 1)):
    body = m.xml("JW305", m.jw305_for(AGB, G, ident, client_bsn=B1, starts=starts, day=day))
    r = api.post(token, body)
    assert r.status_code == 200, r.text
    return retour_codes(r.content)


def post_stops(api, token, ident, stops, day=date(2026, 6, 1)):
    data = m.jw305_for(AGB, G, ident, client_bsn=B1, day=day)
    data["Header"]["BerichtCode"] = "440"
    client = data["Client"]
    del client["StartProducten"]
    client["StopProducten"] = {"StopProduct": stops}
    r = api.post(token, m.xml("JW307", data))
    assert r.status_code == 200, r.text
    return retour_codes(r.content)


def count(api, model) -> int:
    with transaction(session_factory(api.engine)) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_status_3_is_processed_before_status_1_in_one_message(api):
    _, provider = setup(api)
    assert post_starts(api, provider, "S1", [start()]) == {}
    # correct the Begindatum: the new start first in the document, the delete second (IV008)
    codes = post_starts(api, provider, "S2", [start(date(2026, 2, 3)), start(status="3")])
    assert codes == {}  # TR326 does not see the deleted start
    with transaction(session_factory(api.engine)) as s:
        live = s.scalars(select(StartRow).where(StartRow.deleted_by_message_id.is_(None))).all()
        assert [r.begindatum for r in live] == [date(2026, 2, 3)]


def test_second_start_in_the_same_message_meets_tr326_9326(api):
    _, provider = setup(api)
    codes = post_starts(api, provider, "S1", [start(), start(date(2026, 2, 9))])
    assert codes == {
        "Header[1]": ["0200"],
        "Client[1]": ["0200"],
        "StartProduct[1]": ["0200"],
        "StartProduct[2]": ["9326"],
    }
    assert count(api, StartRow) == 0  # all or nothing (IV032)


def test_status_3_classes_get_only_tr063_tr071(api):
    _, provider = setup(api)
    post_starts(api, provider, "S1", [start()])
    # a delete of a start on an unknown allocation: TR019 is not checked, TR063 passes
    unknown = start(status="3", ToewijzingNummer=999)
    assert post_starts(api, provider, "S2", [unknown])["StartProduct[1]"] == ["9063"]
    assert post_starts(api, provider, "S3", [start(status="3")]) == {}


def test_byte_identical_resend_has_no_second_effect(api):
    _, provider = setup(api)
    body = m.xml("JW305", m.jw305_for(AGB, G, "S1", client_bsn=B1, starts=[start()]))
    first = api.post(provider, body)
    second = api.post(provider, body)
    assert second.content == first.content and second.headers.get("x-resend") == "true"
    assert count(api, StartRow) == 1


def test_a_failure_while_storing_rolls_back_everything(api, monkeypatch):
    _, provider = setup(api)
    before = count(api, MessageRecord)

    def boom(session, plan, message_id, now):  # the effect is half written when this raises
        session.add(
            StartRow(
                gemeente=G,
                aanbieder=AGB,
                bsn=B1,
                nummer=1001,
                begindatum=date(2026, 2, 2),
                message_id=message_id,
                created_at=now,
            )
        )
        session.flush()
        raise RuntimeError("disk full")

    monkeypatch.setattr(startstop, "save", boom)  # fault injection: the store fails mid-write
    with pytest.raises(RuntimeError):
        post_starts(api, provider, "S1", [start()])
    assert count(api, StartRow) == 0 and count(api, MessageRecord) == before
    monkeypatch.undo()
    assert post_starts(api, provider, "S1", [start()]) == {}  # the same message goes through
    assert count(api, StartRow) == 1


def test_stop_states_and_deliveries(api):
    _, provider = setup(api)
    post_starts(api, provider, "S1", [start()])
    assert post_stops(api, provider, "T1", [stop("20", date(2026, 4, 1))]) == {}
    with transaction(session_factory(api.engine)) as s:
        assert [d.state for d in startstop.deliveries(s, G, 1001)] == ["temp_stopped"]
    assert post_stops(api, provider, "T2", [stop("34", date(2026, 4, 10))]) == {}
    with transaction(session_factory(api.engine)) as s:
        (d,) = startstop.deliveries(s, G, 1001)
        assert (d.state, d.reden, d.einddatum) == ("stopped", "34", date(2026, 4, 10))
    assert count(api, StopRow) == 2


def test_product_or_date_mismatch_is_logged_not_rejected(api, caplog):
    _, provider = setup(api)
    other = start(Product={"Categorie": "45", "Code": "45A06"}, Begindatum=date(2026, 1, 5))
    with caplog.at_level("INFO", logger="ijw.startstop"):
        assert post_starts(api, provider, "S1", [other]) == {}
    notes = [r.notes for r in caplog.records if hasattr(r, "notes")]
    assert notes and "product differs from the allocation" in notes[0]
    assert "Begindatum outside the allocation" in notes[0]


def test_taakgericht_hook_allows_a_start_without_number(api, make_api):
    _, provider = setup(api)
    bare = start()
    del bare["ToewijzingNummer"]
    assert post_starts(api, provider, "S1", [bare])["StartProduct[1]"] == ["9019"]
    api = make_api(TEST_TODAY, Wiring(taakgericht=lambda s, g, a, cat, code: cat == "45"))
    assert post_starts(api, provider, "S2", [bare]) == {}
    assert post_starts(api, provider, "S3", [{**bare, "Begindatum": date(2026, 2, 9)}]) == {
        "Header[1]": ["0200"],
        "Client[1]": ["0200"],
        "StartProduct[1]": ["9326"],  # one current start per product for taakgericht care
    }
