"""Mutual TLS: the chain proves itself with a client certificate from the configured CA and an
allowed subject; the ggk token counts only where TLS client certificates are off.  Our worker
presents its own client certificate to a GGk that requires one."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from app.bootstrap import Wiring, create_app, main
from app.cli.tls import rfc4514, server_options
from app.clock import FixedClock, SystemClock
from app.config import Settings
from app.db.base import session_factory
from app.db.migrate import upgrade
from app.ggk.auth import subject_allowed
from app.ggk.config import GgkSettings
from app.ggk.delivery import Deliverer
from app.ggk.simulator import Link, Simulator
from tests.conftest import TEST_TODAY, Api
from tests.ggk import support as g
from tests.ggk.certs import Authority
from tests.ggk.live import serving

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = "CN=ggk.test,O=Inlichtingenbureau"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca, other = Authority(folder), Authority(folder, "Other CA")
    return {
        "ca": ca.path,
        "server": ca.issue("localhost", server=True),
        "chain": ca.issue("ggk.test", "Inlichtingenbureau"),
        "stranger": ca.issue("someone.test", "Elsewhere"),
        "forged": other.issue("ggk.test", "Inlichtingenbureau"),
        "worker": ca.issue("gemeente.test", "Gemeente"),
    }


def _client(pki, who: str | None) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    if who:
        context.load_cert_chain(*pki[who])
    return httpx.Client(verify=context, timeout=10)


def _soap_headers(token: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "text/xml", "SOAPAction": '"' + g.e.SOAP_ACTION[g.e.DI01] + '"'}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def test_subjects_match_attribute_by_attribute():
    subject = rfc4514(
        (
            (("countryName", "NL"),),
            (("organizationName", "IB, Den Haag"),),
            (("commonName", "ggk"),),
        )
    )
    assert subject == "CN=ggk,O=IB\\, Den Haag,C=NL"
    assert subject_allowed(subject, ["CN=ggk"]) and subject_allowed(
        subject, ["O=IB\\, Den Haag,CN=ggk"]
    )
    assert not subject_allowed(subject, ["CN=ggk,O=other"]) and not subject_allowed(subject, [""])


def test_only_an_allowed_client_certificate_of_our_ca_may_call(db_engine, pki):
    if db_engine.dialect.name != "sqlite":
        pytest.skip("TLS is independent of the database")
    server_cert, server_key = pki["server"]
    wiring = Wiring(
        ggk=GgkSettings(url=None, client_ca=str(pki["ca"]), allowed_subjects=(ALLOWED,))
    )
    url = db_engine.url.render_as_string(False)
    app = create_app(Settings(database_url=url), FixedClock(TEST_TODAY), wiring)
    tls = server_options(server_cert, server_key, str(pki["ca"]), require=False)
    with serving(app, **tls) as base:
        api = Api(None, db_engine, None)
        chain = g.setup(api)
        endpoint = f"{base}/ggk/OntvangAsynchroon"
        body, ref = g.wrap(g.jw315())
        with _client(pki, "chain") as client:
            r = client.post(endpoint, content=body, headers=_soap_headers())
        assert r.status_code == 200 and b"Bv03Bericht" in r.content
        with _client(pki, "stranger") as client:
            r = client.post(endpoint, content=g.wrap(g.jw315("V2", 2))[0], headers=_soap_headers())
        assert r.status_code == 403 and g.fault_code(r) == "IB002"
        with _client(pki, None) as client:  # no certificate: the ggk token does not count here
            r = client.post(
                endpoint, content=g.wrap(g.jw315("V3", 3))[0], headers=_soap_headers(chain.ggk)
            )
            assert r.status_code == 401 and g.fault_code(r) == "IB002"
            # providers keep using tokens on the rest of the API over the same TLS
            assert (
                client.get(
                    f"{base}/v1/berichten", headers={"Authorization": f"Bearer {chain.provider}"}
                ).status_code
                == 200
            )
        with _client(pki, "forged") as client, pytest.raises(httpx.HTTPError):
            client.post(endpoint, content=body, headers=_soap_headers())
    app.state.service.engine.dispose()
    assert [row.referentienummer for row in g.inbound(api)] == [ref]


def test_our_worker_presents_its_client_certificate_to_the_ggk(api, pki):
    if api.engine.dialect.name != "sqlite":
        pytest.skip("TLS is independent of the database")
    server_cert, server_key = pki["server"]
    sim = Simulator(Link("http://127.0.0.1:9"), echo=False)
    chain = g.setup(api)
    g.post(api, chain.ggk, g.wrap(g.jw315())[0])
    tls = server_options(server_cert, server_key, str(pki["ca"]), require=True)
    tls.pop("http")
    with serving(sim.app(), **tls) as base:
        url = f"{base}/ggk/OntvangAsynchroon"
        anonymous = GgkSettings(
            url=url, ca_bundle=str(pki["ca"]), timeout=5, lease=10, backoff_base=0
        )
        attempt = Deliverer(session_factory(api.engine), anonymous, SystemClock()).deliver_one()
        assert not attempt.delivered and attempt.error.startswith("TRANSPORT")  # handshake refused
        g_cert, g_key = pki["worker"]
        ours = GgkSettings(
            url=url,
            ca_bundle=str(pki["ca"]),
            client_cert=g_cert,
            client_key=g_key,
            timeout=5,
            lease=10,
            backoff_base=0,
        )
        attempt = Deliverer(session_factory(api.engine), ours, SystemClock()).deliver_one()
        assert attempt.delivered
    assert [r.functie for r in sim.state.received] == ["JW316"]


def test_ijw_serve_takes_the_tls_options(pki, tmp_path, capsys):
    server_cert, server_key = pki["server"]
    db = f"sqlite:///{tmp_path / 'tls.sqlite'}"
    upgrade(db)
    env = {**os.environ, "IJW_DATABASE_URL": db}
    cli = [sys.executable, "-m", "app.bootstrap"]
    assert main(["serve", "--tls-client-ca", str(pki["ca"])]) == 2  # client certs need TLS
    assert "--tls-cert" in capsys.readouterr().err
    port = _free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        [
            *cli,
            "serve",
            "--port",
            str(port),
            "--tls-cert",
            server_cert,
            "--tls-key",
            server_key,
            "--tls-client-ca",
            str(pki["ca"]),
            "--tls-allowed-subject",
            ALLOWED,
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        base = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        with _client(pki, "chain") as client:
            while True:
                try:
                    if client.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"ijw serve did not start: {log.read()[-2000:]!r}")
                time.sleep(0.2)
            # the chain's certificate is accepted; the envelope names no known party here
            r = client.post(
                f"{base}/ggk/OntvangAsynchroon",
                content=g.wrap(g.jw315())[0],
                headers=_soap_headers(),
            )
            assert r.status_code == 500 and g.fault_code(r) == "IB213"
        with _client(pki, "stranger") as client:
            r = client.post(
                f"{base}/ggk/OntvangAsynchroon",
                content=g.wrap(g.jw315())[0],
                headers=_soap_headers(),
            )
            assert r.status_code == 403
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
