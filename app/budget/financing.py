"""Financing models beyond price x quantity (financing-and-ceilings.md).

1. p x q (inspanning): a product with a unit and a tariff; the declaration rules value it.
2. Output / trajectory: products with `financing = output`, unit 82 (a trajectory is 82 with
   frequency 6, one piece over the allocation) or 83 (euros); the contract variant `output`
   selects the Sunday rule for weekly volumes (IV076).
3. Profile x intensity (Amsterdam, seed 001): products with `financing = profile`, a `profiel`
   and an `intensiteit`.  No stacking: a client has at most one such product at a time (across
   providers: one family, one plan, one profile), unless one of the two has an intensity the
   region lists in `stacking_exceptions` (Acuut, Duurzaam).  Checked before the back office
   sends an allocation and before an automatic allocation (app.budget.autoalloc).
4. Budget allocations (generic: no product; aspecific: category only) carry a Budget; the
   declarations must stay within it (TR369) and the ceilings value them at that Budget.
5. Task-based products (`financing = task`): no allocations; only ceilings apply.

This module holds the no-stacking rule; the others are data (catalogue, contracts) read by the
declaration rules and the ceilings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.flows.allocations import store
from app.flows.allocations.planning import CheckResult, Planned
from app.reference.products import Catalogue, load_catalogue, region_of

STACKING_CODE = "PROFILE_STACKING"


@dataclass(frozen=True)
class Candidate:
    """An allocation (planned or existing) as the stacking rule sees it."""

    nummer: int | None
    aanbieder: str
    code: str | None
    ingangsdatum: date
    einddatum: date | None


def _profile(catalogue: Catalogue, c: Candidate) -> tuple[str, str] | None:
    if c.code is None:
        return None
    row = catalogue.product(c.code, c.ingangsdatum)
    if row is None or row.financing != "profile" or not row.intensiteit:
        return None
    return (row.profiel or "", row.intensiteit)


def _overlap(a: Candidate, b: Candidate) -> bool:
    return (a.einddatum is None or b.ingangsdatum <= a.einddatum) and (
        b.einddatum is None or a.ingangsdatum <= b.einddatum
    )


def stacking_conflicts(
    session: Session, gemeente: str, bsn: str, planned: list[Candidate], today: date
) -> list[str]:
    """Why the planned allocations would stack profile products (empty: no conflict)."""
    catalogue = load_catalogue(session, gemeente)
    if not catalogue.regional:
        return []
    region = region_of(session, gemeente)
    exceptions = set(region.stacking_exceptions or []) if region is not None else set()
    changed = {p.nummer for p in planned if p.nummer is not None}
    existing = [
        Candidate(a.nummer, a.aanbieder, a.code, a.ingangsdatum, a.einddatum)
        for a in store.allocations_for(session, gemeente, bsn=bsn)
        if a.is_current(today) and not a.deleted and a.nummer not in changed
    ]
    reasons = []
    for i, p in enumerate(planned):
        mine = _profile(catalogue, p)
        if mine is None or mine[1] in exceptions:
            continue
        for other in existing + planned[:i]:
            theirs = _profile(catalogue, other)
            if theirs is None or theirs[1] in exceptions or not _overlap(p, other):
                continue
            reasons.append(
                f"profile product {p.code} ({mine[0]} x {mine[1]}) overlaps "
                f"{other.code} ({theirs[0]} x {theirs[1]})"
                + (f" of allocation {other.nummer}" if other.nummer else "")
                + ": one profile x intensity product per client at a time"
            )
    return reasons


def check_planned(session: Session, planned: list[Planned], today: date) -> list[CheckResult]:
    """Pre-create check: refuse stacked profile x intensity products."""
    out: list[CheckResult] = []
    by_client: dict[tuple[str, str], list[store.Allocation]] = {}
    for p in planned:
        if not p.allocation.deleted:
            by_client.setdefault((p.allocation.gemeente, p.allocation.bsn), []).append(p.allocation)
    for (gemeente, bsn), items in by_client.items():
        candidates = [
            Candidate(p.nummer, p.aanbieder, p.code, p.ingangsdatum, p.einddatum) for p in items
        ]
        for reason in stacking_conflicts(session, gemeente, bsn, candidates, today):
            out.append(CheckResult("refuse", STACKING_CODE, reason))
    return out
