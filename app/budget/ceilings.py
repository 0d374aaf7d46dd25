"""Budget ceilings: committed and spent money, utilisation per month, forecast, the hard/soft check.

Definitions (docs/ceilings.md):

- **Committed** money of an allocation in a period: its current (leading, not deleted) version
  valued month by month at the contract tariff valid in that month (so an indexation re-values
  the months after it; after the contract ends the last tariff keeps valuing it, and the
  allocation is flagged), pro rata over the days it runs: per day V x tariff; per week V x
  tariff / 7 per day; per month V x tariff per calendar month, pro rata for partial months; a
  total (frequency 6) or a Budget spread evenly over the allocation's days.  An open end runs to
  the end of the period (a total or a Budget: to the end of its first year).  Hours allocated
  against a minute tariff (or the reverse) convert by 60; euro allocations (Eenheid 83) are
  their own value.  An allocation that cannot be valued (no contract line for its product, no
  Omvang and no Budget, units that do not convert) is counted and listed as `unvalued`.
- **Spent** money: the approved prestaties (the booked lines of the declarations store), debets
  minus credits, by the month of the ProductPeriode.  It reconciles to the cent with the ledger.
- **Task-based funding**: lump sums per provider and period, pro rata per day (the months of an
  entry add up to its amount exactly), counted next to committed and spent (`task`).
- **Usage** of a ceiling: per allocation the larger of committed and spent (a provider may catch
  up on unused volume later, seed 000), summed over the allocations in the ceiling's scope
  (providers, categories, codes, gemeenten, period), plus the task funding in scope.
- A **hard** ceiling refuses an allocation that would push usage over the amount (with the
  figures) unless a person recorded an override for it; a **soft** one (spending room) lets it
  through with a warning.  Passing one of the ceiling's thresholds warns too.
- **Forecast**: month by month what will be spent - the approved spending for months the
  provider has declared, for later months the commitment times the category's realisation
  factor (or the spending when that is higher) - and the day that projection reaches the
  amount.  A provider that declares two months late therefore does not move the date.  The
  plain spending rate and the day the commitment reaches the amount are given too.

Money is integer cents throughout; pro-rata values use exact fractions, floored per month.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.budget import store as permits
from app.flows.allocations import store as allocations
from app.flows.allocations.planning import CheckResult, Planned
from app.flows.allocations.store import Allocation
from app.flows.declarations import store as ledger
from app.ijw.codes import EURO, HOURS, MINUTES
from app.reference.contracts import ContractBook, ContractIndex, active_sets, load_index
from app.reference.models import Ceiling, CeilingMember, Region, RegionMember, TaskFunding

Month = tuple[int, int]
Period = tuple[date, date]
TariffAt = Callable[[date], Fraction | None]
CEILING_EXCEEDED = "CEILING_EXCEEDED"
SPENDING_ROOM_EXCEEDED = "SPENDING_ROOM_EXCEEDED"
CEILING_OVERRIDDEN = "CEILING_OVERRIDDEN"
CEILING_THRESHOLD = "CEILING_THRESHOLD"


def _period(period: int | Period) -> Period:
    if isinstance(period, int):
        return date(period, 1, 1), date(period, 12, 31)
    return period


def month_of(day: date) -> Month:
    return (day.year, day.month)


def month_end(month: Month) -> date:
    return date(month[0], month[1], calendar.monthrange(*month)[1])


def months_between(period: Period) -> list[Month]:
    """Every month that [start, end] touches."""
    start, end = period
    if end < start:
        return []
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def aligned(period: Period) -> bool:
    """The period starts on the first of a month and ends on the last of one."""
    start, end = period
    return start.day == 1 and end == month_end(month_of(end))


# --------------------------------------------------------------------------- valuation


def unit_tariff(tarief: int | None, tariff_unit: str, unit: str) -> Fraction | None:
    """The tariff per allocated unit (cents, exact), or None when the units do not convert."""
    if unit == EURO:
        return Fraction(1)
    if tarief is None:
        return None
    if tariff_unit == unit:
        return Fraction(tarief)
    if tariff_unit == HOURS and unit == MINUTES:
        return Fraction(tarief, 60)
    if tariff_unit == MINUTES and unit == HOURS:
        return Fraction(tarief * 60)
    return None


@lru_cache(maxsize=4096)
def months(start: date, end: date) -> tuple[tuple[Month, date, date, int], ...]:
    """(month, first day, last day, days in the month) of every month part of [start, end]
    (cached: a region's allocations share a handful of periods)."""
    out = []
    cur = start
    while cur <= end:
        month = month_of(cur)
        in_month = calendar.monthrange(*month)[1]
        stop = min(date(month[0], month[1], in_month), end)
        out.append((month, cur, stop, in_month))
        cur = stop + timedelta(days=1)
    return tuple(out)


def _parts(
    a: Allocation, rate: TariffAt | None, period: int | Period
) -> list[tuple[Month, int, int]]:
    """(month, numerator, denominator) of what allocation `a` is worth per month of `period`
    at `rate` per allocated unit (a function of the month's first day; None for a month means
    no value that month).  With `rate` None a Budget allocation is spread, others have no value.
    Integers, not Fractions: this runs for every allocation and month of a region."""
    p0, p1 = _period(period)
    first_year_end = date(a.ingangsdatum.year, 12, 31)
    out: list[tuple[Month, int, int]] = []
    if a.budget is not None:
        end = a.einddatum or first_year_end
        total_days = (end - a.ingangsdatum).days + 1
        lo, hi = max(a.ingangsdatum, p0), min(end, p1)
        for month, start, stop, _ in months(lo, hi):
            out.append((month, a.budget * ((stop - start).days + 1), total_days))
        return out
    if a.volume is None or not a.eenheid or not a.frequentie or rate is None:
        return out
    end = a.einddatum or (first_year_end if a.frequentie == "6" else p1)
    lo, hi = max(a.ingangsdatum, p0), min(end, p1)
    span_days = (end - a.ingangsdatum).days + 1
    freq, volume = a.frequentie, a.volume
    for month, start, stop, in_month in months(lo, hi):
        t = rate(start)
        if t is None:
            continue
        days = (stop - start).days + 1
        num, den = volume * t.numerator * days, t.denominator
        if freq == "2":
            den *= 7
        elif freq == "4":
            den *= in_month
        elif freq != "1":  # 6: a total over the allocation's days (open end: its first year)
            den *= span_days
        out.append((month, num, den))
    return out


def spread(a: Allocation, rate: TariffAt | None, period: int | Period) -> dict[Month, Fraction]:
    """What allocation `a` is worth per month of `period` (exact; see `_parts`)."""
    return {m: Fraction(num, den) for m, num, den in _parts(a, rate, period)}


def monthly_value(
    a: Allocation, tariff: Fraction | TariffAt | None, period: int | Period
) -> dict[Month, int]:
    """Committed cents of allocation `a` per month of `period` (a year or (start, end)), floored
    per month: never commit a cent more than the contract says."""
    rate: TariffAt | None
    if tariff is None or callable(tariff):
        rate = tariff
    else:
        fixed = tariff
        rate = lambda _day: fixed  # noqa: E731  (one fixed tariff for every month)
    return {m: num // den for m, num, den in _parts(a, rate, period)}


def allocation_rate(book: ContractBook, a: Allocation) -> tuple[TariffAt | None, str | None]:
    """The tariff per allocated unit as a function of the day, and why there is none."""
    if a.budget is not None or a.eenheid == EURO:
        return (lambda _day: Fraction(1)), None
    if a.volume is None or a.eenheid is None:
        return None, "no Omvang and no Budget"
    if a.code is None:
        return None, "no product code and no Budget: the tariff is unknown"
    if not book.by_code.get(a.code):
        return None, f"no contract line for {a.code} with {a.aanbieder}"
    code, unit = a.code, a.eenheid
    first = book.nearest(code, a.ingangsdatum)
    if first is None or unit_tariff(first.tarief, first.eenheid, unit) is None:
        return None, f"the unit {unit} does not convert to the contract unit of {code}"

    seen: dict[date, Fraction | None] = {}

    def at(day: date) -> Fraction | None:
        if day not in seen:
            row = book.nearest(code, day)
            seen[day] = unit_tariff(row.tarief, row.eenheid, unit) if row is not None else None
        return seen[day]

    return at, None


# --------------------------------------------------------------------------- utilisation


@dataclass
class Cell:
    """Committed and spent cents of one (aanbieder, gemeente, categorie, month)."""

    committed: int = 0
    spent: int = 0


Key = tuple[str, str, str, Month]  # aanbieder, gemeente, categorie ("" = none), month


@dataclass
class Entry:
    """One allocation's figures in a period: committed per month, spent per month and declared
    product (a prestatie of an aspecific allocation names its own code), and its scope."""

    aanbieder: str
    gemeente: str
    categorie: str | None
    code: str | None
    committed: dict[Month, int] = field(default_factory=dict)
    spent_lines: dict[tuple[Month, str, str], int] = field(default_factory=dict)

    @property
    def committed_total(self) -> int:
        return sum(self.committed.values())

    @property
    def spent(self) -> dict[Month, int]:
        out: dict[Month, int] = defaultdict(int)
        for (month, _, _), cents in self.spent_lines.items():
            out[month] += cents
        return dict(out)

    @property
    def spent_total(self) -> int:
        return sum(self.spent_lines.values())

    def get(self, key: str, default: int = 0) -> int:
        """`committed` and `spent` in the period, as a mapping (callers that read an
        allocation's figures as a dict, the web UI's allocation page)."""
        return {"committed": self.committed_total, "spent": self.spent_total}.get(key, default)

    def spent_where(self, keep: Callable[[str, str], bool]) -> dict[Month, int]:
        """Spending per month of the declared products `keep(categorie, code)` accepts."""
        out: dict[Month, int] = defaultdict(int)
        for (month, cat, code), cents in self.spent_lines.items():
            if keep(cat, code):
                out[month] += cents
        return dict(out)


@dataclass
class Utilisation:
    """Everything the reports and checks need for some gemeenten and a period."""

    region_id: int | None
    year: int
    gemeenten: list[str]
    cells: dict[Key, Cell]
    per_allocation: dict[tuple[str, int], Entry]
    period: Period = (date.min, date.max)
    # allocations that cannot be valued, by (gemeente, nummer), with the reason
    unvalued: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    index: ContractIndex | None = None

    def rows(self) -> list[dict[str, Any]]:
        """Rows per aanbieder, gemeente, categorie and month, sorted."""
        return [
            {
                "aanbieder": k[0],
                "gemeente": k[1],
                "categorie": k[2] or None,
                "month": f"{k[3][0]:04d}-{k[3][1]:02d}",
                "committed": c.committed,
                "spent": c.spent,
            }
            for k, c in sorted(self.cells.items())
        ]


def scope_gemeenten(session: Session, gemeente: str) -> list[str]:
    """The gemeente and the active members of every set it is an active member of (the joint
    purchasing its ceilings and figures belong to)."""
    ids = active_sets(session, [gemeente]).get(gemeente, [])
    if not ids:
        return [gemeente]
    members = set(
        session.scalars(
            select(RegionMember.gemeente).where(
                RegionMember.region_id.in_(ids), RegionMember.status == "active"
            )
        )
    )
    return sorted(members | {gemeente})


def utilisation_for(
    session: Session,
    gemeenten: Sequence[str],
    period: int | Period,
    index: ContractIndex | None = None,
) -> Utilisation:
    """Committed and spent money of the gemeenten's allocations in `period` (a few queries)."""
    p0, p1 = _period(period)
    index = index or load_index(session, gemeenten)
    cells: dict[Key, Cell] = defaultdict(Cell)
    per_alloc: dict[tuple[str, int], Entry] = {}
    unvalued: dict[tuple[str, int], dict[str, Any]] = {}
    rates: dict[tuple[Any, ...], tuple[TariffAt | None, str | None]] = {}
    for a in allocations.leading_in_period(session, gemeenten, p0, p1):
        # allocations of one provider, product and unit share their tariff by month
        rkey = (a.gemeente, a.aanbieder, a.code, a.eenheid, a.budget is None, a.volume is None)
        if rkey not in rates:
            rates[rkey] = allocation_rate(index.book(a.gemeente, a.aanbieder), a)
        rate, why = rates[rkey]
        values = monthly_value(a, rate, (p0, p1))
        entry = per_alloc.setdefault(
            (a.gemeente, a.nummer), Entry(a.aanbieder, a.gemeente, a.categorie, a.code)
        )
        if why is not None:
            unvalued[(a.gemeente, a.nummer)] = {
                "gemeente": a.gemeente,
                "toewijzingnummer": a.nummer,
                "aanbieder": a.aanbieder,
                "categorie": a.categorie,
                "code": a.code,
                "reason": why,
                "ingangsdatum": a.ingangsdatum.isoformat(),
                "einddatum": a.einddatum.isoformat() if a.einddatum else None,
            }
        for month, cents in values.items():
            cells[(a.aanbieder, a.gemeente, a.categorie or "", month)].committed += cents
            entry.committed[month] = entry.committed.get(month, 0) + cents
    for row in ledger.spent_in_period(session, gemeenten, p0, p1):
        cells[(row.aanbieder, row.gemeente, row.categorie, row.month)].spent += row.cents
        entry = per_alloc.setdefault(
            (row.gemeente, row.nummer),
            Entry(row.aanbieder, row.gemeente, row.categorie, row.code or None),
        )
        line = (row.month, row.categorie, row.code)
        entry.spent_lines[line] = entry.spent_lines.get(line, 0) + row.cents
    ids = sorted({rid for rids in index.memberships.values() for rid in rids})
    return Utilisation(
        ids[0] if ids else None,
        p0.year,
        sorted(gemeenten),
        dict(cells),
        per_alloc,
        (p0, p1),
        unvalued,
        index,
    )


def utilisation(session: Session, gemeente: str, year: int) -> Utilisation:
    """Committed and spent money of the sets of `gemeente` in `year`."""
    return utilisation_for(session, scope_gemeenten(session, gemeente), year)


def spent_all_years(session: Session, gemeenten: list[str], aanbieder: str | None = None) -> int:
    """Approved debets minus approved credits over every period (the ledger's grand total)."""
    return ledger.spent_total(session, gemeenten, aanbieder)


# --------------------------------------------------------------------------- ceilings


@dataclass
class Scope:
    """Which allocations, spending and task funding a ceiling counts."""

    ceiling: Ceiling
    region: Region
    members: set[str] | None  # providers; None: every provider contracted in the set
    gemeenten: list[str]  # the member gemeenten in scope

    @property
    def period(self) -> Period:
        return self.ceiling.period_start, self.ceiling.period_end

    def provider(self, agb: str, contracted: set[str]) -> bool:
        return agb in (self.members if self.members is not None else contracted)

    def product(self, categorie: str | None, code: str | None) -> bool:
        c = self.ceiling
        if c.categories is not None and (categorie is None or categorie not in c.categories):
            return False
        return c.codes is None or (code is not None and code in c.codes)

    def includes(
        self, agb: str, gemeente: str, categorie: str | None, code: str | None, contracted: set[str]
    ) -> bool:
        return (
            gemeente in self.gemeenten
            and self.provider(agb, contracted)
            and self.product(categorie, code)
        )


def ceiling_scopes(
    session: Session, region_ids: Sequence[int], start: date, end: date
) -> list[Scope]:
    """The ceilings of these sets whose period overlaps [start, end], with their scopes."""
    if not region_ids:
        return []
    regions = {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(region_ids)))}
    members: dict[int, list[str]] = defaultdict(list)
    for rid, g in session.execute(
        select(RegionMember.region_id, RegionMember.gemeente).where(
            RegionMember.region_id.in_(region_ids), RegionMember.status == "active"
        )
    ):
        members[rid].append(g)
    out = []
    for c in session.scalars(
        select(Ceiling)
        .where(
            Ceiling.region_id.in_(region_ids),
            Ceiling.period_start <= end,
            Ceiling.period_end >= start,
        )
        .order_by(Ceiling.period_start, Ceiling.name)
    ):
        agbs = (
            None
            if c.all_contracted
            else set(
                session.scalars(
                    select(CeilingMember.aanbieder).where(CeilingMember.ceiling_id == c.id)
                )
            )
        )
        scope_g = [
            g for g in sorted(members[c.region_id]) if c.gemeenten is None or g in c.gemeenten
        ]
        out.append(Scope(c, regions[c.region_id], agbs, scope_g))
    return out


def task_in_scope(session: Session, scope: Scope, contracted: set[str]) -> dict[Month, int]:
    """Task funding a ceiling counts, per month (pro rata per day, floored per month).  An
    entry counts when every gemeente it funds is in the ceiling's scope."""
    p0, p1 = scope.period
    out: dict[Month, int] = defaultdict(int)
    for f in session.scalars(
        select(TaskFunding).where(
            TaskFunding.region_id == scope.region.id,
            TaskFunding.start <= p1,
            TaskFunding.end >= p0,
        )
    ):
        funded = f.gemeenten if f.gemeenten is not None else scope_members(session, scope)
        if not set(funded) <= set(scope.gemeenten):
            continue
        if not (scope.provider(f.aanbieder, contracted) and scope.product(f.categorie, f.code)):
            continue
        for month, cents in lump_sum(f.amount, f.start, f.end, p0, p1).items():
            out[month] += cents
    return dict(out)


def lump_sum(amount: int, start: date, end: date, lo: date, hi: date) -> dict[Month, int]:
    """An amount for [start, end] pro rata per day, per month of [lo, hi].  Cumulative
    flooring from `start`, so the months of the whole period add up to the amount exactly."""
    days = (end - start).days + 1
    out: dict[Month, int] = {}
    for month, m0, m1, _ in months(max(start, lo), min(end, hi)):
        before = (m0 - start).days
        upto = (m1 - start).days + 1
        out[month] = amount * upto // days - amount * before // days
    return out


def task_funding(
    session: Session, gemeenten: Sequence[str], start: date, end: date
) -> dict[tuple[str, str], int]:
    """(aanbieder, categorie) -> task funding in [start, end] of the gemeenten's sets, pro rata
    per day; an entry counts when every gemeente it funds is among `gemeenten`."""
    ids = sorted({r for rids in active_sets(session, list(gemeenten)).values() for r in rids})
    if not ids:
        return {}
    members: dict[int, set[str]] = defaultdict(set)
    for rid, g in session.execute(
        select(RegionMember.region_id, RegionMember.gemeente).where(
            RegionMember.region_id.in_(ids), RegionMember.status == "active"
        )
    ):
        members[rid].add(g)
    out: dict[tuple[str, str], int] = defaultdict(int)
    for f in session.scalars(
        select(TaskFunding).where(
            TaskFunding.region_id.in_(ids), TaskFunding.start <= end, TaskFunding.end >= start
        )
    ):
        funded = set(f.gemeenten) if f.gemeenten is not None else members[f.region_id]
        if not funded <= set(gemeenten):
            continue
        share = lump_sum(f.amount, f.start, f.end, start, end)
        out[(f.aanbieder, f.categorie)] += sum(share.values())
    return dict(out)


def scope_members(session: Session, scope: Scope) -> list[str]:
    """Every active member of the ceiling's set."""
    return sorted(
        session.scalars(
            select(RegionMember.gemeente).where(
                RegionMember.region_id == scope.region.id, RegionMember.status == "active"
            )
        )
    )


@dataclass
class CeilingStatus:
    """A ceiling with its figures."""

    id: int
    region: str
    name: str
    year: int
    start: date
    end: date
    amount: int
    hard: bool
    aanbieders: list[str]
    all_contracted: bool
    categories: list[str] | None
    codes: list[str] | None
    gemeenten: list[str] | None
    thresholds: list[int]
    committed: int
    spent: int
    task: int
    usage: int
    expected: int
    unvalued: list[dict[str, Any]]
    forecast: dict[str, Any]
    overrides: int = 0
    # usage per allocation in scope (for the pre-create check): (gemeente, nummer) -> cents
    allocations: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    # committed and spent per month within the scope (charts)
    months: dict[Month, Cell] = field(default_factory=dict)

    @property
    def remaining(self) -> int:
        return self.amount - self.usage

    def passed(self, usage: int | None = None) -> list[int]:
        """The thresholds `usage` (default: the current one) has reached."""
        used = self.usage if usage is None else usage
        return [t for t in self.thresholds if used * 100 >= t * self.amount]

    @property
    def status(self) -> str:
        if self.usage > self.amount:
            return "exceeded"
        return "warning" if self.passed() else "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "region": self.region,
            "name": self.name,
            "year": self.year,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "kind": "hard" if self.hard else "soft",
            "amount": self.amount,
            "aanbieders": self.aanbieders,
            "all_contracted": self.all_contracted,
            "categories": self.categories,
            "codes": self.codes,
            "gemeenten": self.gemeenten,
            "thresholds": self.thresholds,
            "thresholds_passed": self.passed(),
            "committed": self.committed,
            "spent": self.spent,
            "task": self.task,
            "usage": self.usage,
            "expected": self.expected,
            "remaining": self.remaining,
            "percentage": round(100 * self.usage / self.amount, 1) if self.amount else None,
            "status": self.status,
            "unvalued": len(self.unvalued),
            "unvalued_allocations": self.unvalued,
            "overrides": self.overrides,
            "forecast": self.forecast,
        }


def _runs_in(u: dict[str, Any], p0: date, p1: date) -> bool:
    end = u.get("einddatum")
    return date.fromisoformat(u["ingangsdatum"]) <= p1 and (
        end is None or date.fromisoformat(end) >= p0
    )


def ceiling_status(
    session: Session,
    scope: Scope,
    util: Utilisation,
    today: date,
    declared: dict[tuple[str, str], date] | None = None,
) -> CeilingStatus:
    """The figures of one ceiling from a utilisation of (at least) its gemeenten and period."""
    c = scope.ceiling
    index = util.index
    contracted = index.aanbieders(scope.region.id) if index is not None else set()
    realisation: dict[str, int] = dict((scope.region.settings or {}).get("realisation", {}))
    declared = declared or {}
    committed = spent = usage = expected = 0
    by_month_committed: dict[Month, int] = defaultdict(int)
    by_month_spent: dict[Month, int] = defaultdict(int)
    projected: dict[Month, int] = defaultdict(int)
    per_allocation: dict[tuple[str, int], tuple[int, int]] = {}
    unvalued = []
    p0, p1 = scope.period
    # the utilisation may span more months than the ceiling (one for several ceilings)
    inside = {m for m in months_between(util.period) if month_end(m) >= p0 and date(*m, 1) <= p1}
    for key, entry in util.per_allocation.items():
        gem, agb = entry.gemeente, entry.aanbieder
        if gem not in scope.gemeenten or not scope.provider(agb, contracted):
            continue
        own = scope.product(entry.categorie, entry.code)
        committed_months = {m: v for m, v in entry.committed.items() if m in inside} if own else {}
        a_committed = sum(committed_months.values())
        a_spent_months = {m: v for m, v in entry.spent_where(scope.product).items() if m in inside}
        a_spent = sum(a_spent_months.values())
        missing = util.unvalued.get(key) if own else None
        if missing is not None and _runs_in(missing, p0, p1):
            unvalued.append(missing)
        if not committed_months and not a_spent_months:
            continue
        committed += a_committed
        spent += a_spent
        usage += max(a_committed, a_spent)
        per_allocation[key] = (a_committed, a_spent)
        factor = realisation.get(entry.categorie or "", 100)
        through = declared.get((agb, gem))
        for month in set(committed_months) | set(a_spent_months):
            m_committed = committed_months.get(month, 0)
            m_spent = a_spent_months.get(month, 0)
            by_month_committed[month] += m_committed
            by_month_spent[month] += m_spent
            m_expected = m_committed * factor // 100
            expected += m_expected
            done = through is not None and month_end(month) <= through
            projected[month] += m_spent if done else max(m_spent, m_expected)
    task_months = task_in_scope(session, scope, contracted)
    task = sum(task_months.values())
    for month, cents in task_months.items():
        projected[month] += cents
    out = forecast(c.amount, scope.period, by_month_spent, by_month_committed, today)
    out.update(projection(c.amount, scope.period, projected))
    return CeilingStatus(
        id=c.id,
        region=scope.region.code,
        name=c.name,
        year=c.year,
        start=c.period_start,
        end=c.period_end,
        amount=c.amount,
        hard=c.hard,
        aanbieders=sorted(scope.members) if scope.members is not None else sorted(contracted),
        all_contracted=c.all_contracted,
        categories=c.categories,
        codes=c.codes,
        gemeenten=c.gemeenten,
        thresholds=list(c.thresholds if c.thresholds is not None else [90]),
        committed=committed,
        spent=spent,
        task=task,
        usage=usage + task,
        expected=expected,
        unvalued=unvalued,
        forecast=out,
        allocations=per_allocation,
        months={
            m: Cell(by_month_committed.get(m, 0), by_month_spent.get(m, 0))
            for m in sorted(set(by_month_committed) | set(by_month_spent))
        },
    )


def _runs_out(amount: int, by_month: dict[Month, int], p1: date) -> str | None:
    """The day a month-by-month amount reaches `amount` (pro rata within the month)."""
    running = 0
    for month in sorted(by_month):
        value = by_month[month]
        if value > 0 and running + value >= amount:
            in_month = calendar.monthrange(*month)[1]
            nth = 1 + int(Fraction(amount - running, value) * in_month)
            day = date(*month, min(max(nth, 1), in_month))
            return day.isoformat() if day <= p1 else None
        running += value
    return None


def forecast(
    amount: int,
    period: int | Period,
    spent_by_month: dict[Month, int],
    committed_by_month: dict[Month, int],
    today: date,
) -> dict[str, Any]:
    """When the ceiling runs out at the plain spending rate and by cumulative commitment."""
    p0, p1 = _period(period)
    out: dict[str, Any] = {
        "spending_rate_per_day": None,
        "runs_out_on": None,
        "committed_runs_out_on": None,
    }
    spent_months = [m for m, v in spent_by_month.items() if v and date(*m, 1) <= today]
    spent = sum(v for m, v in spent_by_month.items() if m in spent_months)
    if spent_months and spent > 0:
        upto = month_end(max(spent_months))
        rate = Fraction(spent, (upto - p0).days + 1)
        out["spending_rate_per_day"] = int(rate)
        days_needed = -(-amount // rate)  # ceil; rate > 0 here
        # Compare day counts before making a date: a large ceiling at a small rate needs
        # millions of days, past the last date Python can represent (that was a 500).
        if days_needed <= (p1 - p0).days + 1:
            out["runs_out_on"] = (p0 + timedelta(days=int(days_needed) - 1)).isoformat()
    out["committed_runs_out_on"] = _runs_out(amount, committed_by_month, p1)
    return out


def projection(amount: int, period: Period, projected: dict[Month, int]) -> dict[str, Any]:
    """The forecast from committed and spent together (module docstring)."""
    total = sum(projected.values())
    return {
        "projected": total,
        "projected_remaining": amount - total,
        "projected_runs_out_on": _runs_out(amount, projected, period[1]),
    }


def statuses(
    session: Session, gemeente: str, year: int | Period, today: date
) -> list[CeilingStatus]:
    """Every ceiling of the sets of `gemeente` whose period overlaps `year`, with figures."""
    p0, p1 = _period(year)
    ids = active_sets(session, [gemeente]).get(gemeente, [])
    return statuses_of(session, ceiling_scopes(session, ids, p0, p1), today)


def statuses_by_month(
    session: Session, gemeente: str, year: int, today: date
) -> tuple[Utilisation, list[tuple[CeilingStatus, dict[Month, Cell]]]]:
    """The utilisation of the gemeente's sets in `year` and every ceiling overlapping it with
    its figures and its committed and spent money per month (charts)."""
    util = utilisation(session, gemeente, year)
    return util, [(st, st.months) for st in statuses(session, gemeente, year, today)]


def statuses_of(
    session: Session,
    scopes: Sequence[Scope],
    today: date,
    index: ContractIndex | None = None,
) -> list[CeilingStatus]:
    """The figures of these ceilings (one utilisation per distinct gemeenten and period)."""
    every = sorted({g for s in scopes for g in s.gemeenten})
    if scopes and index is None:
        index = load_index(session, every)
    declared = ledger.declared_through(session, every) if scopes else {}
    # Month-aligned ceilings share one valuation over all their gemeenten and months (a
    # month's value does not depend on the period asked); others get one of their own.
    shared = [s.period for s in scopes if aligned(s.period)]
    common = (
        utilisation_for(
            session, every, (min(p[0] for p in shared), max(p[1] for p in shared)), index
        )
        if shared
        else None
    )
    cache: dict[tuple[tuple[str, ...], Period], Utilisation] = {}
    out = []
    for scope in scopes:
        if aligned(scope.period) and common is not None:
            util = common
        else:
            key = (tuple(scope.gemeenten), scope.period)
            if key not in cache:
                cache[key] = utilisation_for(session, scope.gemeenten, scope.period, index)
            util = cache[key]
        status = ceiling_status(session, scope, util, today, declared)
        status.overrides = _overrides(session, scope)
        out.append(status)
    return out


def _overrides(session: Session, scope: Scope) -> int:
    used = permits.permits_of(session, scope.gemeenten, kind=permits.OVERRIDE)
    return sum(
        1
        for p in used
        if p.used_message_id is not None
        and (p.details or {}).get("ceiling") == scope.ceiling.name
        and (p.details or {}).get("region") == scope.region.code
    )


# --------------------------------------------------------------------------- the pre-create check


def value_in(a: Allocation, book: ContractBook, period: Period) -> int:
    """Committed cents of one allocation in a period (nothing for a deletion)."""
    if a.deleted:
        return 0
    rate, _ = allocation_rate(book, a)
    return sum(monthly_value(a, rate, period).values())


def lock_region(session: Session, region_id: int) -> None:
    """Serialise the ceiling checks of one region until the transaction ends.

    A ceiling pools the allocations of every gemeente of its region, so the gemeente's own
    party lock (held by every create) is not enough: two gemeenten could each check the same
    remaining room and both book it.  The region row lock is taken after the party locks, in
    every transaction that takes it, so the lock order stays acyclic.  SQLite serialises all
    writers already.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Region.id).where(Region.id == region_id).with_for_update())


def check_planned(session: Session, planned: list[Planned], today: date) -> list[CheckResult]:
    """Pre-create check on every path: hard ceilings refuse unless overridden, soft ones warn,
    passing a threshold warns (with the figures).

    Runs in the transaction that sends the JW301 and holds the region's lock (`lock_region`)
    until it commits, so the usage it reads is the usage the allocation is booked against.
    """
    results: list[CheckResult] = []
    by_gemeente: dict[str, list[Allocation]] = defaultdict(list)
    for p in planned:
        by_gemeente[p.allocation.gemeente].append(p.allocation)
    for gemeente, items in by_gemeente.items():
        ids = active_sets(session, [gemeente]).get(gemeente, [])
        if not ids:
            continue
        lo = min(a.ingangsdatum for a in items)
        hi = max(a.einddatum or date(a.ingangsdatum.year, 12, 31) for a in items)
        scopes = [s for s in ceiling_scopes(session, ids, lo, hi) if gemeente in s.gemeenten]
        if not scopes:
            continue
        for region_id in sorted({s.region.id for s in scopes}):
            lock_region(session, region_id)  # before the usage is read
        overrides = {
            p.nummer: p
            for p in permits.open_permits(session, gemeente, [a.nummer for a in items])
            if p.kind == permits.OVERRIDE
        }
        index = load_index(session, sorted({g for s in scopes for g in s.gemeenten}))
        for status, scope in zip(statuses_of(session, scopes, today, index), scopes, strict=True):
            contracted = index.aanbieders(scope.region.id)
            extra = 0
            counted: list[Allocation] = []
            for a in items:
                if not scope.includes(a.aanbieder, a.gemeente, a.categorie, a.code, contracted):
                    continue
                new = value_in(a, index.book(a.gemeente, a.aanbieder), scope.period)
                current = status.allocations.get((a.gemeente, a.nummer))
                if current is not None:
                    # a change: only the difference with the current commitment counts
                    c_committed, c_spent = current
                    extra += max(new, c_spent) - max(c_committed, c_spent)
                else:
                    extra += new
                counted.append(a)
            if extra <= 0:
                continue
            after = status.usage + extra
            details = {
                "region": scope.region.code,
                "ceiling": scope.ceiling.name,
                "ceiling_id": scope.ceiling.id,
                "year": scope.ceiling.year,
                "start": scope.ceiling.period_start.isoformat(),
                "end": scope.ceiling.period_end.isoformat(),
                "amount": scope.ceiling.amount,
                "usage": status.usage,
                "committed": status.committed,
                "spent": status.spent,
                "this_allocation": extra,
                "after": after,
                "over_by": after - scope.ceiling.amount,
            }
            name = f"{scope.ceiling.name} ({_label(scope)})"
            if after > scope.ceiling.amount:
                overridden = [overrides[a.nummer] for a in counted if a.nummer in overrides]
                if scope.ceiling.hard and overridden:
                    results.append(
                        CheckResult(
                            "warn",
                            CEILING_OVERRIDDEN,
                            f"hard ceiling {name} is exceeded by {details['over_by']} cents: "
                            f"overridden ({overridden[0].reason})",
                            {**details, "permit_id": overridden[0].id},
                        )
                    )
                elif scope.ceiling.hard:
                    results.append(
                        CheckResult(
                            "refuse",
                            CEILING_EXCEEDED,
                            f"hard ceiling {name} would be exceeded by {details['over_by']} cents",
                            details,
                        )
                    )
                else:
                    results.append(
                        CheckResult(
                            "warn",
                            SPENDING_ROOM_EXCEEDED,
                            f"spending room {name} is exceeded by {details['over_by']} cents",
                            details,
                        )
                    )
                continue
            newly = [t for t in status.passed(after) if t not in status.passed()]
            if newly:
                results.append(
                    CheckResult(
                        "warn",
                        CEILING_THRESHOLD,
                        f"ceiling {name} passes {newly[-1]} % with this allocation",
                        {**details, "thresholds": newly},
                    )
                )
    return results


def _label(scope: Scope) -> str:
    c = scope.ceiling
    if c.period_start == date(c.year, 1, 1) and c.period_end == date(c.year, 12, 31):
        return str(c.year)
    return f"{c.period_start.isoformat()}..{c.period_end.isoformat()}"
