"""Instances and mutations derived from the declarative model, for differential XSD tests.

`build(message, maximal=True)` walks every element of a message type and builds an instance
with every optional element present and every repeating element twice (`maximal=False`: only
required elements, once).  Each element is recorded as a `Slot` in document order, so a copy of
the tree can be mutated at the same position.  `mutations(slot)` lists the structural and value
mutations for one element with the verdict the model predicts: XSD semantics evaluated here in
Python (facets, built-in lexical spaces, XSD regular expressions), independent of lxml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache

from lxml import etree

from app.ijw.catalogue import BASIS_NAMESPACE, resolve
from app.ijw.catalogue.structure import UNBOUNDED, El, Simple
from app.ijw.catalogue.xsd_model import MESSAGES, SIMPLE_TYPES

# --------------------------------------------------------------------------- simple types


def chain_of(el_type: str | Simple) -> tuple[Simple, ...]:
    """The restriction chain of a simple type, most derived first."""
    out: list[Simple] = []
    simple = el_type if isinstance(el_type, Simple) else SIMPLE_TYPES[el_type]
    while True:
        out.append(simple)
        if simple.base not in SIMPLE_TYPES:
            return tuple(out)
        simple = SIMPLE_TYPES[simple.base]


def builtin(chain: tuple[Simple, ...]) -> str:
    return chain[-1].base


def _facet(chain: tuple[Simple, ...], name: str, pick: Callable[..., int]) -> int | None:
    values = [getattr(s, name) for s in chain if getattr(s, name) is not None]
    return pick(values) if values else None


def max_length(chain: tuple[Simple, ...]) -> int | None:
    return _facet(chain, "max_length", min)


def min_length(chain: tuple[Simple, ...]) -> int | None:
    return _facet(chain, "min_length", max)


def max_inclusive(chain: tuple[Simple, ...]) -> int | None:
    return _facet(chain, "max_inclusive", min)


def min_inclusive(chain: tuple[Simple, ...]) -> int | None:
    return _facet(chain, "min_inclusive", max)


def enum_of(chain: tuple[Simple, ...]) -> tuple[str, ...]:
    for s in chain:
        if s.enum:
            return s.enum
    return ()


@cache
def xsd_regex(pattern: str) -> re.Pattern[str]:
    """An XSD pattern as an anchored Python regex (XSD `.`, `\\s`, `\\S` are narrower)."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1]
            i += 2
            if nxt == "s":
                out.append(" \\t\\n\\r" if in_class else "[ \\t\\n\\r]")
            elif nxt == "S":
                assert not in_class
                out.append("[^ \\t\\n\\r]")
            else:
                out.append("\\" + nxt)
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "." and not in_class:
            c = "[^\\n\\r]"
        out.append(c)
        i += 1
    return re.compile("".join(out))


_INTEGER = re.compile(r"[+-]?[0-9]+")
_DATE = re.compile(r"(-?)([0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?")


def _lexical_ok(base: str, value: str) -> bool:
    if base == "integer":
        return bool(_INTEGER.fullmatch(value))
    if base == "date":
        m = _DATE.fullmatch(value)
        if not m or (len(m.group(2)) > 4 and m.group(2).startswith("0")):
            return False
        year, month, day = int(m.group(2)), int(m.group(3)), int(m.group(4))
        if year == 0 or not 1 <= month <= 12:
            return False
        leap_year = 2000 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 2001
        try:
            date(leap_year, month, day)
        except ValueError:
            return False
        return True
    if base == "time":
        m = _TIME.fullmatch(value)
        if not m:
            return False
        h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if (h, mi, s) == (24, 0, 0):
            return not m.group(4) or set(m.group(4)[1:]) == {"0"}
        return h <= 23 and mi <= 59 and s <= 59
    return True


def accepts(chain: tuple[Simple, ...], text: str) -> bool:
    """Whether XSD accepts `text` as the content of an element of this simple type."""
    base = builtin(chain)
    value = text if base == "string" else _collapse(text)  # xs:string preserves whitespace
    if not _lexical_ok(base, value):
        return False
    for s in chain:
        if s.enum and value not in s.enum:
            return False
        if s.patterns and not any(xsd_regex(p).fullmatch(value) for p in s.patterns):
            return False
        if base == "string":
            if s.min_length is not None and len(value) < s.min_length:
                return False
            if s.max_length is not None and len(value) > s.max_length:
                return False
        if base == "integer":
            if s.min_inclusive is not None and int(value) < s.min_inclusive:
                return False
            if s.max_inclusive is not None and int(value) > s.max_inclusive:
                return False
    return True


def _collapse(text: str) -> str:
    return " ".join(t for t in re.split(r"[ \t\n\r]+", text) if t)


# Fillers that satisfy each pattern of the model at any length n (None: fixed content).
_FILL: dict[str, Callable[[int], str] | None] = {
    "[0-9]{8}": None,
    "[0-9]{9}": None,
    "[0-9]{4}": None,
    ".*[^\\s].*": lambda n: ("Ĳé 𠮷x" * n)[:n],
    "([.\\s]*\\S+[.\\s]*)+": lambda n: ("ok. " * n)[: n - 1] + "x",
    "(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)": None,
    "([a-zA-ZÀ-ỳ])+": lambda n: ("AzÀỳ" * n)[:n],
    "[0-9]*": lambda n: "0" * n,
    "([a-zA-Z0-9])+": lambda n: ("Zz9" * n)[:n],
}
_FIXED = {
    "[0-9]{8}": "01234567",
    "[0-9]{9}": "123456782",
    "[0-9]{4}": "0363",
    "(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)": "10.0.999",
}


def filler(chain: tuple[Simple, ...], n: int) -> str:
    """A string of length n satisfying the patterns of the chain (ignoring length facets)."""
    for s in chain:
        for p in s.patterns:
            fill = _FILL.get(p, "literal")
            if fill == "literal":
                return p
            if fill is None:
                return _FIXED[p]
            return fill(n)  # type: ignore[operator]
    return ("x " * n)[: n - 1] + "y" if n > 1 else "y"


def valid_values(chain: tuple[Simple, ...]) -> list[str]:
    """Valid lexical values of a simple type, boundary values included (first = the default)."""
    base = builtin(chain)
    if enum_of(chain):
        return list(enum_of(chain))
    if base == "integer":
        literal = [p for s in chain for p in s.patterns]
        if literal:
            return literal
        lo, hi = min_inclusive(chain), max_inclusive(chain)
        return [str(hi), str(lo), str((lo + hi) // 2), f"+{hi}", f"0{lo}"]
    if base == "date":
        return ["2024-02-29", "2021-01-01", "12025-12-31"]
    if base == "time":
        return ["12:34:56", "00:00:00", "23:59:59.999", "24:00:00"]
    lo, hi = min_length(chain) or 1, max_length(chain)
    out = [filler(chain, lo if hi is None else hi), filler(chain, lo)]
    if hi is None:
        out.append(filler(chain, 1000))
    return [v for v in dict.fromkeys(out) if accepts(chain, v)]


def candidate_values(chain: tuple[Simple, ...]) -> list[str]:
    """Valid and invalid lexical values to try (verdict from `accepts`)."""
    base = builtin(chain)
    out = list(valid_values(chain))
    out += ["", " ", "   ", "\u00a0", "x\ny", "tab\tbed"]
    hi = max_length(chain)
    if hi is not None:
        out += [filler(chain, hi + 1), filler(chain, hi) + " ", "é" * (hi + 1)]
    literals = [p for c in chain for p in c.patterns if p.isdigit()]
    for lit in literals:  # fixed codes (BerichtCode 436, BerichtVersie 3, ...)
        out += [lit + "0", "0" + lit, " " + lit, lit + " ", str(int(lit) + 1)]
        out += [m.code for m in MESSAGES.values()]  # another message's BerichtCode
    enum = enum_of(chain)
    if enum:
        out += ["ZZ", "99", "0", enum[0] + " ", " " + enum[0], enum[0].lower() + "x", enum[-1] * 2]
    if base == "integer":
        lo, hi_i = min_inclusive(chain), max_inclusive(chain)
        if hi_i is not None:
            out += [str(hi_i + 1), f" {hi_i} ", "0" * 30 + str(hi_i)]
        if lo is not None:
            out += [str(lo - 1), "-0"]
        out += ["1.5", "1e3", "abc", "99999999999999999999999", " 3 ", "+2", "٣"]
    elif base == "date":
        out += [
            "2024-01-01Z",
            "2024-01-01+01:00",
            "2024-01-01-05:00",
            "2024-02-30",
            "2023-02-29",
            "2024-1-1",
            "2024-01-01T00:00:00",
            " 2024-01-01 ",
            "24-01-01",
            "2024/01/01",
            "-2024-01-01",
        ]
    elif base == "time":
        out += [
            "12:34:56Z",
            "12:34:56+01:00",
            "12:34",
            "25:00:00",
            "12:60:00",
            " 12:00:00 ",
            "24:00:01",
            "T12:00:00",
        ]
    else:
        digits = "".join(p for s in chain for p in s.patterns)
        if "[0-9]" in digits:
            out += ["A" + filler(chain, (hi or 9) - 1), "1234567", "12345678901", "0" * (hi or 4)]
        out += ["A.B", "A B", "Ω", "ὅ", "王", "1.0", "01.0.0", "1.0.0.0", "1.a.0", "AB-1", "+316"]
        out += ["...", ". .", "\t x \t"]
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- instances


@dataclass(frozen=True)
class Slot:
    """One element of a built instance (document order index = position in `root.iter()`)."""

    index: int
    path: str
    el: El | None  # None for the root element
    type_name: str | None  # complex content: the type of the element
    chain: tuple[Simple, ...] | None  # simple content: its restriction chain
    ns: str
    count: int  # how many same-named siblings the instance holds
    owner: str = ""  # the complex type declaring this element (declaration = owner + name)


def _ns_of(message: str, type_name: str) -> str:
    return BASIS_NAMESPACE if type_name.startswith("CDT_") else MESSAGES[message].namespace


def build(message: str, *, maximal: bool = True) -> tuple[etree._Element, list[Slot]]:
    """An instance of `message` with every element (maximal) or only required ones."""
    schema = MESSAGES[message]
    root = etree.Element(
        f"{{{schema.namespace}}}Bericht",
        nsmap={message.lower(): schema.namespace, "ijw": BASIS_NAMESPACE},
    )
    slots = [Slot(0, "/Bericht", None, "Root", None, schema.namespace, 1)]

    def fill(parent: etree._Element, type_name: str, path: str) -> None:
        seq = resolve(schema, type_name)
        assert not isinstance(seq, Simple)
        ns = _ns_of(message, type_name)
        for el in seq:
            if el.min == 0 and not maximal:
                continue
            count = (2 if maximal else max(1, el.min)) if el.repeats else 1
            for i in range(count):
                child = etree.SubElement(parent, f"{{{ns}}}{el.name}")
                child_path = f"{path}/{el.name}" + (f"[{i + 1}]" if count > 1 else "")
                target = el.type if isinstance(el.type, Simple) else resolve(schema, el.type)
                if isinstance(target, Simple):
                    chain = chain_of(el.type)
                    child.text = valid_values(chain)[0]
                    slots.append(
                        Slot(len(slots), child_path, el, None, chain, ns, count, type_name)
                    )
                else:
                    slots.append(
                        Slot(len(slots), child_path, el, el.type, None, ns, count, type_name)  # type: ignore[arg-type]
                    )
                    fill(child, el.type, child_path)  # type: ignore[arg-type]

    fill(root, "Root", "/Bericht")
    return root, slots


# --------------------------------------------------------------------------- mutations

Mutate = Callable[[etree._Element], None]


@dataclass(frozen=True)
class Mutation:
    """A change to one element and the verdict the model predicts for the result."""

    kind: str
    apply: Mutate
    valid: bool
    detail: str = ""


def _all_optional(message: str, type_name: str) -> bool:
    seq = resolve(MESSAGES[message], type_name)
    assert not isinstance(seq, Simple)
    return all(el.min == 0 for el in seq)


def mutations(message: str, slot: Slot, *, values: bool = True) -> Iterator[Mutation]:
    """Every mutation of the element at `slot`, with its expected verdict (`values=False`:
    structural mutations only)."""
    el = slot.el
    if el is None:  # the root
        other = MESSAGES["JW301" if message != "JW301" else "JW305"].namespace
        yield Mutation("root_wrong_namespace", lambda e: _rename(e, other, "Bericht"), False)
        yield Mutation("root_wrong_name", lambda e: _rename(e, slot.ns, "Berichten"), False)
        yield Mutation("root_no_namespace", lambda e: _rename(e, None, "Bericht"), False)
        return
    removable = el.min == 0 or slot.count > el.min
    yield Mutation("remove", lambda e: e.getparent().remove(e), removable)
    yield Mutation("duplicate", _duplicate, el.max == UNBOUNDED or slot.count < el.max)
    yield Mutation(
        "unknown_sibling", lambda e: e.addnext(etree.Element(f"{{{slot.ns}}}Onbekend")), False
    )
    yield Mutation("swap_with_next", _swap_next, False)
    other_ns = MESSAGES[message].namespace if slot.ns == BASIS_NAMESPACE else BASIS_NAMESPACE
    yield Mutation("wrong_namespace", lambda e: _rename(e, other_ns, el.name), False)
    yield Mutation("no_namespace", lambda e: _rename(e, None, el.name), False)
    yield Mutation("renamed", lambda e: _rename(e, slot.ns, el.name + "X"), False)
    yield Mutation("attribute", lambda e: e.set("extra", "1"), False)
    if slot.chain is None:  # complex content
        yield Mutation("text_in_complex", lambda e: _set_text(e, "x"), False)
        yield Mutation("emptied", _empty, _all_optional(message, slot.type_name or ""))
        return
    yield Mutation(
        "child_in_simple", lambda e: e.append(etree.Element(f"{{{slot.ns}}}Kind")), False
    )
    yield Mutation("comment_in_value", _comment_inside, True)
    if not values:
        return
    for value in candidate_values(slot.chain):
        yield Mutation(
            "value", lambda e, v=value: _set_text(e, v), accepts(slot.chain, value), value
        )


def _rename(e: etree._Element, ns: str | None, name: str) -> None:
    e.tag = f"{{{ns}}}{name}" if ns else name


def _set_text(e: etree._Element, text: str) -> None:
    e.text = text


def _duplicate(e: etree._Element) -> None:
    e.addnext(etree.fromstring(etree.tostring(e)))


def _swap_next(e: etree._Element) -> None:
    nxt = e.getnext()
    if nxt is None:  # the last child: move it before the previous (different) sibling
        prev = e.getprevious()
        while prev is not None and prev.tag == e.tag:
            prev = prev.getprevious()
        if prev is None:
            e.getparent().insert(0, etree.Element("{urn:x}Marker"))  # no sibling: still wrong
            return
        prev.addprevious(e)
        return
    while nxt is not None and nxt.tag == e.tag:
        nxt = nxt.getnext()
    if nxt is None:
        prev = e.getprevious()
        while prev is not None and prev.tag == e.tag:
            prev = prev.getprevious()
        if prev is None:
            e.getparent().insert(0, etree.Element("{urn:x}Marker"))
            return
        prev.addprevious(e)
        return
    nxt.addnext(e)


def _empty(e: etree._Element) -> None:
    for child in list(e):
        e.remove(child)


def _comment_inside(e: etree._Element) -> None:
    """A comment in the middle of a value does not change it (both halves join)."""
    text = e.text or ""
    e.text = text[: len(text) // 2]
    comment = etree.Comment(" opmerking ")
    comment.tail = text[len(text) // 2 :]
    e.append(comment)
