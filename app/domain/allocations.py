"""Allocations (toewijzingen): the ALLOC store of spec §3c and the JW301/JW302 flows.

An allocation is identified by (gemeente, ToewijzingNummer) (TR332).  Every ToegewezenProduct we
send in a JW301 becomes a *version* of its allocation; the provider's JW302 marks the versions of
that JW301 accepted (no codes) or rejected (any code: the whole message is void, OP286/IV032).

Which version leads (spec §3c "latest accepted version leads", IV013):

    the version with the most recent Toewijzingsdatum + Toewijzingstijd (ties: the one sent
    last) among the versions that were not rejected by a JW302.

A version that was sent but not yet answered therefore leads provisionally: the provider has it
and acts on it (starts, declarations), and a JW302 is often late or never comes (OP090x2: we chase
it outside the message flow).  When a JW302 rejects it, the previous leading version leads again.
`Allocation.confirmed` tells whether the leading version was acknowledged by a JW302.  Declaration
rules (issue 5) use the leading version; an allocation whose only versions were rejected does not
exist for them (`allocation()` returns None), and one whose leading version has RedenWijziging 13
is deleted (`Allocation.deleted`, TR384: treated as never issued).

Public query API (stable; other modules build on it):

- `allocation(session, gemeente, nummer)` -> Allocation | None
- `allocations_for(session, gemeente, agb=None, bsn=None)` -> list[Allocation]
- `current_allocations(session, gemeente, agb, bsn, on)` -> list[Allocation]
- `versions(session, gemeente, nummer)` -> list[Allocation] (every version, oldest first)
- `PRE_CREATE_CHECKS`: checks other modules add to allocation creation in the back office.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.flows import AllocationChangeRow, AllocationRow, AllocationVersionRow
from app.db.models import MessageRecord
from app.domain import flows
from app.ijw.model import Message, Node, many
from app.ijw.retour import Decision

DELETED = "13"  # RedenWijziging 13: deleted, treated as never issued (CS335: Einddatum = Ingang)
OBSOLETE_CORRECTION = "01"  # RedenWijziging 01 (administrative correction, obsolete, CS336)
# Reasons that shorten or withdraw an allocation (spec §4.1; JZ002).  04 extends, 12 follows a VOW
# (either direction), 13 deletes.
WITHDRAWAL_REASONS = frozenset({"02", "03", "05", "06", "07", "08", "09", "10", "11", "14"})
_CUTOFF_2020 = date(2020, 12, 31)


@dataclass(frozen=True)
class Allocation:
    """One version of an allocation as the rules need it (the leading one unless noted).

    Amounts are eurocents; `volume`/`eenheid`/`frequentie` form the Omvang; `categorie`/`code`
    the Product (both None for a generic allocation, code None for an aspecific one).
    """

    gemeente: str
    nummer: int
    bsn: str
    aanbieder: str
    categorie: str | None
    code: str | None
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None
    volume: int | None
    eenheid: str | None
    frequentie: str | None
    budget: int | None
    toewijzingsdatum: date
    toewijzingstijd: time
    referentie_aanbieder: str | None
    status: str  # sent | accepted | rejected (this version's JW302 verdict)
    version_id: int
    message_id: int  # the JW301 that carried this version
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


def _view(v: AllocationVersionRow) -> Allocation:
    return Allocation(
        gemeente=v.gemeente,
        nummer=v.nummer,
        bsn=v.bsn,
        aanbieder=v.aanbieder,
        categorie=v.categorie,
        code=v.code,
        ingangsdatum=v.ingangsdatum,
        einddatum=v.einddatum,
        reden_wijziging=v.reden_wijziging,
        volume=v.volume,
        eenheid=v.eenheid,
        frequentie=v.frequentie,
        budget=v.budget,
        toewijzingsdatum=v.toewijzingsdatum,
        toewijzingstijd=v.toewijzingstijd,
        referentie_aanbieder=v.referentie_aanbieder,
        status=v.status,
        version_id=v.id,
        message_id=v.message_id,
        unchanged=v.unchanged,
    )


# -- queries ---------------------------------------------------------------------------------


def _leading_query(gemeente: str):  # type: ignore[no-untyped-def]
    return (
        select(AllocationVersionRow)
        .join(AllocationRow, AllocationRow.leading_version_id == AllocationVersionRow.id)
        .where(AllocationRow.gemeente == gemeente)
    )


def allocation(session: Session, gemeente: str, nummer: int) -> Allocation | None:
    """The leading version of allocation `nummer` of `gemeente`, or None when it was never
    sent or every version of it was rejected by a JW302.  Deleted allocations are returned
    (check `.deleted`)."""
    row = session.scalar(_leading_query(gemeente).where(AllocationRow.nummer == nummer))
    return _view(row) if row is not None else None


def allocations_for(
    session: Session, gemeente: str, agb: str | None = None, bsn: str | None = None
) -> list[Allocation]:
    """Leading versions of the gemeente's allocations, optionally for one provider and/or
    client, ordered by ToewijzingNummer (deleted and ended ones included)."""
    query = _leading_query(gemeente)
    if agb is not None:
        query = query.where(AllocationRow.aanbieder == agb)
    if bsn is not None:
        query = query.where(AllocationRow.bsn == bsn)
    return [_view(v) for v in session.scalars(query.order_by(AllocationRow.nummer))]


def current_allocations(
    session: Session, gemeente: str, agb: str, bsn: str, on: date
) -> list[Allocation]:
    """The client's current allocations at this provider on `on` (TR349's "actuele
    toewijzingen": Einddatum empty or >= on, future ones included, deleted ones excluded)."""
    return [a for a in allocations_for(session, gemeente, agb, bsn) if a.is_current(on)]


def versions(session: Session, gemeente: str, nummer: int) -> list[Allocation]:
    """Every version of an allocation as sent, oldest first, with its JW302 status."""
    rows = session.scalars(
        select(AllocationVersionRow)
        .where(AllocationVersionRow.gemeente == gemeente, AllocationVersionRow.nummer == nummer)
        .order_by(AllocationVersionRow.id)
    )
    return [_view(v) for v in rows]


def leading_version(session: Session, gemeente: str, nummer: int) -> Allocation | None:
    """Alias of `allocation` that says what it returns."""
    return allocation(session, gemeente, nummer)


# -- change log (back office "changes since a cursor") ----------------------------------------


def log_change(
    session: Session, row: AllocationRow, event: str, message_id: int | None, now: datetime
) -> int:
    """Append a change of one allocation to the gemeente's change log; returns its cursor.

    Called inside the intake transaction, which holds the gemeente's party lock, so the per-
    gemeente sequence is gap-free and commits in order.
    """
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


# -- pre-create checks (hook for other modules) ------------------------------------------------


@dataclass(frozen=True)
class PlannedAllocation:
    """An allocation the back office is about to send (new, or a change of `previous`)."""

    gemeente: str
    aanbieder: str
    bsn: str
    nummer: int
    categorie: str | None
    code: str | None
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None
    volume: int | None
    eenheid: str | None
    frequentie: str | None
    budget: int | None
    previous: Allocation | None  # the leading version when this changes an allocation


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a pre-create check: `refuse` blocks sending, `warn` is reported only."""

    level: Literal["refuse", "warn"]
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


PreCreateCheck = Callable[[Session, list[PlannedAllocation], date], list[CheckResult]]

PRE_CREATE_CHECKS: list[PreCreateCheck] = []
"""Checks run before the back office builds a JW301 (e.g. budget ceilings, issue 5).

Append a function `(session, planned, today) -> list[CheckResult]`; `planned` holds every
allocation that is new or changed in the message (unchanged ones that are only resent for
OP087 are not in it).  Any `refuse` result answers 422 with all results as details and sends
nothing; `warn` results are returned with the created allocations.
"""


def run_pre_create_checks(
    session: Session, planned: list[PlannedAllocation], today: date
) -> list[CheckResult]:
    """Run every registered pre-create check; results in registration order."""
    out: list[CheckResult] = []
    for check in PRE_CREATE_CHECKS:
        out.extend(check(session, planned, today))
    return out


# -- reading a JW301 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SentProduct:
    """A ToegewezenProduct of a JW301 in store terms."""

    node: Node
    position: int
    nummer: int
    categorie: str | None
    code: str | None
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None
    volume: int | None
    eenheid: str | None
    frequentie: str | None
    budget: int | None
    toewijzingsdatum: date
    toewijzingstijd: time
    referentie_aanbieder: str | None

    def same_content(self, other: Allocation) -> bool:
        """Identical to a stored version, Toewijzingsdatum/-tijd included: an unchanged resend
        (IV013; its RedenWijziging is empty, IV099, so that is not compared)."""
        return (
            self.categorie,
            self.code,
            self.ingangsdatum,
            self.einddatum,
            self.volume,
            self.eenheid,
            self.frequentie,
            self.budget,
            self.toewijzingsdatum,
            self.toewijzingstijd,
        ) == (
            other.categorie,
            other.code,
            other.ingangsdatum,
            other.einddatum,
            other.volume,
            other.eenheid,
            other.frequentie,
            other.budget,
            other.toewijzingsdatum,
            other.toewijzingstijd,
        )


def sent_products(message: Message) -> list[SentProduct]:
    """The ToegewezenProducten of a JW301, in document order."""
    client = message.root["Client"]
    out = []
    for i, node in enumerate(many(client, "ToegewezenProducten", "ToegewezenProduct"), 1):
        product = node.get("Product") or {}
        omvang = node.get("Omvang") or {}
        out.append(
            SentProduct(
                node=node,
                position=i,
                nummer=int(node["ToewijzingNummer"]),
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
            )
        )
    return out


# -- storing -----------------------------------------------------------------------------------


def _order_key(v: AllocationVersionRow) -> tuple[date, time, int]:
    return (v.toewijzingsdatum, v.toewijzingstijd, v.id)


def refresh_leading(session: Session, row: AllocationRow) -> AllocationVersionRow | None:
    """Recompute which version leads (module docstring) and store the pointer."""
    candidates = session.scalars(
        select(AllocationVersionRow).where(
            AllocationVersionRow.allocation_id == row.id,
            AllocationVersionRow.status != "rejected",
        )
    ).all()
    leading = max(candidates, key=_order_key) if candidates else None
    row.leading_version_id = leading.id if leading is not None else None
    return leading


def record_jw301(
    session: Session, message: Message, record: MessageRecord, now: datetime
) -> list[AllocationVersionRow]:
    """Store every ToegewezenProduct of a JW301 that is being sent as a new version.

    Creates the allocation on its first version, links versions that honour a request
    (ReferentieAanbieder) and logs a change per allocation.  Callers have run the pre-send
    checks; this is also the entry point for modules that send JW301s themselves.
    """
    from app.domain import requests  # requests builds on this module

    gemeente, agb = message.sender, message.receiver
    bsn = message.root["Client"]["Bsn"]
    stored: list[AllocationVersionRow] = []
    for p in sent_products(message):
        row = session.scalar(
            select(AllocationRow).where(
                AllocationRow.gemeente == gemeente, AllocationRow.nummer == p.nummer
            )
        )
        if row is None:
            row = AllocationRow(
                gemeente=gemeente, nummer=p.nummer, bsn=bsn, aanbieder=agb, created_at=now
            )
            session.add(row)
            session.flush()
        previous = allocation(session, gemeente, p.nummer)
        if previous is None:
            # every earlier version was rejected (never sent, OP286): the number is free again
            row.bsn, row.aanbieder = bsn, agb
        version = AllocationVersionRow(
            allocation_id=row.id,
            message_id=record.id,
            position=p.position,
            gemeente=gemeente,
            nummer=p.nummer,
            bsn=bsn,
            aanbieder=agb,
            categorie=p.categorie,
            code=p.code,
            ingangsdatum=p.ingangsdatum,
            einddatum=p.einddatum,
            reden_wijziging=p.reden_wijziging,
            volume=p.volume,
            eenheid=p.eenheid,
            frequentie=p.frequentie,
            budget=p.budget,
            toewijzingsdatum=p.toewijzingsdatum,
            toewijzingstijd=p.toewijzingstijd,
            referentie_aanbieder=p.referentie_aanbieder,
            status="sent",
            unchanged=previous is not None and p.same_content(previous),
            retour_codes=[],
            sent_at=now,
        )
        session.add(version)
        session.flush()
        row.latest_version_id = version.id
        refresh_leading(session, row)
        log_change(session, row, "sent", record.id, now)
        stored.append(version)
    refs = {(v.aanbieder, v.referentie_aanbieder) for v in stored if v.referentie_aanbieder}
    for aanbieder, ref in sorted(refs):
        requests.refresh_by_reference(session, aanbieder, ref, now.date())
    session.flush()
    return stored


def record_jw302(
    session: Session,
    retour: Message,
    retour_record: MessageRecord,
    original_id: int | None,
    now: datetime,
) -> list[AllocationVersionRow]:
    """Apply the provider's JW302 to the versions of the JW301 it answers.

    Any RetourCode other than 0200/0233 rejects the whole JW301 (IV032: level 3/4 findings
    reject the message as a whole; 0001 and header codes do so anyway): its versions are void
    and the previous versions lead again.  Codes per ToegewezenProduct are kept per version.
    """
    from app.domain import requests

    if original_id is None:
        return []
    rows = session.scalars(
        select(AllocationVersionRow)
        .where(AllocationVersionRow.message_id == original_id)
        .order_by(AllocationVersionRow.position)
    ).all()
    codes_all = _codes(retour.root)
    rejected = any(c not in ("0200", "0233") for c in codes_all)
    per_product = _product_codes(retour)
    refs: set[tuple[str, str]] = set()
    for v in rows:
        v.status = "rejected" if rejected else "accepted"
        v.retour_message_id = retour_record.id
        v.retour_codes = per_product.get(v.position, []) or (
            list(retour.header.get("RetourCodes", {}).get("RetourCode", [])) if rejected else []
        )
        v.answered_at = now
        alloc = session.get(AllocationRow, v.allocation_id)
        assert alloc is not None
        refresh_leading(session, alloc)
        log_change(session, alloc, v.status, retour_record.id, now)
        if v.referentie_aanbieder:
            refs.add((v.aanbieder, v.referentie_aanbieder))
    session.flush()
    for aanbieder, ref in sorted(refs):
        requests.refresh_by_reference(session, aanbieder, ref, now.date())
    return list(rows)


def _codes(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "RetourCodes":
                found.extend(value.get("RetourCode", []))
            else:
                found.extend(_codes(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_codes(item))
    return found


def _product_codes(retour: Message) -> dict[int, list[str]]:
    client = retour.root.get("Client")
    out: dict[int, list[str]] = {}
    for i, node in enumerate(many(client, "ToegewezenProducten", "ToegewezenProduct"), 1):
        out[i] = list((node.get("RetourCodes") or {}).get("RetourCode", []))
    return out


def allocation_rows(session: Session, ids: Iterable[int]) -> list[AllocationRow]:
    """Allocation rows by id (for the back office)."""
    wanted = list(ids)
    if not wanted:
        return []
    return list(session.scalars(select(AllocationRow).where(AllocationRow.id.in_(wanted))))


# -- the JW301 we send and the provider's JW302 -----------------------------------------------


def has_uncredited_prestaties(session: Session, gemeente: str, nummer: int) -> bool:
    """TR385: approved debet prestaties on the allocation that no credit cancelled (PREST, kept
    by the declaration flow of issue 5 in money_prestaties)."""
    from app.db.money import PrestatieLine

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


def same_allocation(p: SentProduct, a: Allocation) -> bool:
    """TR332: a ToewijzingNummer always denotes the same allocation.  What may change under one
    number (spec §4.1): Einddatum, RedenWijziging, Budget, the Volume of a total (frequency 6),
    Toewijzingsdatum/-tijd, ReferentieAanbieder.  Product, Ingangsdatum, unit and frequency are
    fixed, and so is the Volume otherwise (an Omvang change is a new allocation, OP257/IV093)."""
    if (p.categorie, p.code, p.ingangsdatum) != (a.categorie, a.code, a.ingangsdatum):
        return False
    if (p.eenheid, p.frequentie) != (a.eenheid, a.frequentie):
        return False
    return p.frequentie == "6" or p.volume == a.volume


class Jw301Flow:
    """The pre-send checks of the provider (spec §3c "(O)"), then storing the versions.

    TR332 (9332), TR379 (9379), TR385 (9385) and TR381 (S329) per ToegewezenProduct; a finding
    refuses the message (422, nothing reaches the provider).  OP087 (every current allocation of
    the client at this provider is in each JW301) has no retourcode: a missing one is a warning
    in the answer's notes.
    """

    def check(self, ctx: flows.Context, decision: Decision) -> None:
        from app.domain import requests

        message = ctx.message
        gemeente, agb = message.sender, message.receiver
        bsn = message.root["Client"]["Bsn"]
        products = sent_products(message)
        for p in products:
            requests.check_product_code(
                ctx, decision, p.node, p.node.get("Product"), p.ingangsdatum
            )
            existing = allocation(ctx.session, gemeente, p.nummer)
            if existing is not None and (
                (existing.bsn, existing.aanbieder) != (bsn, agb) or not same_allocation(p, existing)
            ):
                decision.add(p.node, "9332", "TR332")
            if p.referentie_aanbieder is not None and not self._may_reference(
                ctx.session, gemeente, agb, bsn, p.referentie_aanbieder
            ):
                decision.add(p.node, "9379", "TR379")
            if p.reden_wijziging == DELETED and has_uncredited_prestaties(
                ctx.session, gemeente, p.nummer
            ):
                decision.add(p.node, "9385", "TR385")
        sent = {p.nummer for p in products}
        missing = [
            a.nummer
            for a in current_allocations(ctx.session, gemeente, agb, bsn, message.dagtekening)
            if a.nummer not in sent
        ]
        if missing:
            ctx.notes.append(
                {
                    "level": "warn",
                    "code": "OP087",
                    "message": "a JW301 holds every current allocation of the client at this "
                    "provider; these are missing",
                    "details": {"toewijzingnummers": missing},
                }
            )

    @staticmethod
    def _may_reference(session: Session, gemeente: str, agb: str, bsn: str, ref: str) -> bool:
        """TR379: a ReferentieAanbieder only when honouring an open request of this provider
        for this client, and only on the first JW301 that does so (IV097)."""
        from app.domain import requests

        req = requests.request_by_reference(session, agb, ref)
        if req is None or (req.gemeente, req.bsn) != (gemeente, bsn):
            return False
        return req.open

    def apply(self, ctx: flows.Context, decision: Decision) -> None:
        record_jw301(ctx.session, ctx.message, ctx.record, ctx.now)


class Jw302Flow:
    """The provider's verdict on our JW301: marks its versions accepted or rejected."""

    def check(self, ctx: flows.Context, decision: Decision) -> None:
        return None

    def apply(self, ctx: flows.Context, decision: Decision) -> None:
        record_jw302(ctx.session, ctx.message, ctx.record, ctx.record.answers_id, ctx.now)


flows.register("JW301", Jw301Flow())
flows.register("JW302", Jw302Flow())


# -- building a JW301 from the back office ----------------------------------------------------

_UNSET: Any = object()


@dataclass
class AllocationInput:
    """One allocation to send, from JSON.  Fields left `_UNSET` keep the leading version's
    value when `nummer` names an existing allocation (a change); a new one needs them."""

    nummer: int | None = None
    categorie: Any = _UNSET
    code: Any = _UNSET
    ingangsdatum: Any = _UNSET
    einddatum: Any = _UNSET
    reden_wijziging: Any = _UNSET
    volume: Any = _UNSET
    eenheid: Any = _UNSET
    frequentie: Any = _UNSET
    budget: Any = _UNSET
    referentie_aanbieder: str | None = None
    commentaar: str | None = None
    toewijzingsdatum: date | None = None
    toewijzingstijd: time | None = None


class BuildError(ValueError):
    """The back-office input cannot become a JW301."""

    def __init__(self, code: str, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.details = code, details or []


def next_nummer(session: Session, gemeente: str) -> int:
    """A ToewijzingNummer this gemeente never used (TR332)."""
    last = session.scalar(
        select(func.max(AllocationRow.nummer)).where(AllocationRow.gemeente == gemeente)
    )
    return max(int(last or 0) + 1, 100_001)


def client_block(session: Session, gemeente: str, bsn: str) -> dict[str, Any] | None:
    """The Client data (without allocations) of the latest JW301 we sent for this client."""
    from app.ijw import model, xml

    raw = session.scalar(
        select(MessageRecord.raw)
        .join(AllocationVersionRow, AllocationVersionRow.message_id == MessageRecord.id)
        .where(AllocationVersionRow.gemeente == gemeente, AllocationVersionRow.bsn == bsn)
        .order_by(MessageRecord.id.desc())
        .limit(1)
    )
    if raw is None:
        return None
    info, tree = xml.read(raw)
    client = model.plain(model.to_model(tree, info).root["Client"])
    client.pop("ToegewezenProducten", None)
    return client


def _product_dict(a: Allocation | PlannedAllocation, extra: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ToewijzingNummer": a.nummer}
    if extra.get("ReferentieAanbieder"):
        out["ReferentieAanbieder"] = extra["ReferentieAanbieder"]
    if a.categorie is not None:
        out["Product"] = {"Categorie": a.categorie, "Code": a.code}
    out["Toewijzingsdatum"] = extra["Toewijzingsdatum"]
    out["Toewijzingstijd"] = extra["Toewijzingstijd"]
    out["Ingangsdatum"] = a.ingangsdatum
    out["Einddatum"] = a.einddatum
    out["RedenWijziging"] = a.reden_wijziging
    if a.volume is not None:
        out["Omvang"] = {"Volume": a.volume, "Eenheid": a.eenheid, "Frequentie": a.frequentie}
    out["Budget"] = a.budget
    if extra.get("Commentaar"):
        out["Commentaar"] = extra["Commentaar"]
    return out


def plan_jw301(
    session: Session,
    *,
    gemeente: str,
    agb: str,
    bsn: str,
    items: list[AllocationInput],
    now: datetime,
    include_current: bool = True,
) -> tuple[list[PlannedAllocation], list[dict[str, Any]]]:
    """Turn back-office input into the ToegewezenProducten of one JW301.

    Returns the new/changed allocations (for the pre-create checks) and the product dicts in
    message order.  With `include_current` every other current allocation of the client at
    this provider is resent unchanged (OP087), with its own Toewijzingsdatum/-tijd (IV013) and
    without ReferentieAanbieder (IV097).
    """
    local = now.astimezone(_amsterdam())
    planned: list[PlannedAllocation] = []
    products: list[dict[str, Any]] = []
    taken: set[int] = set()
    fresh = next_nummer(session, gemeente)
    problems: list[dict[str, Any]] = []
    for i, item in enumerate(items, 1):
        previous = allocation(session, gemeente, item.nummer) if item.nummer else None
        if previous is not None and (previous.bsn, previous.aanbieder) != (bsn, agb):
            problems.append(
                {
                    "item": i,
                    "message": f"allocation {item.nummer} belongs to another client "
                    "or provider (TR332)",
                }
            )
            continue
        values: dict[str, Any] = {}
        for name in (
            "categorie",
            "code",
            "ingangsdatum",
            "einddatum",
            "reden_wijziging",
            "volume",
            "eenheid",
            "frequentie",
            "budget",
        ):
            given = getattr(item, name)
            if given is not _UNSET:
                values[name] = given
            elif previous is not None and name != "reden_wijziging":
                values[name] = getattr(previous, name)
            else:
                values[name] = None
        if values["ingangsdatum"] is None:
            problems.append({"item": i, "message": "ingangsdatum is required"})
            continue
        nummer = item.nummer
        if nummer is None:
            while fresh in taken:
                fresh += 1
            nummer = fresh
            fresh += 1
        taken.add(nummer)
        plan = PlannedAllocation(
            gemeente=gemeente, aanbieder=agb, bsn=bsn, nummer=nummer, previous=previous, **values
        )
        planned.append(plan)
        products.append(
            _product_dict(
                plan,
                {
                    "ReferentieAanbieder": item.referentie_aanbieder,
                    "Commentaar": item.commentaar,
                    "Toewijzingsdatum": item.toewijzingsdatum or local.date(),
                    "Toewijzingstijd": item.toewijzingstijd or local.time().replace(microsecond=0),
                },
            )
        )
    if problems:
        raise BuildError("INVALID_ALLOCATION", "the allocations cannot be built", problems)
    if include_current:
        for a in current_allocations(session, gemeente, agb, bsn, local.date()):
            if a.nummer not in taken:
                extra = {
                    "Toewijzingsdatum": a.toewijzingsdatum,
                    "Toewijzingstijd": a.toewijzingstijd,
                }
                # IV099: an unchanged resend has an empty RedenWijziging.
                products.append(_product_dict(replace(a, reden_wijziging=None), extra))
    return planned, products


def _amsterdam():  # type: ignore[no-untyped-def]
    from app.clock import AMSTERDAM

    return AMSTERDAM


# -- state for the back office ---------------------------------------------------------------

STATES = (
    "sent",
    "acknowledged",
    "rejected",
    "started",
    "stopped",
    "ended",
    "withdrawn",
    "deleted",
)


@dataclass(frozen=True)
class AllocationState:
    """An allocation as the back office shows it."""

    row: AllocationRow
    leading: Allocation | None
    latest: Allocation | None  # the version sent last (may be rejected)
    state: str
    last_reason: str | None  # RedenWijziging of the last change (resends have none, IV099)
    deliveries: list[Any]  # app.domain.startstop.Delivery
    latest_codes: list[str]  # the JW302 codes on the version sent last


def state_of(session: Session, row: AllocationRow, today: date) -> AllocationState:
    """One state per allocation, first match wins: rejected (the provider refused the version
    we sent last, or every version), deleted (13), withdrawn (last change shortened it with a
    reason of JZ002 02-11 or 14), ended (Einddatum passed), stopped (its latest start has a
    stop), started, acknowledged (JW302 without codes), sent (no JW302 yet)."""
    from app.domain.startstop import deliveries

    rows = session.scalars(
        select(AllocationVersionRow)
        .where(AllocationVersionRow.allocation_id == row.id)
        .order_by(AllocationVersionRow.id)
    ).all()
    by_id = {v.id: v for v in rows}
    leading_row = by_id.get(row.leading_version_id or -1)
    latest_row = by_id.get(row.latest_version_id or -1)
    leading = _view(leading_row) if leading_row else None
    latest = _view(latest_row) if latest_row else None
    live = [v for v in rows if v.status != "rejected"]
    changes = [v for v in live if v.reden_wijziging]
    last_reason = max(changes, key=_order_key).reden_wijziging if changes else None
    delivered = deliveries(session, row.gemeente, row.nummer)
    if leading is None or (latest is not None and latest.status == "rejected"):
        state = "rejected"
    elif leading.deleted:
        state = "deleted"
    elif last_reason in WITHDRAWAL_REASONS:
        state = "withdrawn"
    elif leading.einddatum is not None and leading.einddatum < today:
        state = "ended"
    elif delivered and delivered[-1].state != "active":
        state = "stopped"
    elif delivered:
        state = "started"
    else:
        state = "acknowledged" if leading.confirmed else "sent"
    codes = list(latest_row.retour_codes or []) if latest_row is not None else []
    return AllocationState(row, leading, latest, state, last_reason, delivered, codes)
