"""The JW301 (ours) and JW302 (the provider's retour on it) flows.

JW301: the provider's pre-send checks (spec §3c "(O)") that this flow owns, TR332 (9332) and
TR381 (S329) per ToegewezenProduct; a finding refuses the message (422, nothing reaches the
provider).  OP087 (every current allocation of the client at this provider is in each JW301) has
no retourcode: a missing one is a warning in the answer's notes.  TR379 (requests) and TR385
(declarations) are checked by the flows that own that data, as extensions.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.exchange.flow import Context, Note
from app.flows.allocations import store
from app.flows.allocations.store import SentProduct, sent_products
from app.ijw.model import many
from app.ijw.retour import Decision, codes_in, voids
from app.reference.products import check_product_code


class Jw301Flow:
    """TR332 and TR381 before a JW301 leaves, OP087 as a note; then store its versions."""

    def check(self, ctx: Context, decision: Decision) -> list[SentProduct]:
        message = ctx.message
        gemeente, agb = message.sender, message.receiver
        bsn = message.root["Client"]["Bsn"]
        products = sent_products(message)
        for node, p in products:
            a = p.allocation
            check_product_code(
                ctx.session, gemeente, decision, node, node.get("Product"), a.ingangsdatum
            )
            existing = store.allocation(ctx.session, gemeente, a.nummer)
            if existing is not None and not a.same_allocation(existing):
                decision.add(node, "TR332")
        sent = {p.allocation.nummer for _, p in products}
        missing = [
            a.nummer
            for a in store.current_allocations(ctx.session, gemeente, agb, bsn, message.dagtekening)
            if a.nummer not in sent
        ]
        if missing:
            ctx.notes.append(
                Note(
                    "warn",
                    "OP087",
                    "a JW301 holds every current allocation of the client at this provider; "
                    "these are missing",
                    {"toewijzingnummers": missing},
                )
            )
        return [p for _, p in products]

    def apply(self, ctx: Context, plan: list[SentProduct]) -> None:
        store.record_sent(ctx.session, plan, ctx.record.id, ctx.now)


@dataclass(frozen=True)
class Verdict:
    """What a JW302 says about the JW301 it answers."""

    original_id: int | None
    rejected: bool
    codes_by_position: dict[int, list[str]]
    header_codes: list[str]


class Jw302Flow:
    """The provider's verdict on our JW301: marks its versions accepted or rejected.

    Any RetourCode other than 0200/0233 rejects the whole JW301 (IV032): its versions are void.
    """

    def check(self, ctx: Context, decision: Decision) -> Verdict:
        retour = ctx.message
        per_product = {
            i: list((node.get("RetourCodes") or {}).get("RetourCode", []))
            for i, node in enumerate(
                many(retour.root.get("Client"), "ToegewezenProducten", "ToegewezenProduct"), 1
            )
        }
        return Verdict(
            ctx.record.answers_id,
            voids(codes_in(retour.root)),
            per_product,
            list(retour.header.get("RetourCodes", {}).get("RetourCode", [])),
        )

    def apply(self, ctx: Context, plan: Verdict) -> None:
        if plan.original_id is None:
            return
        store.record_verdict(
            ctx.session,
            plan.original_id,
            ctx.record.id,
            plan.rejected,
            plan.codes_by_position,
            plan.header_codes,
            ctx.now,
        )
