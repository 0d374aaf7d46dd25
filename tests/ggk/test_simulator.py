"""The whole round trip as an integrator sees it: the service with its delivery worker, the GGk
simulator next to it, and the `ijw ggk` commands that drive them."""

from __future__ import annotations

import json

import pytest

from app.bootstrap import Wiring, create_app, main
from app.clock import FixedClock
from app.config import Settings
from app.ggk.config import GgkSettings
from app.ggk.simulator import Link, Simulator
from tests.conftest import TEST_TODAY, Api
from tests.ggk import support as g
from tests.ggk.live import serving, wait_for
from tests.ggk.test_outbound import NEW, jw302_on


def test_the_round_trip_through_the_simulator(db_engine, tmp_path, capsys, official):
    if db_engine.dialect.name != "sqlite":
        pytest.skip("one backend is enough for the integrator's round trip")
    database_url = db_engine.url.render_as_string(False)
    sim = Simulator(Link("http://127.0.0.1:9"), echo=False)
    with serving(sim.app()) as sim_base:
        ggk = GgkSettings(
            url=f"{sim_base}/ggk/OntvangAsynchroon",
            poll_interval=0.05,
            backoff_base=0.1,
            backoff_max=0.3,
            timeout=3,
            lease=6,
        )
        app = create_app(
            Settings(database_url=database_url), FixedClock(TEST_TODAY), Wiring(ggk=ggk)
        )
        with serving(app) as base:
            api = Api(None, db_engine, None)
            chain = g.setup(api)
            sim.link = Link(base, token=chain.ggk)

            def cli(*args: str) -> tuple[int, str]:
                code = main(list(args))
                return code, capsys.readouterr().out

            def delivered(functie: str, operation: str = "ggk_Di01"):
                return wait_for(
                    lambda: [
                        r
                        for r in sim.state.received
                        if r.functie == functie and r.operation == operation
                    ],
                    timeout=15,
                )

            # a provider's JW315 through the chain: Bv03 at once, our JW316 in a Du01 shortly
            request = tmp_path / "jw315.xml"
            request.write_bytes(g.jw315())
            code, out = cli("ggk", "send", str(request), "--from", g.AGB, "--simulator", sim_base)
            assert code == 0 and json.loads(out)["acknowledged"] is True
            di01_ref = json.loads(out)["referentienummer"]
            [du01] = delivered("JW316", "ggk_Du01")
            assert du01.cross_ref == di01_ref and du01.ontvanger == g.AGB

            # an XSD-invalid payload: no retour, a Fo01 StUF055
            bad = tmp_path / "bad.xml"
            bad.write_bytes(g.jw315("V9", 9).replace(b"<jw315:Geslacht>1<", b"<jw315:Geslacht>7<"))
            code, out = cli("ggk", "send", str(bad), "--from", g.AGB, "--simulator", sim_base)
            assert code == 0
            wait_for(lambda: [r for r in sim.state.received if r.code == "StUF055"])

            # our allocation leaves as a Di01 once the provider takes the GGk; its JW302 comes back
            code, out = cli("ggk", "channel", g.AGB, "ggk", "--database-url", database_url)
            assert code == 0 and out.strip() == f"{g.AGB}: ggk"
            assert cli("ggk", "channel", g.GEMEENTE, "ggk", "--database-url", database_url)[0] == 2
            headers = {"Authorization": f"Bearer {chain.gemeente}"}
            made = _allocate(base, headers, 3)
            [di01] = delivered("JW301")
            retour = tmp_path / "jw302.xml"
            retour.write_bytes(jw302_on(di01.payload))
            code, out = cli("ggk", "send", str(retour), "--from", g.AGB, "--simulator", sim_base)
            assert code == 0 and json.loads(out)["crossRefnummer"] == di01.referentienummer
            state = _state(base, headers, made)
            assert state["state"] == "acknowledged" and state["delivery"]["state"] == "answered"

            # an injected Fo01 marks the next one failed
            made = _allocate(base, headers, 4)
            wait_for(lambda: len([r for r in sim.state.received if r.functie == "JW301"]) == 2)
            ref = [r for r in sim.state.received if r.functie == "JW301"][-1].referentienummer
            code, out = cli("ggk", "fo01", ref, "--code", "IB210", "--simulator", sim_base)
            assert code == 0
            state = _state(base, headers, made)
            assert state["state"] == "undelivered" and state["delivery"]["code"] == "IB210"

            # while the GGk is down nothing is lost, and afterwards nothing is sent twice
            assert cli("ggk", "down", "--simulator", sim_base)[0] == 0
            _allocate(base, headers, 5)
            wait_for(lambda: any(e.attempts >= 2 and e.state == "queued" for e in g.outbox(api)))
            assert cli("ggk", "up", "--simulator", sim_base)[0] == 0
            wait_for(lambda: len([r for r in sim.state.received if r.functie == "JW301"]) == 3)
            wait_for(lambda: all(e.state != "queued" for e in g.outbox(api)))
            refs = [r.referentienummer for r in sim.state.received]
            assert len(refs) == len(set(refs)) and sim.state.redeliveries == 0

            code, out = cli("ggk", "outbox", "--database-url", database_url)
            assert code == 0 and out.count("\n") == len(g.outbox(api))
            code, out = cli("ggk", "received", "--simulator", sim_base)
            assert code == 0 and len(json.loads(out)["items"]) == len(sim.state.received)
        app.state.service.engine.dispose()
    for item in sim.state.received:
        official(item.body)


def _allocate(base: str, headers: dict, bsn_n: int) -> int:
    import httpx

    from testkit import messages as m

    body = {
        "aanbieder": g.AGB,
        "bsn": m.bsn(bsn_n),
        "toewijzingen": [NEW],
        "client": m.BACKOFFICE_CLIENT,
    }
    r = httpx.post(f"{base}/v1/backoffice/toewijzingen", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["toewijzingen"][0]["toewijzingnummer"]


def _state(base: str, headers: dict, nummer: int) -> dict:
    import httpx

    return httpx.get(f"{base}/v1/backoffice/toewijzingen/{nummer}", headers=headers).json()
