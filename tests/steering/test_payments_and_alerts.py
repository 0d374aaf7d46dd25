"""The payment export (every approved prestatie traceable to its declaration and allocation, a
paid status set back by JSON or CSV) and alerts (a signed webhook, retried, no duplicates)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

from app.db.base import session_factory
from app.steering import alerts
from testkit import messages as m
from tests.money.support import AGB, GEMEENTE
from tests.steering.support import HOUR, auth, build


def test_payment_export_traces_every_euro_and_takes_the_paid_status_back(api):
    w = build(api)
    headers = auth(w.gemeente, "financien.bakker")
    export = api.client.get("/v1/reports/payments", headers=headers).json()
    assert export["total"] == 2 and export["bedrag"] == 2 * HOUR
    line = export["items"][0]
    assert (line["declaratienummer"], line["referentienummer"], line["toewijzingnummer"]) == (
        "N1",
        "A-01",
        1,
    )
    assert (line["kostenplaats"], line["grootboek"]) == ("JH-100", "4745")  # per categorie
    assert line["status"] == "open" and line["message_id"] > 0 and line["debet_credit"] == "D"
    util = api.client.get("/v1/ceilings/utilisation", params={"year": 2026}, headers=headers)
    assert export["bedrag"] == util.json()["totals"]["spent_all_years"]
    paid = [
        {
            "aanbieder": AGB,
            "referentienummer": "A-01",
            "paid_on": "2026-06-20",
            "payment_reference": "BET-1",
        }
    ]
    r = api.client.post("/v1/reports/payments/paid", json=paid, headers=headers)
    assert r.status_code == 200 and r.json() == {"marked": 1, "already_paid": 0}
    # all or nothing: an unknown or rejected prestatie (A-02 was rejected) marks nothing
    bad = "aanbieder,referentienummer,paid_on,payment_reference\n"
    bad += f"{AGB},B-01,2026-06-21,BET-2\n{AGB},A-02,2026-06-21,BET-2\n"
    r = api.client.post(
        "/v1/reports/payments/paid",
        content=bad.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["location"] == "items[1]"
    good = bad.splitlines()[0] + f"\n{AGB},B-01,2026-06-21,BET-2\n{AGB},A-01,2026-06-21,BET-9\n"
    r = api.client.post(
        "/v1/reports/payments/paid",
        content=good.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert r.json() == {"marked": 1, "already_paid": 1}
    assert api.client.get("/v1/reports/payments", headers=headers).json()["items"] == []
    done = api.client.get(
        "/v1/reports/payments", params={"status": "paid", "format": "csv"}, headers=headers
    )
    rows = list(csv.DictReader(io.StringIO(done.text)))
    assert [(r["referentienummer"], r["payment_reference"]) for r in rows] == [
        ("A-01", "BET-1"),  # the first payment stays
        ("B-01", "BET-2"),
    ]
    audit = api.client.get(
        "/v1/backoffice/audit", params={"action": "payment.paid"}, headers=headers
    )
    assert [e["actor_user"] for e in audit.json()["items"]] == ["financien.bakker"] * 2


class _Receiver(BaseHTTPRequestHandler):
    """A webhook that fails the first `fail` posts, then accepts."""

    fail = 2
    received: list[tuple[str, bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            (self.headers["X-Ijw-Alert-Id"], body, self.headers["X-Ijw-Signature"])
        )
        status = 500 if len(type(self).received) <= type(self).fail else 204
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_alerts_are_listed_posted_signed_retried_and_never_duplicated(api):
    w = build(api)  # the ceiling Noord (EUR 400) has EUR 350 committed: past 50 %, not 90 %
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        headers = auth(w.gemeente, "beheer")
        secret = api.client.put("/v1/alerts/webhook", json={"url": url}, headers=headers).json()[
            "secret"
        ]
        # a request from the provider that is not decided in time
        api.clock.day = date(2026, 6, 1)
        vot = {
            "ReferentieAanbieder": "R1",
            "Product": {"Categorie": "45", "Code": "45A04"},
            "ToewijzingIngangsdatum": date(2026, 7, 1),
            "ToewijzingEinddatum": date(2026, 12, 31),
            "Omvang": {"Volume": 1, "Eenheid": "04", "Frequentie": "4"},
            "Verwijzer": {"Type": "01"},
        }
        data = {
            "Header": m.header_for("JW315", AGB, GEMEENTE, "VOT1", date(2026, 6, 1)),
            "Client": {
                **m.client_person(m.bsn(7)),
                "AangevraagdeProducten": {"AangevraagdProduct": [vot]},
            },
        }
        assert api.post(w.provider, m.xml("JW315", data)).status_code == 200
        api.clock.day = date(2026, 6, 15)
        r = api.client.post("/v1/alerts/scan", headers=headers)
        # the ceiling past 50 %, the undecided request and the three seeded JW301s without a
        # JW302 (OP090x2); the first two posts fail (HTTP 500)
        assert r.json() == {"created": 5, "delivered": 3}
        listed = api.client.get("/v1/alerts", headers=headers).json()["items"]
        kinds = sorted((a["kind"], a["payload"].get("kind")) for a in listed)
        assert kinds == [
            ("ceiling_threshold", "soft"),
            ("deadline_overdue", "retour_302"),
            ("deadline_overdue", "retour_302"),
            ("deadline_overdue", "retour_302"),
            ("deadline_overdue", "verzoek_besluit"),
        ]
        failed = [a for a in listed if a["status"] == "pending"]
        assert len(failed) == 2 and all(a["last_error"] == "HTTP 500" for a in failed)
        ceiling = next(a for a in listed if a["kind"] == "ceiling_threshold")
        assert ceiling["payload"]["threshold"] == "50" and ceiling["payload"]["ceiling"] == "Noord"
        # scanning again finds nothing new; the retries wait for their back-off
        again = api.client.post("/v1/alerts/scan", headers=headers).json()
        assert again == {"created": 0, "delivered": 0}
        later = api.clock.now() + timedelta(minutes=2)
        assert alerts.deliver(session_factory(api.engine), later) == 2
        assert alerts.deliver(session_factory(api.engine), later + timedelta(hours=1)) == 0
        ids = [alert_id for alert_id, _, _ in _Receiver.received]
        accepted = ids[_Receiver.fail :]
        assert len(ids) == 7 and sorted(accepted) == sorted(str(a["id"]) for a in listed)
        for alert_id, body, signature in _Receiver.received:
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            assert signature == expected and json.loads(body)["id"] == int(alert_id)
        listed = api.client.get("/v1/alerts", headers=headers).json()["items"]
        assert {a["status"] for a in listed} == {"delivered"}
        assert sum(a["attempts"] for a in listed) == 7
    finally:
        server.shutdown()
        server.server_close()
