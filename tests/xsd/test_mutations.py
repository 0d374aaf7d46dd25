"""Model-driven mutations: every element of every message type is removed, duplicated,
reordered, renamed, moved to another namespace and (for simple content) given boundary and
invalid values for each of its facets.  Our schema, the official schema and the verdict the
model predicts must all agree."""

from __future__ import annotations

from collections import Counter

import pytest
from lxml import etree

from app.ijw import xml
from app.ijw.catalogue.xsd_model import MESSAGES
from tests.xsd.instances import build, mutations
from tests.xsd.support import tree_verdicts

# Filled by the tests, printed by test_zz_report (run with -s to see the numbers).
COUNTS: Counter[str] = Counter()


def _run(name: str, official_dir, *, maximal: bool) -> tuple[int, list]:
    base, slots = build(name, maximal=maximal)
    base_tree = etree.ElementTree(base)
    v = tree_verdicts(base_tree, name, official_dir)
    assert v.ours and v.official, ("base instance must be valid", v.errors)
    done, wrong = 0, []
    declarations: set[tuple[str, str]] = set()
    for slot in slots:
        # values: once per element declaration, on the maximal instance
        key = (slot.owner, slot.el.name if slot.el else "")
        values = maximal and key not in declarations
        declarations.add(key)
        for m in mutations(name, slot, values=values):
            copy = etree.fromstring(etree.tostring(base))
            m.apply(next(e for i, e in enumerate(copy.iter()) if i == slot.index))
            data = etree.tostring(copy, encoding="UTF-8", xml_declaration=True)
            try:
                tree = xml.parse(data)
            except xml.Rejection as exc:  # pragma: no cover - mutations stay well-formed
                wrong.append((slot.path, m.kind, m.detail, "intake refused", str(exc)))
                continue
            v = tree_verdicts(tree, name, official_dir)
            done += 1
            COUNTS[f"{m.kind}:{'valid' if m.valid else 'invalid'}"] += 1
            if not (v.ours == v.official == m.valid):
                wrong.append(
                    (slot.path, m.kind, repr(m.detail), m.valid, v.ours, v.official, v.errors)
                )
    return done, wrong


@pytest.mark.parametrize("name", list(MESSAGES))
def test_mutations_of_every_element(name, official_dir):
    total, wrong = 0, []
    for maximal in (True, False):
        done, bad = _run(name, official_dir, maximal=maximal)
        total += done
        wrong += bad
    COUNTS[f"messages:{name}"] = total
    assert not wrong, wrong[:15]
    assert total > 500  # the walker really reached the elements


def test_zz_report():
    """Print the number of mutated documents per kind (visible with `pytest -s`)."""
    if not COUNTS:
        pytest.skip("mutation tests did not run")
    for key in sorted(COUNTS):
        print(f"{key:40} {COUNTS[key]}")
