"""Financing models beyond price x quantity (financing-and-ceilings.md).

1. p x q (inspanning): a product with a unit and a tariff; the declaration rules value it.
2. Output / trajectory: products with `financing = output`, unit 82 (a trajectory is 82 with
   frequency 6, one piece over the allocation) or 83 (euros); the contract variant `output`
   selects the Sunday rule for weekly volumes (IV076).
3. Profile x intensity (Amsterdam, seed 001): products with `financing = profile`, a `profiel`
   and an `intensiteit`.  No stacking: a client has at most one such product at a time (across
   providers: one family, one plan, one profile), unless one of the two has an intensity the
   set lists in `stacking_exceptions` (Acuut, Duurzaam).  An exception only counts as one
   when it is short enough (`exception_max_days`, Acuut: at most 14 days) and the provider is
   contracted for that product: a 92-day Acuut at a provider without an Acuut contract stacks.
   Checked on every path that sends an allocation (the JW301 flow) and before an automatic
   allocation (app.budget.autoalloc).
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
from app.reference.contracts import load_index
from app.reference.products import Catalogue, load_catalogue, regions_of

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


def _days(c: Candidate) -> int | None:
    return None if c.einddatum is None else (c.einddatum - c.ingangsdatum).days + 1


def stacking_conflicts(
    session: Session, gemeente: str, bsn: str, planned: list[Candidate], today: date
) -> list[str]:
    """Why the planned allocations would stack profile products (empty: no conflict)."""
    catalogue = load_catalogue(session, gemeente)
    if not catalogue.regional:
        return []
    exceptions: set[str] = set()
    max_days: dict[str, int] = {}
    for region in regions_of(session, gemeente):
        exceptions |= set(region.stacking_exceptions or [])
        for name, days in (region.settings or {}).get("exception_max_days", {}).items():
            max_days[name] = min(days, max_days.get(name, days))
    index = load_index(session, [gemeente])

    def excepted(c: Candidate, intensity: str) -> bool:
        """An exception intensity, short enough, at a provider contracted for it."""
        if intensity not in exceptions:
            return False
        limit, days = max_days.get(intensity), _days(c)
        if limit is not None and (days is None or days > limit):
            return False
        book = index.book(gemeente, c.aanbieder)
        return c.code is not None and book.contracted(None, c.code, c.ingangsdatum)

    changed = {p.nummer for p in planned if p.nummer is not None}
    existing = [
        Candidate(a.nummer, a.aanbieder, a.code, a.ingangsdatum, a.einddatum)
        for a in store.allocations_for(session, gemeente, bsn=bsn)
        if a.is_current(today) and not a.deleted and a.nummer not in changed
    ]
    reasons = []
    for i, p in enumerate(planned):
        mine = _profile(catalogue, p)
        if mine is None or excepted(p, mine[1]):
            continue
        for other in existing + planned[:i]:
            theirs = _profile(catalogue, other)
            if theirs is None or excepted(other, theirs[1]) or not _overlap(p, other):
                continue
            why = ""
            if mine[1] in exceptions:
                why = f" ({mine[1]} counts as an exception for at most "
                why += f"{max_days.get(mine[1], '-')} days at a provider contracted for it)"
            reasons.append(
                f"profile product {p.code} ({mine[0]} x {mine[1]}) overlaps "
                f"{other.code} ({theirs[0]} x {theirs[1]})"
                + (f" of allocation {other.nummer}" if other.nummer else "")
                + ": one profile x intensity product per client at a time"
                + why
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
