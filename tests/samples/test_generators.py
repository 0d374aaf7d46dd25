"""The message generators: valid (XSD), level-2 clean, deterministic, varied, and exactly the
shape the parser produces."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from app.ijw import model, xml
from app.ijw.catalogue import resolve
from app.ijw.catalogue.structure import Simple
from app.ijw.catalogue.xsd_model import MESSAGES, SIMPLE_TYPES
from app.ijw.render import render
from app.ijw.rules.engine import check
from testkit.samples import (
    FORWARD_OF,
    MESSAGE_TYPES,
    elfproef,
    iter_messages,
    random_bsn,
    random_message,
)
from testkit.strategies import any_message

EDGES = (0.0, 0.1, 1.0)


def _parse(name: str, data: dict) -> model.Message:
    info, tree = xml.read(render(name, data))
    assert info.name == name
    return model.to_model(tree, info)


def test_message_types_cover_the_catalogue():
    assert set(MESSAGE_TYPES) == set(MESSAGES) and len(MESSAGE_TYPES) == 14


@pytest.mark.parametrize("name", MESSAGE_TYPES)
def test_valid_clean_and_roundtrip(name):
    """Valid against our XSD, no level-2 finding, parse(render(x)) == x."""
    for seed in range(40):
        for edge in EDGES:
            data = random_message(name, random.Random(seed), edge=edge)
            parsed = _parse(name, data)
            assert model.plain(parsed.root) == data, (seed, edge)
            findings = check(parsed)
            assert findings == [], (seed, edge, [f.as_dict() for f in findings])


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(any_message())
def test_hypothesis_messages_are_level2_clean(item):
    name, data = item
    findings = check(_parse(name, data))
    assert findings == [], [f.as_dict() for f in findings]


@pytest.mark.parametrize("name", MESSAGE_TYPES)
def test_deterministic(name):
    a = random_message(name, random.Random(42))
    b = random_message(name, random.Random(42))
    c = random_message(name, random.Random(43))
    assert a == b
    assert a != c


def test_options_are_honoured():
    dag = date(2024, 5, 17)
    for name in MESSAGE_TYPES:
        data = random_message(
            name, random.Random(1), dagtekening=dag, gemeente="0599", aanbieder="87654321"
        )
        header = data["Header"]
        parties = {header["Afzender"], header["Ontvanger"]}
        assert parties == {"0599", "87654321"}, name
        if name not in FORWARD_OF:
            assert header["BerichtIdentificatie"]["Dagtekening"] == dag, name
    assert (
        random_message("JW305", random.Random(1), bsn="999900006")["Client"]["Bsn"] == "999900006"
    )
    decl = random_message("JW323", random.Random(1), n_clients=3, n_prestaties=2, credit_fraction=0)
    clients = decl["Declaratie"]["Clienten"]["Client"]
    assert len(clients) == 3 and all(len(c["Prestaties"]["Prestatie"]) == 2 for c in clients)
    for outcome in ("accepted", "header", "classes"):
        retour = random_message("JW306", random.Random(1), outcome=outcome)
        assert ("Client" in retour) == (outcome == "classes")
    with pytest.raises(TypeError):
        random_message("JW301", random.Random(1), n_clients=2)
    with pytest.raises(ValueError):
        random_message("JW999", random.Random(1))


def test_max_repeats_bounds_every_repeating_class():
    for name in MESSAGE_TYPES:
        for seed in range(20):
            data = random_message(name, random.Random(seed), max_repeats=2)
            for count in _repeat_counts(name, data):
                # scenarios (corrections, credit + corrected debet, consecutive allocations,
                # the four contact Soorten) add at most a few classes to the drawn repeats
                assert count <= 6, name
    sizes = [
        max(_repeat_counts(n, random_message(n, random.Random(s), max_repeats=12)))
        for n in ("JW301", "JW305", "JW323")
        for s in range(10)
    ]
    assert max(sizes) > 6  # larger bounds give larger messages


def _repeat_counts(name: str, data: dict) -> list[int]:
    counts: list[int] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                if isinstance(v, list):
                    counts.append(len(v))
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data)
    return counts


def test_bsn_generation_passes_the_elfproef():
    rng = random.Random(5)
    bsns = [random_bsn(rng, test_range=i % 2 == 0) for i in range(2000)]
    assert all(elfproef(b) for b in bsns)
    assert all("999900006" <= b <= "999999990" for b in bsns[::2])
    assert len(set(bsns)) > 1900
    assert elfproef("123456782") and not elfproef("123456789") and not elfproef("12345678")


# --------------------------------------------------------------------------- variety

# Elements whose presence never varies, or code values never generated, and why.
NEVER_ABSENT: set[str] = set()
NEVER_USED_VALUES = {
    "LDT_StatusAanlevering": {"2", "9"},  # CS058 forbids them
    "LDT_NaamGebruik": {"5"},  # CS050 allows 1-4 with a partner name, otherwise 1 or 6
    "LDT_RedenWijziging": {"01"},  # CS336
}


def _census(name: str, messages: list[dict]) -> tuple[Counter, Counter, dict, Counter]:
    """Per element declaration: presence/absence, values seen, max-length hits."""
    schema = MESSAGES[name]
    present: Counter = Counter()
    absent: Counter = Counter()
    values: dict[str, set[str]] = defaultdict(set)
    at_max: Counter = Counter()

    def walk(type_name: str, node: dict) -> None:
        seq = resolve(schema, type_name)
        assert not isinstance(seq, Simple)
        for el in seq:
            key = f"{type_name}/{el.name}"
            value = node.get(el.name)
            if value is None:
                absent[key] += 1
                continue
            present[key] += 1
            items = value if isinstance(value, list) else [value]
            if el.repeats and len(items) > 1:
                present[key + "[2+]"] += 1
            target = el.type if isinstance(el.type, Simple) else resolve(schema, el.type)
            for item in items:
                if isinstance(target, Simple):
                    ldt = el.type if isinstance(el.type, str) else el.type.base
                    values[ldt].add(str(item))
                    simple = SIMPLE_TYPES.get(ldt, target)
                    if simple.max_length and len(str(item)) == simple.max_length:
                        at_max[ldt] += 1
                else:
                    walk(el.type, item)  # type: ignore[arg-type]

    for data in messages:
        walk("Root", data)
    return present, absent, values, at_max


@pytest.mark.parametrize("name", ["JW301", "JW305", "JW307", "JW315", "JW317", "JW319", "JW323"])
def test_forward_messages_vary_widely(name):
    """Across 300 messages every optional element is seen present and absent, every repeating
    class more than once, every code value of the code lists (bar the forbidden ones)."""
    msgs = [data for _, data in iter_messages(name, 300, seed=1000)]
    present, absent, values, at_max = _census(name, msgs)
    schema = MESSAGES[name]
    for type_name, seq in schema.types.items():
        for el in seq:
            key = f"{type_name}/{el.name}"
            if not present[key]:
                continue  # the class itself never occurs (cannot happen for forward types)
            if el.min == 0 and key not in NEVER_ABSENT:
                assert absent[key], f"{key} is never absent"
            if el.repeats:
                assert present[key + "[2+]"], f"{key} never repeats"
    for ldt, seen in values.items():
        simple = SIMPLE_TYPES.get(ldt)
        if simple is None or not simple.enum or ldt in ("LDT_LandCode", "LDT_RetourCode"):
            continue
        if ldt == "LDT_ProductCategorie" and name != "JW301":
            continue
        missing = set(simple.enum) - seen - NEVER_USED_VALUES.get(ldt, set())
        assert not missing, f"{ldt}: never generated {sorted(missing)}"
        assert not seen & NEVER_USED_VALUES.get(ldt, set())
    # edge values: some string reaches its maximum length, and non-BMP characters occur
    if name in ("JW301", "JW315", "JW305", "JW307"):
        assert at_max["LDT_Naam"] and at_max["LDT_IdentificatieBericht"]
        assert any(any(ord(ch) > 0xFFFF for ch in v) for v in values["LDT_Naam"])


def test_retours_and_answers_vary():
    for name in ("JW302", "JW306", "JW308", "JW316", "JW318", "JW320", "JW325"):
        msgs = [data for _, data in iter_messages(name, 200, seed=7)]
        present, absent, _, _ = _census(name, msgs)
        body = (
            "DeclaratieAntwoord" if name == "JW325" else "Antwoord" if name == "JW320" else "Client"
        )
        assert present[f"Root/{body}"] and absent[f"Root/{body}"], name
        assert present["Header/XsltVersie"] and absent["Header/XsltVersie"], name


class _Lowest(random.Random):
    """A degenerate random source (what Hypothesis shrinks towards): always the lowest value."""

    def random(self) -> float:
        return 0.0

    def getrandbits(self, k: int) -> int:
        return 0


class _Highest(random.Random):
    def random(self) -> float:
        return 0.999_999


@pytest.mark.parametrize("source", [_Lowest, _Highest])
def test_degenerate_random_sources_still_give_valid_clean_messages(source):
    """Uniqueness loops and product placement terminate and stay correct when every draw is
    the same (key collisions on every attempt)."""
    for name in MESSAGE_TYPES:
        for max_repeats in (1, 3, 8):
            for edge in (0.0, 1.0):
                data = random_message(name, source(0), max_repeats=max_repeats, edge=edge)
                findings = check(_parse(name, data))
                assert findings == [], (name, max_repeats, edge, [f.as_dict() for f in findings])
