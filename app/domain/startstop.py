"""Start and stop of care (DELIV, spec §4.4): JW305 -> JW306 and JW307 -> JW308.

Logical keys (IV008, IV096, spec §7 Q5): a start is Bsn + ToewijzingNummer + Product +
Begindatum (ToewijzingIngangsdatum is not part of it); a stop is its start's key +
RedenBeeindiging + Einddatum; TR413-TR415 group stops by Bsn + ToewijzingNummer + Begindatum.

StatusAanlevering 1 delivers, 3 deletes an earlier delivery by its key (2 and 9 are level 2,
CS058).  Within one message every status-3 class is processed before the status-1 classes, each
group in document order, against a working copy of the client's deliveries that already holds
the effect of the classes before it (spec §6 S4: delete a definitive stop and send its
replacement in one message).  Status-3 classes get only TR063 and TR071 (TR063: no further
checks).  Rules per status-1 class, in order; a failure of a rule that decides what the class
refers to skips the rules after it:

    start: TR381 (S329) | TR019 (9019) -> TR074 (9074) -> TR326 (9326)
    stop:  TR381 (S329) | TR019 (9019) -> TR382 (9069) -> TR413 / TR414 / TR415 (all reported)

A duplicate start is answered with 9074 only (spec §6 S5).  For stops TR074 is subsumed: a stop
whose key was delivered before always meets TR413 (the earlier one was temporary) or TR415 (it
was definitive), and the spec expects exactly those codes (§6 S2: a second reason-20 stop with
the same Einddatum is 9413); duplicates inside one message are TR101 (level 2).

Not backed by any rule, hence logged but never rejected (spec §4.4, §7 Q20): a start/stop
product that differs from the allocated one, a ToewijzingIngangsdatum that differs from the
allocation's, dates outside the allocation.  Taakgericht care (no ToewijzingNummer) is accepted
only where `TAAKGERICHT` says the product is contracted that way; otherwise an empty
ToewijzingNummer gives 9019.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.flows import AllocationRow, StartRow, StopRow
from app.domain import allocations, flows
from app.domain.requests import check_product_code, gemeente_code
from app.ijw.model import Node, many
from app.ijw.retour import Decision

log = logging.getLogger("ijw.startstop")

TEMPORARY = "20"  # RedenBeeindiging 20: temporary stop (JZ588)

TaakgerichtCheck = Callable[[Session, str, str, str | None, str | None], bool]
TAAKGERICHT: list[TaakgerichtCheck] = []
"""Hooks `(session, gemeente, agb, categorie, code) -> bool` that say a product is contracted
taakgericht (no allocation, IV096).  Empty: every start/stop needs a ToewijzingNummer."""

StartKey = tuple[int | None, str | None, str | None, date]  # nummer, categorie, code, begindatum


@dataclass
class _Stop:
    reden: str
    einddatum: date
    row: StopRow | None = None  # None: new in this message
    deleted: bool = False


@dataclass
class _Start:
    key: StartKey
    toewijzing_ingangsdatum: date | None
    row: StartRow | None = None
    deleted: bool = False
    stops: list[_Stop] = field(default_factory=list)

    def live_stops(self) -> list[_Stop]:
        return [s for s in self.stops if not s.deleted]


@dataclass
class _Plan:
    """The client's deliveries after this message, plus what changed."""

    starts: list[_Start]
    changed_allocations: dict[int, str] = field(default_factory=dict)  # nummer -> event

    def live(self) -> list[_Start]:
        return [s for s in self.starts if not s.deleted]

    def find(self, key: StartKey) -> _Start | None:
        return next((s for s in self.live() if s.key == key), None)


def _key(node: Node) -> StartKey:
    product = node.get("Product") or {}
    nummer = node.get("ToewijzingNummer")
    return (
        int(nummer) if nummer is not None else None,
        product.get("Categorie"),
        product.get("Code"),
        node["Begindatum"],
    )


def _load(session: Session, gemeente: str, agb: str, bsn: str) -> _Plan:
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
        r.id: _Start((r.nummer, r.categorie, r.code, r.begindatum), r.toewijzing_ingangsdatum, r)
        for r in rows
    }
    if starts:
        for stop in session.scalars(
            select(StopRow)
            .where(StopRow.start_id.in_(starts), StopRow.deleted_by_message_id.is_(None))
            .order_by(StopRow.id)
        ):
            starts[stop.start_id].stops.append(_Stop(stop.reden, stop.einddatum, stop))
    return _Plan(list(starts.values()))


def _ordered(nodes: list[Node]) -> list[Node]:
    """Status 3 before status 1 (IV008, spec §3.0 step 4), document order within each."""
    return [n for n in nodes if n["StatusAanlevering"] == "3"] + [
        n for n in nodes if n["StatusAanlevering"] != "3"
    ]


class _Evaluation:
    """One pass over a JW305/JW307 against the working copy; used by check and by apply."""

    def __init__(self, ctx: flows.Context, decision: Decision) -> None:
        self.ctx, self.decision = ctx, decision
        message = ctx.message
        self.client = message.root["Client"]
        self.gemeente, self.agb, self.bsn = gemeente_code(ctx), message.sender, self.client["Bsn"]
        self.plan = _load(ctx.session, self.gemeente, self.agb, self.bsn)

    def _tr019(self, node: Node) -> bool:
        """TR019 (9019): the class refers to an allocation of this client, provider, gemeente."""
        nummer, categorie, code, _ = _key(node)
        if nummer is None:
            taak = any(
                hook(self.ctx.session, self.gemeente, self.agb, categorie, code)
                for hook in TAAKGERICHT
            )
            if not taak:
                self.decision.add(node, "9019", "TR019")
            return taak
        found = allocations.allocation(self.ctx.session, self.gemeente, nummer)
        if found is None or found.deleted or (found.bsn, found.aanbieder) != (self.bsn, self.agb):
            self.decision.add(node, "9019", "TR019")
            return False
        self._log_mismatches(node, found)
        return True

    def _log_mismatches(self, node: Node, found: allocations.Allocation) -> None:
        _, categorie, code, _ = _key(node)
        notes = []
        if (
            found.categorie is not None
            and categorie is not None
            and (categorie != found.categorie or (found.code is not None and code != found.code))
        ):
            notes.append("product differs from the allocation")
        ingang = node.get("ToewijzingIngangsdatum")
        if ingang is not None and ingang != found.ingangsdatum:
            notes.append("ToewijzingIngangsdatum differs from the allocation")
        if not found.covers(node["Begindatum"]):
            notes.append("Begindatum outside the allocation")
        if notes:  # spec §7 Q20: no rule rejects these; keep them in the log (no BSN)
            log.info(
                "start/stop differs from its allocation",
                extra={"message_id": self.ctx.record.id, "notes": notes, "nummer": found.nummer},
            )

    def _product(self, node: Node) -> None:
        product = node.get("Product")
        on = node.get("ToewijzingIngangsdatum") or node["Begindatum"]
        check_product_code(self.ctx, self.decision, node, product, on)

    # -- JW305 ---------------------------------------------------------------------------------
    def starts(self) -> None:
        nodes = many(self.client, "StartProducten", "StartProduct")
        for node in _ordered(nodes):
            key = _key(node)
            if node["StatusAanlevering"] == "3":
                existing = self.plan.find(key)
                if existing is None:
                    self.decision.add(node, "9063", "TR063")
                elif existing.live_stops():
                    self.decision.add(node, "9071", "TR071")
                else:
                    existing.deleted = True
                    self._changed(key[0], "start_deleted")
                continue
            self._product(node)
            if not self._tr019(node):
                continue
            if self.plan.find(key) is not None:
                self.decision.add(node, "9074", "TR074")
                continue
            if any(
                not s.live_stops() and self._same_allocation(s.key, key) for s in self.plan.live()
            ):
                self.decision.add(node, "9326", "TR326")
                continue
            self.plan.starts.append(_Start(key, node.get("ToewijzingIngangsdatum")))
            self._changed(key[0], "started")

    @staticmethod
    def _same_allocation(a: StartKey, b: StartKey) -> bool:
        """TR326 works per allocated product: the ToewijzingNummer, or for taakgericht care
        (no number) the product."""
        if a[0] is not None or b[0] is not None:
            return a[0] == b[0]
        return (a[1], a[2]) == (b[1], b[2])

    # -- JW307 ---------------------------------------------------------------------------------
    def stops(self) -> None:
        nodes = many(self.client, "StopProducten", "StopProduct")
        for node in _ordered(nodes):
            key = _key(node)
            reden, einddatum = node["RedenBeeindiging"], node["Einddatum"]
            start = self.plan.find(key)
            if node["StatusAanlevering"] == "3":
                stop = None
                if start is not None:
                    stop = next(
                        (
                            s
                            for s in start.live_stops()
                            if (s.reden, s.einddatum) == (reden, einddatum)
                        ),
                        None,
                    )
                if stop is None:
                    self.decision.add(node, "9063", "TR063")
                else:
                    stop.deleted = True
                    self._changed(key[0], "stop_deleted")
                continue
            self._product(node)
            if not self._tr019(node):
                continue
            if start is None:
                self.decision.add(node, "9069", "TR382")
                continue
            triple = [
                s
                for st in self.plan.live()
                if (st.key[0], st.key[3]) == (key[0], key[3])
                for s in st.live_stops()
            ]
            failed = False
            if reden == TEMPORARY and any(s.reden == TEMPORARY for s in triple):
                self.decision.add(node, "9413", "TR413")
                failed = True
            if triple and einddatum < max(s.einddatum for s in triple):
                self.decision.add(node, "9414", "TR414")
                failed = True
            if any(s.reden != TEMPORARY for s in triple):
                self.decision.add(node, "9415", "TR415")
                failed = True
            if not failed:
                start.stops.append(_Stop(reden, einddatum))
                self._changed(key[0], "stopped")

    def _changed(self, nummer: int | None, event: str) -> None:
        if nummer is not None:
            self.plan.changed_allocations[nummer] = event

    # -- storing -------------------------------------------------------------------------------
    def store(self) -> None:
        session, now, mid = self.ctx.session, self.ctx.now, self.ctx.record.id
        for s in self.plan.starts:
            if s.row is None and not s.deleted:
                nummer, categorie, code, begindatum = s.key
                s.row = StartRow(
                    gemeente=self.gemeente,
                    aanbieder=self.agb,
                    bsn=self.bsn,
                    nummer=nummer,
                    categorie=categorie,
                    code=code,
                    begindatum=begindatum,
                    toewijzing_ingangsdatum=s.toewijzing_ingangsdatum,
                    message_id=mid,
                    created_at=now,
                )
                session.add(s.row)
                session.flush()
            elif s.row is not None and s.deleted:
                s.row.deleted_by_message_id = mid
            for stop in s.stops:
                if stop.row is None and not stop.deleted:
                    assert s.row is not None
                    session.add(
                        StopRow(
                            start_id=s.row.id,
                            reden=stop.reden,
                            einddatum=stop.einddatum,
                            message_id=mid,
                            created_at=now,
                        )
                    )
                elif stop.row is not None and stop.deleted:
                    stop.row.deleted_by_message_id = mid
        session.flush()
        for nummer, event in sorted(self.plan.changed_allocations.items()):
            row = session.scalar(
                select(AllocationRow).where(
                    AllocationRow.gemeente == self.gemeente, AllocationRow.nummer == nummer
                )
            )
            if row is not None:
                allocations.log_change(session, row, event, mid, now)


class Jw305Flow:
    """JW305 -> JW306 (module docstring)."""

    def check(self, ctx: flows.Context, decision: Decision) -> None:
        _Evaluation(ctx, decision).starts()

    def apply(self, ctx: flows.Context, decision: Decision) -> None:
        evaluation = _Evaluation(ctx, Decision())
        evaluation.starts()
        evaluation.store()


class Jw307Flow:
    """JW307 -> JW308 (module docstring)."""

    def check(self, ctx: flows.Context, decision: Decision) -> None:
        _Evaluation(ctx, decision).stops()

    def apply(self, ctx: flows.Context, decision: Decision) -> None:
        evaluation = _Evaluation(ctx, Decision())
        evaluation.stops()
        evaluation.store()


# -- delivery state per allocation (back office) ----------------------------------------------


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


flows.register("JW305", Jw305Flow())
flows.register("JW307", Jw307Flow())
