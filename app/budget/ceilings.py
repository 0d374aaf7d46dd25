"""Budget ceilings: committed and spent money, utilisation per month, forecast, the hard/soft check.

Definitions (docs/ceilings.md):

- **Committed** money of an allocation in a year: its current (leading, not deleted) version
  valued at the contract tariff of its product, pro rata over the days of the year it runs:
  per day V x tariff; per week V x tariff / 7 per day; per month V x tariff per calendar month,
  pro rata for partial months; a total (frequency 6) or a Budget spread evenly over the
  allocation's days.  An open end counts as running to the end of the year.  Hours allocated
  against a minute tariff (or the reverse) convert by 60; euro allocations (Eenheid 83) are
  their own value.  Allocations without a tariff or Budget have no committed value.
- **Spent** money: the approved prestaties (the booked lines of the declarations store), debets
  minus credits, by the month of the ProductPeriode.  It reconciles to the cent with the ledger.
- **Usage** of a ceiling: per allocation the larger of committed and spent (a provider may catch
  up on unused volume later, seed 000), summed over the allocations in the ceiling's scope
  (members, categories, gemeente, year).
- A **hard** ceiling refuses a back-office allocation that would push usage over the amount
  (with the figures); a **soft** one (spending room) lets it through with a warning.
- **Forecast**: at the current spending rate (spent so far / days up to the last month with
  approved spending) the date the amount is reached, and the date the cumulative commitment
  (month by month) reaches it.

Money is integer cents throughout; pro-rata values use exact fractions, floored per month.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.flows.allocations import store as allocations
from app.flows.allocations.planning import CheckResult, Planned
from app.flows.allocations.store import Allocation
from app.flows.declarations import store as ledger
from app.ijw.codes import EURO, HOURS, MINUTES
from app.reference.models import Ceiling, CeilingMember, ContractTariff, Region, RegionMember

Month = tuple[int, int]


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


def _months(start: date, end: date) -> Iterable[tuple[Month, date, date]]:
    cur = start
    while cur <= end:
        last = date(cur.year, cur.month, calendar.monthrange(cur.year, cur.month)[1])
        stop = min(last, end)
        yield (cur.year, cur.month), cur, stop
        cur = stop + timedelta(days=1)


def monthly_value(a: Allocation, tariff: Fraction | None, year: int) -> dict[Month, int]:
    """Committed cents of allocation `a` per month of `year` (empty when it has no value)."""
    y0, y1 = date(year, 1, 1), date(year, 12, 31)
    end = a.einddatum or y1
    lo, hi = max(a.ingangsdatum, y0), min(end, y1)
    if hi < lo:
        return {}
    total_days = (end - a.ingangsdatum).days + 1
    per_day: Fraction | None = None
    per_month: Fraction | None = None
    if a.budget is not None:
        per_day = Fraction(a.budget, total_days)
    elif a.volume is not None and a.eenheid and a.frequentie and tariff is not None:
        amount = a.volume * tariff
        if a.frequentie == "1":
            per_day = amount
        elif a.frequentie == "2":
            per_day = amount / 7
        elif a.frequentie == "4":
            per_month = amount
        else:  # 6: a total over the allocation (open end: until the end of its first year)
            span_end = a.einddatum or date(a.ingangsdatum.year, 12, 31)
            per_day = amount / ((span_end - a.ingangsdatum).days + 1)
            hi = min(hi, span_end)
    else:
        return {}
    out: dict[Month, int] = {}
    for month, start, stop in _months(lo, hi):
        days = (stop - start).days + 1
        if per_month is not None:
            in_month = calendar.monthrange(*month)[1]
            value = per_month * days / in_month
        else:
            assert per_day is not None
            value = per_day * days
        out[month] = int(value)  # floor: never commit a cent more than the contract says
    return out


@dataclass
class TariffIndex:
    """Contract tariffs of a region, by (aanbieder, code), for valuing allocations."""

    rows: dict[tuple[str, str], list[ContractTariff]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def for_allocation(self, a: Allocation) -> Fraction | None:
        if a.eenheid == EURO:
            return Fraction(1)
        if a.code is None or a.eenheid is None:
            return None
        rows = self.rows.get((a.aanbieder, a.code), [])
        on = a.ingangsdatum
        row = next(
            (r for r in rows if r.valid_from <= on and (r.valid_to is None or on <= r.valid_to)),
            None,
        ) or (max(rows, key=lambda r: r.valid_from) if rows else None)
        if row is None:
            return None
        return unit_tariff(row.tarief, row.eenheid, a.eenheid)


def tariff_index(session: Session, region_id: int | None) -> TariffIndex:
    index = TariffIndex()
    if region_id is None:
        return index
    for row in session.scalars(select(ContractTariff).where(ContractTariff.region_id == region_id)):
        index.rows[(row.aanbieder, row.code)].append(row)
    return index


# --------------------------------------------------------------------------- utilisation


@dataclass
class Cell:
    """Committed and spent cents of one (aanbieder, gemeente, categorie, month)."""

    committed: int = 0
    spent: int = 0


Key = tuple[str, str, str, Month]  # aanbieder, gemeente, categorie ("" = none), month


@dataclass
class Utilisation:
    """Everything the reports and checks need for one region and year."""

    region_id: int | None
    year: int
    gemeenten: list[str]
    cells: dict[Key, Cell]
    # per allocation (gemeente, nummer): committed and spent in the year, and its scope
    per_allocation: dict[tuple[str, int], dict[str, Any]]

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


def region_members(session: Session, gemeente: str) -> tuple[int | None, list[str]]:
    """The region of a gemeente and its member gemeenten (just itself without a region)."""
    region_id = session.scalar(
        select(RegionMember.region_id).where(RegionMember.gemeente == gemeente)
    )
    if region_id is None:
        return None, [gemeente]
    members = sorted(
        session.scalars(select(RegionMember.gemeente).where(RegionMember.region_id == region_id))
    )
    return region_id, members


def utilisation(session: Session, gemeente: str, year: int) -> Utilisation:
    """Committed and spent money of the region of `gemeente` in `year` (a few queries)."""
    region_id, gemeenten = region_members(session, gemeente)
    index = tariff_index(session, region_id)
    cells: dict[Key, Cell] = defaultdict(Cell)
    per_alloc: dict[tuple[str, int], dict[str, Any]] = {}
    y0, y1 = date(year, 1, 1), date(year, 12, 31)
    for a in allocations.leading_in_period(session, gemeenten, y0, y1):
        months = monthly_value(a, index.for_allocation(a), year)
        entry = per_alloc.setdefault(
            (a.gemeente, a.nummer),
            {
                "aanbieder": a.aanbieder,
                "categorie": a.categorie,
                "committed": 0,
                "spent": 0,
                "spent_by_cat": defaultdict(int),
            },
        )
        for month, cents in months.items():
            cells[(a.aanbieder, a.gemeente, a.categorie or "", month)].committed += cents
            entry["committed"] += cents
    for row in ledger.spent_in_period(session, gemeenten, y0, y1):
        agb, gem, cat, cents = row.aanbieder, row.gemeente, row.categorie, row.cents
        cells[(agb, gem, cat, row.month)].spent += cents
        entry = per_alloc.setdefault(
            (gem, row.nummer),
            {
                "aanbieder": agb,
                "categorie": cat,
                "committed": 0,
                "spent": 0,
                "spent_by_cat": defaultdict(int),
            },
        )
        entry["spent"] += cents
        entry["spent_by_cat"][cat] += cents
    return Utilisation(region_id, year, gemeenten, dict(cells), per_alloc)


def spent_all_years(session: Session, gemeenten: list[str], aanbieder: str | None = None) -> int:
    """Approved debets minus approved credits over every period (the ledger's grand total)."""
    return ledger.spent_total(session, gemeenten, aanbieder)


# --------------------------------------------------------------------------- ceilings


@dataclass
class CeilingStatus:
    """A ceiling with its figures."""

    id: int
    name: str
    year: int
    amount: int
    hard: bool
    aanbieders: list[str]
    categories: list[str] | None
    gemeente: str | None
    committed: int
    spent: int
    usage: int
    forecast: dict[str, Any]

    @property
    def remaining(self) -> int:
        return self.amount - self.usage

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "year": self.year,
            "kind": "hard" if self.hard else "soft",
            "amount": self.amount,
            "aanbieders": self.aanbieders,
            "categories": self.categories,
            "gemeente": self.gemeente,
            "committed": self.committed,
            "spent": self.spent,
            "usage": self.usage,
            "remaining": self.remaining,
            "percentage": round(100 * self.usage / self.amount, 1) if self.amount else None,
            "status": (
                "exceeded"
                if self.usage > self.amount
                else "warning"
                if self.usage * 10 >= self.amount * 9
                else "ok"
            ),
            "forecast": self.forecast,
        }


def _in_scope(c: Ceiling, members: set[str], agb: str, gemeente: str, cat: str | None) -> bool:
    if agb not in members:
        return False
    if c.gemeente is not None and gemeente != c.gemeente:
        return False
    return c.categories is None or (cat is not None and cat in c.categories)


def ceilings_of(
    session: Session, region_id: int | None, year: int
) -> list[tuple[Ceiling, set[str]]]:
    if region_id is None:
        return []
    out = []
    for c in session.scalars(
        select(Ceiling)
        .where(Ceiling.region_id == region_id, Ceiling.year == year)
        .order_by(Ceiling.name)
    ):
        members = set(
            session.scalars(select(CeilingMember.aanbieder).where(CeilingMember.ceiling_id == c.id))
        )
        out.append((c, members))
    return out


def ceiling_status(c: Ceiling, members: set[str], util: Utilisation, today: date) -> CeilingStatus:
    """The figures of one ceiling from a utilisation."""
    committed = spent = usage = 0
    by_month_committed: dict[Month, int] = defaultdict(int)
    by_month_spent: dict[Month, int] = defaultdict(int)
    for (agb, gem, cat, month), cell in util.cells.items():
        if _in_scope(c, members, agb, gem, cat or None):
            by_month_committed[month] += cell.committed
            by_month_spent[month] += cell.spent
    for (gem, _), entry in util.per_allocation.items():
        agb = entry["aanbieder"]
        if agb not in members or (c.gemeente is not None and gem != c.gemeente):
            continue
        cat_ok = _in_scope(c, members, agb, gem, entry["categorie"])
        a_committed = entry["committed"] if cat_ok else 0
        a_spent = (
            entry["spent"]
            if c.categories is None
            else sum(v for k, v in entry["spent_by_cat"].items() if k in c.categories)
        )
        committed += a_committed
        spent += a_spent
        usage += max(a_committed, a_spent)
    return CeilingStatus(
        id=c.id,
        name=c.name,
        year=c.year,
        amount=c.amount,
        hard=c.hard,
        aanbieders=sorted(members),
        categories=c.categories,
        gemeente=c.gemeente,
        committed=committed,
        spent=spent,
        usage=usage,
        forecast=forecast(c.amount, c.year, by_month_spent, by_month_committed, today),
    )


def forecast(
    amount: int,
    year: int,
    spent_by_month: dict[Month, int],
    committed_by_month: dict[Month, int],
    today: date,
) -> dict[str, Any]:
    """When the ceiling runs out: at the current spending rate, and by cumulative commitment."""
    y0 = date(year, 1, 1)
    y1 = date(year, 12, 31)
    out: dict[str, Any] = {
        "spending_rate_per_day": None,
        "runs_out_on": None,
        "committed_runs_out_on": None,
    }
    months = [m for m, v in spent_by_month.items() if v and date(*m, 1) <= today]
    spent = sum(v for m, v in spent_by_month.items() if m in months)
    if months and spent > 0:
        last = max(months)
        upto = date(last[0], last[1], calendar.monthrange(*last)[1])
        rate = Fraction(spent, (upto - y0).days + 1)
        out["spending_rate_per_day"] = int(rate)
        days_needed = -(-amount // rate) if rate else None  # ceil
        if days_needed is not None:
            day = y0 + timedelta(days=int(days_needed) - 1)
            out["runs_out_on"] = day.isoformat() if day <= y1 else None
    running = 0
    for month in sorted(committed_by_month):
        value = committed_by_month[month]
        if value and running + value >= amount:
            in_month = calendar.monthrange(*month)[1]
            nth = 1 + int(Fraction(amount - running, value) * in_month)
            out["committed_runs_out_on"] = date(*month, min(max(nth, 1), in_month)).isoformat()
            break
        running += value
    return out


def statuses(session: Session, gemeente: str, year: int, today: date) -> list[CeilingStatus]:
    """Every ceiling of the region of `gemeente` in `year`, with its figures."""
    util = utilisation(session, gemeente, year)
    return [
        ceiling_status(c, m, util, today) for c, m in ceilings_of(session, util.region_id, year)
    ]


# --------------------------------------------------------------------------- the back-office check


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
    """Pre-create check: hard ceilings refuse, soft ones warn (with the figures).

    Runs in the transaction that sends the JW301 and holds the region's lock (`lock_region`)
    until it commits, so the usage it reads is the usage the allocation is booked against.
    """
    results: list[CheckResult] = []
    by_gemeente: dict[str, list[Allocation]] = defaultdict(list)
    for p in planned:
        by_gemeente[p.allocation.gemeente].append(p.allocation)
    for gemeente, items in by_gemeente.items():
        region_id, _ = region_members(session, gemeente)
        if region_id is None:
            continue
        index = tariff_index(session, region_id)
        locked = False
        years = sorted(
            {
                y
                for p in items
                for y in range(p.ingangsdatum.year, (p.einddatum or p.ingangsdatum).year + 1)
            }
        )
        for year in years:
            ceilings = ceilings_of(session, region_id, year)
            if not ceilings:
                continue
            if not locked:
                lock_region(session, region_id)  # before the usage is read
                locked = True
            util = utilisation(session, gemeente, year)
            for c, members in ceilings:
                status = ceiling_status(c, members, util, today)
                extra = 0
                for a in items:
                    if not _in_scope(c, members, a.aanbieder, a.gemeente, a.categorie):
                        continue
                    new = _value(a, index, year)
                    entry = util.per_allocation.get((a.gemeente, a.nummer))
                    if entry is not None:
                        # a change: only the difference with the current commitment counts
                        extra += max(new, entry["spent"]) - max(entry["committed"], entry["spent"])
                    else:
                        extra += new
                if extra <= 0 or status.usage + extra <= c.amount:
                    continue
                details = {
                    "ceiling": c.name,
                    "ceiling_id": c.id,
                    "year": year,
                    "amount": c.amount,
                    "usage": status.usage,
                    "committed": status.committed,
                    "spent": status.spent,
                    "this_allocation": extra,
                    "after": status.usage + extra,
                    "over_by": status.usage + extra - c.amount,
                }
                if c.hard:
                    results.append(
                        CheckResult(
                            "refuse",
                            "CEILING_EXCEEDED",
                            f"hard ceiling {c.name} ({year}) would be exceeded by "
                            f"{details['over_by']} cents",
                            details,
                        )
                    )
                else:
                    results.append(
                        CheckResult(
                            "warn",
                            "SPENDING_ROOM_EXCEEDED",
                            f"spending room {c.name} ({year}) is exceeded by "
                            f"{details['over_by']} cents",
                            details,
                        )
                    )
    return results


def _value(a: Allocation, index: TariffIndex, year: int) -> int:
    """Committed cents of one allocation in a year (nothing for a deletion)."""
    if a.deleted:
        return 0
    return sum(monthly_value(a, index.for_allocation(a), year).values())
