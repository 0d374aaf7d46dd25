"""Shared helpers of the differential XSD tests: compiled schema sets and verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from app.ijw import xml
from app.ijw.catalogue import BY_NAMESPACE
from app.ijw.catalogue.xsd_model import MESSAGES

OURS_DIR = xml.SCHEMA_DIR


@cache
def compiled(folder: Path) -> dict[str, etree.XMLSchema]:
    """Every message schema in `folder`, compiled once per process."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return {
        name: etree.XMLSchema(etree.parse(str(folder / f"{name}.xsd"), parser)) for name in MESSAGES
    }


@dataclass
class Verdicts:
    """Accept/reject of one document by our schema and by the official one."""

    ours: bool
    official: bool
    intake_refused: bool = False  # not well-formed / DTD / not UTF-8: rejected by both
    errors: list[str] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return self.ours == self.official


def message_type_of(data: bytes) -> str | None:
    """The message type named by the root namespace, or None when unknown/unparseable."""
    try:
        root = xml.parse(data).getroot()
    except xml.Rejection:
        return None
    info = BY_NAMESPACE.get(etree.QName(root).namespace or "")
    return info.name if info else None


def verdicts(data: bytes, name: str, official_dir: Path) -> Verdicts:
    """Validate `data` as message type `name` against both schema sets."""
    try:
        tree = xml.parse(data)
    except xml.Rejection as exc:
        return Verdicts(False, False, intake_refused=True, errors=[str(exc)])
    return tree_verdicts(tree, name, official_dir)


def tree_verdicts(tree: etree._ElementTree, name: str, official_dir: Path) -> Verdicts:
    """Validate an already parsed tree against both schema sets."""
    ours = compiled(OURS_DIR)[name]
    official = compiled(official_dir)[name]
    ok_ours = ours.validate(tree)
    errors = [f"ours: {e.message}" for e in ours.error_log][:3]
    ok_official = official.validate(tree)
    errors += [f"official: {e.message}" for e in official.error_log][:3]
    return Verdicts(ok_ours, ok_official, errors=errors)
