"""How values read on a Dutch page: euros, dates, masked BSNs, volumes."""

from __future__ import annotations

from datetime import date, datetime

from app.clock import AMSTERDAM
from app.ui import labels

MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
MONTHS_LONG = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def thousands(n: int) -> str:
    """12345678 -> '12.345.678' (Dutch grouping)."""
    return f"{n:,}".replace(",", ".")


def euro(cents: int | None, *, signed: bool = False) -> str:
    """Cents as Dutch euros: 123456 -> '€ 1.234,56' (a minus for negative amounts)."""
    if cents is None:
        return "–"
    sign = "-" if cents < 0 else ("+" if signed and cents > 0 else "")
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}€ {thousands(whole)},{rest:02d}"


def euro_short(cents: int) -> str:
    """Axis labels: '€ 250k', '€ 1,2 mln'."""
    value = cents / 100
    if abs(value) >= 1_000_000:
        return f"€ {value / 1_000_000:.1f} mln".replace(".", ",")
    if abs(value) >= 1000:
        return f"€ {value / 1000:.0f}k"
    return f"€ {value:.0f}"


def datum(value: date | datetime | str | None) -> str:
    """'15 jun 2026'; a datetime in Dutch local time with its hour."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        local = value.astimezone(AMSTERDAM) if value.tzinfo else value
        return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H:%M}"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def iso(value: date | None) -> str:
    """A date for a form field (YYYY-MM-DD), empty for none."""
    return value.isoformat() if value is not None else ""


def month(key: str) -> str:
    """'2026-06' -> 'jun 2026'."""
    year, m = key.split("-")
    return f"{MONTHS[int(m) - 1]} {year}"


def bsn_masked(bsn: str | None) -> str:
    """Lists show only the last three digits of a BSN (the full number only on a detail page)."""
    if not bsn:
        return ""
    return "•" * (len(bsn) - 3) + bsn[-3:]


def omvang(volume: int | None, eenheid: str | None, frequentie: str | None) -> str:
    """'3 uren per week'."""
    if volume is None:
        return "–"
    unit = labels.UNITS.get(eenheid or "", eenheid or "")
    freq = labels.FREQUENCIES.get(frequentie or "", "")
    return " ".join(p for p in (thousands(volume), unit, freq) if p)


def working_days(n: int | None) -> str:
    """'nog 3 werkdagen', 'vandaag', '2 werkdagen te laat'."""
    if n is None:
        return ""
    if n == 0:
        return "vandaag"
    if n < 0:
        return f"{-n} werkdag{'en' if n < -1 else ''} te laat"
    return f"nog {n} werkdag{'en' if n > 1 else ''}"


def percentage(value: float | None) -> str:
    """'87,5 %'."""
    return "–" if value is None else f"{value:.1f} %".replace(".", ",")
