"""Values are read as the XSD reads them: comments and processing instructions inside an element
are not part of its value, and whitespace the type collapses is not either."""

from __future__ import annotations

from datetime import date

from app.ijw import model, xml
from testkit import messages as m


def _jw305() -> bytes:
    return m.xml("JW305", m.jw305_for("12345678", "0363", "C1", client_bsn=m.bsn(1)))


def test_comments_and_pis_inside_values_are_ignored() -> None:
    body = _jw305().replace(
        b"<ijw:Dagtekening>2026-03-01<", b"<ijw:Dagtekening>2026<!--x-->-03<?pi y?>-01<"
    )
    assert b"<!--x-->" in body
    info, tree = xml.read(body)  # schema-valid: the XSD reads 2026-03-01
    message = model.to_model(tree, info)
    assert message.dagtekening == date(2026, 3, 1)


def test_a_pi_before_a_value_and_whitespace_around_a_date() -> None:
    body = _jw305().replace(
        b"<jw305:Begindatum>2026-02-02<", b"<jw305:Begindatum><?x?> 2026-02-02 <"
    )
    info, tree = xml.read(body)
    client = model.to_model(tree, info).root["Client"]
    assert client["StartProducten"]["StartProduct"][0]["Begindatum"] == date(2026, 2, 2)
