"""Bulk seeding of the flows store for benches and tests: thousands of accepted allocations in one
transaction, as if their JW301s and JW302s had passed (loading them message by message would take
minutes for a 25 MB declaration's 17,000 allocations)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from app.db.base import make_engine, session_factory, transaction
from app.exchange.models import MessageRecord
from app.flows.allocations.models import AllocationRow, AllocationVersionRow
from testkit.samples import Allocation


def wipe(url: str) -> None:
    """Empty a scratch PostgreSQL database (schema public dropped and made anew: everything in
    it is lost); nothing for other databases."""
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def seed_message(
    session: Session, gemeente: str, aanbieder: str, identificatie: str, digest: str, now: datetime
) -> MessageRecord:
    """A logged JW301 the gemeente sent (the message seeded state hangs on), flushed."""
    msg = MessageRecord(
        direction="in",
        message_type="JW301",
        sender=gemeente,
        receiver=aanbieder,
        identificatie=identificatie,
        dagtekening=now.date(),
        sha256=digest,
        size=0,
        raw=b"",
        received_at=now,
        verdict="sent",
        retour_codes=[],
        findings=[],
        status_code=200,
        response_media_type="application/json",
        response_body=b"",
    )
    session.add(msg)
    session.flush()
    return msg


def rows_of(allocations: Iterable[Allocation]) -> list[dict[str, Any]]:
    """The seeding rows of generated allocations (`testkit.samples.Allocation`)."""
    return [
        {
            "nummer": a.toewijzingnummer,
            "bsn": a.bsn,
            "categorie": a.categorie,
            "code": a.code,
            "ingangsdatum": a.ingangsdatum,
            "einddatum": a.einddatum,
            "volume": a.volume,
            "eenheid": a.eenheid,
            "frequentie": a.frequentie,
        }
        for a in allocations
    ]


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def seed_allocations(
    engine: Engine, gemeente: str, aanbieder: str, allocations: Iterable[Mapping[str, Any]]
) -> int:
    """Accepted allocations of `gemeente` at `aanbieder`, one version each, carried by one seed
    JW301 (rows: nummer, bsn, categorie, code, ingangsdatum, einddatum, volume, eenheid,
    frequentie; dates as dates or ISO strings).  Returns how many were stored."""
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with transaction(session_factory(engine)) as s:
        msg = seed_message(s, gemeente, aanbieder, "SEED", f"seed-{gemeente}-{aanbieder}", now)
        first = int(s.scalar(select(func.coalesce(func.max(AllocationRow.id), 0))) or 0) + 1
        first_version = (
            int(s.scalar(select(func.coalesce(func.max(AllocationVersionRow.id), 0))) or 0) + 1
        )
        rows, versions = [], []
        for i, a in enumerate(allocations):
            rid, vid = first + i, first_version + i
            rows.append(
                {
                    "id": rid,
                    "gemeente": gemeente,
                    "nummer": a["nummer"],
                    "bsn": a["bsn"],
                    "aanbieder": aanbieder,
                    "leading_version_id": vid,
                    "latest_version_id": vid,
                    "change_seq": 0,
                    "created_at": now,
                }
            )
            versions.append(
                {
                    "id": vid,
                    "allocation_id": rid,
                    "message_id": msg.id,
                    "position": 1,
                    "gemeente": gemeente,
                    "nummer": a["nummer"],
                    "bsn": a["bsn"],
                    "aanbieder": aanbieder,
                    "categorie": a["categorie"],
                    "code": a["code"],
                    "ingangsdatum": _day(a["ingangsdatum"]),
                    "einddatum": _day(a["einddatum"]),
                    "reden_wijziging": None,
                    "volume": a["volume"],
                    "eenheid": a["eenheid"],
                    "frequentie": a["frequentie"],
                    "budget": None,
                    "toewijzingsdatum": date(2026, 1, 5),
                    "toewijzingstijd": time(10, 0),
                    "referentie_aanbieder": None,
                    "status": "accepted",
                    "unchanged": False,
                    "retour_codes": [],
                    "sent_at": now,
                }
            )
        if rows:
            s.execute(insert(AllocationRow), rows)
            s.execute(insert(AllocationVersionRow), versions)
            if engine.dialect.name == "postgresql":
                # explicit ids: move the sequences past them
                for table, last in (
                    ("flow_allocations", rows[-1]["id"]),
                    ("flow_allocation_versions", versions[-1]["id"]),
                ):
                    s.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})")
                    )
    return len(rows)
