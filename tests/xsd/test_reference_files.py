"""Our schemas and the official ones give the same verdict on the official examples and on the
labelled corpus; on the corpus both also equal the manifest's `xsd_valid` label."""

from __future__ import annotations

import json

import pytest

from app.ijw.catalogue.xsd_model import MESSAGES
from tests.conftest import shared_path
from tests.xsd.support import verdicts

# Spec §2.6: the JW315 and JW318 examples are XSD-invalid on purpose, all others are valid.
INVALID_EXAMPLES = {"JW315", "JW318"}


@pytest.mark.parametrize("name", list(MESSAGES))
def test_example_same_verdict(name, examples_dir, official_dir):
    data = (examples_dir / f"{name}.xml").read_bytes()
    v = verdicts(data, name, official_dir)
    assert v.agree, v.errors
    assert v.official == (name not in INVALID_EXAMPLES), v.errors


def _manifest() -> list[dict]:
    return json.loads(shared_path("ijw-corpus", "manifest.json").read_text(encoding="utf-8"))


def test_corpus_same_verdict_and_equal_to_label(corpus_dir, official_dir):
    cases = _manifest()
    assert len(cases) > 100  # the corpus is really there and read
    mismatches = []
    counts = {"valid": 0, "invalid": 0, "refused_at_intake": 0}
    for case in cases:
        data = (corpus_dir / case["file"]).read_bytes()
        v = verdicts(data, case["message_type"], official_dir)
        counts["refused_at_intake" if v.intake_refused else ("valid" if v.ours else "invalid")] += 1
        if not (v.ours == v.official == case["xsd_valid"]):
            mismatches.append((case["file"], v.ours, v.official, case["xsd_valid"], v.errors))
    assert not mismatches, mismatches[:10]
    # every kind of verdict occurs, so the comparison is not vacuous
    assert all(counts.values()), counts
