"""The extension point between the exchange pipeline and the flows: `Context`, `Flow`, `Flows`.

The pipeline (`app.exchange.intake`, `app.exchange.outbound`) does everything generic: level 1,
authorisation, resends, level 2, the header rules, the message log, the answer and the feeds.
What a message *means* is decided by the flow registered for its type, in two steps:

- `check(ctx, decision) -> plan`: judge the message against the stored state.  It adds class
  codes to the `Decision` (or prestatie codes to a `DeclarationDecision` for a JW323) and returns
  a typed plan of what to store.  It writes nothing.
- `apply(ctx, plan)`: store the plan.  The pipeline runs it only when the message is accepted
  (IV032: all or nothing); a JW323 is always applied once its header passed, because a
  declaration is accepted line by line (spec §4.5) and a rejected one is kept with its reason.

For the messages the gemeente sends (JW301, JW319) `check` holds the pre-send checks the
provider would apply; for the provider's retours on them (JW302, JW320) `check` is usually empty
and `apply` records the verdict.

A flow may be *extended* by a flow of another package that owns the data a rule needs (e.g. the
requests flow checks TR379 on a JW301 and updates the requests a JW301 honours; automatic
handling runs after a JW315).  Extensions run after the owning flow, with the same contract, in
the same transaction.  The composition root (`app.bootstrap`) registers every flow explicitly;
nothing registers itself on import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from app.clock import Clock
from app.config import Settings
from app.exchange.models import MessageRecord, Party
from app.ijw.model import Message
from app.ijw.retour import Decision, DeclarationDecision

GEMEENTE_SENDS = frozenset({"JW301", "JW319"})


@dataclass(frozen=True)
class Note:
    """A remark for the JSON answer of a gemeente's message (never a refusal), e.g. OP087."""

    level: str
    code: str
    message: str
    details: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"level": self.level, "code": self.code, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


@dataclass(frozen=True)
class Arrival:
    """How an inbound message reached us when not by a direct `POST /v1/berichten`: the
    channel (e.g. "ggk") and that channel's own reference of the delivery (the envelope's
    referentienummer), so what we send back can name it."""

    channel: str
    reference: str
    cross_reference: str | None = None


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
    notes: list[Note] = field(default_factory=list)
    arrival: Arrival | None = None  # None: posted directly (or built by us)

    @property
    def today(self) -> date:
        return self.clock.today()

    @property
    def now(self) -> datetime:
        return self.clock.now()

    @property
    def gemeente(self) -> str:
        """Our gemeentecode in this message: its Afzender for a JW301/JW319, else Ontvanger."""
        message = self.message
        return message.sender if message.name in GEMEENTE_SENDS else message.receiver


D = TypeVar("D", Decision, DeclarationDecision)
D_contra = TypeVar("D_contra", Decision, DeclarationDecision, contravariant=True)
P = TypeVar("P")

Apply = Callable[[], None]
"""Stores what a check planned (bound to its context and plan)."""


class Flow(Protocol[D_contra, P]):
    """What a flow implements (see the module docstring)."""

    def check(self, ctx: Context, decision: D_contra) -> P: ...

    def apply(self, ctx: Context, plan: P) -> None: ...


Checker = Callable[[Context, D], Apply]


def _bind(flow: Flow[D, P]) -> Checker[D]:
    """The flow as one callable: check now, return its apply bound to the plan."""

    def check(ctx: Context, decision: D) -> Apply:
        plan = flow.check(ctx, decision)
        return partial(flow.apply, ctx, plan)

    return check


@dataclass
class FlowTable(Generic[D]):
    """Message type -> the owning flow and its extensions, in the order they run."""

    _chains: dict[str, list[Checker[D]]] = field(default_factory=dict)
    _owned: set[str] = field(default_factory=set)

    def register(self, message_type: str, flow: Flow[D, P]) -> None:
        """The flow that owns a message type (once per type); it runs before the extensions."""
        if message_type in self._owned:
            raise ValueError(f"a flow for {message_type} is already registered")
        self._owned.add(message_type)
        self._chains.setdefault(message_type, []).insert(0, _bind(flow))

    def extend(self, message_type: str, flow: Flow[D, P]) -> None:
        """Run `flow` after the owning flow of a message type (same contract)."""
        self._chains.setdefault(message_type, []).append(_bind(flow))

    def handles(self, message_type: str) -> bool:
        return message_type in self._chains

    def check(self, ctx: Context, decision: D) -> Apply:
        """Run every check of the message's chain; the result applies all their plans."""
        appliers = [check(ctx, decision) for check in self._chains.get(ctx.message.name, ())]

        def apply_all() -> None:
            for apply in appliers:
                apply()

        return apply_all


@dataclass
class Flows:
    """Every flow of the service: class-coded messages and the declaration (built by
    `app.bootstrap`)."""

    messages: FlowTable[Decision] = field(default_factory=FlowTable)
    declarations: FlowTable[DeclarationDecision] = field(default_factory=FlowTable)
