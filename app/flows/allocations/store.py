"""Allocations (toewijzingen): the ALLOC store of spec §3c, the only code on its tables.

An allocation is identified by (gemeente, ToewijzingNummer) (TR332).  Every ToegewezenProduct we
send in a JW301 becomes a *version* of its allocation; the provider's JW302 marks the versions of
that JW301 accepted (no codes) or rejected (any code: the whole message is void, OP286/IV032).

Which version leads (spec §3c "latest accepted version leads", IV013):

    the version with the most recent Toewijzingsdatum + Toewijzingstijd (ties: the one sent
    last) among the versions that were not rejected by a JW302.

A version that was sent but not yet answered therefore leads provisionally: the provider has it
and acts on it (starts, declarations), and a JW302 is often late or never comes (OP090x2: we chase
it outside the message flow).  When a JW302 rejects it, the previous leading version leads again.
`Allocation.confirmed` tells whether the leading version was acknowledged by a JW302.
Declarations and ceilings use the leading version; an allocation whose only versions were
rejected does not exist for them (`allocation()` returns None), and one whose leading version has
RedenWijziging 13 is deleted (`Allocation.deleted`, TR384: treated as never issued).

`Allocation` is the one read model of an allocation: the back office, the requests and delivery
flows, the declaration rules (in bulk, `leading_many`) and the ceilings (`leading_in_period`) all
read it, through the one leading-version query `_leading()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal, NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from app.db.sql import member_of
from app.exchange.models import MessageRecord
from app.flows.allocations.models import AllocationChangeRow, AllocationRow, AllocationVersionRow
from app.ijw.codes import DELETED, HOURS, OBSOLETE_CORRECTION
from app.ijw.model import Message, Node, many

# Reasons that shorten or withdraw an allocation (spec §4.1; JZ002).  04 extends, 12 follows a VOW
# (either direction), 13 deletes.
WITHDRAWAL_REASONS = frozenset({"02", "03", "05", "06", "07", "08", "09", "10", "11", "14"})
FIRST_NUMBER = 100_001  # numbers the back office hands out start here
MAX_NUMBER = 999_999_999  # LDT_Nummer: at most 9 digits
_CUTOFF_2020 = date(2020, 12, 31)
_EPOCH = date(1, 1, 1)
_MIDNIGHT = time(0, 0)


@dataclass(frozen=True, slots=True)
class Allocation:
    """One version of an allocation (the leading one unless noted), or one about to be sent.

    Amounts are eurocents; `volume`/`eenheid`/`frequentie` form the Omvang; `categorie`/`code`
    the Product (both None for a generic allocation, code None for an aspecific one).
    `status` is this version's JW302 verdict: sent | accepted | rejected (planned: not sent).
    """

    gemeente: str
    nummer: int
    bsn: str
    aanbieder: str
    categorie: str | None
    code: str | None
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None = None
    volume: int | None = None
    eenheid: str | None = None
    frequentie: str | None = None
    budget: int | None = None
    toewijzingsdatum: date = _EPOCH
    toewijzingstijd: time = _MIDNIGHT
    referentie_aanbieder: str | None = None
    status: str = "planned"
    version_id: int = 0
    message_id: int = 0  # the JW301 that carried this version
    unchanged: bool = False

    @property
    def confirmed(self) -> bool:
        """The provider accepted this version with a JW302 without codes."""
        return self.status == "accepted"

    @property
    def deleted(self) -> bool:
        """RedenWijziging 13: the allocation counts as never issued (TR384, OP362)."""
        return self.reden_wijziging == DELETED

    @property
    def variant(self) -> Literal["specific", "aspecific", "generic"]:
        """Product detail (spec §5): category + code, category only, or no product."""
        if self.categorie is None:
            return "generic"
        return "specific" if self.code is not None else "aspecific"

    @property
    def has_omvang(self) -> bool:
        return self.volume is not None and self.eenheid is not None and self.frequentie is not None

    def base(self, volume: int, eenheid: str) -> int:
        """A declared volume in the allocation's counting unit (minutes for hour allocations)."""
        if self.eenheid == HOURS:
            return volume * 60 if eenheid == HOURS else volume
        return volume

    @property
    def base_factor(self) -> int:
        return 60 if self.eenheid == HOURS else 1

    def is_current(self, on: date) -> bool:
        """Actuele toewijzing (TR349, OP087): not ended before `on` (future ones count), and
        not deleted (13) or obsolete-corrected (01) with Einddatum = Ingangsdatum."""
        if self.reden_wijziging in (DELETED, OBSOLETE_CORRECTION) and (
            self.einddatum == self.ingangsdatum
        ):
            return False
        return self.einddatum is None or self.einddatum >= on

    def covers(self, day: date) -> bool:
        """`day` lies within [Ingangsdatum, Einddatum]."""
        return self.ingangsdatum <= day and (self.einddatum is None or day <= self.einddatum)

    def overlaps(self, start: date, end: date | None) -> bool:
        """The allocation period overlaps [start, end] (None = open)."""
        return (end is None or self.ingangsdatum <= end) and (
            self.einddatum is None or start <= self.einddatum
        )

    @property
    def ends_after_2020_or_open(self) -> bool:
        """The CD080/TR375/TR412 condition: Einddatum after 2020-12-31 or empty."""
        return self.einddatum is None or self.einddatum > _CUTOFF_2020

    def same_content(self, other: Allocation) -> bool:
        """Identical to another version, Toewijzingsdatum/-tijd included: an unchanged resend
        (IV013; its RedenWijziging is empty, IV099, so that is not compared)."""
        return _content(self) == _content(other)

    def same_allocation(self, other: Allocation) -> bool:
        """TR332: a ToewijzingNummer always denotes the same allocation.  What may change under
        one number (spec §4.1): Einddatum, RedenWijziging, Budget, the Volume of a total
        (frequency 6), Toewijzingsdatum/-tijd, ReferentieAanbieder.  Client, provider, product,
        Ingangsdatum, unit and frequency are fixed, and so is the Volume otherwise (an Omvang
        change is a new allocation, OP257/IV093)."""
        fixed = ("bsn", "aanbieder", "categorie", "code", "ingangsdatum", "eenheid", "frequentie")
        if any(getattr(self, f) != getattr(other, f) for f in fixed):
            return False
        return self.frequentie == "6" or self.volume == other.volume


def _content(a: Allocation) -> tuple[Any, ...]:
    return (
        a.categorie,
        a.code,
        a.ingangsdatum,
        a.einddatum,
        a.volume,
        a.eenheid,
        a.frequentie,
        a.budget,
        a.toewijzingsdatum,
        a.toewijzingstijd,
    )


_V = AllocationVersionRow
_COLUMNS = (
    _V.gemeente,
    _V.nummer,
    _V.bsn,
    _V.aanbieder,
    _V.categorie,
    _V.code,
    _V.ingangsdatum,
    _V.einddatum,
    _V.reden_wijziging,
    _V.volume,
    _V.eenheid,
    _V.frequentie,
    _V.budget,
    _V.toewijzingsdatum,
    _V.toewijzingstijd,
    _V.referentie_aanbieder,
    _V.status,
    _V.id,
    _V.message_id,
    _V.unchanged,
)


def _view(v: AllocationVersionRow) -> Allocation:
    return Allocation(*(getattr(v, c.key) for c in _COLUMNS))


def _leading() -> Select[*tuple[Any, ...]]:
    """The leading version of every allocation (the one `leading_version_id` points at), as
    the columns of `Allocation` in its field order."""
    return select(*_COLUMNS).join(AllocationRow, AllocationRow.leading_version_id == _V.id)


# -- queries ---------------------------------------------------------------------------------


def allocation(session: Session, gemeente: str, nummer: int) -> Allocation | None:
    """The leading version of allocation `nummer` of `gemeente`, or None when it was never
    sent or every version of it was rejected by a JW302.  Deleted allocations are returned
    (check `.deleted`)."""
    row = session.execute(
        _leading().where(AllocationRow.gemeente == gemeente, AllocationRow.nummer == nummer)
    ).first()
    return Allocation(*row) if row is not None else None


def allocations_for(
    session: Session, gemeente: str, agb: str | None = None, bsn: str | None = None
) -> list[Allocation]:
    """Leading versions of the gemeente's allocations, optionally for one provider and/or
    client, ordered by ToewijzingNummer (deleted and ended ones included)."""
    query = _leading().where(AllocationRow.gemeente == gemeente)
    if agb is not None:
        query = query.where(AllocationRow.aanbieder == agb)
    if bsn is not None:
        query = query.where(AllocationRow.bsn == bsn)
    return [Allocation(*r) for r in session.execute(query.order_by(AllocationRow.nummer))]


def current_allocations(
    session: Session, gemeente: str, agb: str, bsn: str, on: date
) -> list[Allocation]:
    """The client's current allocations at this provider on `on` (TR349's "actuele
    toewijzingen": Einddatum empty or >= on, future ones included, deleted ones excluded)."""
    return [a for a in allocations_for(session, gemeente, agb, bsn) if a.is_current(on)]


def leading_many(session: Session, gemeente: str, nummers: Iterable[int]) -> dict[int, Allocation]:
    """The leading version of each allocation of `gemeente` among `nummers`, in a few grouped
    queries (the 25 MB declaration path: never one query per number)."""
    out: dict[int, Allocation] = {}
    for member in member_of(session, AllocationRow.nummer, sorted(set(nummers))):
        for r in session.execute(_leading().where(AllocationRow.gemeente == gemeente, member)):
            out[r.nummer] = Allocation(*r)
    return out


def leading_in_period(
    session: Session, gemeenten: Sequence[str], start: date, end: date
) -> list[Allocation]:
    """Leading, not deleted versions of the gemeenten's allocations that run in [start, end]."""
    rows = session.execute(
        _leading().where(
            AllocationRow.gemeente.in_(gemeenten),
            _V.ingangsdatum <= end,
            (_V.einddatum.is_(None)) | (_V.einddatum >= start),
        )
    )
    return [a for a in (Allocation(*r) for r in rows) if not a.deleted]


def versions(session: Session, gemeente: str, nummer: int) -> list[Allocation]:
    """Every version of an allocation as sent, oldest first, with its JW302 status."""
    rows = session.scalars(
        select(AllocationVersionRow)
        .where(AllocationVersionRow.gemeente == gemeente, AllocationVersionRow.nummer == nummer)
        .order_by(AllocationVersionRow.id)
    )
    return [_view(v) for v in rows]


class Honour(NamedTuple):
    """A JW301 that honoured a request: its message and the day it was sent."""

    message_id: int
    sent_on: date


def honouring(session: Session, gemeente: str, agb: str, referentie: str) -> list[Honour]:
    """The versions sent with this ReferentieAanbieder and not rejected by a JW302, oldest
    first: the JW301s that honour the request (agb, referentie)."""
    rows = session.execute(
        select(AllocationVersionRow.message_id, AllocationVersionRow.sent_at)
        .where(
            AllocationVersionRow.gemeente == gemeente,
            AllocationVersionRow.aanbieder == agb,
            AllocationVersionRow.referentie_aanbieder == referentie,
            AllocationVersionRow.status != "rejected",
        )
        .order_by(AllocationVersionRow.id)
    )
    return [Honour(mid, sent.date()) for mid, sent in rows]


def references_of_message(session: Session, message_id: int) -> set[tuple[str, str]]:
    """(aanbieder, ReferentieAanbieder) of the versions a JW301 carried."""
    rows = session.execute(
        select(AllocationVersionRow.aanbieder, AllocationVersionRow.referentie_aanbieder).where(
            AllocationVersionRow.message_id == message_id,
            AllocationVersionRow.referentie_aanbieder.is_not(None),
        )
    )
    return {(agb, ref) for agb, ref in rows if ref is not None}


def next_nummer(session: Session, gemeente: str, skip: Iterable[int] = ()) -> int | None:
    """A ToewijzingNummer this gemeente never used (TR332), not in `skip`; None when every number
    from FIRST_NUMBER to MAX_NUMBER (9 digits) is taken.

    Numbers continue above the highest one used; once that reaches MAX_NUMBER (e.g. after a
    JW301 the gemeente posted itself with 999999999), the lowest free number from FIRST_NUMBER
    up is taken instead.  Callers hold the gemeente's lock (`app.exchange.parties.lock`) while
    they plan and send, so two creates never get the same number.
    """
    taken = set(skip)
    last = session.scalar(
        select(func.max(AllocationRow.nummer)).where(AllocationRow.gemeente == gemeente)
    )
    candidate = max(int(last or 0) + 1, FIRST_NUMBER, max(taken, default=0) + 1)
    if candidate <= MAX_NUMBER:
        return candidate
    # The top of the range is used: take the lowest gap from FIRST_NUMBER up.
    candidate = FIRST_NUMBER
    while candidate <= MAX_NUMBER:
        if not _used(session, gemeente, candidate):
            if candidate not in taken:
                return candidate
            candidate += 1
            continue
        successor = aliased(AllocationRow)
        # the lowest used number >= candidate whose successor is free ends the run
        run_end = session.scalar(
            select(func.min(AllocationRow.nummer)).where(
                AllocationRow.gemeente == gemeente,
                AllocationRow.nummer >= candidate,
                ~select(successor.id)
                .where(successor.gemeente == gemeente, successor.nummer == AllocationRow.nummer + 1)
                .exists(),
            )
        )
        candidate = int(run_end) + 1 if run_end is not None else MAX_NUMBER + 1
    return None


def _used(session: Session, gemeente: str, nummer: int) -> bool:
    found = session.scalar(
        select(AllocationRow.id).where(
            AllocationRow.gemeente == gemeente, AllocationRow.nummer == nummer
        )
    )
    return found is not None


def latest_jw301(session: Session, gemeente: str, bsn: str) -> bytes | None:
    """The raw bytes of the latest JW301 we sent for this client (its Client data is reused)."""
    return session.scalar(
        select(MessageRecord.raw)
        .join(AllocationVersionRow, AllocationVersionRow.message_id == MessageRecord.id)
        .where(AllocationVersionRow.gemeente == gemeente, AllocationVersionRow.bsn == bsn)
        .order_by(MessageRecord.id.desc())
        .limit(1)
    )


# -- the back office's view --------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """Everything stored about one allocation: its versions and which of them lead."""

    nummer: int
    bsn: str
    aanbieder: str
    change_seq: int
    versions: list[Allocation]
    leading: Allocation | None
    latest: Allocation | None  # the version sent last (may be rejected)
    latest_codes: list[str]  # the JW302 codes on the version sent last

    @property
    def last_reason(self) -> str | None:
        """RedenWijziging of the last change (resends have none, IV099)."""
        changes = [v for v in self.versions if v.status != "rejected" and v.reden_wijziging]
        return max(changes, key=_order).reden_wijziging if changes else None


def _order(v: Allocation) -> tuple[date, time, int]:
    return (v.toewijzingsdatum, v.toewijzingstijd, v.version_id)


def _history(session: Session, row: AllocationRow) -> History:
    rows = session.scalars(
        select(AllocationVersionRow)
        .where(AllocationVersionRow.allocation_id == row.id)
        .order_by(AllocationVersionRow.id)
    ).all()
    by_id = {v.id: v for v in rows}
    leading = by_id.get(row.leading_version_id or -1)
    latest = by_id.get(row.latest_version_id or -1)
    return History(
        row.nummer,
        row.bsn,
        row.aanbieder,
        row.change_seq,
        [_view(v) for v in rows],
        _view(leading) if leading is not None else None,
        _view(latest) if latest is not None else None,
        list(latest.retour_codes or []) if latest is not None else [],
    )


def history(session: Session, gemeente: str, nummer: int) -> History | None:
    """One allocation of `gemeente` with every version (None when unknown)."""
    row = session.scalar(
        select(AllocationRow).where(
            AllocationRow.gemeente == gemeente, AllocationRow.nummer == nummer
        )
    )
    return _history(session, row) if row is not None else None


def histories(
    session: Session,
    gemeente: str,
    *,
    aanbieder: str | None = None,
    bsn: str | None = None,
    nummers: Iterable[int] | None = None,
    after: int = 0,
) -> Iterable[History]:
    """The gemeente's allocations by ToewijzingNummer (above `after`), optionally filtered,
    read lazily in chunks."""
    query = select(AllocationRow).where(
        AllocationRow.gemeente == gemeente, AllocationRow.nummer > after
    )
    if aanbieder:
        query = query.where(AllocationRow.aanbieder == aanbieder)
    if bsn:
        query = query.where(AllocationRow.bsn == bsn)
    if nummers is not None:
        query = query.where(AllocationRow.nummer.in_(list(nummers)))
    while True:
        rows = session.scalars(query.order_by(AllocationRow.nummer).limit(200)).all()
        for row in rows:
            yield _history(session, row)
        if len(rows) < 200:
            return
        query = query.where(AllocationRow.nummer > rows[-1].nummer)


def changed_since(session: Session, gemeente: str, since: int, limit: int) -> list[History]:
    """Allocations whose last change is after cursor `since`, oldest change first."""
    rows = session.scalars(
        select(AllocationRow)
        .where(AllocationRow.gemeente == gemeente, AllocationRow.change_seq > since)
        .order_by(AllocationRow.change_seq)
        .limit(limit)
    ).all()
    return [_history(session, row) for row in rows]


# -- writing -----------------------------------------------------------------------------------


def log_change(
    session: Session, gemeente: str, nummer: int, event: str, message_id: int | None, now: datetime
) -> int | None:
    """Append a change of one allocation to the gemeente's change log; returns its cursor
    (None when the allocation is unknown).

    Called inside the intake transaction, which holds the gemeente's party lock, so the per-
    gemeente sequence is gap-free and commits in order.
    """
    row = session.scalar(
        select(AllocationRow).where(
            AllocationRow.gemeente == gemeente, AllocationRow.nummer == nummer
        )
    )
    if row is None:
        return None
    return _log_change(session, row, event, message_id, now)


def _log_change(
    session: Session, row: AllocationRow, event: str, message_id: int | None, now: datetime
) -> int:
    last = session.scalar(
        select(func.max(AllocationChangeRow.seq)).where(
            AllocationChangeRow.gemeente == row.gemeente
        )
    )
    seq = (last or 0) + 1
    session.add(
        AllocationChangeRow(
            gemeente=row.gemeente,
            seq=seq,
            allocation_id=row.id,
            event=event,
            message_id=message_id,
            at=now,
        )
    )
    row.change_seq = seq
    return seq


def _refresh_leading(session: Session, row: AllocationRow) -> None:
    """Recompute which version leads (module docstring) and store the pointer."""
    candidates = session.scalars(
        select(AllocationVersionRow).where(
            AllocationVersionRow.allocation_id == row.id,
            AllocationVersionRow.status != "rejected",
        )
    ).all()
    leading = max(
        candidates, key=lambda v: (v.toewijzingsdatum, v.toewijzingstijd, v.id), default=None
    )
    row.leading_version_id = leading.id if leading is not None else None


@dataclass(frozen=True)
class SentProduct:
    """A ToegewezenProduct of a JW301 being sent: its 1-based position and content."""

    position: int
    allocation: Allocation


def sent_products(message: Message) -> list[tuple[Node, SentProduct]]:
    """The ToegewezenProducten of a JW301 in store terms, in document order."""
    gemeente, agb = message.sender, message.receiver
    client = message.root["Client"]
    bsn = client["Bsn"]
    out = []
    for i, node in enumerate(many(client, "ToegewezenProducten", "ToegewezenProduct"), 1):
        product = node.get("Product") or {}
        omvang = node.get("Omvang") or {}
        allocation = Allocation(
            gemeente=gemeente,
            nummer=int(node["ToewijzingNummer"]),
            bsn=bsn,
            aanbieder=agb,
            categorie=product.get("Categorie"),
            code=product.get("Code"),
            ingangsdatum=node["Ingangsdatum"],
            einddatum=node.get("Einddatum"),
            reden_wijziging=node.get("RedenWijziging"),
            volume=omvang.get("Volume"),
            eenheid=omvang.get("Eenheid"),
            frequentie=omvang.get("Frequentie"),
            budget=node.get("Budget"),
            toewijzingsdatum=node["Toewijzingsdatum"],
            toewijzingstijd=node["Toewijzingstijd"],
            referentie_aanbieder=node.get("ReferentieAanbieder"),
            status="sent",
        )
        out.append((node, SentProduct(i, allocation)))
    return out


def record_sent(
    session: Session, products: Sequence[SentProduct], message_id: int, now: datetime
) -> None:
    """Store every ToegewezenProduct of a JW301 that is being sent as a new version.

    Creates the allocation on its first version and logs a change per allocation.  Callers
    have run the pre-send checks.
    """
    for p in products:
        a = p.allocation
        row = session.scalar(
            select(AllocationRow).where(
                AllocationRow.gemeente == a.gemeente, AllocationRow.nummer == a.nummer
            )
        )
        if row is None:
            row = AllocationRow(
                gemeente=a.gemeente,
                nummer=a.nummer,
                bsn=a.bsn,
                aanbieder=a.aanbieder,
                created_at=now,
            )
            session.add(row)
            session.flush()
        previous = allocation(session, a.gemeente, a.nummer)
        if previous is None:
            # every earlier version was rejected (never sent, OP286): the number is free again
            row.bsn, row.aanbieder = a.bsn, a.aanbieder
        version = AllocationVersionRow(
            allocation_id=row.id,
            message_id=message_id,
            position=p.position,
            gemeente=a.gemeente,
            nummer=a.nummer,
            bsn=a.bsn,
            aanbieder=a.aanbieder,
            categorie=a.categorie,
            code=a.code,
            ingangsdatum=a.ingangsdatum,
            einddatum=a.einddatum,
            reden_wijziging=a.reden_wijziging,
            volume=a.volume,
            eenheid=a.eenheid,
            frequentie=a.frequentie,
            budget=a.budget,
            toewijzingsdatum=a.toewijzingsdatum,
            toewijzingstijd=a.toewijzingstijd,
            referentie_aanbieder=a.referentie_aanbieder,
            status="sent",
            unchanged=previous is not None and a.same_content(previous),
            retour_codes=[],
            sent_at=now,
        )
        session.add(version)
        session.flush()
        row.latest_version_id = version.id
        _refresh_leading(session, row)
        _log_change(session, row, "sent", message_id, now)
    session.flush()


def record_verdict(
    session: Session,
    original_id: int,
    retour_id: int,
    rejected: bool,
    codes_by_position: dict[int, list[str]],
    header_codes: list[str],
    now: datetime,
) -> None:
    """Apply the provider's JW302 to the versions of the JW301 `original_id` it answers.

    Rejected: its versions are void and the previous versions lead again.  Codes per
    ToegewezenProduct are kept per version (the header codes when it has none of its own).
    """
    rows = session.scalars(
        select(AllocationVersionRow)
        .where(AllocationVersionRow.message_id == original_id)
        .order_by(AllocationVersionRow.position)
    ).all()
    for v in rows:
        v.status = "rejected" if rejected else "accepted"
        v.retour_message_id = retour_id
        v.retour_codes = codes_by_position.get(v.position, []) or (header_codes if rejected else [])
        v.answered_at = now
        alloc = session.get(AllocationRow, v.allocation_id)
        assert alloc is not None
        _refresh_leading(session, alloc)
        _log_change(session, alloc, v.status, retour_id, now)
    session.flush()
