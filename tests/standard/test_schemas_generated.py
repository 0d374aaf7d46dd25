"""Our XSD files are exactly what the declarative model renders (no hand edits drift in)."""

from app.ijw.catalogue.xsd_writer import render_all
from app.ijw.xml import SCHEMA_DIR


def test_committed_schemas_equal_fresh_rendering():
    rendered = render_all()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.xsd")}
    assert set(on_disk) == set(rendered)
    for name, text in rendered.items():
        assert on_disk[name] == text, f"{name} differs: run `make schemas`"


def test_schemas_carry_no_official_annotation_text():
    for path in SCHEMA_DIR.glob("*.xsd"):
        text = path.read_text(encoding="utf-8")
        assert "Volgnummer van de formele uitgifte" not in text
        assert text.count("<xs:documentation>") == 1  # only our "generated" note
