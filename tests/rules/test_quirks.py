"""Where the official checker differs from the rule texts, and the exact findings it produces.

Each choice is documented next to its rule; these tests pin the behaviour: retourcodes,
locations (path of the offending element, in document order) and how often a finding repeats.
"""

from __future__ import annotations

from datetime import date

from app.ijw.render import render
from app.ijw.rules.engine import Finding, check
from testkit import messages as b

PRESTATIE = "/Bericht/Declaratie/Clienten/Client[{c}]/Prestaties/Prestatie[{p}]"


def _by_rule(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.rule == code]


def test_CS025_CS015_header_versions_only_reachable_without_xsd() -> None:
    message = b.parse("JW305", b.jw305())
    message.header["BerichtVersie"] = 4
    message.header["BerichtSubversie"] = 1
    assert [(f.rule, f.locations) for f in check(message)] == [
        ("CS025", ("/Bericht/Header/BerichtVersie",)),
        ("CS015", ("/Bericht/Header/BerichtSubversie",)),
    ]


def test_CS319_declaratienummer_letters_and_digits() -> None:
    # The JW323 XSD already has the pattern; the rule is still checked on the parsed model.
    message = b.parse("JW323", b.jw323())
    message.root["Declaratie"]["DeclaratieNummer"] = "D-1"
    assert [(f.rule, f.locations) for f in check(message)] == [
        ("CS319", ("/Bericht/Declaratie/DeclaratieNummer",))
    ]


def test_TR319_reports_retourcode_9319_for_begin_and_end() -> None:
    data = b.jw323()
    data["Header"]["BerichtIdentificatie"]["Dagtekening"] = date(2026, 4, 10)
    data["Declaratie"]["Clienten"]["Client"][1]["Prestaties"]["Prestatie"][0]["ProductPeriode"] = {
        "Begindatum": date(2026, 3, 1),
        "Einddatum": date(2026, 3, 31),
    }
    found = _by_rule(b.findings("JW323", data), "TR319")
    prestatie = PRESTATIE.format(c=2, p=1)
    assert [f.as_dict() for f in found] == [
        {
            "rule": "TR319",
            "retourcode": "9319",
            "location": [
                "/Bericht/Declaratie/DeclaratiePeriode/Einddatum",
                f"{prestatie}/ProductPeriode/Begindatum",
            ],
        },
        {
            "rule": "TR319",
            "retourcode": "9319",
            "location": [
                "/Bericht/Declaratie/DeclaratiePeriode/Einddatum",
                f"{prestatie}/ProductPeriode/Einddatum",
            ],
        },
    ]


def test_TR006_reported_twice_when_neither_house_nor_postcode() -> None:
    data = b.jw301()
    contact = data["Client"]["Contactgegevens"]["Contact"][1]
    contact.update(Soort="02")
    del contact["Adres"], contact["Periode"]
    found = b.findings("JW301", data)
    assert [(f.rule, f.locations) for f in found] == [
        ("TR006", ("/Bericht/Client/Contactgegevens/Contact[2]",)),
        ("TR006", ("/Bericht/Client/Contactgegevens/Contact[2]",)),
    ]


def test_CS337_twice_across_a_year_once_across_a_month() -> None:
    data = b.jw323()
    prestaties = data["Declaratie"]["Clienten"]["Client"][0]["Prestaties"]["Prestatie"]
    prestaties[0]["ProductPeriode"] = {
        "Begindatum": date(2025, 12, 15),
        "Einddatum": date(2026, 1, 14),
    }
    prestaties[1]["ProductPeriode"] = {
        "Begindatum": date(2026, 1, 15),
        "Einddatum": date(2026, 2, 14),
    }
    found = _by_rule(b.findings("JW323", data), "CS337")
    first, second = PRESTATIE.format(c=1, p=1), PRESTATIE.format(c=1, p=2)
    assert [f.locations for f in found] == [
        (f"{first}/ProductPeriode/Begindatum", f"{first}/ProductPeriode/Einddatum"),
        (f"{first}/ProductPeriode/Begindatum", f"{first}/ProductPeriode/Einddatum"),
        (f"{second}/ProductPeriode/Begindatum", f"{second}/ProductPeriode/Einddatum"),
    ]


def test_CD077_and_CD078_both_fire_on_omvang_and_budget() -> None:
    data = b.jw301()
    data["Client"]["ToegewezenProducten"]["ToegewezenProduct"][1]["Budget"] = 1000
    found = b.findings("JW301", data)
    where = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]"
    assert sorted((f.rule, f.locations) for f in found) == [
        ("CD077", (f"{where}/Omvang", f"{where}/Budget")),
        ("CD078", (f"{where}/Omvang", f"{where}/Budget")),
    ]


def test_CS089_accepts_lower_case_letters_like_the_checker() -> None:
    data = b.jw301()
    data["Client"]["Contactgegevens"]["Contact"][0]["Adres"]["Postcode"] = "1234ab"
    assert b.findings("JW301", data) == []
    data["Client"]["Contactgegevens"]["Contact"][0]["Adres"]["Postcode"] = "1234a"
    assert [f.rule for f in b.findings("JW301", data)] == ["CS089"]


def _jw323_xml_with_total_text(text: str) -> bytes:
    data = b.jw323()
    value = data["Declaratie"]["TotaalIngediendBedrag"]["TotaalBedrag"]
    xml = render("JW323", data)
    old = f"<ijw:TotaalBedrag>{value}</ijw:TotaalBedrag>".encode()
    assert xml.count(old) == 1
    return xml.replace(old, f"<ijw:TotaalBedrag>{text}</ijw:TotaalBedrag>".encode())


def test_TR358_compares_the_total_as_text_like_the_checker() -> None:
    value = b.jw323()["Declaratie"]["TotaalIngediendBedrag"]["TotaalBedrag"]
    assert check(b.parse_xml(_jw323_xml_with_total_text(str(value)))) == []
    # A leading zero is a valid xs:integer and numerically equal, but the checker compares text.
    found = check(b.parse_xml(_jw323_xml_with_total_text(f"0{value}")))
    assert [(f.rule, f.retourcode) for f in found] == [("TR358", "0001")]


def test_TR101_points_at_the_first_and_the_duplicate() -> None:
    data = b.jw301()
    products = data["Client"]["ToegewezenProducten"]["ToegewezenProduct"]
    products.append(b.toegewezen(1002, Product={"Categorie": "48", "Code": "48A01"}))
    found = b.findings("JW301", data)
    where = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct"
    assert [(f.rule, f.locations) for f in found] == [("TR101", (f"{where}[2]", f"{where}[3]"))]


def test_TR383_reports_the_earlier_of_a_pair_only() -> None:
    data = b.jw315()
    data["Client"]["AangevraagdeProducten"]["AangevraagdProduct"][1]["ReferentieAanbieder"] = "REF1"
    found = _by_rule(b.findings("JW315", data), "TR383")
    assert [f.locations for f in found] == [
        ("/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]/ReferentieAanbieder",)
    ]


def test_TR134_on_the_periods_begin_TR137_on_their_end() -> None:
    data = b.jw323()
    data["Declaratie"]["DeclaratiePeriode"] = {
        "Begindatum": date(2026, 3, 1),
        "Einddatum": date(2026, 3, 31),
    }
    prestatie = data["Declaratie"]["Clienten"]["Client"][0]["Prestaties"]["Prestatie"][0]
    prestatie["ProductPeriode"] = {"Begindatum": date(2026, 3, 11), "Einddatum": date(2026, 3, 31)}
    found = [
        (f.rule, f.locations) for f in b.findings("JW323", data) if f.rule in ("TR134", "TR137")
    ]
    dag = "/Bericht/Header/BerichtIdentificatie/Dagtekening"
    where = PRESTATIE.format(c=1, p=1)
    assert sorted(found) == sorted(
        [
            ("TR134", (dag, f"{where}/ProductPeriode/Begindatum")),
            ("TR137", (dag, "/Bericht/Declaratie/DeclaratiePeriode/Einddatum")),
            ("TR137", (dag, f"{where}/ProductPeriode/Einddatum")),
        ]
    )


def test_findings_are_linear_in_the_number_of_duplicates() -> None:
    # 1,500 credits of one debet: the checker reports every pair (over a million findings); we
    # report each repeat once against the first, so both time and output stay linear.
    data = b.jw323()
    prestaties = data["Declaratie"]["Clienten"]["Client"][0]["Prestaties"]["Prestatie"]
    prestaties[:] = [b.prestatie(f"C{i}", maand=1, credit_of="R0") for i in range(1500)]
    b.refresh_total(data)
    found = _by_rule(b.findings("JW323", data), "TR315")
    assert len(found) == 1499
    assert found[0].locations[0].endswith("Prestatie[1]/ProductReferentie/VorigReferentieNummer")
