"""Our envelope schema (app/ggk/schema) against the official one: the same verdict on the
official examples and on every mutation of them and of the messages we build.

The mutations walk every element and attribute of each seed: delete, duplicate, swap with the
next sibling, an unknown child or attribute, another namespace, and a list of text values at
each boundary the schemas know (lengths, patterns, UUIDs, base64, enumerations, fixed codes).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

from lxml import etree

from app.ggk import envelope as e

UUID = "0e09a81f-64a0-4793-b946-d6538fb3f37e"


def _lengths() -> list[str]:
    sizes = (1, 2, 3, 4, 5, 7, 8, 29, 30, 31, 39, 40, 41, 49, 50, 51, 99, 100, 101, 199, 200, 201)
    return ["a" * n for n in (*sizes, 254, 255, 256, 999, 1000, 1001)] + ["0" * n for n in sizes]


VALUES = [
    "",
    " ",
    "x y",
    *_lengths(),
    "1234",
    "12345",
    "123",
    "abcd",
    "12a4",
    " 1234",
    "20160421",
    "2016042",
    "12345678901234567",
    "123456789012345678",
    UUID,
    UUID.upper(),
    "9c0f7b90-5c69-11e5-a837-0800200c9a66",  # a version 1 UUID
    UUID.replace("-", ""),
    f" {UUID}",
    UUID[:-1] + "g",
    "0e09a81f-64a0-4793-c946-d6538fb3f37e",  # wrong variant
    "SGVsbG8=",
    "SGVsbG8",
    "@@@@",
    "SGVs bG8=",
    " SGVsbG8= ",
    "SGVsbG8==",
    "Di01",
    "Du01",
    "Fo01",
    "Fo03",
    "Bv03",
    "Lk01",
    "di01",
    " Di01",
    "client",
    "server",
    "Client",
    "file.csv",
    "a.b",
    "name with space.csv",
    "na/me.csv",
]
ATTRIBUTE_VALUES = ["", "abc", "abcd", "a" * 255, "a" * 256, "x y.csv", "ok-file_1.txt", "é.csv"]


def _seeds(examples: dict[str, bytes]) -> list[etree._Element]:
    routing = e.Routing(
        "Di01",
        e.System("12345678", "Zorgsoft"),
        e.System("0363", "GGk"),
        UUID,
        "20260615120000",
        None,
        "JW315",
    )
    versions = e.Versions("0001", "0002", "0003", "0002")
    di01 = e.build_envelope(e.Envelope(e.DI01, routing, versions, b"<x/>"))
    du01_routing = e.Routing(
        "Du01", routing.ontvanger, routing.zender, UUID, "20260615120000", UUID, "JW316"
    )
    du01 = e.build_envelope(e.Envelope(e.DU01, du01_routing, versions, b"<y/>"))
    answer = e.Routing("Fo01", routing.ontvanger, routing.zender, UUID, "20260615", UUID)
    fo01 = e.build_fo01(
        answer, e.Fault("StUF055", "client", "no", "JW315-00010002", copy.deepcopy(di01))
    )
    fo03 = e.build_fo03(
        answer.__class__(**{**answer.__dict__, "berichtcode": "Fo03"}),
        e.Fault("IB240", "server", "no"),
    )
    bv03 = e.build_bv03(answer.__class__(**{**answer.__dict__, "berichtcode": "Bv03"}))
    parsed = [etree.fromstring(data) for data in examples.values()]
    return [*parsed, di01, du01, fo01, fo03, bv03]


def _path(root: etree._Element, node: etree._Element) -> list[int]:
    out = []
    while node is not root:
        parent = node.getparent()
        out.append(parent.index(node))
        node = parent
    return out[::-1]


def _at(root: etree._Element, path: list[int]) -> etree._Element:
    for i in path:
        root = root[i]
    return root


def _mutations(seed: etree._Element) -> Iterator[etree._Element]:
    """Every mutation of `seed` (each a fresh copy)."""
    nodes = [n for n in seed.iter() if isinstance(n.tag, str)]
    for node in nodes:
        path = _path(seed, node)
        leaf = len(node) == 0
        is_root = not path

        def fresh(path: list[int] = path) -> tuple[etree._Element, etree._Element]:
            doc = copy.deepcopy(seed)
            return doc, _at(doc, path)

        if not is_root:
            doc, target = fresh()
            target.getparent().remove(target)
            yield doc
            doc, target = fresh()
            target.addnext(copy.deepcopy(target))
            yield doc
            doc, target = fresh()
            if target.getnext() is not None:
                nxt = target.getnext()
                target.addprevious(nxt)
                yield doc
            doc, target = fresh()
            target.tag = f"{{urn:other}}{etree.QName(target).localname}"
            yield doc
        doc, target = fresh()
        etree.SubElement(target, f"{{{etree.QName(target).namespace}}}onbekend").text = "1"
        yield doc
        doc, target = fresh()
        target.set("extra", "1")
        yield doc
        if leaf:
            for value in VALUES:
                doc, target = fresh()
                target.text = value
                yield doc
        else:
            doc, target = fresh()
            target.text = "tekst"
            yield doc
        for name in list(node.attrib):
            doc, target = fresh()
            del target.attrib[name]
            yield doc
            for value in ATTRIBUTE_VALUES:
                doc, target = fresh()
                target.set(name, value)
                yield doc


def _verdict(schema: etree.XMLSchema, element: etree._Element) -> bool:
    return bool(schema.validate(etree.ElementTree(element)))


def test_the_official_examples_are_valid_for_both(official_envelope_schema, official_examples):
    for name, data in official_examples.items():
        element = etree.fromstring(data)
        assert _verdict(official_envelope_schema, element), name
        assert e.schema_errors(element) == [], name


def test_every_mutation_gets_the_same_verdict(official_envelope_schema, official_examples):
    compared = invalid = 0
    disagreements: list[str] = []
    for seed in _seeds(official_examples):
        assert _verdict(official_envelope_schema, seed)
        for doc in _mutations(seed):
            ours = not e.schema_errors(doc)
            official = _verdict(official_envelope_schema, doc)
            compared += 1
            invalid += not official
            if ours != official and len(disagreements) < 5:
                disagreements.append(
                    f"ours={ours} official={official}: {etree.tostring(doc)[:600]!r}"
                )
    assert disagreements == []
    # the generator really exercises both verdicts, in numbers
    assert compared > 5000 and 0.3 * compared < invalid < 0.95 * compared, (compared, invalid)
