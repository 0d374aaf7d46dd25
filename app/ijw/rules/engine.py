"""The level-2 rule engine: runs every rule of `app.ijw.rules.level2` that applies to a message.

The engine attaches the code and retourcode from the rule catalogue to each `emit`.  Rules must be
linear in the message size: use dicts/sets keyed on the logical key for uniqueness and overlap
checks, never pairwise loops over all classes.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

from app.ijw.model import Message
from app.ijw.rules.level2 import RULES
from app.ijw.rules.registry import Rule, close_memo_scope, memo_scope


@dataclass(frozen=True)
class Finding:
    """One rule violation: the rule, the retourcode it yields and where it happened."""

    rule: str
    retourcode: str
    locations: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "retourcode": self.retourcode, "location": list(self.locations)}


def registered() -> dict[str, Rule]:
    """Every level-2 rule implementation, by code, in evaluation order."""
    return RULES


def check(message: Message, only: set[str] | None = None) -> list[Finding]:
    """Run every level-2 rule that applies to this message type; findings in rule order."""
    findings: list[Finding] = []
    # The rules allocate many small keys and tuples but never reference cycles; with a large
    # parsed model alive, the cyclic GC would rescan all of its nodes again and again (TR416 on
    # a 25 MB JW323 ran 6x slower), so it is paused while the rules run.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    token = memo_scope(message)
    try:
        for code, reg in RULES.items():
            if message.name not in reg.meta.messages or (only is not None and code not in only):
                continue

            def emit(*locations: str, _code: str = code, _rc: str = reg.meta.retourcode) -> None:
                findings.append(Finding(_code, _rc, tuple(locations)))

            reg.func(message, emit)
    finally:
        close_memo_scope(token)
        if gc_was_enabled:
            gc.enable()
    return findings
