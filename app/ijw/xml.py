"""Safe reading and schema validation of untrusted iJw XML (level 1).

One lxml tree per message: the hardened parser refuses DTDs (so no entity expansion, no external
entities, no network), the XSD is chosen from the root namespace, and the same tree is later turned
into the parsed model.  Nothing here knows about HTTP; callers map `Rejection.kind` to their own
answers.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from itertools import islice
from pathlib import Path

from lxml import etree

from app.ijw.catalogue import BY_NAMESPACE, MessageInfo

SCHEMA_DIR = Path(__file__).resolve().parent / "xsd"  # ships in the package


class RejectionKind(StrEnum):
    """Why a message never reached the rules."""

    NOT_WELL_FORMED = "not_well_formed"
    NOT_UTF8 = "not_utf8"
    DTD_FORBIDDEN = "dtd_forbidden"
    UNKNOWN_NAMESPACE = "unknown_namespace"
    XSD_INVALID = "xsd_invalid"


@dataclass(frozen=True)
class XsdError:
    """One schema violation, as lxml reports it."""

    line: int
    path: str
    message: str


@dataclass
class Rejection(Exception):
    """A level-1 failure: the message is not received, no retour is built (spec §3a)."""

    kind: RejectionKind
    message: str
    errors: list[XsdError] = field(default_factory=list)  # the first MAX_XSD_ERRORS
    total: int = 0  # how many errors there were

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def _parser() -> etree.XMLParser:
    # No DTD loading, no entity resolution, no network; huge_tree stays off so libxml2 keeps its
    # own depth and text-size limits.
    return etree.XMLParser(
        # spec §3a: UTF-8 only; never let libxml2 pick another encoding from a declaration
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        # Whitespace between elements is never content in iJw (no mixed content); dropping it
        # makes the tree a third smaller and faster to walk.
        remove_blank_text=True,
        collect_ids=False,
    )


_local = threading.local()


def _thread_parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _parser()
    return parser


def _prolog(data: bytes) -> bytes:
    """The bytes before the root element, where a DOCTYPE would have to be."""
    pos = 0
    while True:
        lt = data.find(b"<", pos)
        if lt < 0 or lt + 1 >= len(data):
            return data
        nxt = data[lt + 1 : lt + 2]
        if nxt not in (b"?", b"!"):
            return data[:lt]
        if data.startswith(b"<!--", lt):
            end = data.find(b"-->", lt + 4)
            pos = len(data) if end < 0 else end + 3
        elif data.startswith(b"<!", lt):
            return data[: lt + 2 + 16]  # a DOCTYPE or other declaration: stop here
        else:
            end = data.find(b"?>", lt + 2)
            pos = len(data) if end < 0 else end + 2


# The encoding of an XML declaration, however it is spaced (`encoding = 'x'` is legal XML).
_ENCODING = re.compile(rb"<\?xml\s[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']")
MAX_XSD_ERRORS = 100  # a refusal lists the first errors and says how many there were


def parse(data: bytes) -> etree._ElementTree:
    """Parse bytes into a tree, refusing DTDs, non-UTF-8 encodings and malformed input."""
    if b"<!DOCTYPE" in _prolog(data).upper():
        raise Rejection(RejectionKind.DTD_FORBIDDEN, "DTDs and entity declarations are not allowed")
    head = data[:200].lstrip(b"\xef\xbb\xbf")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 1 and head[1:2] == b"\x00"):
        raise Rejection(RejectionKind.NOT_UTF8, "the message must be encoded in UTF-8")
    declared = _ENCODING.match(head)
    if declared is not None and declared.group(1).lower() != b"utf-8":
        raise Rejection(RejectionKind.NOT_UTF8, "the message must be encoded in UTF-8")
    try:
        root = etree.fromstring(data, parser=_thread_parser())
    except etree.XMLSyntaxError as exc:
        kind = RejectionKind.NOT_WELL_FORMED
        if "encoding" in str(exc).lower():
            kind = RejectionKind.NOT_UTF8
        raise Rejection(kind, f"not well-formed: {exc}") from None
    return root.getroottree()


def identify(tree: etree._ElementTree) -> MessageInfo:
    """The message type named by the root element's namespace."""
    root = tree.getroot()
    qname = etree.QName(root)
    info = BY_NAMESPACE.get(qname.namespace or "")
    if info is None or qname.localname != "Bericht":
        raise Rejection(
            RejectionKind.UNKNOWN_NAMESPACE,
            f"unknown message: root element {root.tag!r} is not an iJw 3.2 Bericht",
        )
    return info


@cache
def schema_for(message: str, folder: Path = SCHEMA_DIR) -> etree.XMLSchema:
    """The compiled XSD of one message type (compiled once per process)."""
    doc = etree.parse(str(folder / f"{message}.xsd"), _parser())
    return etree.XMLSchema(doc)


_schema_lock = threading.Lock()


def validate(tree: etree._ElementTree, info: MessageInfo, folder: Path = SCHEMA_DIR) -> None:
    """Raise a Rejection with every XSD error when the tree is not valid for its message type."""
    schema = schema_for(info.name, folder)
    # lxml's XMLSchema objects are not safe for concurrent validate() calls.
    with _schema_lock:
        ok = schema.validate(tree)
        log = schema.error_log
    if not ok:
        # Keep the answer small: a message with 300,000 bad attributes has as many errors.
        errors = [XsdError(e.line, e.path or "", e.message) for e in islice(log, MAX_XSD_ERRORS)]
        total = len(log)
        shown = f", the first {len(errors)} listed" if total > len(errors) else ""
        raise Rejection(
            RejectionKind.XSD_INVALID,
            f"{info.name} is not valid against its iJw 3.2 schema ({total} errors{shown})",
            errors,
            total,
        )


def read(data: bytes, folder: Path = SCHEMA_DIR) -> tuple[MessageInfo, etree._ElementTree]:
    """Parse, identify and schema-validate a message: all of level 1 in one call."""
    tree = parse(data)
    info = identify(tree)
    validate(tree, info, folder)
    return info, tree
