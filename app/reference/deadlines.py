"""Deadlines of spec §3d in working days, with Dutch public holidays.

A working day is Monday-Friday that is not a Dutch public holiday according to the maintained
`holidays` package (NL: New Year, Good Friday, Easter, King's Day, Liberation Day, Ascension,
Whit Monday, Christmas; the package follows the statutory list, so we do not keep a calendar of
our own).  "Within n working days after receipt" counts from the day after the receipt: a
message received on a Friday with a 3 wd deadline is due on the next Wednesday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

# Response times of spec §3d (OP090, OP274, OP346, OP359, OP090x4).
RETOUR_WD = 3  # 306/308/316/318 after a heenbericht, 302/320 after our 301/319
REQUEST_DECISION_WD = 5  # a 301 or 319 per VOT product / per VOW
INVESTIGATION_WEEKS = 8  # final answer after "in onderzoek", from the request's Dagtekening
WOONPLAATS_WEEKS = 2  # a 319 with reason 8 (woonplaatsbeginsel)
DECLARATION_WD = 10  # JW325 after a JW323


@cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year).keys())


def is_holiday(day: date) -> bool:
    """A Dutch public holiday."""
    return day in _holidays(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and not is_holiday(day)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (n >= 0; 0 gives `start` itself)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start`
    (negative when `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


@dataclass(frozen=True)
class Due:
    """Where a deadline stands on a given day."""

    deadline: date
    overdue: bool
    working_days_left: int  # negative when overdue


def due(deadline: date, today: date) -> Due:
    """Overdue when today is after the deadline; otherwise the working days left."""
    return Due(deadline, today > deadline, working_days_between(today, deadline))
