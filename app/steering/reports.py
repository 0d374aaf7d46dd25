"""Steering information (docs/reports.md): figures per period (month, quarter, year), per
gemeente, provider, product code and category, computed from the stores on demand.

- `volumes`: allocated and approved volume in units and euros, clients, new and ending clients,
  average duration of an allocation, average cost per client;
- `stops`: the stop reasons (JZ588) of ended care;
- `returning`: clients that come back within 12 months after their care ended;
- `realisation`: every ceiling against its usage and forecast, and committed, expected and
  spent money per provider and category;
- `process`: days from request to allocation, requests past their deadline, allocations not
  started after N working days (OP271), starts and stops reported late, the share of declaration
  lines rejected and by which rule;
- `contracts`: allocations outside a valid contract (OP296) or running past its end;
- `overrides`: hard ceilings overridden for unavoidable care, with who, when and why.

Euros come from the same valuation as the ceilings (committed) and from the booked prestaties
(approved: debets minus credits), so they reconcile to the cent with `GET /v1/ceilings` and the
ledger.  Every report is a list of flat rows, sorted, so the API can page it and write CSV.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, Literal

from sqlalchemy.orm import Session

from app.budget import ceilings
from app.budget import store as permits
from app.budget.ceilings import allocation_rate, monthly_value, spread
from app.flows.allocations import store as allocations
from app.flows.allocations.store import Allocation
from app.flows.declarations import store as ledger
from app.flows.deliveries import store as deliveries
from app.flows.requests import store as requests
from app.ijw.codes import HOURS, MINUTES, TEMPORARY_STOP
from app.reference import deadlines
from app.reference.contracts import active_sets, load_index

Granularity = Literal["month", "quarter", "year"]
REPORTS = ("volumes", "stops", "returning", "realisation", "process", "contracts", "overrides")
START_WD = 5  # OP271: a start within five working days


@dataclass(frozen=True)
class Query:
    """What a report covers: the gemeenten in scope, an optional provider, a period."""

    gemeenten: tuple[str, ...]
    start: date
    end: date
    granularity: Granularity = "month"
    aanbieder: str | None = None
    today: date = date(2000, 1, 1)  # the caller passes the service's today
    not_started_days: int = START_WD


def bucket(day: date, granularity: Granularity) -> str:
    """The period a day falls in: 2026-03, 2026-Q1 or 2026."""
    if granularity == "year":
        return f"{day.year:04d}"
    if granularity == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}-{day.month:02d}"


def _units(volume: Fraction | int, unit: str | None, to: str | None) -> Fraction:
    """A volume in another unit (minutes <-> hours; others as they are)."""
    v = Fraction(volume)
    if unit == MINUTES and to == HOURS:
        return v / 60
    if unit == HOURS and to == MINUTES:
        return v * 60
    return v


def _num(value: Fraction) -> float:
    return round(float(value), 2)


def _in(day: date | None, q: Query) -> bool:
    return day is not None and q.start <= day <= q.end


# --------------------------------------------------------------------------- loading


@dataclass
class Data:
    """Everything a report reads, loaded once."""

    allocations: list[Allocation]
    stops: list[deliveries.Reported]
    starts: list[deliveries.Reported]
    lines: list[ledger.Booked]

    def ended(self, today: date) -> dict[tuple[str, int], tuple[date, str | None]]:
        """(gemeente, nummer) -> the day the care ended (the Einddatum, or an earlier definitive
        stop) and the stop reason, for care that ended by `today` (a planned end is not yet)."""
        out: dict[tuple[str, int], tuple[date, str | None]] = {}
        stops: dict[tuple[str, int], deliveries.Reported] = {}
        for s in self.stops:
            if s.nummer is not None and s.reden != TEMPORARY_STOP and s.einddatum is not None:
                stops[(s.gemeente, s.nummer)] = s
        for a in self.allocations:
            stop = stops.get((a.gemeente, a.nummer))
            if (
                stop is not None
                and stop.einddatum is not None
                and (a.einddatum is None or stop.einddatum <= a.einddatum)
            ):
                out[(a.gemeente, a.nummer)] = (stop.einddatum, stop.reden)
            elif a.einddatum is not None:
                out[(a.gemeente, a.nummer)] = (a.einddatum, None)
        return {k: v for k, v in out.items() if v[0] <= today}


def load(session: Session, q: Query) -> Data:
    """The allocations running in the period or in the year before it (for returning clients),
    the starts and stops, and the judged prestaties of the period."""
    gemeenten = list(q.gemeenten)
    early = q.start - timedelta(days=366)
    found = allocations.leading_in_period(session, gemeenten, early, q.end)
    if q.aanbieder is not None:
        found = [a for a in found if a.aanbieder == q.aanbieder]
    starts, stops = deliveries.reported_in(session, gemeenten, early, q.end)
    lines = ledger.judged_lines(session, gemeenten, q.start, q.end, aanbieder=q.aanbieder)
    if q.aanbieder is not None:
        starts = [s for s in starts if s.aanbieder == q.aanbieder]
        stops = [s for s in stops if s.aanbieder == q.aanbieder]
    return Data(found, stops, starts, lines)


# --------------------------------------------------------------------------- volumes


def volumes(session: Session, q: Query, data: Data | None = None) -> list[dict[str, Any]]:
    """Per period, gemeente, provider, category, code and unit: allocated and approved units and
    euros, clients, new and ending clients, average duration and cost per client."""
    data = data or load(session, q)
    index = load_index(session, list(q.gemeenten))
    rows: dict[tuple[str, str, str, str, str, str], dict[str, Any]] = {}
    ended = data.ended(q.today)

    def row(
        b: str, gem: str, agb: str, cat: str | None, code: str | None, unit: str | None
    ) -> dict[str, Any]:
        key = (b, gem, agb, cat or "", code or "", unit or "")
        if key not in rows:
            rows[key] = {
                "period": b,
                "gemeente": gem,
                "aanbieder": agb,
                "categorie": cat,
                "code": code,
                "eenheid": unit,
                "_allocated": Fraction(0),
                "allocated_euros": 0,
                "_approved": Fraction(0),
                "approved_euros": 0,
                "_clients": set(),
                "_new": set(),
                "_ending": set(),
                "_durations": [],
                "_paid_clients": set(),
            }
        return rows[key]

    by_key: dict[tuple[str, str, str | None, str | None], list[Allocation]] = defaultdict(list)
    for a in data.allocations:
        by_key[(a.gemeente, a.aanbieder, a.categorie, a.code)].append(a)

    def running(a: Allocation, day: date) -> bool:
        """Another allocation of the same client, provider and product covers `day`."""
        return any(
            o.bsn == a.bsn and o.nummer != a.nummer and o.covers(day)
            for o in by_key[(a.gemeente, a.aanbieder, a.categorie, a.code)]
        )

    for a in data.allocations:
        book = index.book(a.gemeente, a.aanbieder)
        rate, _ = allocation_rate(book, a)
        euros = monthly_value(a, rate, (q.start, q.end))
        units = spread(a, lambda _d: Fraction(1), (q.start, q.end)) if a.budget is None else {}
        for month, cents in euros.items():
            r = row(
                bucket(date(*month, 1), q.granularity),
                a.gemeente,
                a.aanbieder,
                a.categorie,
                a.code,
                a.eenheid,
            )
            r["allocated_euros"] += cents
        for month, v in units.items():
            r = row(
                bucket(date(*month, 1), q.granularity),
                a.gemeente,
                a.aanbieder,
                a.categorie,
                a.code,
                a.eenheid,
            )
            r["_allocated"] += v
        # the client counts in every period the allocation runs in
        end = min(a.einddatum or q.end, q.end)
        day = max(a.ingangsdatum, q.start)
        while day <= end:
            what = (a.gemeente, a.aanbieder, a.categorie, a.code, a.eenheid)
            row(bucket(day, q.granularity), *what)["_clients"].add(a.bsn)
            day = _next(day, q.granularity)
        if _in(a.ingangsdatum, q) and not running(a, a.ingangsdatum - timedelta(days=1)):
            row(
                bucket(a.ingangsdatum, q.granularity),
                a.gemeente,
                a.aanbieder,
                a.categorie,
                a.code,
                a.eenheid,
            )["_new"].add(a.bsn)
        stop = ended.get((a.gemeente, a.nummer))
        if stop is not None and _in(stop[0], q):
            r = row(
                bucket(stop[0], q.granularity),
                a.gemeente,
                a.aanbieder,
                a.categorie,
                a.code,
                a.eenheid,
            )
            r["_durations"].append((stop[0] - a.ingangsdatum).days + 1)
            if not running(a, stop[0] + timedelta(days=1)):
                r["_ending"].add(a.bsn)
    by_number = {(a.gemeente, a.nummer): a for a in data.allocations}
    for ln in data.lines:
        if ln.status != "approved":
            continue
        found = by_number.get((ln.gemeente, ln.nummer))
        # booked under the allocation's product and unit (an aspecific allocation's lines too)
        cat, code, unit = (
            (found.categorie, found.code, found.eenheid)
            if found is not None
            else (ln.categorie, ln.code, ln.eenheid)
        )
        r = row(bucket(ln.begin, q.granularity), ln.gemeente, ln.aanbieder, cat, code, unit)
        sign = -1 if ln.debet_credit == "C" else 1
        r["_approved"] += sign * _units(ln.volume, ln.eenheid, unit)
        r["approved_euros"] += ln.signed
        r["_paid_clients"].add(ln.bsn)
    out = []
    for key in sorted(rows):
        r = rows[key]
        durations = r.pop("_durations")
        paid = r.pop("_paid_clients")
        r["allocated_units"] = _num(r.pop("_allocated"))
        r["approved_units"] = _num(r.pop("_approved"))
        r["clients"] = len(r.pop("_clients"))
        r["new_clients"] = len(r.pop("_new"))
        r["ending_clients"] = len(r.pop("_ending"))
        r["average_duration_days"] = (
            round(sum(durations) / len(durations), 1) if durations else None
        )
        r["average_cost_per_client"] = r["approved_euros"] // len(paid) if paid else None
        out.append(r)
    return out


def _next(day: date, granularity: Granularity) -> date:
    """The first day of the next period."""
    if granularity == "year":
        return date(day.year + 1, 1, 1)
    if granularity == "quarter":
        first = ((day.month - 1) // 3) * 3 + 1
        month = first + 3
        return date(day.year + (month > 12), (month - 1) % 12 + 1, 1)
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


# --------------------------------------------------------------------------- stops, returning


def stops(session: Session, q: Query, data: Data | None = None) -> list[dict[str, Any]]:
    """Ended care by stop reason (JZ588), per period, gemeente, provider and product.  Care
    that ended on its Einddatum without a stop message counts under `reden` null."""
    data = data or load(session, q)
    by: dict[tuple[str, str, str, str, str, str], int] = defaultdict(int)
    ended = data.ended(q.today)
    for a in data.allocations:
        found = ended.get((a.gemeente, a.nummer))
        if found is None or not _in(found[0], q):
            continue
        key = (
            bucket(found[0], q.granularity),
            a.gemeente,
            a.aanbieder,
            a.categorie or "",
            a.code or "",
            found[1] or "",
        )
        by[key] += 1
    return [
        {
            "period": k[0],
            "gemeente": k[1],
            "aanbieder": k[2],
            "categorie": k[3] or None,
            "code": k[4] or None,
            "reden": k[5] or None,
            "ended": n,
        }
        for k, n in sorted(by.items())
    ]


def returning(session: Session, q: Query, data: Data | None = None) -> list[dict[str, Any]]:
    """Clients who get a new allocation within 12 months after their care with the gemeente
    ended (with a gap: no allocation ran the day before), per period of the return, gemeente and
    category of the new allocation."""
    data = data or load(session, q)
    ended = data.ended(q.today)
    by_client: dict[tuple[str, str], list[Allocation]] = defaultdict(list)
    for a in data.allocations:
        by_client[(a.gemeente, a.bsn)].append(a)
    counted: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for (gem, bsn), items in by_client.items():
        for a in items:
            if not _in(a.ingangsdatum, q):
                continue
            day_before = a.ingangsdatum - timedelta(days=1)
            if any(o.nummer != a.nummer and o.covers(day_before) for o in items):
                continue
            came_back = any(
                (e := ended.get((gem, o.nummer))) is not None
                and e[0] < a.ingangsdatum
                and (a.ingangsdatum - e[0]).days <= 366
                for o in items
                if o.nummer != a.nummer
            )
            if came_back:
                counted[(bucket(a.ingangsdatum, q.granularity), gem, a.categorie or "")].add(bsn)
    return [
        {"period": k[0], "gemeente": k[1], "categorie": k[2] or None, "returning_clients": len(v)}
        for k, v in sorted(counted.items())
    ]


# --------------------------------------------------------------------------- realisation


def realisation(session: Session, q: Query) -> list[dict[str, Any]]:
    """Every ceiling of the gemeenten's sets overlapping the period (kind `ceiling`), then per
    provider and category committed, expected (realisation factor) and spent money in the
    period (kind `provider`)."""
    ids = sorted({rid for rids in active_sets(session, list(q.gemeenten)).values() for rid in rids})
    scopes = [
        s
        for s in ceilings.ceiling_scopes(session, ids, q.start, q.end)
        if set(s.gemeenten) & set(q.gemeenten)
    ]
    out: list[dict[str, Any]] = []
    for st in ceilings.statuses_of(session, scopes, q.today):
        if q.aanbieder is not None and q.aanbieder not in st.aanbieders:
            continue
        out.append(
            {
                "kind": "ceiling",
                "region": st.region,
                "ceiling": st.name,
                "start": st.start.isoformat(),
                "end": st.end.isoformat(),
                "aanbieder": None,
                "categorie": None,
                "amount": st.amount,
                "committed": st.committed,
                "expected": st.expected,
                "spent": st.spent,
                "task": st.task,
                "usage": st.usage,
                "remaining": st.remaining,
                "projected": st.forecast["projected"],
                "projected_runs_out_on": st.forecast["projected_runs_out_on"],
                "status": st.status,
                "unvalued": len(st.unvalued),
            }
        )
    util = ceilings.utilisation_for(session, list(q.gemeenten), (q.start, q.end))
    factors: dict[str, int] = {}
    index = util.index
    if index is not None:
        for region in index.regions.values():
            for cat, pct in (region.settings or {}).get("realisation", {}).items():
                factors.setdefault(cat, pct)
    per: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"committed": 0, "expected": 0, "spent": 0}
    )
    for (agb, _gem, cat, _month), cell in util.cells.items():
        if q.aanbieder is not None and agb != q.aanbieder:
            continue
        f = per[(agb, cat)]
        f["committed"] += cell.committed
        f["expected"] += cell.committed * factors.get(cat, 100) // 100
        f["spent"] += cell.spent
    unvalued: dict[tuple[str, str], int] = defaultdict(int)
    for u in util.unvalued.values():
        unvalued[(u["aanbieder"], u["categorie"] or "")] += 1
    task = ceilings.task_funding(session, list(q.gemeenten), q.start, q.end)
    for agb, cat in task:
        if q.aanbieder is None or agb == q.aanbieder:
            per.setdefault((agb, cat), {"committed": 0, "expected": 0, "spent": 0})
    for (agb, cat), f in sorted(per.items()):
        out.append(
            {
                "kind": "provider",
                "region": None,
                "ceiling": None,
                "start": q.start.isoformat(),
                "end": q.end.isoformat(),
                "aanbieder": agb,
                "categorie": cat or None,
                "amount": None,
                "committed": f["committed"],
                "expected": f["expected"],
                "spent": f["spent"],
                "task": task.get((agb, cat), 0),
                "usage": None,
                "remaining": None,
                "projected": None,
                "projected_runs_out_on": None,
                "status": None,
                "unvalued": unvalued[(agb, cat)],
            }
        )
    return out


# --------------------------------------------------------------------------- process


def process(session: Session, q: Query, data: Data | None = None) -> list[dict[str, Any]]:
    """Per period, gemeente and provider: requests and the days to their allocation, requests
    past their deadline, allocations not started after N working days (OP271), starts and stops
    reported late (more than five working days after the start, or after a retroactive
    allocation, or after the end), declaration lines rejected and by which rule."""
    data = data or load(session, q)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def row(b: str, gem: str, agb: str) -> dict[str, Any]:
        key = (b, gem, agb)
        if key not in rows:
            rows[key] = {
                "period": b,
                "gemeente": gem,
                "aanbieder": agb,
                "requests": 0,
                "honoured": 0,
                "_days": [],
                "past_deadline": 0,
                "not_started": 0,
                "late_starts": 0,
                "late_stops": 0,
                "declaration_lines": 0,
                "rejected_lines": 0,
                "_rules": defaultdict(int),
            }
        return rows[key]

    for r in requests.requests_received(session, list(q.gemeenten), q.start, q.end):
        if q.aanbieder is not None and r.aanbieder != q.aanbieder:
            continue
        x = row(bucket(r.received_on, q.granularity), r.gemeente, r.aanbieder)
        x["requests"] += 1
        if r.status == requests.HONOURED and r.decided_on is not None:
            x["honoured"] += 1
            x["_days"].append((r.decided_on - r.received_on).days)
        decided = r.decided_on
        if (decided is not None and decided > r.due_date) or (
            decided is None and r.open and r.due_date < q.today
        ):
            x["past_deadline"] += 1
    started = {(s.gemeente, s.nummer) for s in data.starts if s.nummer is not None}
    sent_on = {(a.gemeente, a.nummer): a.toewijzingsdatum for a in data.allocations}
    for a in data.allocations:
        if not _in(a.ingangsdatum, q):
            continue
        due = deadlines.add_working_days(
            max(a.ingangsdatum, a.toewijzingsdatum), q.not_started_days
        )
        if due < q.today and (a.gemeente, a.nummer) not in started:
            row(bucket(a.ingangsdatum, q.granularity), a.gemeente, a.aanbieder)["not_started"] += 1
    for s in data.starts:
        if not _in(s.begindatum, q):
            continue
        since = max(s.begindatum, sent_on.get((s.gemeente, s.nummer or 0), s.begindatum))
        if s.received_on > deadlines.add_working_days(since, START_WD):
            row(bucket(s.begindatum, q.granularity), s.gemeente, s.aanbieder)["late_starts"] += 1
    for s in data.stops:
        if s.einddatum is None or not _in(s.einddatum, q):
            continue
        if s.received_on > deadlines.add_working_days(s.einddatum, START_WD):
            row(bucket(s.einddatum, q.granularity), s.gemeente, s.aanbieder)["late_stops"] += 1
    for ln in data.lines:
        x = row(bucket(ln.begin, q.granularity), ln.gemeente, ln.aanbieder)
        x["declaration_lines"] += 1
        if ln.status == "rejected":
            x["rejected_lines"] += 1
            for rule in ln.rules:
                x["_rules"][rule] += 1
    out = []
    for key in sorted(rows):
        x = rows[key]
        days = x.pop("_days")
        rules = x.pop("_rules")
        x["average_days_to_allocation"] = round(sum(days) / len(days), 1) if days else None
        x["rejected_share"] = (
            round(100 * x["rejected_lines"] / x["declaration_lines"], 1)
            if x["declaration_lines"]
            else None
        )
        x["rejected_by_rule"] = dict(sorted(rules.items()))
        out.append(x)
    return out


# --------------------------------------------------------------------------- contracts, overrides


def contracts(session: Session, q: Query, data: Data | None = None) -> list[dict[str, Any]]:
    """Allocations running in the period outside a valid contract line for their gemeente,
    provider, product and Ingangsdatum (OP296), or running past the end of their line."""
    data = data or load(session, q)
    index = load_index(session, list(q.gemeenten))
    out = []
    for a in data.allocations:
        if not a.overlaps(q.start, q.end) or not index.configured(a.gemeente):
            continue
        book = index.book(a.gemeente, a.aanbieder)
        line = book.covering(a.categorie, a.code, a.ingangsdatum)
        issue, end, region = None, None, None
        if line is None:
            issue = "outside_contract"
        elif line.end is not None and (a.einddatum is None or a.einddatum > line.end):
            issue, end, region = "past_contract_end", line.end.isoformat(), line.region_code
        if issue is None:
            continue
        out.append(
            {
                "gemeente": a.gemeente,
                "toewijzingnummer": a.nummer,
                "aanbieder": a.aanbieder,
                "categorie": a.categorie,
                "code": a.code,
                "ingangsdatum": a.ingangsdatum.isoformat(),
                "einddatum": a.einddatum.isoformat() if a.einddatum else None,
                "issue": issue,
                "region": region,
                "contract_end": end,
                "options_left_months": line.options_left if line is not None else None,
            }
        )
    return sorted(out, key=lambda r: (r["gemeente"], r["toewijzingnummer"]))


def overrides(session: Session, q: Query) -> list[dict[str, Any]]:
    """Hard ceilings overridden in the period: which allocation, by how much, why, who, when."""
    out = []
    for p in permits.permits_of(
        session, list(q.gemeenten), kind=permits.OVERRIDE, start=q.start, end=q.end
    ):
        d = p.details or {}
        out.append(
            {
                "gemeente": p.gemeente,
                "toewijzingnummer": p.nummer,
                "reason": p.reason,
                "actor_party": p.actor_party,
                "actor_user": p.actor_user,
                "created_at": p.created_at.isoformat(),
                "used": p.used_message_id is not None,
                "message_id": p.used_message_id,
                "region": d.get("region"),
                "ceiling": d.get("ceiling"),
                "over_by": d.get("over_by"),
            }
        )
    return out


Report = Callable[[Session, Query], list[dict[str, Any]]]
BUILDERS: dict[str, Report] = {
    "volumes": volumes,
    "stops": stops,
    "returning": returning,
    "realisation": realisation,
    "process": process,
    "contracts": contracts,
    "overrides": overrides,
}


_WITH_DATA: dict[str, Callable[[Session, Query, Data | None], list[dict[str, Any]]]] = {
    "volumes": volumes,
    "stops": stops,
    "returning": returning,
    "process": process,
    "contracts": contracts,
}


def run(session: Session, name: str, q: Query) -> list[dict[str, Any]]:
    """The rows of report `name`."""
    return BUILDERS[name](session, q)


def flat(value: Any) -> Any:
    """A cell for CSV: dicts as `key:value` pairs, lists joined."""
    if isinstance(value, dict):
        return " ".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return " ".join(str(v) for v in value)
    return "" if value is None else value


def columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    """The CSV columns: the keys of the first row in their order."""
    for r in rows:
        return list(r)
    return []


def to_csv(rows: list[dict[str, Any]]) -> str:
    """A report's rows as CSV (a header of `columns`, cells `flat`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(rows), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: flat(v) for k, v in r.items()})
    return buffer.getvalue()


SECTIONS = (
    ("volumes", "Volumes en cliënten per maand"),
    ("stops", "Beëindigde zorg naar reden (JZ588)"),
    ("returning", "Cliënten die binnen 12 maanden terugkomen"),
    ("process", "Procescijfers"),
    ("contracts", "Toewijzingen buiten contract of na het contracteinde"),
    ("overrides", "Overschreden harde plafonds"),
)


def sections(
    session: Session, gemeente: str, year: int, today: date | None = None
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The reports of one gemeente for one year as (title, flat rows) per section: what a page
    of the web interface shows next to its own figures (its `steering` hook)."""
    day = today or min(date.today(), date(year, 12, 31))
    q = Query((gemeente,), date(year, 1, 1), date(year, 12, 31), "month", today=day)
    data = load(session, q)
    out = []
    for name, title in SECTIONS:
        rows = _WITH_DATA[name](session, q, data) if name in _WITH_DATA else overrides(session, q)
        out.append((title, [{k: flat(v) for k, v in r.items()} for r in rows]))
    return out
