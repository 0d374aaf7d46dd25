"""Yearly indexation of a contract set's tariffs: new dated tariffs from a date, the old ones
kept for earlier periods (TR418 uses the tariff valid on the declared period).

Every tariff with an amount that is valid on the start date - regional defaults and provider
exceptions alike - is closed the day before and followed by an indexed one from the start date
to its old end.  Tariffs that start on or after the start date are left alone (so indexing twice
from the same date changes nothing), earlier ones too, and euro products (Eenheid 83) have no
tariff to index.

Rounding (documented in docs/contracts.md): new = old x (100 + p) / 100, computed exactly and
rounded to the cent - `half_up` by default (0.5 cent up, as IV081 rounds tariffs), or `down` /
`up`.  `p` is a percentage with at most four decimals, for the whole set or per product code or
category from a table (a code wins over its category, the table over the set's percentage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Literal, TypeVar

from sqlalchemy.orm import Session

from app.reference.contract_doc import MAX_TARIEF, DocumentError, TariffIn
from app.reference.contracts import Actor, replace_region_as, stored_region

Rounding = Literal["half_up", "down", "up"]
T = TypeVar("T", bound=TariffIn)
MAX_PERCENT = Decimal(100)


@dataclass
class IndexResult:
    """What an indexation changed."""

    region: str
    start: date
    indexed: int = 0
    skipped: list[str] = field(default_factory=list)
    version: int | None = None


def indexed(tarief: int, percent: Decimal, rounding: Rounding = "half_up") -> int:
    """`tarief` cents raised by `percent` percent, rounded to the cent (module docstring)."""
    exact = Fraction(tarief) * (100 + Fraction(percent)) / 100
    if rounding == "down":
        return exact.numerator // exact.denominator
    if rounding == "up":
        return -(-exact.numerator // exact.denominator)
    return (2 * exact.numerator + exact.denominator) // (2 * exact.denominator)


def _percent(value: Decimal, where: str) -> Decimal:
    if not value.is_finite() or abs(value) > MAX_PERCENT or value.as_tuple().exponent < -4:  # type: ignore[operator]  # finite: exponent is an int
        raise DocumentError(
            [{"location": where, "message": "a percentage between -100 and 100, 4 decimals"}]
        )
    return value


def index_region(
    session: Session,
    code: str,
    *,
    start: date,
    percentage: Decimal | None = None,
    table: dict[str, Decimal] | None = None,
    rounding: Rounding = "half_up",
    actor: Actor,
    now: datetime,
) -> IndexResult:
    """Index the tariffs of set `code` from `start` (raises ContractNotFound,
    ContractForbidden for a non-administrator, DocumentError for bad percentages)."""
    if percentage is None and not table:
        raise DocumentError([{"location": "", "message": "give a percentage or a table"}])
    base = _percent(percentage, "percentage") if percentage is not None else None
    rates = {k: _percent(v, f"table.{k}") for k, v in (table or {}).items()}
    region = stored_region(session, code, actor)
    category = {p.code: p.categorie for p in region.products}
    result = IndexResult(code, start)
    errors: list[dict[str, str]] = []

    def split(tariffs: list[T], product: str, where: str) -> list[T]:
        out: list[T] = []
        for t in tariffs:
            pct = rates.get(product, rates.get(category.get(product, ""), base))
            if t.tarief is None or pct is None or (t.valid_to is not None and t.valid_to < start):
                out.append(t)
                continue
            if t.valid_from >= start:
                result.skipped.append(f"{where}: from {t.valid_from.isoformat()}")
                out.append(t)
                continue
            new = indexed(t.tarief, pct, rounding)
            if not 0 <= new <= MAX_TARIEF:
                errors.append({"location": where, "message": f"{new} is out of range"})
            out.append(t.model_copy(update={"valid_to": start - timedelta(days=1)}))
            out.append(t.model_copy(update={"tarief": new, "valid_from": start}))
            result.indexed += 1
        return out

    for p in region.products:
        p.tariffs = split(p.tariffs, p.code, f"products {p.code}")
    for c in region.contracts:
        c.tariffs = [
            t
            for k in dict.fromkeys(t.code for t in c.tariffs)
            for t in split([t for t in c.tariffs if t.code == k], k, f"contracts {c.aanbieder} {k}")
        ]
    if errors:
        raise DocumentError(errors)
    if result.indexed:
        imported = replace_region_as(session, region, actor, now, "index")
        result.version = imported.versions.get(code)
    return result
