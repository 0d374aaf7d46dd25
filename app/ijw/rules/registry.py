"""What a level-2 rule is: a small function tagged with its code, plus the per-run memo.

A rule is a function `(message, emit) -> None` that walks the parsed message once and calls
`emit(*locations)` for every violation.  `@rule("CS025")` wraps it in a `Rule` that carries its
metadata from the rule catalogue (a code without metadata cannot be declared).  Nothing is
registered anywhere on import: `app.ijw.rules.level2` collects the `Rule` values of its modules
and the engine runs that collection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from app.ijw.model import Message
from app.ijw.rules.catalogue import LEVEL2, RuleMeta

Emit = Callable[..., None]
RuleFunc = Callable[[Message, Emit], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Rule:
    """A level-2 rule implementation with its catalogue row; calling it runs the function."""

    meta: RuleMeta
    func: RuleFunc

    @property
    def code(self) -> str:
        return self.meta.code

    def __call__(self, message: Message, emit: Emit) -> None:
        self.func(message, emit)


def rule(code: str) -> Callable[[RuleFunc], Rule]:
    """Declare a level-2 rule implementation under its code (its metadata must exist)."""
    meta = LEVEL2[code]

    def wrap(func: RuleFunc) -> Rule:
        return Rule(meta, func)

    return wrap


def collect(modules: Iterable[ModuleType]) -> dict[str, Rule]:
    """The rules declared in `modules`, by code, in module order and then definition order."""
    out: dict[str, Rule] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Rule):
                if value.code in out and out[value.code] is not value:
                    raise ValueError(f"rule {value.code} is declared twice")
                out[value.code] = value
    return out


# Per-run memo of derived views (e.g. the flat list of a JW323's prestaties), so that the rules
# that all walk the same classes do not rebuild the view each; set only while a check runs.
_MEMO: ContextVar[tuple[Message, dict[str, Any]] | None] = ContextVar("level2_memo", default=None)


def memo(message: Message, key: str, factory: Callable[[], T]) -> T:
    """`factory()`, computed once per check run of `message` (uncached outside a run)."""
    current = _MEMO.get()
    if current is None or current[0] is not message:
        return factory()
    cache = current[1]
    if key not in cache:
        cache[key] = factory()
    return cache[key]  # the cache holds what factory() made


def memo_scope(message: Message) -> Any:
    """Open the memo for one run over `message`; pass the result to `close_memo_scope`."""
    return _MEMO.set((message, {}))


def close_memo_scope(token: Any) -> None:
    """Close a scope opened by `memo_scope`."""
    _MEMO.reset(token)
