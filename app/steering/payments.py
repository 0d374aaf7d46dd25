"""The payment export: every approved prestatie per declaration, with the cost centre and ledger
fields the finance system books it on, and a `paid` status the gemeente sets back (API or CSV)
once it paid, so the accountant can trace every euro from the payment to the prestatie, its
declaration (JW323) and its allocation.

Lines are signed cents (an approved credit is negative), so the export of a declaration adds up
to its TotaalToegekendBedrag and the whole export to the ledger (`GET /v1/ceilings/utilisation`
`spent_all_years`).  The fields come from the `payment` settings of the gemeente's contract set:
the defaults, then per categorie, then per gemeente.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backoffice import audit
from app.flows.declarations import store as ledger
from app.reference.products import regions_of
from app.steering.models import Payment

COLUMNS = (
    "declaratie_id",
    "declaratienummer",
    "identificatie",
    "message_id",
    "aanbieder",
    "bsn",
    "toewijzingnummer",
    "referentienummer",
    "vorig_referentienummer",
    "categorie",
    "code",
    "periode_begin",
    "periode_end",
    "volume",
    "eenheid",
    "tarief",
    "debet_credit",
    "bedrag",
    "kostenplaats",
    "grootboek",
    "status",
    "paid_on",
    "payment_reference",
)
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
MAX_PAID_ROWS = 50_000


def _fields(session: Session, gemeente: str) -> dict[str, Any]:
    for region in regions_of(session, gemeente):
        payment = (region.settings or {}).get("payment")
        if payment:
            return dict(payment)
    return {}


def export(
    session: Session,
    gemeente: str,
    *,
    start: date | None = None,
    end: date | None = None,
    aanbieder: str | None = None,
    status: str = "all",
) -> list[dict[str, Any]]:
    """The approved prestaties sent to `gemeente` whose ProductPeriode starts in [start, end],
    per declaration in document order; `status` open | paid | all."""
    lines = ledger.judged_lines(
        session,
        [gemeente],
        start or EARLIEST,
        end or LATEST,
        aanbieder=aanbieder,
        status="approved",
    )
    paid = {
        p.prestatie_id: p
        for p in session.scalars(select(Payment).where(Payment.gemeente == gemeente))
    }
    config = _fields(session, gemeente)
    base = {k: config.get(k) for k in ("kostenplaats", "grootboek")}
    out = []
    for ln in lines:
        p = paid.get(ln.id)
        if (status == "open" and p is not None) or (status == "paid" and p is None):
            continue
        f = {
            **base,
            **(config.get("by_categorie", {}).get(ln.categorie) or {}),
            **(config.get("by_gemeente", {}).get(gemeente) or {}),
        }
        out.append(
            {
                "declaratie_id": ln.declaration_id,
                "declaratienummer": ln.declaratienummer,
                "identificatie": ln.identificatie,
                "message_id": ln.message_id,
                "aanbieder": ln.aanbieder,
                "bsn": ln.bsn,
                "toewijzingnummer": ln.nummer,
                "referentienummer": ln.referentienummer,
                "vorig_referentienummer": ln.vorig_referentienummer,
                "categorie": ln.categorie,
                "code": ln.code,
                "periode_begin": ln.begin.isoformat(),
                "periode_end": ln.end.isoformat(),
                "volume": ln.volume,
                "eenheid": ln.eenheid,
                "tarief": ln.tarief,
                "debet_credit": ln.debet_credit,
                "bedrag": ln.signed,
                "kostenplaats": f.get("kostenplaats"),
                "grootboek": f.get("grootboek"),
                "status": "paid" if p is not None else "open",
                "paid_on": p.paid_on.isoformat() if p is not None else None,
                "payment_reference": p.reference if p is not None else None,
            }
        )
    return out


@dataclass(frozen=True)
class PaidIn:
    """One line the finance system paid."""

    aanbieder: str
    referentienummer: str
    paid_on: date
    reference: str


class PaidError(ValueError):
    """The paid list was refused; `errors` has one {location, message} per bad row."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} error(s) in the paid list: nothing was marked")
        self.errors = errors


_AGB = re.compile(r"[0-9]{8}")
_REF = re.compile(r"\S{1,20}")


def parse_paid_csv(text: str) -> list[PaidIn]:
    """`aanbieder,referentienummer,paid_on,payment_reference` rows (a header; `;` works too)."""
    sample = text[:2048]
    reader = csv.DictReader(
        io.StringIO(text), delimiter=";" if sample.count(";") > sample.count(",") else ","
    )
    wanted = ("aanbieder", "referentienummer", "paid_on", "payment_reference")
    if reader.fieldnames is None or not set(wanted) <= {f.strip() for f in reader.fieldnames}:
        raise PaidError(
            [{"location": "line 1", "message": f"a header row with {', '.join(wanted)}"}]
        )
    out, errors = [], []
    for lineno, row in enumerate(reader, start=2):
        if lineno > MAX_PAID_ROWS + 1:
            errors.append(
                {"location": f"line {lineno}", "message": f"at most {MAX_PAID_ROWS} rows"}
            )
            break
        try:
            out.append(
                PaidIn(
                    (row.get("aanbieder") or "").strip(),
                    (row.get("referentienummer") or "").strip(),
                    date.fromisoformat((row.get("paid_on") or "").strip()),
                    (row.get("payment_reference") or "").strip(),
                )
            )
        except ValueError as exc:
            errors.append({"location": f"line {lineno}", "message": str(exc)})
    if errors:
        raise PaidError(errors)
    return out


def mark_paid(
    session: Session, gemeente: str, items: list[PaidIn], actor: str | None, now: datetime
) -> dict[str, int]:
    """Set approved prestaties to paid, all or nothing: every row must name an approved
    prestatie sent to this gemeente.  A line paid before keeps its first payment."""
    errors = []
    for i, item in enumerate(items):
        if not _AGB.fullmatch(item.aanbieder) or not _REF.fullmatch(item.referentienummer):
            errors.append({"location": f"items[{i}]", "message": "aanbieder and referentienummer"})
        if not 1 <= len(item.reference) <= 100:
            errors.append({"location": f"items[{i}]", "message": "a payment_reference (1-100)"})
    if errors:
        raise PaidError(errors)
    keys = [(i.aanbieder, i.referentienummer) for i in items]
    found = ledger.approved_by_reference(session, gemeente, keys)
    missing = [
        {"location": f"items[{n}]", "message": f"no approved prestatie {k[1]} of {k[0]}"}
        for n, k in enumerate(keys)
        if k not in found
    ]
    if missing:
        raise PaidError(missing)
    already = set(
        session.scalars(
            select(Payment.prestatie_id).where(Payment.prestatie_id.in_(found.values()))
        )
    )
    marked = 0
    for item in items:
        pid = found[(item.aanbieder, item.referentienummer)]
        if pid in already:
            continue
        already.add(pid)
        session.add(
            Payment(
                prestatie_id=pid,
                gemeente=gemeente,
                aanbieder=item.aanbieder,
                referentienummer=item.referentienummer,
                paid_on=item.paid_on,
                reference=item.reference,
                actor_user=actor,
                at=now,
            )
        )
        marked += 1
    audit.record(
        session,
        gemeente=gemeente,
        actor=actor,
        action="payment.paid",
        subject=f"{len(items)} prestaties",
        now=now,
        details={"marked": marked, "already_paid": len(items) - marked},
    )
    session.flush()
    return {"marked": marked, "already_paid": len(items) - marked}


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The export as CSV (the columns of COLUMNS)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
