"""The level-2 rule engine: small named rule functions registered against their code.

A rule is a function `(message, emit) -> None` that walks the parsed message once and calls
`emit(*locations)` for every violation; the engine attaches the code and retourcode from the rule
catalogue.  Rules must be linear in the message size: use dicts/sets keyed on the logical key
for uniqueness and overlap checks, never pairwise loops over all classes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from app.ijw.model import Message
from app.ijw.rules.catalogue import LEVEL2, RuleMeta


@dataclass(frozen=True)
class Finding:
    """One rule violation: the rule, the retourcode it yields and where it happened."""

    rule: str
    retourcode: str
    locations: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "retourcode": self.retourcode, "location": list(self.locations)}


Emit = Callable[..., None]
RuleFunc = Callable[[Message, Emit], None]


@dataclass(frozen=True)
class Registered:
    meta: RuleMeta
    func: RuleFunc


_REGISTRY: dict[str, Registered] = {}

T = TypeVar("T")

# Per-run memo of derived views (e.g. the flat list of a JW323's prestaties), so that the rules
# that all walk the same classes do not rebuild the view each; set only while `check` runs.
_MEMO: ContextVar[tuple[Message, dict[str, Any]] | None] = ContextVar("level2_memo", default=None)


def memo(message: Message, key: str, factory: Callable[[], T]) -> T:
    """`factory()`, computed once per `check` run of `message` (uncached outside a run)."""
    current = _MEMO.get()
    if current is None or current[0] is not message:
        return factory()
    cache = current[1]
    if key not in cache:
        cache[key] = factory()
    return cache[key]  # type: ignore[no-any-return]


def rule(code: str) -> Callable[[RuleFunc], RuleFunc]:
    """Register a level-2 rule implementation under its code (metadata must exist)."""
    meta = LEVEL2[code]

    def register(func: RuleFunc) -> RuleFunc:
        if code in _REGISTRY:
            raise ValueError(f"rule {code} registered twice")
        _REGISTRY[code] = Registered(meta, func)
        return func

    return register


def registered() -> dict[str, Registered]:
    """All registered level-2 rules (importing the rule modules first)."""
    from app.ijw.rules import level2  # noqa: F401  (registers on import)

    return _REGISTRY


def check(message: Message, only: set[str] | None = None) -> list[Finding]:
    """Run every level-2 rule that applies to this message type; findings in rule order."""
    findings: list[Finding] = []
    # The rules allocate many small keys and tuples but never reference cycles; with a large
    # parsed model alive, the cyclic GC would rescan all of its nodes again and again (TR416 on
    # a 25 MB JW323 ran 6x slower), so it is paused while the rules run.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    token = _MEMO.set((message, {}))
    try:
        for code, reg in registered().items():
            if message.name not in reg.meta.messages or (only is not None and code not in only):
                continue

            def emit(*locations: str, _code: str = code, _rc: str = reg.meta.retourcode) -> None:
                findings.append(Finding(_code, _rc, tuple(locations)))

            reg.func(message, emit)
    finally:
        _MEMO.reset(token)
        if gc_was_enabled:
            gc.enable()
    return findings
