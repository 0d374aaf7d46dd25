"""Declarations and the prestatie ledger (DECL, PREST): the only code on their tables.

Prior prestaties are loaded per message in a few grouped queries (`load_ledger`), never one per
line; a judged declaration is stored with a line per prestatie in one bulk insert
(`store_declaration`).  The queries the API and the ceilings need live here too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from itertools import islice
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.db.sql import member_of
from app.exchange.models import MessageRecord
from app.flows.allocations.store import Allocation
from app.flows.declarations.models import Declaration, PrestatieLine
from app.flows.declarations.rules import Ledger, Line, PriorDebet
from app.metrics import DECLARED_CENTS

log = logging.getLogger("ijw.declarations")

LINE_STATUSES = ("approved", "rejected", "not_assessed")
DECLARATION_STATUSES = ("accepted", "partially_accepted", "rejected")


def load_ledger(
    session: Session,
    gemeente: str,
    aanbieder: str,
    lines: Sequence[Line],
    allocations: dict[int, Allocation],
) -> Ledger:
    """Prior prestaties the rules need, in a few grouped IN-queries (never one per line)."""
    ledger = Ledger()
    refs = sorted({ln.ref for ln in lines} | {ln.vorig for ln in lines if ln.vorig})
    for member in member_of(session, PrestatieLine.referentienummer, refs):
        rows = session.execute(
            select(
                PrestatieLine.id,
                PrestatieLine.gemeente,
                PrestatieLine.referentienummer,
                PrestatieLine.debet_credit,
                PrestatieLine.status,
                PrestatieLine.credited_by,
                PrestatieLine.bsn,
                PrestatieLine.toewijzingnummer,
                PrestatieLine.categorie,
                PrestatieLine.code,
                PrestatieLine.periode_begin,
                PrestatieLine.periode_end,
                PrestatieLine.volume,
                PrestatieLine.eenheid,
                PrestatieLine.tarief,
                PrestatieLine.bedrag,
            ).where(
                PrestatieLine.aanbieder == aanbieder,
                member,
                PrestatieLine.status != "not_assessed",
            )
        )
        for r in rows:
            ledger.used_refs.add(r.referentienummer)
            if r.debet_credit == "D" and r.status == "approved":
                ledger.debets[r.referentienummer] = PriorDebet(
                    r.id,
                    r.gemeente,
                    (
                        r.bsn,
                        r.toewijzingnummer,
                        r.categorie,
                        r.code,
                        r.periode_begin,
                        r.periode_end,
                        r.volume,
                        r.eenheid,
                        r.tarief,
                        r.bedrag,
                    ),
                    r.credited_by is not None,
                )
    nummers = sorted({ln.nummer for ln in lines})
    # TR389 only looks at the months of this message: bound the scan by them.
    first = min((ln.begin for ln in lines), default=date.min).replace(day=1)
    last = max((ln.begin for ln in lines), default=date.min)
    for member in member_of(session, PrestatieLine.toewijzingnummer, nummers):
        approved = and_(
            PrestatieLine.gemeente == gemeente,
            member,
            PrestatieLine.status == "approved",
        )
        sums = session.execute(
            select(
                PrestatieLine.toewijzingnummer,
                PrestatieLine.eenheid,
                PrestatieLine.debet_credit,
                func.sum(PrestatieLine.volume),
                func.sum(PrestatieLine.bedrag),
            )
            .where(approved)
            .group_by(
                PrestatieLine.toewijzingnummer, PrestatieLine.eenheid, PrestatieLine.debet_credit
            )
        )
        for nummer, eenheid, dc, volume, bedrag in sums:
            sign = 1 if dc == "D" else -1
            alloc = allocations.get(nummer)
            base = alloc.base(int(volume), eenheid) if alloc else int(volume)
            ledger.volume[nummer] += sign * base
            ledger.amount[nummer] += sign * int(bedrag)
        keys = session.execute(
            select(
                PrestatieLine.toewijzingnummer,
                PrestatieLine.categorie,
                PrestatieLine.code,
                PrestatieLine.periode_begin,
            ).where(
                approved,
                PrestatieLine.debet_credit == "D",
                PrestatieLine.credited_by.is_(None),
                PrestatieLine.periode_begin >= first,
                PrestatieLine.periode_begin <= last,
            )
        )
        for nummer, cat, code, begin in keys:
            ledger.open_keys.add((nummer, cat, code, begin.year, begin.month))
    return ledger


LINE_COLUMNS = (
    "declaration_id",
    "position",
    "gemeente",
    "aanbieder",
    "bsn",
    "referentienummer",
    "vorig_referentienummer",
    "toewijzingnummer",
    "categorie",
    "code",
    "periode_begin",
    "periode_end",
    "volume",
    "eenheid",
    "tarief",
    "bedrag",
    "debet_credit",
    "status",
    "codes",
    "rules",
)


def _json_list(items: list[str]) -> str:
    # The codes and rules of 26,000 lines are a handful of distinct lists: serialise each once.
    return _json_of(tuple(items))


@lru_cache(maxsize=1024)
def _json_of(items: tuple[str, ...]) -> str:
    return json.dumps(list(items))


def bulk_insert_lines(session: Session, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert prestatie lines (tuples in LINE_COLUMNS order) the fastest way per backend.

    A 25 MB declaration has ~26,000 lines: PostgreSQL gets them through COPY, SQLite through
    DBAPI executemany; both skip SQLAlchemy's per-row processing (the JSON columns are
    serialised here, dates are ISO text on SQLite as SQLAlchemy stores them).  Rows are consumed
    in slices so only one slice is ever materialised.
    """
    conn = session.connection()
    dialect = conn.dialect.name
    cols = ", ".join(LINE_COLUMNS)
    it = iter(rows)
    if dialect == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY money_prestaties ({cols}) FROM STDIN") as copy:
            # psycopg formats the rows in C (write_row); only the two JSON lists are ours
            for r in it:
                copy.write_row((*r[:18], _json_list(r[18]), _json_list(r[19])))
        return
    if dialect == "sqlite":
        marks = ", ".join("?" for _ in LINE_COLUMNS)
        driver = conn.connection.driver_connection
        assert driver is not None
        cur = driver.cursor()
        try:
            while chunk := list(islice(it, 5000)):
                cur.executemany(
                    f"INSERT INTO money_prestaties ({cols}) VALUES ({marks})",
                    [
                        (
                            *r[:10],
                            r[10].isoformat(),
                            r[11].isoformat(),
                            *r[12:18],
                            _json_list(r[18]),
                            _json_list(r[19]),
                        )
                        for r in chunk
                    ],
                )
        finally:
            cur.close()
        return
    while chunk := list(islice(it, 5000)):
        session.execute(
            insert(PrestatieLine),
            [dict(zip(LINE_COLUMNS, r, strict=True)) for r in chunk],
        )


# -- declaration-level rules -------------------------------------------------------------------


def number_used(session: Session, aanbieder: str, nummer: str) -> bool:
    """TR333: the provider used this DeclaratieNummer on a declaration that was not rejected."""
    found = session.scalar(
        select(Declaration.id)
        .where(
            Declaration.aanbieder == aanbieder,
            Declaration.nummer == nummer,
            Declaration.status != "rejected",
        )
        .limit(1)
    )
    return found is not None


def latest_period(session: Session, aanbieder: str, gemeente: str) -> date | None:
    """TR318: the start of the provider's latest accepted DeclaratiePeriode with the gemeente."""
    return session.scalar(
        select(func.max(Declaration.periode_begin)).where(
            Declaration.aanbieder == aanbieder,
            Declaration.gemeente == gemeente,
            Declaration.status != "rejected",
        )
    )


def has_uncredited_prestaties(session: Session, gemeente: str, nummer: int) -> bool:
    """TR385: approved debet prestaties on the allocation that no credit cancelled."""
    found = session.scalar(
        select(PrestatieLine.id)
        .where(
            PrestatieLine.gemeente == gemeente,
            PrestatieLine.toewijzingnummer == nummer,
            PrestatieLine.debet_credit == "D",
            PrestatieLine.status == "approved",
            PrestatieLine.credited_by.is_(None),
        )
        .limit(1)
    )
    return found is not None


# -- storing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """The declaration-level facts of a JW323."""

    gemeente: str
    aanbieder: str
    nummer: str
    identificatie: str
    dagtekening: date
    periode_begin: date
    periode_end: date
    ingediend: int  # signed cents


def store_declaration(
    session: Session,
    *,
    message_id: int,
    header: Header,
    lines: Sequence[Line],
    status: str,
    codes: list[str],
    checks: dict[str, list[str]],
    ledger: Ledger | None,
    findings: list[dict[str, Any]],
    now: datetime,
) -> None:
    """Store a judged declaration with a line per prestatie; mark the debets its credits
    cancelled.  A rejected declaration books nothing (its lines are `not_assessed`)."""
    rejected = status == "rejected"
    approved = [ln for ln in lines if not ln.codes and not rejected]
    approved_cents = sum(ln.bedrag for ln in approved)
    DECLARED_CENTS.labels("approved").inc(approved_cents)
    DECLARED_CENTS.labels("rejected").inc(sum(ln.bedrag for ln in lines) - approved_cents)
    record = Declaration(
        message_id=message_id,
        status=status,
        codes=codes,
        findings=findings,
        checks=checks,
        toegekend=sum(ln.signed for ln in approved),
        n_prestaties=len(lines),
        n_approved=len(approved),
        received_at=now,
        gemeente=header.gemeente,
        aanbieder=header.aanbieder,
        nummer=header.nummer,
        identificatie=header.identificatie,
        dagtekening=header.dagtekening,
        periode_begin=header.periode_begin,
        periode_end=header.periode_end,
        ingediend=header.ingediend,
    )
    session.add(record)
    session.flush()
    gemeente, aanbieder = header.gemeente, header.aanbieder
    rows = (
        (
            record.id,
            ln.position,
            gemeente,
            aanbieder,
            ln.bsn,
            ln.ref,
            ln.vorig,
            ln.nummer,
            ln.categorie,
            ln.code,
            ln.begin,
            ln.end,
            ln.volume,
            ln.eenheid,
            ln.tarief,
            ln.bedrag,
            ln.dc,
            "not_assessed" if rejected else ("rejected" if ln.codes else "approved"),
            list(ln.codes),
            list(ln.rules),
        )
        for ln in lines
    )
    bulk_insert_lines(session, rows)
    if ledger is not None and ledger.credited:
        session.execute(
            update(PrestatieLine),
            [{"id": i, "credited_by": ref} for i, ref in ledger.credited.items()],
        )
    # A debet credited in the same message it was approved in cannot happen (TR316), so the
    # ledger's prior ids cover every credit.
    log.info(
        "declaration judged",
        extra={
            "message_id": message_id,
            "status": status,
            "prestaties": len(lines),
            "approved": len(approved),
        },
    )


# -- reading (API, ceilings) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose declarations a caller sees: a provider its own, a gemeente those sent to it."""

    aanbieder: str | None = None
    gemeente: str | None = None

    def where(self, query: Any) -> Any:
        if self.aanbieder is not None:
            query = query.where(Declaration.aanbieder == self.aanbieder)
        if self.gemeente is not None:
            query = query.where(Declaration.gemeente == self.gemeente)
        return query


def declarations(
    session: Session,
    scope: Scope,
    *,
    nummer: str | None = None,
    status: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> list[Declaration]:
    """The scope's declarations, newest first, with ids below `before` when given."""
    query = scope.where(select(Declaration))
    if before is not None:
        query = query.where(Declaration.id < before)
    if nummer is not None:
        query = query.where(Declaration.nummer == nummer)
    if status is not None:
        query = query.where(Declaration.status == status)
    return list(session.scalars(query.order_by(Declaration.id.desc()).limit(limit)))


def declaration(session: Session, scope: Scope, declaration_id: int) -> Declaration | None:
    """One declaration in the scope."""
    return session.scalar(scope.where(select(Declaration).where(Declaration.id == declaration_id)))


def declaration_of_message(session: Session, scope: Scope, message_id: int) -> Declaration | None:
    """The declaration of a JW323 (its message id) or of its JW325 (the answer's id)."""
    return session.scalar(
        scope.where(
            select(Declaration).where(
                or_(
                    Declaration.message_id == message_id,
                    Declaration.message_id.in_(
                        select(MessageRecord.answers_id).where(MessageRecord.id == message_id)
                    ),
                )
            )
        )
    )


def answer_id(session: Session, d: Declaration) -> int | None:
    """The message id of the JW325 that answered the declaration."""
    return session.scalar(select(MessageRecord.answer_id).where(MessageRecord.id == d.message_id))


def lines_of(
    session: Session, declaration_id: int, status: str | None, limit: int, after: int = 0
) -> tuple[int, list[PrestatieLine]]:
    """(total, up to `limit` lines after position `after`) of a declaration's lines in document
    order, optionally by status."""
    query = select(PrestatieLine).where(PrestatieLine.declaration_id == declaration_id)
    count = (
        select(func.count())
        .select_from(PrestatieLine)
        .where(PrestatieLine.declaration_id == declaration_id)
    )
    if status is not None:
        query = query.where(PrestatieLine.status == status)
        count = count.where(PrestatieLine.status == status)
    query = query.where(PrestatieLine.position > after)
    rows = session.scalars(query.order_by(PrestatieLine.position).limit(limit))
    return int(session.scalar(count) or 0), list(rows)


def prestaties_by_reference(
    session: Session, aanbieder: str, referentienummer: str, gemeente: str | None = None
) -> list[tuple[PrestatieLine, Declaration]]:
    """Every line of `aanbieder` with this ReferentieNummer and the credits referring to it."""
    query = (
        select(PrestatieLine, Declaration)
        .join(Declaration, Declaration.id == PrestatieLine.declaration_id)
        .where(
            PrestatieLine.aanbieder == aanbieder,
            or_(
                PrestatieLine.referentienummer == referentienummer,
                PrestatieLine.vorig_referentienummer == referentienummer,
            ),
        )
    )
    if gemeente is not None:
        query = query.where(PrestatieLine.gemeente == gemeente)
    return [(p, d) for p, d in session.execute(query.order_by(PrestatieLine.id))]


@dataclass(frozen=True)
class Spent:
    """Approved cents (signed: credits negative) of one allocation, product and month."""

    aanbieder: str
    gemeente: str
    categorie: str
    nummer: int
    month: tuple[int, int]
    cents: int
    code: str = ""


def spent_in_period(
    session: Session, gemeenten: Sequence[str], start: date, end: date
) -> list[Spent]:
    """Booked spending of the gemeenten by the ProductPeriode's start in [start, end]."""
    rows = session.execute(
        select(
            PrestatieLine.aanbieder,
            PrestatieLine.gemeente,
            PrestatieLine.categorie,
            PrestatieLine.code,
            PrestatieLine.toewijzingnummer,
            PrestatieLine.periode_begin,
            PrestatieLine.debet_credit,
            func.sum(PrestatieLine.bedrag),
        )
        .where(
            PrestatieLine.gemeente.in_(gemeenten),
            PrestatieLine.status == "approved",
            PrestatieLine.periode_begin >= start,
            PrestatieLine.periode_begin <= end,
        )
        .group_by(
            PrestatieLine.aanbieder,
            PrestatieLine.gemeente,
            PrestatieLine.categorie,
            PrestatieLine.code,
            PrestatieLine.toewijzingnummer,
            PrestatieLine.periode_begin,
            PrestatieLine.debet_credit,
        )
    )
    return [
        Spent(
            agb,
            gem,
            cat,
            nummer,
            (begin.year, begin.month),
            int(amount) if dc == "D" else -int(amount),
            code,
        )
        for agb, gem, cat, code, nummer, begin, dc, amount in rows
    ]


def declared_through(session: Session, gemeenten: Sequence[str]) -> dict[tuple[str, str], date]:
    """(aanbieder, gemeente) -> the last day of the latest DeclaratiePeriode the provider sent
    that was not rejected as a whole: what it has declared so far (its declaration lag)."""
    rows = session.execute(
        select(Declaration.aanbieder, Declaration.gemeente, func.max(Declaration.periode_end))
        .where(Declaration.gemeente.in_(list(gemeenten)), Declaration.status != "rejected")
        .group_by(Declaration.aanbieder, Declaration.gemeente)
    )
    return {(agb, gem): end for agb, gem, end in rows if end is not None}


def spent_total(session: Session, gemeenten: Sequence[str], aanbieder: str | None = None) -> int:
    """Approved debets minus approved credits over every period (the ledger's grand total)."""
    query = (
        select(PrestatieLine.debet_credit, func.sum(PrestatieLine.bedrag))
        .where(PrestatieLine.gemeente.in_(gemeenten), PrestatieLine.status == "approved")
        .group_by(PrestatieLine.debet_credit)
    )
    if aanbieder is not None:
        query = query.where(PrestatieLine.aanbieder == aanbieder)
    return sum(int(v) if dc == "D" else -int(v) for dc, v in session.execute(query))


def approved_on(session: Session, gemeente: str, nummer: int) -> tuple[int, int]:
    """(volume, cents) approved on one allocation: debets minus credits, over every period."""
    volume = cents = 0
    for dc, v, amount in session.execute(
        select(
            PrestatieLine.debet_credit,
            func.sum(PrestatieLine.volume),
            func.sum(PrestatieLine.bedrag),
        )
        .where(
            PrestatieLine.gemeente == gemeente,
            PrestatieLine.toewijzingnummer == nummer,
            PrestatieLine.status == "approved",
        )
        .group_by(PrestatieLine.debet_credit)
    ):
        sign = 1 if dc == "D" else -1
        volume += sign * int(v or 0)
        cents += sign * int(amount or 0)
    return volume, cents


@dataclass(frozen=True)
class Booked:
    """A judged prestatie as the reports and the payment export need it."""

    id: int
    declaration_id: int
    declaratienummer: str
    identificatie: str
    message_id: int
    gemeente: str
    aanbieder: str
    bsn: str
    referentienummer: str
    vorig_referentienummer: str | None
    nummer: int
    categorie: str
    code: str
    begin: date
    end: date
    volume: int
    eenheid: str
    tarief: int | None
    bedrag: int
    debet_credit: str
    status: str
    rules: list[str]

    @property
    def signed(self) -> int:
        """Cents, credits negative."""
        return -self.bedrag if self.debet_credit == "C" else self.bedrag


def judged_lines(
    session: Session,
    gemeenten: Sequence[str],
    start: date,
    end: date,
    *,
    aanbieder: str | None = None,
    status: str | None = None,
) -> list[Booked]:
    """Approved and rejected prestaties (not those of declarations rejected as a whole) of the
    gemeenten whose ProductPeriode starts in [start, end], in declaration and document order."""
    query = (
        select(PrestatieLine, Declaration)
        .join(Declaration, Declaration.id == PrestatieLine.declaration_id)
        .where(
            PrestatieLine.gemeente.in_(list(gemeenten)),
            PrestatieLine.status != "not_assessed",
            PrestatieLine.periode_begin >= start,
            PrestatieLine.periode_begin <= end,
        )
    )
    if aanbieder is not None:
        query = query.where(PrestatieLine.aanbieder == aanbieder)
    if status is not None:
        query = query.where(PrestatieLine.status == status)
    rows = session.execute(query.order_by(Declaration.id, PrestatieLine.position))
    return [
        Booked(
            p.id,
            d.id,
            d.nummer,
            d.identificatie,
            d.message_id,
            p.gemeente,
            p.aanbieder,
            p.bsn,
            p.referentienummer,
            p.vorig_referentienummer,
            p.toewijzingnummer,
            p.categorie,
            p.code,
            p.periode_begin,
            p.periode_end,
            p.volume,
            p.eenheid,
            p.tarief,
            p.bedrag,
            p.debet_credit,
            p.status,
            list(p.rules or []),
        )
        for p, d in rows
    ]


def approved_by_reference(
    session: Session, gemeente: str, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """(aanbieder, ReferentieNummer) -> id of the approved prestatie sent to `gemeente`."""
    out: dict[tuple[str, str], int] = {}
    refs = sorted({ref for _, ref in keys})
    for member in member_of(session, PrestatieLine.referentienummer, refs):
        for pid, agb, ref in session.execute(
            select(PrestatieLine.id, PrestatieLine.aanbieder, PrestatieLine.referentienummer).where(
                PrestatieLine.gemeente == gemeente, PrestatieLine.status == "approved", member
            )
        ):
            out[(agb, ref)] = pid
    return {k: v for k, v in out.items() if k in set(keys)}
