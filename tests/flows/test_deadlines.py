"""Working days with Dutch public holidays (spec §3d)."""

from __future__ import annotations

from datetime import date

import pytest

from app.reference.deadlines import add_working_days, due, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 6, 15), 5, date(2026, 6, 22)),  # Monday + 5 wd = next Monday
        (date(2026, 6, 12), 3, date(2026, 6, 17)),  # Friday + 3 wd = Wednesday
        (date(2026, 6, 13), 1, date(2026, 6, 15)),  # received on a Saturday
        (date(2026, 4, 2), 3, date(2026, 4, 9)),  # Good Friday and Easter Monday skipped
        (date(2025, 12, 24), 3, date(2025, 12, 31)),  # both Christmas days skipped
        (date(2026, 4, 24), 1, date(2026, 4, 28)),  # King's Day 2026 is Monday 27 April
        (date(2026, 5, 13), 1, date(2026, 5, 15)),  # Ascension Day
        (date(2026, 6, 15), 0, date(2026, 6, 15)),
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


def test_holidays_and_weekends_are_not_working_days():
    assert not is_working_day(date(2026, 1, 1))  # New Year
    assert not is_working_day(date(2026, 5, 25))  # Whit Monday
    assert not is_working_day(date(2026, 6, 13))  # Saturday
    assert is_working_day(date(2026, 6, 15))
    with pytest.raises(ValueError):
        add_working_days(date(2026, 6, 15), -1)


def test_working_days_between_and_due():
    assert working_days_between(date(2026, 6, 15), date(2026, 6, 22)) == 5
    assert working_days_between(date(2026, 6, 22), date(2026, 6, 15)) == -5
    late = due(date(2026, 6, 17), date(2026, 6, 19))
    assert late.overdue and late.working_days_left == -2
    on_time = due(date(2026, 6, 17), date(2026, 6, 17))
    assert not on_time.overdue and on_time.working_days_left == 0
