"""The service's notion of now: injectable so tests can pin TR135 and deadlines to a date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from app.config import ConfigError

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Clock(Protocol):
    """Source of the current date and time (Dutch local time for dates)."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The real clock; dates are Dutch calendar dates."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return datetime.now(AMSTERDAM).date()


class FixedClock:
    """A clock pinned to one day (time advances normally within it, for ordering)."""

    def __init__(self, day: date) -> None:
        self.day = day

    def now(self) -> datetime:
        real = datetime.now(UTC)
        return datetime.combine(self.day, time(12, 0), UTC).replace(
            minute=real.minute, second=real.second, microsecond=real.microsecond
        )

    def today(self) -> date:
        return self.day


def clock_for(fixed_today: str | None) -> Clock:
    """A FixedClock for `YYYY-MM-DD` (IJW_TODAY), else the system clock."""
    if not fixed_today:
        return SystemClock()
    try:
        return FixedClock(date.fromisoformat(fixed_today))
    except ValueError:
        raise ConfigError(f"IJW_TODAY must be a date YYYY-MM-DD, got {fixed_today!r}") from None
