"""Request flows: JW315 -> JW316, JW317 -> JW318, our answer JW319 and the provider's JW320, and
what requests add to the JW301/JW302 flows (TR379, the state of the requests a JW301 honours).

Rules on received requests: TR347 (9347), TR374 (9374), TR304 (8187), TR349 (9349), TR350
(9350), TR351 (9351), TR357 (9357), TR373 (9373), TR361 (9361), TR375 (9375), TR411 (9411),
TR412 (9412), TR381 (S329).  Pre-send rules on our JW319: TR355 (9355), TR359 (9359), TR360
(9360), TR365 (9365) and TR378 (S300) on Woonplaatsbeginsel.

Scoping choices (spec §7 Q11): a client has a pending request (TR374) while any product of a VOT
or a VOW of the same provider to the same gemeente is PENDING or IN_ONDERZOEK; 9374 goes on Client
in a JW315 and on Verzoek in a JW317.  TR347 holds per AGB over the whole service ("uniek voor de
aanbieder binnen het wettelijk domein").  When the Client class fails, its descendants are not
assessed (0233); failures of other classes never stop their siblings or children from being
checked (spec §6 S10: Verzoek 9349 with TeWijzigenProduct 0200).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.exchange.flow import Context, Note
from app.flows.allocations import store as allocations
from app.flows.allocations.store import Allocation, sent_products
from app.flows.requests import store
from app.ijw.model import Message, Node, many, plain, walk
from app.ijw.retour import Decision, codes_in, voids
from app.reference.codelists import gemeente_valid
from app.reference.products import check_product_code


def _product(node: Node | None) -> tuple[str | None, str | None]:
    if not node:
        return None, None
    return node.get("Categorie"), node.get("Code")


def _mark_descendants_not_assessed(decision: Decision, node: Node) -> None:
    for child in walk(node):
        if child is not node:
            decision.not_assessed.add(child)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _same_product(a: tuple[str | None, str | None], b: tuple[str | None, str | None]) -> bool:
    """The product test of TR302/TR361: code if both have one, else category; no category
    (generic) is the same as any product."""
    if a[0] is None or b[0] is None:
        return True
    if a[1] is not None and b[1] is not None:
        return a[1] == b[1]
    return a[0] == b[0]


def _overlap(a: tuple[date, date | None], b: tuple[date, date | None]) -> bool:
    return (a[1] is None or b[0] <= a[1]) and (b[1] is None or a[0] <= b[1])


# -- JW315: Verzoek om toewijzing ------------------------------------------------------------


class Jw315Flow:
    """JW315 -> JW316: TR374 on Client, TR347 and TR381 per AangevraagdProduct; accepted
    products enter the gemeente's queue, decision due in 5 working days (OP274)."""

    def check(self, ctx: Context, decision: Decision) -> None:
        client = ctx.message.root["Client"]
        agb, bsn = ctx.message.sender, client["Bsn"]
        if store.pending_for_client(ctx.session, ctx.gemeente, agb, bsn):
            decision.add(client, "TR374")
            _mark_descendants_not_assessed(decision, client)
            return
        for node in many(client, "AangevraagdeProducten", "AangevraagdProduct"):
            if store.request_by_reference(ctx.session, agb, node["ReferentieAanbieder"]):
                decision.add(node, "TR347")
            check_product_code(
                ctx.session,
                ctx.gemeente,
                decision,
                node,
                node.get("Product"),
                node["ToewijzingIngangsdatum"],
            )

    def apply(self, ctx: Context, plan: None) -> None:
        message, client = ctx.message, ctx.message.root["Client"]
        for i, node in enumerate(many(client, "AangevraagdeProducten", "AangevraagdProduct"), 1):
            store.add_request(
                ctx.session,
                kind="VOT",
                gemeente=ctx.gemeente,
                aanbieder=message.sender,
                bsn=client["Bsn"],
                referentie=node["ReferentieAanbieder"],
                message_id=ctx.record.id,
                position=i,
                dagtekening=message.dagtekening,
                received_on=ctx.today,
                content=_json_safe(plain(node)),
            )


# -- JW317: Verzoek om wijziging -------------------------------------------------------------


@dataclass
class _Item:
    node: Node
    product: tuple[str | None, str | None]
    period: tuple[date, date | None]


class Jw317Flow:
    """JW317 -> JW318: TR304 on Client; TR347, TR374, TR349 on Verzoek; TR350, TR351, TR357,
    TR373, TR375, TR411, TR412 on the products; TR361 on the later of two overlapping ones;
    TR381 on NieuwProduct.  Accepted: the VOW enters the queue, due in 5 working days (OP346)."""

    def check(self, ctx: Context, decision: Decision) -> None:
        message = ctx.message
        client = message.root["Client"]
        verzoek = client["Verzoek"]
        gemeente, agb, bsn = ctx.gemeente, message.sender, client["Bsn"]
        dagtekening = message.dagtekening
        ongewijzigd = many(verzoek, "OngewijzigdeProducten", "OngewijzigdProduct")
        te_wijzigen = many(verzoek, "TeWijzigenProducten", "TeWijzigenProduct")
        nieuw = many(verzoek, "NieuweProducten", "NieuwProduct")

        found = allocations.leading_many(
            ctx.session,
            gemeente,
            (int(n["ToewijzingNummer"]) for n in (*ongewijzigd, *te_wijzigen)),
        )
        # TR304 (8187): every referenced allocation belongs to this client.
        if any(not a.deleted and a.bsn != bsn for a in found.values()):
            decision.add(client, "TR304")
            _mark_descendants_not_assessed(decision, client)
            return

        def current(nummer: int) -> Allocation | None:
            a = found.get(nummer)
            ok = a is not None and a.aanbieder == agb and a.bsn == bsn
            return a if ok and a is not None and a.is_current(dagtekening) else None

        if store.pending_for_client(ctx.session, gemeente, agb, bsn):
            decision.add(verzoek, "TR374")
        if store.request_by_reference(ctx.session, agb, verzoek["ReferentieAanbieder"]):
            decision.add(verzoek, "TR347")
        listed = {int(n["ToewijzingNummer"]) for n in (*ongewijzigd, *te_wijzigen)}
        for a in allocations.current_allocations(ctx.session, gemeente, agb, bsn, dagtekening):
            if a.nummer not in listed:
                decision.add(verzoek, "TR349")
                break

        items: list[_Item] = []
        for node in ongewijzigd:
            same = current(int(node["ToewijzingNummer"]))
            if same is None:
                decision.add(node, "TR350")
                continue
            items.append(
                _Item(node, (same.categorie, same.code), (same.ingangsdatum, same.einddatum))
            )
        for node in te_wijzigen:
            changed = current(int(node["ToewijzingNummer"]))
            if changed is None:
                decision.add(node, "TR351")
                continue
            self._check_change(decision, node, changed, dagtekening)
            period = (node["GewensteIngangsdatum"], node.get("Einddatum") or changed.einddatum)
            items.append(_Item(node, (changed.categorie, changed.code), period))
        for node in nieuw:
            check_product_code(
                ctx.session,
                gemeente,
                decision,
                node,
                node.get("Product"),
                node["GewensteIngangsdatum"],
            )
            period = (node["GewensteIngangsdatum"], node.get("Einddatum"))
            items.append(_Item(node, _product(node.get("Product")), period))
        # TR361 (9361): the same product twice with overlapping periods; the later class gets it.
        for i, later in enumerate(items):
            if any(
                _same_product(earlier.product, later.product)
                and _overlap(earlier.period, later.period)
                for earlier in items[:i]
            ):
                decision.add(later.node, "TR361")

    @staticmethod
    def _check_change(decision: Decision, node: Node, a: Allocation, dagtekening: date) -> None:
        gewenst: date = node["GewensteIngangsdatum"]
        omvang, budget = node.get("Omvang"), node.get("Budget")
        # TR357: a change that does not start in the future covers the whole period.
        if gewenst <= dagtekening and gewenst != a.ingangsdatum:
            decision.add(node, "TR357")
        # TR373: a Budget change or a change of a total (frequency 6) runs from the Ingangsdatum.
        budget_change = budget is not None and budget != a.budget
        total_change = (
            omvang is not None
            and omvang["Frequentie"] == "6"
            and (
                (omvang["Volume"], omvang["Eenheid"], omvang["Frequentie"])
                != (a.volume, a.eenheid, a.frequentie)
            )
        )
        if (budget_change or total_change) and gewenst != a.ingangsdatum:
            decision.add(node, "TR373")
        # TR375/TR411/TR412: Omvang follows the allocation's product detail.
        if a.categorie is None:
            if omvang is not None and a.ends_after_2020_or_open:
                decision.add(node, "TR375")
        elif a.code is not None:
            if omvang is None:
                decision.add(node, "TR411")
        elif omvang is not None and a.ends_after_2020_or_open:
            decision.add(node, "TR412")

    def apply(self, ctx: Context, plan: None) -> None:
        message, client = ctx.message, ctx.message.root["Client"]
        verzoek = client["Verzoek"]
        store.add_request(
            ctx.session,
            kind="VOW",
            gemeente=ctx.gemeente,
            aanbieder=message.sender,
            bsn=client["Bsn"],
            referentie=verzoek["ReferentieAanbieder"],
            message_id=ctx.record.id,
            position=1,
            dagtekening=message.dagtekening,
            received_on=ctx.today,
            content=_json_safe(plain(verzoek)),
        )


# -- JW319 (ours) and JW320 (the provider's retour on it) ------------------------------------


class Jw319Flow:
    """Our answer on a request: TR355, TR359, TR360, TR365 on Antwoord and TR378 (S300) on
    Woonplaatsbeginsel are checked before it leaves; then the request's state follows it."""

    def check(self, ctx: Context, decision: Decision) -> None:
        antwoord = ctx.message.root["Antwoord"]
        wpb = antwoord.get("Woonplaatsbeginsel")
        if wpb is not None and not gemeente_valid(
            ctx.session, wpb["Gemeente"], ctx.message.dagtekening
        ):
            decision.add(wpb, "TR378")
        req = store.request_by_reference(
            ctx.session, ctx.message.receiver, antwoord["ReferentieAanbieder"]
        )
        if req is None or req.gemeente != ctx.message.sender:
            decision.add(antwoord, "TR355")
            return
        if allocations.honouring(ctx.session, req.gemeente, req.aanbieder, req.referentie):
            decision.add(antwoord, "TR359")
        earlier = store.answers_of(ctx.session, req.id)
        if antwoord["VerzoekAntwoord"] == "2" and earlier:
            decision.add(antwoord, "TR360")
        if any(a.verzoek_antwoord != "2" for a in earlier):
            decision.add(antwoord, "TR365")
        if antwoord.get("RedenAfwijzingVerzoek") == "8" and req.kind == "VOW":
            ctx.notes.append(
                Note("warn", "WJ759", "reason 8 (woonplaatsbeginsel) is meant for a VOT, not a VOW")
            )

    def apply(self, ctx: Context, plan: None) -> None:
        antwoord = ctx.message.root["Antwoord"]
        wpb = antwoord.get("Woonplaatsbeginsel")
        store.add_answer(
            ctx.session,
            agb=ctx.message.receiver,
            referentie=antwoord["ReferentieAanbieder"],
            message_id=ctx.record.id,
            verzoek_antwoord=antwoord["VerzoekAntwoord"],
            reden=antwoord.get("RedenAfwijzingVerzoek"),
            woonplaatsbeginsel=wpb["Gemeente"] if wpb else None,
            sent_on=ctx.today,
        )


class Jw320Flow:
    """The provider's retour on our JW319: any code other than 0200/0233 voids the answer."""

    def check(self, ctx: Context, decision: Decision) -> bool:
        return voids(codes_in(ctx.message.root))

    def apply(self, ctx: Context, plan: bool) -> None:
        if ctx.record.answers_id is not None:
            store.record_answer_verdict(ctx.session, ctx.record.answers_id, ctx.record.id, plan)


# -- what requests add to the allocation flows ------------------------------------------------


class HonouringJw301:
    """Extension of the JW301 flow: TR379 (9379) per ToegewezenProduct before it leaves, and the
    state of the requests it honours once stored (ReferentieAanbieder, IV097)."""

    def check(self, ctx: Context, decision: Decision) -> set[tuple[str, str]]:
        message = ctx.message
        gemeente, agb = message.sender, message.receiver
        bsn = message.root["Client"]["Bsn"]
        refs: set[tuple[str, str]] = set()
        for node, p in sent_products(message):
            ref = p.allocation.referentie_aanbieder
            if ref is None:
                continue
            refs.add((agb, ref))
            if not self._may_reference(ctx.session, gemeente, agb, bsn, ref):
                decision.add(node, "TR379")
        return refs

    @staticmethod
    def _may_reference(session: Session, gemeente: str, agb: str, bsn: str, ref: str) -> bool:
        """TR379: a ReferentieAanbieder only when honouring an open request of this provider
        for this client, and only on the first JW301 that does so (IV097)."""
        req = store.request_by_reference(session, agb, ref)
        if req is None or (req.gemeente, req.bsn) != (gemeente, bsn):
            return False
        return req.open

    def apply(self, ctx: Context, plan: set[tuple[str, str]]) -> None:
        for agb, ref in sorted(plan):
            store.refresh_by_reference(ctx.session, agb, ref)


class HonouringJw302:
    """Extension of the JW302 flow: a rejected JW301 no longer honours its requests."""

    def check(self, ctx: Context, decision: Decision) -> None:
        return None

    def apply(self, ctx: Context, plan: None) -> None:
        original = ctx.record.answers_id
        if original is None:
            return
        for agb, ref in sorted(allocations.references_of_message(ctx.session, original)):
            store.refresh_by_reference(ctx.session, agb, ref)


def referenced_dates(session: Session, message: Message) -> Iterable[date]:
    """TR378 date source: the Ingangsdatum of the allocations a JW317 names, and the dates of
    the request a JW319 answers (the older CBS list the rule allows)."""
    if message.name == "JW317":
        nummers = [
            node["ToewijzingNummer"]
            for node in walk(message.root)
            if node.name != "Bericht" and isinstance(node.get("ToewijzingNummer"), int)
        ]
        for a in allocations.leading_many(session, message.receiver, nummers).values():
            yield a.ingangsdatum
    if message.name == "JW319":
        ref = message.root["Antwoord"]["ReferentieAanbieder"]
        req = store.request_by_reference(session, message.receiver, ref)
        if req is not None:
            yield req.dagtekening
            start = req.content.get("ToewijzingIngangsdatum")
            if start:
                yield date.fromisoformat(start)
