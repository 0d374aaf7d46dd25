"""Start and stop of care (DELIV, spec §4.4): JW305 -> JW306 and JW307 -> JW308.

Logical keys (IV008, IV096, spec §7 Q5): a start is Bsn + ToewijzingNummer + Product +
Begindatum (ToewijzingIngangsdatum is not part of it); a stop is its start's key +
RedenBeeindiging + Einddatum; TR413-TR415 group stops by Bsn + ToewijzingNummer + Begindatum.

StatusAanlevering 1 delivers, 3 deletes an earlier delivery by its key (2 and 9 are level 2,
CS058).  Within one message every status-3 class is processed before the status-1 classes, each
group in document order, against a working copy of the client's deliveries that already holds
the effect of the classes before it (spec §6 S4: delete a definitive stop and send its
replacement in one message).  The check builds that working copy once; it is the plan that
`apply` saves.  Status-3 classes get only TR063 and TR071 (TR063: no further checks).  Rules per
status-1 class, in order; a failure of a rule that decides what the class refers to skips the
rules after it:

    start: TR381 (S329) | TR019 (9019) -> TR074 (9074) -> TR326 (9326)
    stop:  TR381 (S329) | TR019 (9019) -> TR382 (9069) -> TR413 / TR414 / TR415 (all reported)

A duplicate start is answered with 9074 only (spec §6 S5).  For stops TR074 is subsumed: a stop
whose key was delivered before always meets TR413 (the earlier one was temporary) or TR415 (it
was definitive), and the spec expects exactly those codes (§6 S2: a second reason-20 stop with
the same Einddatum is 9413); duplicates inside one message are TR101 (level 2).

Not backed by any rule, hence logged but never rejected (spec §4.4, §7 Q20): a start/stop
product that differs from the allocated one, a ToewijzingIngangsdatum that differs from the
allocation's, dates outside the allocation.  Taakgericht care (no ToewijzingNummer) is accepted
only where the `taakgericht` check given to the flow says the product is contracted that way;
without one an empty ToewijzingNummer gives 9019.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from app.exchange.flow import Context
from app.flows.allocations import store as allocations
from app.flows.allocations.store import Allocation
from app.flows.deliveries import store
from app.flows.deliveries.store import Deliveries, Start, StartKey, Stop
from app.ijw.codes import TEMPORARY_STOP as TEMPORARY
from app.ijw.model import Node, many
from app.ijw.retour import Decision
from app.reference.products import check_product_code

log = logging.getLogger("ijw.startstop")

TaakgerichtCheck = Callable[[Session, str, str, str | None, str | None], bool]
"""`(session, gemeente, agb, categorie, code) -> bool`: the product is contracted taakgericht
(no allocation, IV096)."""


def _key(node: Node) -> StartKey:
    product = node.get("Product") or {}
    nummer = node.get("ToewijzingNummer")
    return (
        int(nummer) if nummer is not None else None,
        product.get("Categorie"),
        product.get("Code"),
        node["Begindatum"],
    )


def _ordered(nodes: list[Node]) -> list[Node]:
    """Status 3 before status 1 (IV008, spec §3.0 step 4), document order within each."""
    return [n for n in nodes if n["StatusAanlevering"] == "3"] + [
        n for n in nodes if n["StatusAanlevering"] != "3"
    ]


def _same_allocation(a: StartKey, b: StartKey) -> bool:
    """TR326 works per allocated product: the ToewijzingNummer, or for taakgericht care (no
    number) the product."""
    if a[0] is not None or b[0] is not None:
        return a[0] == b[0]
    return (a[1], a[2]) == (b[1], b[2])


class _Evaluation:
    """One pass over a JW305/JW307 against the working copy of the client's deliveries."""

    def __init__(
        self, ctx: Context, decision: Decision, taakgericht: TaakgerichtCheck | None
    ) -> None:
        self.ctx, self.decision, self.taakgericht = ctx, decision, taakgericht
        message = ctx.message
        self.client = message.root["Client"]
        self.gemeente, self.agb, self.bsn = ctx.gemeente, message.sender, self.client["Bsn"]
        self.plan = store.load(ctx.session, self.gemeente, self.agb, self.bsn)

    def _tr019(self, node: Node) -> bool:
        """TR019 (9019): the class refers to an allocation of this client, provider, gemeente."""
        nummer, categorie, code, _ = _key(node)
        if nummer is None:
            taak = self.taakgericht is not None and self.taakgericht(
                self.ctx.session, self.gemeente, self.agb, categorie, code
            )
            if not taak:
                self.decision.add(node, "TR019")
            return taak
        found = allocations.allocation(self.ctx.session, self.gemeente, nummer)
        if found is None or found.deleted or (found.bsn, found.aanbieder) != (self.bsn, self.agb):
            self.decision.add(node, "TR019")
            return False
        self._log_mismatches(node, found)
        return True

    def _log_mismatches(self, node: Node, found: Allocation) -> None:
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
        on = node.get("ToewijzingIngangsdatum") or node["Begindatum"]
        check_product_code(
            self.ctx.session, self.gemeente, self.decision, node, node.get("Product"), on
        )

    # -- JW305 ---------------------------------------------------------------------------------
    def starts(self) -> Deliveries:
        nodes = many(self.client, "StartProducten", "StartProduct")
        for node in _ordered(nodes):
            key = _key(node)
            if node["StatusAanlevering"] == "3":
                existing = self.plan.find(key)
                if existing is None:
                    self.decision.add(node, "TR063")
                elif existing.live_stops():
                    self.decision.add(node, "TR071")
                else:
                    existing.deleted = True
                    self._changed(key[0], "start_deleted")
                continue
            self._product(node)
            if not self._tr019(node):
                continue
            if self.plan.find(key) is not None:
                self.decision.add(node, "TR074")
                continue
            if any(not s.live_stops() and _same_allocation(s.key, key) for s in self.plan.live()):
                self.decision.add(node, "TR326")
                continue
            self.plan.starts.append(Start(key, node.get("ToewijzingIngangsdatum")))
            self._changed(key[0], "started")
        return self.plan

    # -- JW307 ---------------------------------------------------------------------------------
    def stops(self) -> Deliveries:
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
                    self.decision.add(node, "TR063")
                else:
                    stop.deleted = True
                    self._changed(key[0], "stop_deleted")
                continue
            self._product(node)
            if not self._tr019(node):
                continue
            if start is None:
                self.decision.add(node, "TR382")
                continue
            triple = [
                s
                for st in self.plan.live()
                if (st.key[0], st.key[3]) == (key[0], key[3])
                for s in st.live_stops()
            ]
            failed = False
            if reden == TEMPORARY and any(s.reden == TEMPORARY for s in triple):
                self.decision.add(node, "TR413")
                failed = True
            if triple and einddatum < max(s.einddatum for s in triple):
                self.decision.add(node, "TR414")
                failed = True
            if any(s.reden != TEMPORARY for s in triple):
                self.decision.add(node, "TR415")
                failed = True
            if not failed:
                start.stops.append(Stop(reden, einddatum))
                self._changed(key[0], "stopped")
        return self.plan

    def _changed(self, nummer: int | None, event: str) -> None:
        if nummer is not None:
            self.plan.changed_allocations[nummer] = event


def _save(ctx: Context, plan: Deliveries) -> None:
    store.save(ctx.session, plan, ctx.record.id, ctx.now)
    for nummer, event in sorted(plan.changed_allocations.items()):
        allocations.log_change(ctx.session, plan.gemeente, nummer, event, ctx.record.id, ctx.now)


class Jw305Flow:
    """JW305 -> JW306 (module docstring)."""

    def __init__(self, taakgericht: TaakgerichtCheck | None = None) -> None:
        self.taakgericht = taakgericht

    def check(self, ctx: Context, decision: Decision) -> Deliveries:
        return _Evaluation(ctx, decision, self.taakgericht).starts()

    def apply(self, ctx: Context, plan: Deliveries) -> None:
        _save(ctx, plan)


class Jw307Flow:
    """JW307 -> JW308 (module docstring)."""

    def __init__(self, taakgericht: TaakgerichtCheck | None = None) -> None:
        self.taakgericht = taakgericht

    def check(self, ctx: Context, decision: Decision) -> Deliveries:
        return _Evaluation(ctx, decision, self.taakgericht).stops()

    def apply(self, ctx: Context, plan: Deliveries) -> None:
        _save(ctx, plan)
