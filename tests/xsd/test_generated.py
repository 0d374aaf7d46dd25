"""Thousands of generated valid messages of every type: our schema and the official schema both
accept each of them (deterministic seeds plus a Hypothesis run)."""

from __future__ import annotations

import os
import random
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ijw.catalogue.xsd_model import MESSAGES
from app.ijw.render import render
from testkit.samples import random_message
from testkit.strategies import messages
from tests.xsd.support import verdicts

# Raise for a deeper run, e.g. IJW_XSD_SEEDS=2000 IJW_XSD_EXAMPLES=1000 pytest tests/xsd
SEEDS = int(os.environ.get("IJW_XSD_SEEDS", "100"))
EXAMPLES = int(os.environ.get("IJW_XSD_EXAMPLES", "60"))
EDGES = (0.0, 0.1, 1.0)


@pytest.mark.parametrize("name", list(MESSAGES))
def test_seeded_messages_accepted_by_both(name, official_dir):
    rejected = []
    for seed in range(SEEDS):
        for edge in EDGES:
            data = render(name, random_message(name, random.Random(seed), edge=edge))
            v = verdicts(data, name, official_dir)
            if not (v.ours and v.official):
                rejected.append((seed, edge, v.ours, v.official, v.errors))
    assert not rejected, rejected[:5]


@pytest.mark.parametrize("name", list(MESSAGES))
def test_hypothesis_messages_accepted_by_both(name, official_dir):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(messages(name))
    def check(data):
        v = verdicts(render(name, data), name, official_dir)
        assert v.ours and v.official, v.errors

    check()


@pytest.mark.parametrize("version", ["1.0.0", "0.1.0", "10.20.30", "0.0.0"])
def test_any_n_n_n_xsd_versie_is_accepted(version, official_dir):
    """Spec §2.1: the schemas declare 0.1.0, the examples carry 1.0.0; both are valid."""
    for name in MESSAGES:
        data = render(name, random_message(name, random.Random(7), xsd_version=version))
        assert f">{version}<".encode() in data
        v = verdicts(data, name, official_dir)
        assert v.ours and v.official, (name, v.errors)


@pytest.mark.parametrize("version", ["1.0", "01.0.0", "1.0.0.0", "v1.0.0", "1.0.0 ", ""])
def test_malformed_xsd_versie_is_rejected_by_both(version, official_dir):
    for name in ("JW301", "JW323", "JW325"):
        # render does not validate, so it writes the malformed value as given
        data = render(name, random_message(name, random.Random(3), xsd_version=version))
        v = verdicts(data, name, official_dir)
        assert v.agree and not v.ours, (name, version, v.errors)


@given(st.dates(date(2021, 3, 1), date(2026, 6, 30)))
@settings(max_examples=25, deadline=None)
def test_declaration_dates_accepted(dag):
    """A narrow extra sweep over Dagtekening for the date-heavy declaration."""
    from tests.conftest import shared_path

    official = shared_path("ijw", "xsd")
    data = render("JW323", random_message("JW323", random.Random(dag.toordinal()), dagtekening=dag))
    v = verdicts(data, "JW323", official)
    assert v.ours and v.official, v.errors
