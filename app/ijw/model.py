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
from typing import Any

from lxml import etree

from app.ijw.catalogue import BASIS_NAMESPACE, CATALOGUE, MessageInfo, base_of, resolve
from app.ijw.catalogue.structure import Simple


class Node(dict[str, Any]):
    """One class of a message; children by element name."""

    __slots__ = ("index", "name", "parent")

    def __init__(self, name: str, parent: Node | None, index: int) -> None:
        super().__init__()
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


def _build(message: str, el: etree._Element, node: Node, type_name: str) -> None:
    # The hot loop of a 25 MB declaration (~400,000 elements): kept flat on purpose.
    spec = _children(message, type_name)
    repeated: dict[str, list[Any]] | None = None
    for child in el.iterchildren(etree.Element):
        name, repeats, convert, child_type = spec[child.tag]
        value: Any
        if convert is _COMPOSITE:
            value = Node(name, node, 0)
            _build(message, child, value, child_type)
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
