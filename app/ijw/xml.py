"""Safe reading and schema validation of untrusted iJw XML (level 1).

One lxml tree per message: the hardened parser refuses DTDs (so no entity expansion, no external
entities, no network), the XSD is chosen from the root namespace, and the same tree is later turned
into the parsed model.  Nothing here knows about HTTP; callers map `Rejection.kind` to their own
answers.
"""

from __future__ import annotations

import io
import queue
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from pathlib import Path

from lxml import etree

from app.ijw.catalogue import BY_NAMESPACE, CATALOGUE, MessageInfo

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


def check_bytes(data: bytes) -> None:
    """Refuse a DTD and anything but UTF-8 before any parser sees the bytes."""
    if b"<!DOCTYPE" in _prolog(data).upper():
        raise Rejection(RejectionKind.DTD_FORBIDDEN, "DTDs and entity declarations are not allowed")
    head = data[:200].lstrip(b"\xef\xbb\xbf")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 1 and head[1:2] == b"\x00"):
        raise Rejection(RejectionKind.NOT_UTF8, "the message must be encoded in UTF-8")
    declared = _ENCODING.match(head)
    if declared is not None and declared.group(1).lower() != b"utf-8":
        raise Rejection(RejectionKind.NOT_UTF8, "the message must be encoded in UTF-8")


def parse(data: bytes) -> etree._ElementTree:
    """Parse bytes into a tree, refusing DTDs, non-UTF-8 encodings and malformed input."""
    check_bytes(data)
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


def sniff(data: bytes) -> MessageInfo | None:
    """The message type named by the root element, read from the first bytes only (None when
    they do not show an iJw 3.2 Bericht; the full parse then says why)."""
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False
    )
    try:
        for offset in range(0, min(len(data), 1 << 20), 4096):
            parser.feed(data[offset : offset + 4096])
            for _, element in parser.read_events():
                qname = etree.QName(element)
                info = BY_NAMESPACE.get(qname.namespace or "")
                return info if info is not None and qname.localname == "Bericht" else None
    except etree.XMLSyntaxError:
        return None
    return None


def streaming_parser(data: bytes, schema: etree.XMLSchema, tags: list[str]) -> etree.iterparse:
    """An incremental parse of `data` that validates against `schema` while it reads (libxml2's
    streaming validation) and reports the end of every element in `tags`; the same hardening
    as `parse` (no DTD, no entities, no network, libxml2's size limits)."""
    return etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        tag=tags,
        schema=schema,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=True,
        encoding="utf-8",
        chunk_size=1 << 16,
    )


class _SchemaPool:
    """Compiled XSDs of one message type; each instance is used by one thread at a time.

    libxml2 compiles schemas with shared global state, and an lxml `XMLSchema` keeps the error
    log of its last `validate()` on the object, so neither a compile nor a validation may share
    an instance between threads.  Instances are compiled under one process-wide lock and lent
    out per validation; a thread that finds none free compiles another (a pool grows to the
    number of threads validating that type at the same moment, then stays).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.free: queue.SimpleQueue[etree.XMLSchema] = queue.SimpleQueue()
        self.size = 0

    def compile(self) -> etree.XMLSchema:
        with _compile_lock:
            self.size += 1
            return etree.XMLSchema(etree.parse(str(self.path), _parser()))

    @contextmanager
    def lend(self) -> Iterator[etree.XMLSchema]:
        try:
            schema = self.free.get_nowait()
        except queue.Empty:
            schema = self.compile()
        try:
            yield schema
        finally:
            self.free.put(schema)


_compile_lock = threading.Lock()
_pools: dict[tuple[str, Path], _SchemaPool] = {}


def _pool(message: str, folder: Path) -> _SchemaPool:
    key = (message, folder)
    pool = _pools.get(key)
    if pool is None:
        with _compile_lock:
            pool = _pools.setdefault(key, _SchemaPool(folder / f"{message}.xsd"))
    return pool


def compile_all(folder: Path = SCHEMA_DIR) -> int:
    """Compile the XSD of every message type now (the service does this before it serves, so
    no request ever compiles one and a broken schema stops the start, not a request).  Returns
    how many were compiled; a second call compiles nothing."""
    compiled = 0
    for message in CATALOGUE:
        pool = _pool(message, folder)
        if pool.size == 0:
            pool.free.put(pool.compile())
            compiled += 1
    return compiled


def compiled_types(folder: Path = SCHEMA_DIR) -> set[str]:
    """The message types whose XSD is compiled in this process."""
    return {message for (message, f), pool in _pools.items() if f == folder and pool.size}


def schema_for(message: str, folder: Path = SCHEMA_DIR) -> etree.XMLSchema:
    """A compiled XSD of one message type, for single-threaded use (tools, benches); the
    service validates through `validate`, which lends each thread its own instance."""
    pool = _pool(message, folder)
    with pool.lend() as schema:
        return schema


@contextmanager
def lend_schema(message: str, folder: Path = SCHEMA_DIR) -> Iterator[etree.XMLSchema]:
    """A compiled XSD of `message` for this thread alone until the block ends."""
    with _pool(message, folder).lend() as schema:
        yield schema


def validate_bytes(
    data: bytes, info: MessageInfo, tags: list[str], folder: Path = SCHEMA_DIR
) -> None:
    """Raise a Rejection with every XSD error when `data` is not a valid `info` message.

    Validated while it is parsed; the elements in `tags` (the bulk of a large message) are
    dropped as soon as they are read, so no full tree is built.  Any failure is re-checked on
    one tree for the complete error list.
    """
    try:
        with lend_schema(info.name, folder) as schema:
            for _, element in streaming_parser(data, schema, tags):
                element.clear()
        return
    except etree.XMLSyntaxError:
        pass
    found, _ = read(data, folder)  # raises the Rejection with every error
    if found is not info:
        raise Rejection(RejectionKind.UNKNOWN_NAMESPACE, f"not a {info.name} message")


def validate(tree: etree._ElementTree, info: MessageInfo, folder: Path = SCHEMA_DIR) -> None:
    """Raise a Rejection with every XSD error when the tree is not valid for its message type."""
    errors: list[XsdError] = []
    total = 0
    with _pool(info.name, folder).lend() as schema:
        ok = schema.validate(tree)
        if not ok:
            # Keep the answer small: a message with 300,000 bad attributes has as many errors.
            log = schema.error_log
            errors = [
                XsdError(e.line, e.path or "", e.message) for e in islice(log, MAX_XSD_ERRORS)
            ]
            total = len(log)
            # The pooled schema would keep every error (300,000 for an attribute bomb) until
            # its next validation: drop them now (it is lent to this thread alone).
            schema._clear_error_log()
            del log
    if not ok:
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
