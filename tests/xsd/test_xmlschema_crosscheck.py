"""An independent XSD engine (`xmlschema`, pure Python) agrees with lxml on both schema sets:
the examples, a stratified sample of the corpus and a few generated messages per type."""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path

import pytest
import xmlschema

from app.ijw import xml
from app.ijw.catalogue.xsd_model import MESSAGES
from app.ijw.render import render
from testkit.samples import random_message
from tests.conftest import shared_path
from tests.xsd.support import OURS_DIR, tree_verdicts

PER_KIND = 2  # corpus cases per (message type, family)
GENERATED = 5  # generated messages per type


@cache
def _xs(folder: Path, name: str) -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(folder / f"{name}.xsd"))


def _compare(data: bytes, name: str, official_dir: Path) -> tuple[bool, ...] | None:
    """(lxml ours, lxml official, xmlschema ours, xmlschema official); None if refused."""
    try:
        tree = xml.parse(data)
    except xml.Rejection:
        return None
    v = tree_verdicts(tree, name, official_dir)
    return (
        v.ours,
        v.official,
        _xs(OURS_DIR, name).is_valid(tree),
        _xs(official_dir, name).is_valid(tree),
    )


def _sample() -> list[dict]:
    cases = json.loads(shared_path("ijw-corpus", "manifest.json").read_text(encoding="utf-8"))
    taken: dict[tuple[str, str], int] = {}
    out = []
    for case in cases:
        key = (case["message_type"], case["family"])
        if taken.get(key, 0) < PER_KIND:
            taken[key] = taken.get(key, 0) + 1
            out.append(case)
    return out


def test_examples_xmlschema_agrees(examples_dir, official_dir):
    for name in MESSAGES:
        result = _compare((examples_dir / f"{name}.xml").read_bytes(), name, official_dir)
        assert result is not None and len(set(result)) == 1, (name, result)


def test_corpus_sample_xmlschema_agrees(corpus_dir, official_dir):
    sample = _sample()
    compared = 0
    for case in sample:
        result = _compare(
            (corpus_dir / case["file"]).read_bytes(), case["message_type"], official_dir
        )
        if result is None:
            assert not case["xsd_valid"]
            continue
        compared += 1
        assert set(result) == {case["xsd_valid"]}, (case["file"], result)
    assert compared >= 50


@pytest.mark.parametrize("name", list(MESSAGES))
def test_generated_xmlschema_agrees(name, official_dir):
    for seed in range(GENERATED):
        data = render(name, random_message(name, random.Random(seed), edge=0.5))
        assert _compare(data, name, official_dir) == (True, True, True, True), seed
