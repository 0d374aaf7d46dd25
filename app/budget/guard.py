"""Every check on an allocation the gemeente sends, on every path (issue 12).

The back office, the automatic handling of requests and a JW301 the gemeente posts itself all
go through the one outbound path and the JW301 flow; this extension of that flow runs the
pre-create checks the composition root chose on the new and changed allocations of the message
(unchanged resends, OP087, are left alone) and turns their verdicts into notes: `refuse` keeps
the message from leaving (422 with the details), `warn` and `info` come back with the answer.
The checks run in the caller's transaction, so they see everything sent before.

Besides the budget ceilings (`app.budget.ceilings`) and profile stacking
(`app.budget.financing`) this module holds two checks of its own:

- `check_contract`: OP296, the allocation lies within a valid contract line for this gemeente,
  provider, product and Ingangsdatum (warn `OP296`), and one that runs past the end of that
  line is flagged (`CONTRACT_ENDS`, with the extension options left);
- `check_changes`: OP186 (ending an allocation in the past), OP298 (lowering the total volume
  of frequency 6) and OP299 (lowering a Budget, unless the change honours the provider's own
  request) need the provider's consent: a recorded consent (an `AllocationPermit`) is noted
  and used, otherwise the change is sent with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.budget import store as permits
from app.exchange.flow import Context, Note
from app.flows.allocations import store as allocations
from app.flows.allocations.planning import CheckResult, Planned, PreCreateCheck
from app.flows.allocations.store import sent_products
from app.ijw.retour import Decision
from app.reference.contracts import load_index

OP296 = "OP296"
CONTRACT_ENDS = "CONTRACT_ENDS"


def planned_of(ctx: Context) -> list[Planned]:
    """The new and changed allocations of a JW301 being sent, with their previous versions."""
    out = []
    for _, p in sent_products(ctx.message):
        a = p.allocation
        previous = allocations.allocation(ctx.session, a.gemeente, a.nummer)
        if previous is not None and a.same_content(previous):
            continue  # an unchanged resend (OP087)
        out.append(Planned(a, previous))
    return out


@dataclass(frozen=True)
class Used:
    """A permit a check relied on: marked used when the message is sent."""

    permit_id: int
    details: dict[str, object]


class AllocationGuard:
    """Extension of the JW301 flow running `checks` (see the module docstring)."""

    def __init__(self, checks: Sequence[PreCreateCheck]) -> None:
        self.checks = tuple(checks)

    def check(self, ctx: Context, decision: Decision) -> list[Used]:
        planned = planned_of(ctx)
        if not planned:
            return []
        used: list[Used] = []
        for check in self.checks:
            for r in check(ctx.session, planned, ctx.today):
                ctx.notes.append(Note(r.level, r.code, r.message, dict(r.details)))
                permit = r.details.get("permit_id")
                if isinstance(permit, int) and r.level != "refuse":
                    used.append(Used(permit, dict(r.details)))
        return used

    def apply(self, ctx: Context, plan: list[Used]) -> None:
        for u in plan:
            details = {k: v for k, v in u.details.items() if k != "permit_id"}
            permits.use_permit(ctx.session, u.permit_id, ctx.record.id, ctx.now, details)


def check_contract(session: Session, planned: list[Planned], today: date) -> list[CheckResult]:
    """OP296: within a valid contract for the gemeente and date; flag a run past its end."""
    out: list[CheckResult] = []
    gemeenten = sorted({p.allocation.gemeente for p in planned})
    index = load_index(session, gemeenten)
    for p in planned:
        a = p.allocation
        if a.deleted or not index.configured(a.gemeente):
            continue
        book = index.book(a.gemeente, a.aanbieder)
        line = book.covering(a.categorie, a.code, a.ingangsdatum)
        product = "/".join(x for x in (a.categorie, a.code) if x) or "a generic allocation"
        base = {"toewijzingnummer": a.nummer, "aanbieder": a.aanbieder, "gemeente": a.gemeente}
        if line is None:
            out.append(
                CheckResult(
                    "warn",
                    OP296,
                    f"{product} is not within a valid contract with {a.aanbieder} for gemeente "
                    f"{a.gemeente} on {a.ingangsdatum.isoformat()}",
                    {**base, "product": product, "ingangsdatum": a.ingangsdatum.isoformat()},
                )
            )
        elif line.end is not None and (a.einddatum is None or a.einddatum > line.end):
            out.append(
                CheckResult(
                    "warn",
                    CONTRACT_ENDS,
                    f"allocation {a.nummer} runs past the end of the contract in set "
                    f"{line.region_code} ({line.end.isoformat()}"
                    + (
                        f"; {line.options_left} months of options left)"
                        if line.options_left
                        else ")"
                    ),
                    {
                        **base,
                        "region": line.region_code,
                        "contract_end": line.end.isoformat(),
                        "options_left_months": line.options_left,
                    },
                )
            )
    return out


def check_changes(session: Session, planned: list[Planned], today: date) -> list[CheckResult]:
    """OP186, OP298, OP299: consent recorded (info, permit used) or a warning."""
    out: list[CheckResult] = []
    changed = [p for p in planned if p.previous is not None and not p.allocation.deleted]
    by_gemeente: dict[str, list[Planned]] = {}
    for p in changed:
        by_gemeente.setdefault(p.allocation.gemeente, []).append(p)
    for gemeente, items in by_gemeente.items():
        consents = permits.open_permits(session, gemeente, [p.allocation.nummer for p in items])
        for p in items:
            a, prev = p.allocation, p.previous
            assert prev is not None
            needed: list[tuple[str, str]] = []
            if (
                a.einddatum is not None
                and a.einddatum < today
                and (prev.einddatum is None or a.einddatum < prev.einddatum)
            ):
                needed.append(("OP186", f"ending allocation {a.nummer} in the past"))
            if (
                prev.frequentie == "6"
                and a.volume is not None
                and prev.volume is not None
                and a.volume < prev.volume
            ):
                needed.append(("OP298", f"lowering the total volume of allocation {a.nummer}"))
            if (
                a.budget is not None
                and prev.budget is not None
                and a.budget < prev.budget
                and not a.referentie_aanbieder  # the provider asked for it (VOW): no consent
            ):
                needed.append(("OP299", f"lowering the budget of allocation {a.nummer}"))
            for rule, what in needed:
                consent = next(
                    (c for c in consents if c.kind == permits.CONSENT and c.nummer == a.nummer),
                    None,
                )
                details: dict[str, object] = {"toewijzingnummer": a.nummer}
                if consent is not None:
                    out.append(
                        CheckResult(
                            "info",
                            rule,
                            f"{what}: the provider's consent is recorded ({consent.reason})",
                            {**details, "permit_id": consent.id},
                        )
                    )
                else:
                    out.append(
                        CheckResult(
                            "warn",
                            rule,
                            f"{what} needs the provider's consent: agree it and record it "
                            "(toestemming_aanbieder)",
                            details,
                        )
                    )
    return out
