"""The extension point between the intake pipeline and the per-flow domain logic.

The pipeline (app/domain/intake.py) does everything generic: level 1, authorisation, resends,
level 2, the header rules, the message log, the answer and the feeds.  What a message *means* is
decided by the flow registered for its type:

- heenberichten from the provider (JW305, JW307, JW315, JW317): `check` adds class codes to a
  `Decision`; `apply` stores the effect and runs only when the whole message was accepted
  (IV032: all or nothing).
- the declaration (JW323): `check` fills a `DeclarationDecision` per prestatie and `apply` books
  the approved prestaties (partial acceptance, spec §4.5).
- messages the gemeente sends through us (JW301, JW319): `check` runs the pre-send checks the
  provider would apply (codes on classes, turned into a refusal with findings); `apply` stores the
  state once they pass.
- the provider's retours on them (JW302, JW320): `check` is usually empty; `apply` links and
  records the outcome.

A flow without a registration accepts and stores nothing beyond the message log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from app.clock import Clock
from app.config import Settings
from app.db.models import MessageRecord, Party
from app.ijw.model import Message
from app.ijw.retour import Decision, DeclarationDecision


@dataclass
class Context:
    """Everything a flow needs to judge and apply one message, inside one transaction."""

    session: Session
    caller: Party
    counterpart: Party | None  # the other party named in the header
    message: Message
    record: MessageRecord  # the message log row of this message (id assigned)
    clock: Clock
    settings: Settings
    # Flows may leave notes for logs and the JSON answer of gemeente posts (e.g. warnings).
    notes: list[dict[str, Any]] = field(default_factory=list)
    # Outbound messages the flow produced as a side effect (e.g. an automatic JW301): the
    # pipeline does not know them; flows put them in feeds themselves via app.domain.outbox.

    @property
    def today(self) -> date:
        return self.clock.today()

    @property
    def now(self) -> datetime:
        return self.clock.now()


class Flow(Protocol):
    """What a flow implements (see the module docstring)."""

    def check(self, ctx: Context, decision: Any) -> None: ...

    def apply(self, ctx: Context, decision: Any) -> None: ...


_FLOWS: dict[str, Flow] = {}
_LOADERS: list[Callable[[], None]] = []


def register(message_type: str, flow: Flow) -> Flow:
    """Register the flow for a message type (once)."""
    if message_type in _FLOWS:
        raise ValueError(f"a flow for {message_type} is already registered")
    _FLOWS[message_type] = flow
    return flow


_EXTENSIONS: dict[str, list[Flow]] = {}


def extend(message_type: str, flow: Flow) -> Flow:
    """Run `flow` after the registered flow of a message type (same check/apply contract).

    For behaviour another module adds to a flow it does not own, e.g. the automatic handling
    of requests after a JW315 was accepted (issue 5), in the same transaction.
    """
    _EXTENSIONS.setdefault(message_type, []).append(flow)
    return flow


@dataclass
class _Chain:
    """The registered flow followed by its extensions."""

    flows: list[Flow]

    def check(self, ctx: Context, decision: Any) -> None:
        for flow in self.flows:
            flow.check(ctx, decision)

    def apply(self, ctx: Context, decision: Any) -> None:
        for flow in self.flows:
            flow.apply(ctx, decision)


def flow_for(message_type: str) -> Flow | None:
    """The flow registered for a message type, importing the flow modules on first use."""
    _load()
    base = _FLOWS.get(message_type)
    extra = _EXTENSIONS.get(message_type)
    if base is None or not extra:
        return base
    return _Chain([base, *extra])


def _load() -> None:
    from app.domain import registry  # noqa: F401  (imports every flow module)


DecisionT = Decision | DeclarationDecision
