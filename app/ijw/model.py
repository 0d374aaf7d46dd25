"""The parsed model: a schema-valid tree turned into typed Python values.

Each class (composite element) becomes a `Node`, a dict from child name to value: a `date`,
`time`, `int` or `str` for simple content, a `Node` for a composite child and a list of them for a
repeating child.  Dates are dates and amounts are integers (eurocents), as the schema types say.
Every node knows its place, so a rule can name the offending element
(`/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie[3]/ProductPeriode/Einddatum`).
Paths index an element only when it has same-named siblings, as the official checker does.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from app.ijw import xml
from app.ijw.catalogue import BASIS_NAMESPACE, CATALOGUE, MessageInfo, base_of, resolve
from app.ijw.catalogue.structure import Simple


class Node(dict[str, Any]):
    """One class of a message; children by element name."""

    __slots__ = ("index", "name", "parent")

    def __init__(self, name: str, parent: Node | None, index: int) -> None:
        # No dict.__init__ call: dict.__new__ already made it empty, and a 25 MB declaration
        # creates ~120,000 nodes (the call was a tenth of building them).
        self.name = name
        self.parent = parent
        self.index = index  # 1-based position among same-named siblings, 0 when it has none

    @property
    def path(self) -> str:
        """Location of this node, e.g. `/Bericht/Client/StartProducten/StartProduct[2]`."""
        own = f"{self.name}[{self.index}]" if self.index else self.name
        return f"{self.parent.path}/{own}" if self.parent is not None else f"/{own}"

    def loc(self, *names: str) -> str:
        """Location of a descendant reached through single (non-repeating) children."""
        return "/".join((self.path, *names))

    def get_in(self, *names: str) -> Any:
        """Value at a chain of single children, or None when any step is absent."""
        value: Any = self
        for name in names:
            if value is None:
                return None
            value = value.get(name)
        return value

    # Nodes are identities, used as dict keys and set members (a dict is unhashable, hence the
    # override mypy cannot reconcile with dict.__hash__ = None).
    def __hash__(self) -> int:  # type: ignore[override]
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


def _to_date(text: str) -> date:
    text = text.strip()  # xs:date collapses whitespace
    try:
        return date.fromisoformat(text)
    except ValueError:
        # xs:date allows years outside Python's range (e.g. 12025-01-01); clamp them so that
        # comparisons still say "far future" / "far past".
        return date.max if not text.startswith("-") else date.min


def _to_time(text: str) -> time:
    text = text.strip()  # xs:time collapses whitespace
    return time.fromisoformat(text[:8]) if len(text) >= 8 else time.fromisoformat(text)


_STR, _COMPOSITE = 0, 1  # markers in a child spec; any other value is a converter


def _converter(base: str) -> Any:
    if base == "string":
        return _STR
    if base == "date":
        return date.fromisoformat  # C speed; _to_date handles the rare out-of-range year
    if base == "integer":
        return int  # accepts the sign and surrounding whitespace xs:integer allows
    return _to_time


# Per (message, type): Clark tag of each child -> (name, repeats, converter/marker, type name).
_Spec = dict[str, tuple[str, bool, Any, str]]  # name, repeats, converter, composite type


@cache
def _children(message: str, type_name: str) -> _Spec:
    schema = CATALOGUE[message].schema
    seq = resolve(schema, type_name)
    assert not isinstance(seq, Simple)
    # elementFormDefault="qualified": children of basisschema types live in the basisschema
    # namespace, children of the message's own types in the message namespace.
    ns = BASIS_NAMESPACE if type_name.startswith("CDT_") else schema.namespace
    out: _Spec = {}
    for el in seq:
        tag = f"{{{ns}}}{el.name}"
        if isinstance(el.type, Simple):
            out[tag] = (el.name, el.repeats, _converter(base_of(el.type)), "")
            continue
        target = resolve(schema, el.type)
        if isinstance(target, Simple):
            out[tag] = (el.name, el.repeats, _converter(base_of(target)), "")
        else:
            out[tag] = (el.name, el.repeats, _COMPOSITE, el.type)
    return out


def text_of(el: etree._Element) -> str:
    """The text of a simple element as the XSD reads it: all its character data, comments and
    processing instructions left out (`2026<!--x-->-01-01` is `2026-01-01`)."""
    if len(el):  # only comments or PIs can be children of a simple element
        return "".join(el.itertext())
    return el.text or ""


_Prebuilt = dict[etree._Element, dict[str, list["Node"]]]
"""Classes built while streaming, by the element that contained them and their name."""


def _build(
    message: str,
    el: etree._Element,
    node: Node,
    type_name: str,
    prebuilt: _Prebuilt | None = None,
) -> None:
    # The hot loop of a 25 MB declaration (~400,000 elements): kept flat on purpose.
    spec = _children(message, type_name)
    repeated: dict[str, list[Any]] | None = None
    streamed = prebuilt.get(el) if prebuilt else None
    for child in el.iterchildren(etree.Element):
        name, repeats, convert, child_type = spec[child.tag]
        value: Any
        if streamed is not None and name in streamed:
            # built while streaming; the element left in the tree is an empty stub
            if repeated is None or name not in repeated:
                values = streamed[name]
                for built in values:
                    built.parent = node
                repeated = repeated or {}
                repeated[name] = values
            continue
        if convert is _COMPOSITE:
            value = Node(name, node, 0)
            _build(message, child, value, child_type, prebuilt)
        else:
            text = child.text if not len(child) else text_of(child)
            if convert is _STR:
                value = text or ""
            else:
                try:
                    value = convert(text)
                except (ValueError, TypeError):
                    value = _to_date(text or "")
        if repeats:
            if repeated is None:
                repeated = {name: [value]}
            elif name in repeated:
                repeated[name].append(value)
            else:
                repeated[name] = [value]
        else:
            node[name] = value
    if repeated:
        for name, values in repeated.items():
            if len(values) > 1 and type(values[0]) is Node:
                for i, value in enumerate(values, 1):
                    value.index = i
            node[name] = values


@dataclass
class Message:
    """A parsed, schema-valid message."""

    info: MessageInfo
    root: Node
    tree: etree._ElementTree | None = None

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def header(self) -> Node:
        return self.root["Header"]

    @property
    def sender(self) -> str:
        return self.header["Afzender"]

    @property
    def receiver(self) -> str:
        return self.header["Ontvanger"]

    @property
    def identificatie(self) -> str:
        return self.header["BerichtIdentificatie"]["Identificatie"]

    @property
    def dagtekening(self) -> date:
        return self.header["BerichtIdentificatie"]["Dagtekening"]

    def release(self) -> None:
        """Drop everything but the header (and the tree): once a large message is judged and
        answered, its model (about 1.6x its size) need not live until the commit."""
        header = self.root.get("Header")
        self.root = Node("Bericht", None, 0)
        self.tree = None
        if header is not None:
            header.parent = self.root
            self.root["Header"] = header


def to_model(tree: etree._ElementTree, info: MessageInfo) -> Message:
    """Turn a schema-valid tree into the parsed model (one pass, no second tree)."""
    root = Node("Bericht", None, 0)
    # Building ~100,000 containers would trigger the cyclic GC over and over (nodes point to
    # their parents); nothing here is garbage, so pause it for the build.
    enabled = gc.isenabled()
    gc.disable()
    try:
        _build(info.name, tree.getroot(), root, "Root")
    finally:
        if enabled:
            gc.enable()
    return Message(info, root, tree)


# Repeating classes that make up the bulk of a large message: `read` builds each one as soon as
# the parser has read it and drops its elements, so a 25 MB declaration never exists as a full
# lxml tree (about 3.4x the body) next to its parsed model (about 1.6x).
STREAMED: dict[str, tuple[str, ...]] = {"JW323": ("Prestatie",), "JW325": ("Prestatie",)}
STREAM_FROM = 256 * 1024  # bytes; smaller messages are parsed as one tree (fewer steps)


@cache
def _streamed_types(message: str) -> dict[str, tuple[str, str]]:
    """Clark tag -> (name, type) of the streamed classes of `message`."""
    wanted = set(STREAMED.get(message, ()))
    found: dict[str, tuple[str, str]] = {}
    seen: set[str] = set()
    todo = ["Root"]
    while todo:
        type_name = todo.pop()
        if type_name in seen:
            continue
        seen.add(type_name)
        for tag, (name, _, convert, child_type) in _children(message, type_name).items():
            if convert is _COMPOSITE:
                if name in wanted:
                    assert found.get(tag, (name, child_type)) == (name, child_type)
                    found[tag] = (name, child_type)
                todo.append(child_type)
    return found


def read(data: bytes, folder: Path = xml.SCHEMA_DIR) -> Message:
    """Level 1 and the parsed model of message bytes (`xml.read` + `to_model` in effect).

    A large declaration is parsed incrementally: the XSD is validated while the parser reads,
    and each prestatie is turned into its node and dropped from the tree as soon as it is
    complete.  Any failure (not well-formed, not valid, ...) takes the one-tree path, which
    raises the Rejection with every error exactly as for a small message.
    """
    info = xml.sniff(data) if len(data) >= STREAM_FROM else None
    if info is None or info.name not in STREAMED:
        info, tree = xml.read(data, folder)
        return to_model(tree, info)
    xml.check_bytes(data)
    streamed = _streamed_types(info.name)
    prebuilt: _Prebuilt = {}
    enabled = gc.isenabled()
    gc.disable()  # as in to_model: nothing here is garbage
    try:
        with xml.lend_schema(info.name, folder) as schema:
            events = xml.streaming_parser(data, schema, list(streamed))
            try:
                for _, el in events:
                    name, type_name = streamed[el.tag]
                    node = Node(name, None, 0)
                    _build(info.name, el, node, type_name)
                    container = el.getparent()
                    prebuilt.setdefault(container, {}).setdefault(name, []).append(node)
                    el.clear()
                root_el = events.root
            except etree.XMLSyntaxError:
                root_el = None
        if root_el is None:
            prebuilt.clear()
            info, tree = xml.read(data, folder)  # raises the Rejection with every error
            return to_model(tree, info)
        root = Node("Bericht", None, 0)
        _build(info.name, root_el, root, "Root", prebuilt)
    finally:
        if enabled:
            gc.enable()
    # The small remaining tree (header and declaration fields) stays for rules that read raw
    # text (TR358), like the full tree of to_model.
    return Message(info, root, root_el.getroottree())


def validate_written(data: bytes, info: MessageInfo, folder: Path = xml.SCHEMA_DIR) -> None:
    """XSD check of message bytes we wrote (Rejection when invalid): a large JW325 is
    validated while it is parsed and never held as a tree."""
    if len(data) < STREAM_FROM or info.name not in STREAMED:
        found, _ = xml.read(data, folder)
        if found is not info:
            raise xml.Rejection(xml.RejectionKind.UNKNOWN_NAMESPACE, f"not a {info.name}")
        return
    xml.validate_bytes(data, info, list(_streamed_types(info.name)), folder)


def from_data(info: MessageInfo, data: dict[str, Any]) -> Message:
    """The parsed model of a message we build, straight from its model-shaped data (what
    `app.ijw.render` writes): the model a reader of the written bytes gets (a test holds them
    equal on every message type), without parsing them back.  Values are shared, containers
    are new Nodes with their places."""
    root = Node("Bericht", None, 0)
    _adopt(root, data)
    return Message(info, root)


def _adopt(node: Node, data: Any) -> None:
    # Exact type tests: a JW325 listing 26,000 prestaties passes ~400,000 values through here.
    for name, value in data.items():
        kind = type(value)
        if value is None:
            continue
        if kind is list or kind is tuple:
            if value and isinstance(value[0], dict):
                several = len(value) > 1
                items = []
                for i, item in enumerate(value, 1):
                    if type(item) is Node and item.parent is None:
                        child = item  # built detached for this message: adopted as it is
                        child.parent, child.index = node, i if several else 0
                    else:
                        child = Node(name, node, i if several else 0)
                        _adopt(child, item)
                    items.append(child)
                node[name] = items
            else:
                node[name] = list(value)
        elif kind is dict or kind is Node:
            child = Node(name, node, 0)
            _adopt(child, value)
            node[name] = child
        else:
            node[name] = value


def many(node: Node | None, *names: str) -> list[Node]:
    """Repeating children at the end of a chain: many(client, 'Prestaties', 'Prestatie')."""
    value: Any = node
    for name in names:
        if value is None:
            return []
        value = value.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def walk(node: Node) -> Iterator[Node]:
    """Every node below and including `node`, in document order."""
    yield node
    for value in node.values():
        if isinstance(value, Node):
            yield from walk(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Node):
                    yield from walk(item)


def plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists (for comparisons, JSON and re-rendering)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
