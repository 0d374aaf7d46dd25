"""The tree-less paths for large messages (issue 10) give exactly what the tree paths give:
`render.write` the bytes of `render.render`, `model.read` the model (paths, values, findings) and
the refusals of `xml.read` + `to_model`."""

from __future__ import annotations

import random

import pytest

from app.ijw import model, xml
from app.ijw.catalogue.xsd_model import MESSAGES
from app.ijw.render import render, write
from app.ijw.rules import engine
from testkit.samples import big_declaration, declaration_answer, random_message

NAMES = sorted(MESSAGES)


@pytest.mark.parametrize("name", NAMES)
def test_write_gives_the_bytes_render_gives(name):
    rng = random.Random(name)
    for _ in range(25):
        data = random_message(name, rng)
        assert write(name, data) == render(name, data)


def test_write_escapes_text_as_lxml_does():
    data = random_message("JW315", random.Random(1))
    naam = data["Client"]["Naam"]["Geslachtsnaam"]
    for text in ("A & B <c> \"d\" 'e'", "line\nbreak\r\nend", "Ümlaut €", ""):
        naam["Achternaam"] = text
        assert write("JW315", data) == render("JW315", data)


def _tree_model(data: bytes) -> model.Message:
    info, tree = xml.read(data)
    return model.to_model(tree, info)


@pytest.fixture(scope="module")
def big() -> bytes:
    data = big_declaration(600, seed=3)
    assert len(data) >= model.STREAM_FROM  # large enough to take the streaming path
    return data


def test_streaming_read_builds_the_model_of_the_tree_path(big):
    streamed, whole = model.read(big), _tree_model(big)
    assert model.plain(streamed.root) == model.plain(whole.root)
    assert [n.path for n in model.walk(streamed.root)] == [n.path for n in model.walk(whole.root)]
    assert engine.check(streamed) == engine.check(whole) == []
    # TR358 reads the raw TotaalBedrag text from what is left of the tree
    spelled = big.replace(b"<ijw:TotaalBedrag>", b"<ijw:TotaalBedrag>000", 1)
    assert [f.rule for f in engine.check(model.read(spelled))] == ["TR358"]


def test_streaming_read_of_a_large_jw325(big):
    jw323 = model.plain(_tree_model(big).root)
    answer = write("JW325", declaration_answer(jw323, random.Random(5), outcome="partial"))
    assert len(answer) >= model.STREAM_FROM
    assert model.plain(model.read(answer).root) == model.plain(_tree_model(answer).root)


@pytest.mark.parametrize(
    "damage",
    [
        (b"<jw323:GeleverdVolume>", b"<jw323:GeleverdVolume>x"),  # XSD: every error reported
        (b"</jw323:Prestatie>", b"</jw323:Prestatie></oops>"),  # not well-formed
        (b"<?xml version='1.0' encoding='UTF-8'?>", b"<?xml version='1.0'?><!DOCTYPE x>"),
    ],
)
def test_streaming_read_refuses_as_the_tree_path_does(big, damage):
    bad = big.replace(*damage)
    with pytest.raises(xml.Rejection) as streamed:
        model.read(bad)
    with pytest.raises(xml.Rejection) as whole:
        xml.read(bad)
    assert streamed.value.kind == whole.value.kind
    assert streamed.value.errors == whole.value.errors


@pytest.mark.parametrize("name", NAMES)
def test_the_model_of_written_data_is_the_model_of_its_bytes(name):
    # The intake checks its own answers on model.from_data: it must be what reading the
    # written bytes gives, value for value and path for path.
    rng = random.Random(f"from-data-{name}")
    info = xml.identify(xml.parse(render(name, random_message(name, rng))))
    for _ in range(10):
        data = random_message(name, rng)
        built, read_back = model.from_data(info, data), model.read(write(name, data))
        assert model.plain(built.root) == model.plain(read_back.root)
        paths = [n.path for n in model.walk(built.root)]
        assert paths == [n.path for n in model.walk(read_back.root)]


def test_validate_written_checks_large_answers_without_a_tree(big):
    jw323 = model.plain(_tree_model(big).root)
    data = declaration_answer(jw323, random.Random(7), outcome="partial")
    info = xml.identify(xml.parse(render("JW325", data)))
    body = write("JW325", data)
    assert len(body) >= model.STREAM_FROM
    model.validate_written(body, info)  # valid: no exception
    with pytest.raises(xml.Rejection) as refused:
        model.validate_written(body.replace(b"<ijw:Bedrag>", b"<ijw:Bedrag>x", 1), info)
    assert refused.value.kind == xml.RejectionKind.XSD_INVALID and refused.value.errors


def test_the_jw325_the_intake_builds_is_its_own_model(big):
    # build_declaration_answer hands the rejected prestaties over as detached nodes, which
    # from_data adopts without copying: the result must still be what the bytes read back as.
    from datetime import date

    from app.ijw.retour import DeclarationDecision, build_declaration_answer

    declaration = model.read(big)
    decision = DeclarationDecision()
    for i, prestatie in enumerate(model.walk(declaration.root)):
        if prestatie.name == "Prestatie" and i % 3:
            decision.reject(prestatie, "TR338")
    data = build_declaration_answer(
        declaration, decision, identificatie="R1", today=date(2026, 6, 15)
    )
    info = xml.identify(xml.parse(render("JW325", data)))
    body = write("JW325", data)
    built = model.from_data(info, data)
    assert model.plain(built.root) == model.plain(model.read(body).root)
    assert [n.path for n in model.walk(built.root)] == [
        n.path for n in model.walk(model.read(body).root)
    ]
    assert engine.check(built) == []
