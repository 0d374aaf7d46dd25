"""Render the parsed-model shape (nested dicts) back to iJw XML, in schema order.

The inverse of `app.ijw.model.to_model`: values are Python dates, times, ints and strings, a
composite child is a dict and a repeating child a list.  Element order, namespaces and which
children exist come from the declarative model, so every message we build (retours, JW301, JW319,
JW325, test messages) has one renderer.  Output follows OP192: UTF-8 without BOM, CR/LF line ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Any

from lxml import etree

from app.ijw.catalogue import BASIS_NAMESPACE, CATALOGUE, resolve
from app.ijw.catalogue.structure import Simple


class RenderError(ValueError):
    """The data does not fit the message structure (unknown element or missing value)."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        raise RenderError("booleans are not an iJw type")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return str(value)


def _fill(message: str, parent: etree._Element, type_name: str, data: Mapping[str, Any]) -> None:
    schema = CATALOGUE[message].schema
    seq = resolve(schema, type_name)
    assert not isinstance(seq, Simple)
    ns = BASIS_NAMESPACE if type_name.startswith("CDT_") else schema.namespace
    known = {el.name for el in seq}
    unknown = set(data) - known
    if unknown:
        raise RenderError(f"{type_name} has no element(s) {sorted(unknown)}")
    for el in seq:
        value = data.get(el.name)
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        target = el.type if isinstance(el.type, Simple) else resolve(schema, el.type)
        for item in values:
            child = etree.SubElement(parent, f"{{{ns}}}{el.name}")
            if isinstance(target, Simple):
                child.text = _text(item)
            else:
                if not isinstance(item, Mapping):
                    raise RenderError(f"{el.name} needs a mapping, got {type(item).__name__}")
                _fill(message, child, el.type, item)  # type: ignore[arg-type]


def build_tree(message: str, data: Mapping[str, Any]) -> etree._Element:
    """Build the element tree of `message` from model-shaped data (root children at top level)."""
    info = CATALOGUE[message]
    prefix = message.lower()
    root = etree.Element(
        f"{{{info.namespace}}}Bericht", nsmap={prefix: info.namespace, "ijw": BASIS_NAMESPACE}
    )
    _fill(message, root, "Root", data)
    return root


def render(message: str, data: Mapping[str, Any]) -> bytes:
    """Serialise model-shaped data as an iJw message (UTF-8, no BOM, CR/LF line ends)."""
    root = build_tree(message, data)
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
