"""The declaration flow: JW323 in, every prestatie judged, approved ones booked (spec §4.5).

`check` judges the declaration (TR333, TR318 from the store) and then every prestatie with the
pure rules of `app.flows.declarations.rules`, against the state loaded once per message; it
returns the judged lines as its plan.  `apply` bulk-stores the declaration with a line per
prestatie (decision, codes, rules) and marks credited debets; a declaration rejected as a whole
is stored too (nothing booked, every line retrievable with the reason).

The flow also owns TR385 on the JW301 (an extension): an allocation with approved, uncredited
prestaties cannot be deleted.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from app.exchange.flow import Context
from app.flows.allocations import store as allocations
from app.flows.allocations.store import sent_products
from app.flows.declarations import store
from app.flows.declarations.rules import (
    CONTRACT_RULES,
    CREDIT_RULES,
    DEBET_RULES,
    Judge,
    Ledger,
    Line,
    judge_lines,
    read_lines,
)
from app.ijw.codes import DELETED
from app.ijw.model import Node
from app.ijw.retour import Decision, DeclarationDecision
from app.reference.contracts import contracts_configured, load_contracts
from app.reference.products import load_catalogue


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: tens of thousands of new objects next to a parsed model of ~100,000
    nodes would make it rescan that model over and over (nothing here is cyclic garbage)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Judged:
    """A judged declaration: what `apply` stores."""

    header: store.Header
    lines: list[Line]
    status: str  # accepted | partially_accepted | rejected
    codes: list[str]  # declaration-level codes (rejected)
    checks: dict[str, list[str]]
    ledger: Ledger | None
    findings: list[dict[str, object]]


def _signed(total: Node) -> int:
    value: int = total["TotaalBedrag"]
    return -value if total["DebetCredit"] == "C" else value


class DeclarationFlow:
    """The JW323 flow (module docstring)."""

    def check(self, ctx: Context, decision: DeclarationDecision) -> Judged:
        """Judge the declaration and every prestatie (fills `decision`, books nothing)."""
        with _gc_paused():
            return self._check(ctx, decision)

    def _check(self, ctx: Context, decision: DeclarationDecision) -> Judged:
        session = ctx.session
        msg = ctx.message
        gemeente, aanbieder = msg.receiver, msg.sender
        decl = msg.root["Declaratie"]
        periode = decl["DeclaratiePeriode"]
        nummer = decl["DeclaratieNummer"]
        lines = read_lines(decl)
        header = store.Header(
            gemeente=gemeente,
            aanbieder=aanbieder,
            nummer=nummer,
            identificatie=msg.identificatie,
            dagtekening=msg.dagtekening,
            periode_begin=periode["Begindatum"],
            periode_end=periode["Einddatum"],
            ingediend=_signed(decl["TotaalIngediendBedrag"]),
        )
        loc = decl.path
        if store.number_used(session, aanbieder, nummer):
            decision.reject_declaration("TR333", f"{loc}/DeclaratieNummer")
        latest = store.latest_period(session, aanbieder, gemeente)
        if latest is not None and periode["Begindatum"] < latest:
            decision.reject_declaration("TR318", f"{loc}/DeclaratiePeriode")
        if decision.declaration:
            # Nothing is booked, but every line stays retrievable with the reason.
            rules = [str(f["rule"]) for f in decision.findings if f.get("rule")]
            for line in lines:
                line.codes = list(decision.declaration)
                line.rules = list(rules)
            return Judged(
                header,
                lines,
                "rejected",
                list(decision.declaration),
                {},
                None,
                list(decision.findings),
            )
        found = allocations.leading_many(session, gemeente, [ln.nummer for ln in lines])
        ledger = store.load_ledger(session, gemeente, aanbieder, lines, found)
        configured = contracts_configured(session, gemeente)
        judge = Judge(
            gemeente,
            aanbieder,
            found,
            ledger,
            load_catalogue(session, gemeente),
            load_contracts(session, gemeente, aanbieder),
            configured,
        )
        judge_lines(judge, lines)
        for line in lines:
            if line.codes:
                assert line.node is not None
                for rule in line.rules:
                    decision.reject(line.node, rule)
        checks = {
            "debet": [r for r in DEBET_RULES if configured or r not in CONTRACT_RULES],
            "credit": list(CREDIT_RULES),
        }
        status = "partially_accepted" if any(ln.codes for ln in lines) else "accepted"
        return Judged(header, lines, status, [], checks, ledger, [])

    def apply(self, ctx: Context, plan: Judged) -> None:
        """Store the declaration and book its approved prestaties (one transaction)."""
        with _gc_paused():
            store.store_declaration(
                ctx.session,
                message_id=ctx.record.id,
                header=plan.header,
                lines=plan.lines,
                status=plan.status,
                codes=plan.codes,
                checks=plan.checks,
                ledger=plan.ledger,
                findings=plan.findings,
                now=ctx.now,
            )


class NoDeletionAfterPrestaties:
    """Extension of the JW301 flow: TR385 (9385), no deletion (RedenWijziging 13) of an
    allocation with approved prestaties that no credit cancelled."""

    def check(self, ctx: Context, decision: Decision) -> None:
        for node, p in sent_products(ctx.message):
            a = p.allocation
            if a.reden_wijziging == DELETED and store.has_uncredited_prestaties(
                ctx.session, a.gemeente, a.nummer
            ):
                decision.add(node, "TR385")

    def apply(self, ctx: Context, plan: None) -> None:
        return None
