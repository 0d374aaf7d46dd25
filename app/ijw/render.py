"""Render the parsed-model shape (nested dicts) back to iJw XML, in schema order.

The inverse of `app.ijw.model.to_model`: values are Python dates, times, ints and strings, a
composite child is a dict and a repeating child a list.  Element order, namespaces and which
children exist come from the declarative model, so every message we build (retours, JW301, JW319,
JW325, test messages) has one renderer.  Output follows OP192: UTF-8 without BOM, CR/LF line ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from functools import cache
from typing import Any

from lxml import etree

from app.ijw.catalogue import BASIS_NAMESPACE, CATALOGUE, resolve
from app.ijw.catalogue.structure import Simple


class RenderError(ValueError):
    """The data does not fit the message structure (unknown element or missing value)."""


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, bool):
        raise RenderError("booleans are not an iJw type")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return str(value)


# Per (message, type): (element name, Clark tag, simple content?, child type name) in order.
_Spec = tuple[tuple[str, str, bool, str], ...]


@cache
def _spec(message: str, type_name: str) -> tuple[_Spec, frozenset[str]]:
    schema = CATALOGUE[message].schema
    seq = resolve(schema, type_name)
    assert not isinstance(seq, Simple)
    ns = BASIS_NAMESPACE if type_name.startswith("CDT_") else schema.namespace
    out = []
    for el in seq:
        target = el.type if isinstance(el.type, Simple) else resolve(schema, el.type)
        child_type = el.type if isinstance(el.type, str) else ""
        out.append((el.name, f"{{{ns}}}{el.name}", isinstance(target, Simple), child_type))
    return tuple(out), frozenset(el.name for el in seq)


def _fill(message: str, parent: etree._Element, type_name: str, data: Mapping[str, Any]) -> None:
    # The hot loop when a JW325 lists every prestatie of a 25 MB declaration: kept flat.
    spec, known = _spec(message, type_name)
    used = 0
    for name, tag, simple, child_type in spec:
        value = data.get(name)
        if name in data:
            used += 1
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else (value,)
        for item in values:
            child = etree.SubElement(parent, tag)
            if simple:
                child.text = item if type(item) is str else _text(item)
            elif isinstance(item, Mapping):
                _fill(message, child, child_type, item)
            else:
                raise RenderError(f"{name} needs a mapping, got {type(item).__name__}")
    if used != len(data):
        raise RenderError(f"{type_name} has no element(s) {sorted(set(data) - known)}")


def build_tree(message: str, data: Mapping[str, Any]) -> etree._Element:
    """Build the element tree of `message` from model-shaped data (root children at top level)."""
    info = CATALOGUE[message]
    prefix = message.lower()
    root = etree.Element(
        f"{{{info.namespace}}}Bericht", nsmap={prefix: info.namespace, "ijw": BASIS_NAMESPACE}
    )
    _fill(message, root, "Root", data)
    return root


def serialize(root: etree._Element) -> bytes:
    """A built tree as message bytes (UTF-8, no BOM, CR/LF line ends)."""
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n")
    return body.replace(b"\n", b"\r\n")


def render(message: str, data: Mapping[str, Any]) -> bytes:
    """Serialise model-shaped data as an iJw message (UTF-8, no BOM, CR/LF line ends)."""
    return serialize(build_tree(message, data))
