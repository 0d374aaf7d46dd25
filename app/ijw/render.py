"""Render the parsed-model shape (nested dicts) back to iJw XML, in schema order.

The inverse of `app.ijw.model.to_model`: values are Python dates, times, ints and strings, a
composite child is a dict and a repeating child a list.  Element order, namespaces and which
children exist come from the declarative model, so every message we build (retours, JW301, JW319,
JW325, test messages) has one renderer.  Output follows OP192: UTF-8 without BOM, CR/LF line ends.
"""

from __future__ import annotations

import io
import re
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


# -- the same bytes without a tree ---------------------------------------------------------------
#
# `write` produces exactly what `render` does (lxml's pretty print with CR/LF), straight from the
# data: a JW325 that lists every prestatie of a 25 MB declaration is about 29 MB, and building it
# as an lxml tree first cost 2 s and 100 MB.  Text is escaped as lxml escapes it (& < > and CR);
# a test compares both on every kind of message.

# Per (message, type): (name, "<prefix:Name>", "</prefix:Name>", simple content?, child type).
_WSpec = tuple[tuple[str, str, str, bool, str], ...]


@cache
def _wspec(message: str, type_name: str) -> tuple[_WSpec, frozenset[str]]:
    spec, known = _spec(message, type_name)
    prefix = "ijw" if type_name.startswith("CDT_") else message.lower()
    return (
        tuple(
            (name, f"<{prefix}:{name}>", f"</{prefix}:{name}>", simple, child_type)
            for name, _, simple, child_type in spec
        ),
        known,
    )


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", "\n": "\r\n"})
_SPECIAL = re.compile("[&<>\r\n]").search
_FLUSH = 8192  # pieces kept as str before they are encoded onto the output buffer


class _Writer:
    def __init__(self, message: str) -> None:
        self.message = message
        # BytesIO, not bytearray: getvalue() hands over its buffer instead of copying 29 MB
        self.out = io.BytesIO()
        self.pieces: list[str] = []

    def flush(self) -> None:
        self.out.write("".join(self.pieces).encode())
        self.pieces.clear()

    def fill(self, type_name: str, data: Mapping[str, Any], indent: str) -> None:
        spec, known = _wspec(self.message, type_name)
        pieces = self.pieces
        inner = indent + "  "
        used = 0
        for name, open_tag, close_tag, simple, child_type in spec:
            value = data.get(name)
            if name in data:
                used += 1
            if value is None:
                continue
            values = value if isinstance(value, list | tuple) else (value,)
            for item in values:
                if simple:
                    if type(item) is str:
                        # only text can need escaping (numbers and dates never do)
                        text = item.translate(_ESCAPES) if _SPECIAL(item) else item
                    else:
                        text = _text(item)
                    pieces.append(f"{indent}{open_tag}{text}{close_tag}\r\n")
                elif isinstance(item, Mapping):
                    if not item:
                        pieces.append(f"{indent}{open_tag[:-1]}/>\r\n")
                        continue
                    pieces.append(f"{indent}{open_tag}\r\n")
                    self.fill(child_type, item, inner)
                    pieces.append(f"{indent}{close_tag}\r\n")
                else:
                    raise RenderError(f"{name} needs a mapping, got {type(item).__name__}")
        if used != len(data):
            raise RenderError(f"{type_name} has no element(s) {sorted(set(data) - known)}")
        if len(pieces) > _FLUSH:
            self.flush()


def write(message: str, data: Mapping[str, Any]) -> bytes:
    """`render(message, data)`, byte for byte, written as text without building a tree."""
    info = CATALOGUE[message]
    prefix = message.lower()
    w = _Writer(message)
    w.pieces.append(
        f"<?xml version='1.0' encoding='UTF-8'?>\r\n<{prefix}:Bericht xmlns:{prefix}="
        f'"{info.namespace}" xmlns:ijw="{BASIS_NAMESPACE}">\r\n'
    )
    w.fill("Root", data, "  ")
    w.pieces.append(f"</{prefix}:Bericht>\r\n")
    w.flush()
    return w.out.getvalue()
