"""Spec §4.5 volume maths (TR321/TR322 limits): worked examples and hypothesis properties."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.ijw import volumes as v
from app.ijw.volumes import Omvang

dates = st.dates(min_value=date(2021, 1, 1), max_value=date(2030, 12, 31))


def _range(start: date, end: date):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


@given(dates, st.integers(0, 120))
def test_iso_weeks_counts_distinct_week_numbers(start, span):
    end = start + timedelta(days=span)
    assert v.iso_weeks(start, end) == len({d.isocalendar()[:2] for d in _range(start, end)})


@given(dates, st.integers(0, 120))
def test_sundays_counts_sundays(start, span):
    end = start + timedelta(days=span)
    assert v.sundays(start, end) == sum(d.weekday() == 6 for d in _range(start, end))


@given(dates, st.integers(0, 120))
def test_months_touched_and_month_periods_agree(start, span):
    end = start + timedelta(days=span)
    periods = v.month_periods(start, end)
    assert len(periods) == v.months_touched(start, end)
    assert periods[0][0] == start and periods[-1][1] == end
    assert sum(v.days(a, b) for a, b in periods) == v.days(start, end)
    assert all(a.month == b.month and a.year == b.year for a, b in periods)


@given(dates, st.integers(0, 400), st.integers(1, 50))
def test_output_week_rule_splits_the_allocation_total_over_its_months(start, span, volume):
    """Σ of the per-period maxima under the Sunday rule is exactly the allocation maximum."""
    end = start + timedelta(days=span)
    om = Omvang(volume, "82", "2", output=True)
    total = sum(v.period_maximum(om, a, b, start, end) for a, b in v.month_periods(start, end))
    assert total == v.allocation_maximum(om, start, end)


@given(dates, st.integers(0, 400), st.integers(1, 50))
def test_inspanning_week_rule_months_give_at_least_the_total(start, span, volume):
    """Broken weeks count in both months (IV077), hence the extra TR322 check."""
    end = start + timedelta(days=span)
    om = Omvang(volume, "04", "2")
    total = sum(v.period_maximum(om, a, b, start, end) for a, b in v.month_periods(start, end))
    assert total >= v.allocation_maximum(om, start, end)


@given(dates, st.integers(0, 400), st.integers(1, 50), st.sampled_from(["1", "4"]))
def test_day_and_month_frequencies_add_up(start, span, volume, freq):
    end = start + timedelta(days=span)
    om = Omvang(volume, "01", freq)
    total = sum(v.period_maximum(om, a, b, start, end) for a, b in v.month_periods(start, end))
    assert total == v.allocation_maximum(om, start, end)


def test_iv077_inspanning_example_recomputed():
    om = Omvang(3, "04", "2")
    a0, a1 = date(2025, 10, 7), date(2025, 12, 30)
    assert v.period_maximum(om, date(2025, 10, 7), date(2025, 10, 31), a0, a1) == 12
    assert v.period_maximum(om, date(2025, 11, 1), date(2025, 11, 30), a0, a1) == 15
    assert v.period_maximum(om, date(2025, 12, 1), date(2025, 12, 30), a0, a1) == 15
    assert v.allocation_maximum(om, a0, a1) == 39


def test_iv076_output_example_recomputed():
    om = Omvang(30000, "83", "2", output=True)  # € 300 per week, in cents
    a0, a1 = date(2025, 7, 7), date(2025, 9, 5)
    assert v.period_maximum(om, date(2025, 7, 7), date(2025, 7, 31), a0, a1) == 90000
    assert v.period_maximum(om, date(2025, 8, 1), date(2025, 8, 31), a0, a1) == 180000
    assert v.period_maximum(om, date(2025, 9, 1), date(2025, 9, 5), a0, a1) == 0
    assert v.allocation_maximum(om, a0, a1) == 270000


def test_iv078_partial_periods():
    week = Omvang(3, "04", "2")
    a0, a1 = date(2026, 11, 12), date(2026, 12, 13)
    assert v.period_maximum(week, date(2026, 11, 12), date(2026, 11, 30), a0, a1) == 12
    month = Omvang(15, "04", "4")
    b0, b1 = date(2026, 10, 14), date(2026, 12, 13)
    assert v.period_maximum(month, date(2026, 10, 14), date(2026, 10, 31), b0, b1) == 15
    assert v.allocation_maximum(month, b0, b1) == 45  # 3 months touched (§7 Q15)


def test_open_ended_has_no_total_except_frequency_6():
    assert v.allocation_maximum(Omvang(3, "04", "4"), date(2026, 1, 1), None) is None
    assert v.allocation_maximum(Omvang(30, "04", "6"), date(2026, 1, 1), None) == 30


def test_unit_factor_hours_to_minutes_only():
    assert v.unit_factor("04", "01") == 60
    assert v.unit_factor("04", "04") == 1
    assert v.unit_factor("01", "04") is None
    assert v.unit_factor("14", "16") is None
