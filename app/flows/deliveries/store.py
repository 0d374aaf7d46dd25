"""Starts and stops of care (DELIV, spec §4.4): the only code on the delivery tables.

A client's deliveries at one provider are loaded as a working copy (`Deliveries`), changed by
the flow while it judges a JW305/JW307, and saved back as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.flows.deliveries.models import StartRow, StopRow
from app.ijw.codes import TEMPORARY_STOP as TEMPORARY

StartKey = tuple[int | None, str | None, str | None, date]  # nummer, categorie, code, begindatum


@dataclass
class Stop:
    reden: str
    einddatum: date
    row: StopRow | None = None  # None: new in this message
    deleted: bool = False


@dataclass
class Start:
    key: StartKey
    toewijzing_ingangsdatum: date | None
    row: StartRow | None = None  # None: new in this message
    deleted: bool = False
    stops: list[Stop] = field(default_factory=list)

    def live_stops(self) -> list[Stop]:
        return [s for s in self.stops if not s.deleted]


@dataclass
class Deliveries:
    """The client's deliveries at one provider (a working copy), plus what changed."""

    gemeente: str
    aanbieder: str
    bsn: str
    starts: list[Start]
    changed_allocations: dict[int, str] = field(default_factory=dict)  # nummer -> event

    def live(self) -> list[Start]:
        return [s for s in self.starts if not s.deleted]

    def find(self, key: StartKey) -> Start | None:
        return next((s for s in self.live() if s.key == key), None)


def load(session: Session, gemeente: str, agb: str, bsn: str) -> Deliveries:
    """The client's undeleted starts with their undeleted stops, oldest first."""
    rows = session.scalars(
        select(StartRow)
        .where(
            StartRow.gemeente == gemeente,
            StartRow.aanbieder == agb,
            StartRow.bsn == bsn,
            StartRow.deleted_by_message_id.is_(None),
        )
        .order_by(StartRow.id)
    ).all()
    starts = {
        r.id: Start((r.nummer, r.categorie, r.code, r.begindatum), r.toewijzing_ingangsdatum, r)
        for r in rows
    }
    if starts:
        for stop in session.scalars(
            select(StopRow)
            .where(StopRow.start_id.in_(starts), StopRow.deleted_by_message_id.is_(None))
            .order_by(StopRow.id)
        ):
            starts[stop.start_id].stops.append(Stop(stop.reden, stop.einddatum, stop))
    return Deliveries(gemeente, agb, bsn, list(starts.values()))


def save(session: Session, plan: Deliveries, message_id: int, now: datetime) -> None:
    """Write what the working copy added and deleted (by message `message_id`)."""
    for s in plan.starts:
        if s.row is None and not s.deleted:
            nummer, categorie, code, begindatum = s.key
            s.row = StartRow(
                gemeente=plan.gemeente,
                aanbieder=plan.aanbieder,
                bsn=plan.bsn,
                nummer=nummer,
                categorie=categorie,
                code=code,
                begindatum=begindatum,
                toewijzing_ingangsdatum=s.toewijzing_ingangsdatum,
                message_id=message_id,
                created_at=now,
            )
            session.add(s.row)
            session.flush()
        elif s.row is not None and s.deleted:
            s.row.deleted_by_message_id = message_id
        for stop in s.stops:
            if stop.row is None and not stop.deleted:
                assert s.row is not None
                session.add(
                    StopRow(
                        start_id=s.row.id,
                        reden=stop.reden,
                        einddatum=stop.einddatum,
                        message_id=message_id,
                        created_at=now,
                    )
                )
            elif stop.row is not None and stop.deleted:
                stop.row.deleted_by_message_id = message_id
    session.flush()


@dataclass(frozen=True)
class Delivery:
    """A start with its current stop state: active | temp_stopped | stopped."""

    begindatum: date
    categorie: str | None
    code: str | None
    state: str
    einddatum: date | None
    reden: str | None


def deliveries(session: Session, gemeente: str, nummer: int) -> list[Delivery]:
    """Undeleted starts of an allocation, oldest Begindatum first, with their stop state."""
    starts = session.scalars(
        select(StartRow)
        .where(
            StartRow.gemeente == gemeente,
            StartRow.nummer == nummer,
            StartRow.deleted_by_message_id.is_(None),
        )
        .order_by(StartRow.begindatum, StartRow.id)
    ).all()
    out = []
    for s in starts:
        stops = session.scalars(
            select(StopRow)
            .where(StopRow.start_id == s.id, StopRow.deleted_by_message_id.is_(None))
            .order_by(StopRow.einddatum, StopRow.id)
        ).all()
        if not stops:
            out.append(Delivery(s.begindatum, s.categorie, s.code, "active", None, None))
            continue
        definitive = [x for x in stops if x.reden != TEMPORARY]
        last = definitive[-1] if definitive else stops[-1]
        state = "stopped" if definitive else "temp_stopped"
        out.append(Delivery(s.begindatum, s.categorie, s.code, state, last.einddatum, last.reden))
    return out


@dataclass(frozen=True)
class Reported:
    """A start or stop as the steering reports need it: what, when, and when it was received."""

    gemeente: str
    aanbieder: str
    bsn: str
    nummer: int | None
    categorie: str | None
    code: str | None
    begindatum: date
    received_on: date
    reden: str | None = None  # stops: JZ588
    einddatum: date | None = None  # stops


def reported_in(
    session: Session, gemeenten: list[str], start: date, end: date
) -> tuple[list[Reported], list[Reported]]:
    """(starts, stops) of the gemeenten, undeleted, whose Begindatum (starts) or Einddatum
    (stops) lies in [start, end], in two queries."""
    starts = [
        Reported(
            r.gemeente,
            r.aanbieder,
            r.bsn,
            r.nummer,
            r.categorie,
            r.code,
            r.begindatum,
            r.created_at.date(),
        )
        for r in session.scalars(
            select(StartRow).where(
                StartRow.gemeente.in_(gemeenten),
                StartRow.deleted_by_message_id.is_(None),
                StartRow.begindatum <= end,
            )
        )
    ]
    rows = session.execute(
        select(StartRow, StopRow)
        .join(StopRow, StopRow.start_id == StartRow.id)
        .where(
            StartRow.gemeente.in_(gemeenten),
            StartRow.deleted_by_message_id.is_(None),
            StopRow.deleted_by_message_id.is_(None),
            StopRow.einddatum >= start,
            StopRow.einddatum <= end,
        )
    ).all()
    stops = [
        Reported(
            s.gemeente,
            s.aanbieder,
            s.bsn,
            s.nummer,
            s.categorie,
            s.code,
            s.begindatum,
            stop.created_at.date(),
            stop.reden,
            stop.einddatum,
        )
        for s, stop in rows
    ]
    return starts, stops
