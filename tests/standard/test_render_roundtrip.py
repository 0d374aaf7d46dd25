"""Rendering the parsed model gives back the same message (the renderer is the model's inverse)."""

import pytest

from app.ijw import model, render, xml

VALID_EXAMPLES = [
    "JW301",
    "JW302",
    "JW305",
    "JW306",
    "JW307",
    "JW308",
    "JW316",
    "JW317",
    "JW319",
    "JW320",
    "JW323",
    "JW325",
]


@pytest.mark.parametrize("name", VALID_EXAMPLES)
def test_examples_roundtrip(examples_dir, name):
    info, tree = xml.read((examples_dir / f"{name}.xml").read_bytes())
    parsed = model.to_model(tree, info)
    out = render.render(info.name, parsed.root)
    assert not out.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in out and b"\n" not in out.replace(b"\r\n", b"")
    info2, tree2 = xml.read(out)
    assert model.plain(model.to_model(tree2, info2).root) == model.plain(parsed.root)


def test_render_refuses_unknown_elements():
    with pytest.raises(render.RenderError):
        render.render("JW305", {"Header": {"Nonsense": 1}})
