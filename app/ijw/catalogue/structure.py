"""Building blocks of the declarative iJw message model.

The standard's schemas use a small subset of XML Schema: named simple types that restrict a
built-in type with facets, and complex types that are a plain sequence of elements.  These
dataclasses describe exactly that subset; `app.ijw.catalogue.xsd_model` holds the facts of release
3.2 in these terms, and everything else (our XSD files, the parser, the retour renderer, the test
generators) derives from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNBOUNDED = -1


@dataclass(frozen=True)
class Simple:
    """A simple type: a built-in `base` (or another simple type) narrowed by facets.

    `base` is an XML Schema built-in without prefix (`string`, `integer`, `date`, `time`) or the
    name of another simple type of the basisschema (for message-local restrictions).
    """

    base: str
    enum: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    min_inclusive: int | None = None
    max_inclusive: int | None = None


@dataclass(frozen=True)
class El:
    """One element of a sequence. `type` names a simple or complex type, or is an inline Simple."""

    name: str
    type: str | Simple
    min: int = 1
    max: int = 1

    @property
    def repeats(self) -> bool:
        return self.max == UNBOUNDED or self.max > 1


@dataclass(frozen=True)
class MessageSchema:
    """The schema of one message: its BerichtCode, version and its local complex types.

    Local type names never start with `LDT_`/`CDT_`, which is how a reference is resolved to the
    message or to the basisschema.
    """

    name: str
    code: str
    xsd_version: str
    types: dict[str, tuple[El, ...]] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return f"http://www.istandaarden.nl/ijw/3_2/{self.name.lower()}/schema"
