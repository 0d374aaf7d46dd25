"""Fixtures of the GGk tests: the official envelope schema and WSDL come from ../shared/ggk at
test time (third-party, EUPL: read there, never copied); tests that need them skip without."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import shared_path


@cache
def _official_schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(path))


@pytest.fixture(scope="session")
def ggk_dir() -> Path:
    """The official GGk material (skips the test when ../shared/ggk is absent)."""
    return shared_path("ggk")


@pytest.fixture(scope="session")
def official_envelope_schema(ggk_dir: Path) -> etree.XMLSchema:
    """The official ggk0210 envelope schema (it imports StUF 0301: Fo01, Bv03, Fo03 too)."""
    return _official_schema(
        str(ggk_dir / "ggk0210" / "ggkberichten" / "ggk0210_msg_ggkberichten.xsd")
    )


@pytest.fixture(scope="session")
def official_examples(ggk_dir: Path) -> dict[str, bytes]:
    """The official example messages by file name."""
    folder = ggk_dir / "voorbeeldberichten"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.xml"))}


@pytest.fixture(scope="session")
def official_ijw(ggk_dir: Path) -> dict[str, etree.XMLSchema]:
    """The official iJw 3.2 schemas by message type (compiled once)."""
    from tests.xsd.support import compiled

    return compiled(shared_path("ijw", "xsd"))


@pytest.fixture
def official(official_envelope_schema, official_ijw):
    """`official(entry)`: assert an outbox entry is valid against the official envelope XSD and,
    when it carries an iJw message, that message against the official iJw XSD."""
    import base64

    from app.ggk import envelope as e

    def check(body: bytes) -> etree._Element:
        element = etree.fromstring(body)
        ok = official_envelope_schema.validate(etree.ElementTree(element))
        assert ok, official_envelope_schema.error_log
        text = element.findtext(
            f"{{{e.GGK_NS}}}parameters/{{{e.GGK_NS}}}bericht/{{{e.GGK_NS}}}xmlBestand"
        )
        if text:
            payload = etree.fromstring(base64.b64decode(text))
            functie = element.findtext(f"*/{{{e.STUF_NS}}}functie")
            schema = official_ijw[functie]
            assert schema.validate(etree.ElementTree(payload)), schema.error_log
        return element

    return check


@pytest.fixture
def receiver(official):
    """A GGk simulator on a free port standing in for IJW_GGK_URL: (simulator, endpoint URL).
    Every envelope it received is checked against the official XSDs when the test ends."""
    from app.ggk.simulator import Link, Simulator
    from tests.ggk.live import serving

    sim = Simulator(Link("http://127.0.0.1:9"), echo=False)
    with serving(sim.app()) as base:
        yield sim, f"{base}/ggk/OntvangAsynchroon"
    for item in sim.state.received:
        official(item.body)
