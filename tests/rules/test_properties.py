"""Property tests: generated valid messages never raise a level-2 finding, and targeted changes
to generated messages raise exactly the rule they break."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ijw.render import render
from app.ijw.rules.engine import check
from app.ijw.rules.level2.client import elfproef
from testkit import messages as b
from testkit.samples import MESSAGE_TYPES
from testkit.strategies import messages

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)


def _findings(name: str, data: dict) -> list[tuple[str, tuple[str, ...]]]:
    return [(f.rule, f.locations) for f in check(b.parse_xml(render(name, data)))]


@SETTINGS
@given(data=st.data())
def test_generated_valid_messages_raise_no_finding(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(MESSAGE_TYPES), label="message type")
    message = data.draw(messages(name), label=name)
    assert _findings(name, message) == []


@SETTINGS
@given(message=messages("JW323"), delta=st.integers(1, 10_000))
def test_TR358_fires_exactly_when_the_total_is_off(message: dict, delta: int) -> None:
    assert _findings("JW323", message) == []
    message["Declaratie"]["TotaalIngediendBedrag"]["TotaalBedrag"] += delta
    assert {rule for rule, _ in _findings("JW323", message)} == {"TR358"}


@SETTINGS
@given(bsn=st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_CS002_fires_exactly_for_bsns_failing_the_11_proof(bsn: str) -> None:
    data = b.jw305()
    data["Client"]["Bsn"] = bsn
    assert ({"CS002"} if not elfproef(bsn) else set()) == {r for r, _ in _findings("JW305", data)}


@SETTINGS
@given(
    birth=st.dates(date(1890, 1, 1), date(2026, 3, 10)),
    dagtekening=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
)
def test_TR002_TR134_boundaries(birth: date, dagtekening: date) -> None:
    data = b.jw315()
    data["Header"]["BerichtIdentificatie"]["Dagtekening"] = dagtekening
    data["Client"]["Geboortedatum"]["Datum"] = birth
    for product in data["Client"]["AangevraagdeProducten"]["AangevraagdProduct"]:
        product["ToewijzingIngangsdatum"] = date(2031, 1, 1)
        product["ToewijzingEinddatum"] = date(2031, 12, 31)
    expected = set()
    if (birth.year + 120, birth.month, birth.day) < (
        dagtekening.year,
        dagtekening.month,
        dagtekening.day,
    ):
        expected.add("TR002")
    if birth > dagtekening:
        expected.add("TR134")
    assert {r for r, _ in _findings("JW315", data)} == expected


@SETTINGS
@given(
    starts=st.lists(st.integers(0, 400), min_size=2, max_size=6),
    lengths=st.lists(st.integers(0, 200), min_size=6, max_size=6),
)
def test_TR302_matches_a_pairwise_overlap_check(starts: list[int], lengths: list[int]) -> None:
    # The keyed sweep must agree with the checker's pairwise comparison on the same product.
    base = date(2026, 1, 1).toordinal()
    periods = [
        (date.fromordinal(base + s), date.fromordinal(base + s + n))
        for s, n in zip(starts, lengths, strict=False)
    ]
    data = b.jw301()
    data["Client"]["ToegewezenProducten"]["ToegewezenProduct"] = [
        b.toegewezen(1000 + i, Ingangsdatum=begin, Einddatum=end, Toewijzingsdatum=date(2026, 1, 1))
        for i, (begin, end) in enumerate(periods)
    ]
    data["Header"]["BerichtIdentificatie"]["Dagtekening"] = date(2026, 1, 1)
    overlap = any(
        a[0] <= c[1] and c[0] <= a[1] for i, a in enumerate(periods) for c in periods[i + 1 :]
    )
    assert ("TR302" in {r for r, _ in _findings("JW301", data)}) == overlap
