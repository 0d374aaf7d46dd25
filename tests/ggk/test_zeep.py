"""A standard SOAP client (zeep) generated from the official WSDL in ../shared/ggk drives our
endpoint over real HTTP; another one is generated from the WSDL we serve."""

from __future__ import annotations

import pytest
import requests
import zeep
from zeep.exceptions import Fault
from zeep.transports import Transport

from app.bootstrap import Wiring, create_app
from app.clock import FixedClock
from app.config import Settings
from app.ggk import envelope as e
from app.ggk.config import GgkSettings
from tests.conftest import TEST_TODAY, Api
from tests.ggk import support as g
from tests.ggk.live import serving

BINDING = f"{{{e.GGK_NS}}}SOAPOntvangAsynchroon"


@pytest.fixture
def live(db_engine):
    """The service over real HTTP on a free port (no delivery worker)."""
    url = db_engine.url.render_as_string(False)
    app = create_app(
        Settings(database_url=url), FixedClock(TEST_TODAY), Wiring(ggk=GgkSettings(url=None))
    )
    with serving(app) as base:
        yield Api(None, db_engine, None), base
    app.state.service.engine.dispose()


def _client(wsdl: str, token: str) -> zeep.Client:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return zeep.Client(wsdl, transport=Transport(session=session))


def _stuurgegevens(ref: str, functie: str = "JW315", **extra) -> dict:
    return {
        "berichtcode": "Di01",
        "zender": {"organisatie": g.AGB, "applicatie": "Zorgsoft"},
        "ontvanger": {"organisatie": g.GEMEENTE, "applicatie": "GGk"},
        "referentienummer": ref,
        "tijdstipBericht": "20260615120000",
        **extra,
        "functie": functie,
    }


def _parameters(payload: bytes) -> dict:
    return {
        "applicatieVersie": "0004",
        "applicatieSubversie": "0003",
        "functieVersie": "0003",
        "functieSubversie": "0002",
        "bericht": {"xmlBestand": payload},
    }


def _cross_ref(result) -> str:
    return result.crossRefnummer if hasattr(result, "crossRefnummer") else result["crossRefnummer"]


def test_a_client_from_the_official_wsdl_sends_a_di01_and_a_fo01(live, ggk_dir, official):
    api, base = live
    chain = g.setup(api)
    wsdl = str(ggk_dir / "ggk0210" / "ggkberichten" / "ggk0210_OntvangAsynchroon_ggkberichten.wsdl")
    service = _client(wsdl, chain.ggk).create_service(BINDING, f"{base}/ggk/OntvangAsynchroon")
    ref = e.new_reference()
    result = service.ggk_Di01(stuurgegevens=_stuurgegevens(ref), parameters=_parameters(g.jw315()))
    assert _cross_ref(result) == ref  # the Bv03 acknowledges our referentienummer
    [entry] = g.outbox(api)
    assert (entry.kind, entry.functie, entry.cross_ref) == ("Du01", "JW316", ref)
    official(entry.body)
    # a Fo01 about our Du01, as the chain would send it
    fo01 = service.Fo01(
        stuurgegevens={
            "berichtcode": "Fo01",
            "zender": {"organisatie": "IB", "applicatie": "GGKWebservice"},
            "ontvanger": {"organisatie": g.GEMEENTE, "applicatie": "iJw-service"},
            "referentienummer": e.new_reference(),
            "tijdstipBericht": "20260615120500",
            "crossRefnummer": entry.referentienummer,
        },
        body={
            "code": "CC02",
            "plek": "client",
            "omschrijving": "Bericht niet conform XSD",
            "details": "JW316-00000001",
        },
    )
    assert _cross_ref(fo01)
    [entry] = g.outbox(api)
    assert (entry.state, entry.code) == ("failed", "CC02")


def test_a_refused_envelope_is_a_soap_fault_with_a_fo03_for_the_client(live, ggk_dir):
    api, base = live
    chain = g.setup(api)
    wsdl = str(ggk_dir / "ggk0210" / "ggkberichten" / "ggk0210_OntvangAsynchroon_ggkberichten.wsdl")
    service = _client(wsdl, chain.ggk).create_service(BINDING, f"{base}/ggk/OntvangAsynchroon")
    with pytest.raises(Fault) as raised:
        service.ggk_Di01(
            stuurgegevens=_stuurgegevens(e.new_reference(), "JW317"),
            parameters=_parameters(g.jw315()),
        )
    assert raised.value.message.startswith("IB240")
    fo03 = raised.value.detail.find(f"{{{e.STUF_NS}}}Fo03Bericht")
    assert fo03.findtext(f"{{{e.STUF_NS}}}body/{{{e.STUF_NS}}}code") == "IB240"
    assert g.outbox(api) == []


def test_a_client_from_our_served_wsdl_works_the_same(live):
    api, base = live
    chain = g.setup(api)
    client = _client(f"{base}/ggk/OntvangAsynchroon?wsdl", chain.ggk)
    service = client.bind("StUFOntvangAsynchroonGGK0210Service", "OntvangAsynchroon")
    ref = e.new_reference()
    result = service.ggk_Di01(stuurgegevens=_stuurgegevens(ref), parameters=_parameters(g.jw315()))
    assert _cross_ref(result) == ref
    assert [x.functie for x in g.outbox(api)] == ["JW316"]
