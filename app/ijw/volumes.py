"""Volume arithmetic of spec §4.5 (TR321, TR322), pure and integer-only.

An allocation's Omvang is (Volume V, Eenheid, Frequentie): 1 per day, 2 per week, 4 per month,
6 in total.  A prestatie covers a product period P inside one calendar month; the allocation
runs over A = [Ingangsdatum, Einddatum or open].

| Frequentie          | max per prestatie (TR321)           | max for the sum over A (TR322)   |
|---------------------|-------------------------------------|----------------------------------|
| 1 per day           | V x days in P                       | V x days in A                    |
| 2 week, inspanning  | V x ISO weeks overlapping P (IV077) | V x ISO weeks overlapping A      |
| 2 week, output      | V x Sundays in P (+1, IV076)        | V x (Sundays in A, +1)           |
| 4 per month         | V, also in a partial month (IV078)  | V x calendar months touched by A |
| 6 total             | V                                   | V                                |

The "+1" of the output week rule: a last, broken week (A does not end on a Sunday) is declared
in the period holding A's last Sunday; when A holds no Sunday at all, in the period holding its
end.  Hours allocated may be declared in minutes (TR341): limits then scale by 60.  An open-ended
allocation has no TR322 limit except for a total (frequency 6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.ijw.codes import HOURS, MINUTES

PER_DAY, PER_WEEK, PER_MONTH, TOTAL = "1", "2", "4", "6"

SUNDAY = 6  # date.weekday()


def days(start: date, end: date) -> int:
    """Days in [start, end] (0 when end < start)."""
    return max(0, (end - start).days + 1)


def iso_weeks(start: date, end: date) -> int:
    """Distinct ISO weeks (year, week) touched by [start, end] (IV077 counts week numbers)."""
    if end < start:
        return 0
    monday_first = start - timedelta(days=start.weekday())
    monday_last = end - timedelta(days=end.weekday())
    return (monday_last - monday_first).days // 7 + 1


def sundays(start: date, end: date) -> int:
    """Sundays in [start, end]."""
    if end < start:
        return 0
    first = start + timedelta(days=(SUNDAY - start.weekday()) % 7)
    return 0 if first > end else (end - first).days // 7 + 1


def last_sunday(start: date, end: date) -> date | None:
    """The last Sunday in [start, end], or None."""
    candidate = end - timedelta(days=(end.weekday() - SUNDAY) % 7)
    return candidate if candidate >= start else None


def months_touched(start: date, end: date) -> int:
    """Calendar months touched by [start, end]."""
    if end < start:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def month_end(day: date) -> date:
    """Last day of the month of `day`."""
    nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


@dataclass(frozen=True)
class Omvang:
    """An allocation's volume: V per Frequentie in Eenheid; `output` selects the Sunday rule."""

    volume: int
    eenheid: str
    frequentie: str
    output: bool = False


def unit_factor(allocated: str, declared: str) -> int | None:
    """How many declared units one allocated unit is (TR341); None when they do not fit."""
    if allocated == declared:
        return 1
    if allocated == HOURS and declared == MINUTES:
        return 60
    return None


def output_week_count(p_start: date, p_end: date, a_start: date, a_end: date | None) -> int:
    """Weeks payable in P under the output rule (IV076/IV077): Sundays in P within A, plus the
    broken last week in the period that holds A's last Sunday (or A's end without a Sunday)."""
    lo, hi = max(p_start, a_start), p_end if a_end is None else min(p_end, a_end)
    count = sundays(lo, hi)
    if a_end is not None and a_end.weekday() != SUNDAY:
        anchor = last_sunday(a_start, a_end) or a_end
        if lo <= anchor <= hi:
            count += 1
    return count


def period_maximum(
    omvang: Omvang, p_start: date, p_end: date, a_start: date, a_end: date | None
) -> int:
    """TR321: the most that may be declared for product period P, in the allocation's unit."""
    lo, hi = max(p_start, a_start), p_end if a_end is None else min(p_end, a_end)
    v, f = omvang.volume, omvang.frequentie
    if f == PER_DAY:
        return v * days(lo, hi)
    if f == PER_WEEK:
        if omvang.output:
            return v * output_week_count(p_start, p_end, a_start, a_end)
        return v * iso_weeks(lo, hi)
    # per month (partial months get the full V, IV078) and totals: V
    return v


def allocation_maximum(omvang: Omvang, a_start: date, a_end: date | None) -> int | None:
    """TR322: the most that may be declared over the whole allocation (None = no limit)."""
    v, f = omvang.volume, omvang.frequentie
    if f == TOTAL:
        return v
    if a_end is None:
        return None
    if f == PER_DAY:
        return v * days(a_start, a_end)
    if f == PER_WEEK:
        if omvang.output:
            extra = 0 if a_end.weekday() == SUNDAY else 1
            return v * (sundays(a_start, a_end) + extra)
        return v * iso_weeks(a_start, a_end)
    return v * months_touched(a_start, a_end)


def month_periods(a_start: date, a_end: date) -> list[tuple[date, date]]:
    """The product periods of an allocation: calendar months clipped to it (IV089)."""
    out = []
    cur = a_start
    while cur <= a_end:
        end = min(month_end(cur), a_end)
        out.append((cur, end))
        cur = end + timedelta(days=1)
    return out
