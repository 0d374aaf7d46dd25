"""Planning a JW301 from back-office input: which allocations, with which numbers and content.

The back office (and automatic handling) say what should change; planning turns that into the
ToegewezenProducten of one JW301 for one client at one provider, with fresh ToewijzingNummers
for new allocations and the client's other current allocations resent unchanged (OP087).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any, Literal, TypedDict

from sqlalchemy.orm import Session

from app.clock import AMSTERDAM
from app.flows.allocations import store
from app.flows.allocations.store import Allocation
from app.ijw import model, xml


class Content(TypedDict, total=False):
    """The content fields of an allocation an order may set (absent = keep the current one)."""

    categorie: str | None
    code: str | None
    ingangsdatum: date | None
    einddatum: date | None
    reden_wijziging: str | None
    volume: int | None
    eenheid: str | None
    frequentie: str | None
    budget: int | None


@dataclass(frozen=True)
class Order:
    """One allocation to send.  With `nummer` of an existing allocation it is a change: fields
    absent from `content` keep the leading version's value (RedenWijziging excepted); a new one
    (no `nummer`) needs at least an Ingangsdatum."""

    nummer: int | None = None
    content: Content = field(default_factory=lambda: Content())
    referentie_aanbieder: str | None = None
    commentaar: str | None = None
    toewijzingsdatum: date | None = None
    toewijzingstijd: time | None = None
    # What a person decided for this allocation (kept with who and when by the caller): the
    # reason a hard budget ceiling may be exceeded, the provider's consent to this change.
    override: str | None = None
    consent: str | None = None


@dataclass(frozen=True)
class Planned:
    """An allocation the back office is about to send (new, or a change of `previous`)."""

    allocation: Allocation
    previous: Allocation | None


class BuildError(ValueError):
    """The back-office input cannot become a JW301."""

    def __init__(
        self, code: str, message: str, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.details = code, details or []


@dataclass(frozen=True)
class Plan:
    """One JW301's worth: the new/changed allocations (for the pre-create checks) and the
    ToegewezenProducten in message order."""

    planned: list[Planned]
    products: list[dict[str, Any]]


def client_block(session: Session, gemeente: str, bsn: str) -> dict[str, Any] | None:
    """The Client data (without allocations) of the latest JW301 we sent for this client."""
    raw = store.latest_jw301(session, gemeente, bsn)
    if raw is None:
        return None
    info, tree = xml.read(raw)
    client = model.plain(model.to_model(tree, info).root["Client"])
    client.pop("ToegewezenProducten", None)
    return client


def product_dict(
    a: Allocation,
    *,
    toewijzingsdatum: date,
    toewijzingstijd: time,
    referentie_aanbieder: str | None = None,
    commentaar: str | None = None,
) -> dict[str, Any]:
    """A ToegewezenProduct in the parsed-model shape."""
    out: dict[str, Any] = {"ToewijzingNummer": a.nummer}
    if referentie_aanbieder:
        out["ReferentieAanbieder"] = referentie_aanbieder
    if a.categorie is not None:
        out["Product"] = {"Categorie": a.categorie, "Code": a.code}
    out["Toewijzingsdatum"] = toewijzingsdatum
    out["Toewijzingstijd"] = toewijzingstijd
    out["Ingangsdatum"] = a.ingangsdatum
    out["Einddatum"] = a.einddatum
    out["RedenWijziging"] = a.reden_wijziging
    if a.volume is not None:
        out["Omvang"] = {"Volume": a.volume, "Eenheid": a.eenheid, "Frequentie": a.frequentie}
    out["Budget"] = a.budget
    if commentaar:
        out["Commentaar"] = commentaar
    return out


# What a change must alter (a RedenWijziging alone changes nothing).
_CONTENT = (
    "categorie",
    "code",
    "ingangsdatum",
    "einddatum",
    "volume",
    "eenheid",
    "frequentie",
    "budget",
)
_FIELDS = (
    "categorie",
    "code",
    "ingangsdatum",
    "einddatum",
    "reden_wijziging",
    "volume",
    "eenheid",
    "frequentie",
    "budget",
)


def plan_jw301(
    session: Session,
    *,
    gemeente: str,
    agb: str,
    bsn: str,
    orders: list[Order],
    now: datetime,
    include_current: bool = True,
) -> Plan:
    """Turn back-office orders into the ToegewezenProducten of one JW301.

    With `include_current` every other current allocation of the client at this provider is
    resent unchanged (OP087), with its own Toewijzingsdatum/-tijd (IV013) and without
    ReferentieAanbieder (IV097).  Raises BuildError with one detail per bad order.
    """
    local = now.astimezone(AMSTERDAM)
    planned: list[Planned] = []
    products: list[dict[str, Any]] = []
    taken: set[int] = set()
    problems: list[dict[str, Any]] = []
    for i, order in enumerate(orders, 1):
        where = f"toewijzingen[{i - 1}]"
        previous = store.allocation(session, gemeente, order.nummer) if order.nummer else None
        if previous is not None and (previous.bsn, previous.aanbieder) != (bsn, agb):
            problems.append(
                {
                    "location": f"{where}.toewijzingnummer",
                    "message": f"allocation {order.nummer} belongs to another client "
                    "or provider (TR332)",
                }
            )
            continue
        given: dict[str, Any] = dict(order.content)
        values: dict[str, Any] = {}
        for name in _FIELDS:
            if name in given:
                values[name] = given[name]
            elif previous is not None and name != "reden_wijziging":
                values[name] = getattr(previous, name)
            else:
                values[name] = None
        if values["ingangsdatum"] is None:
            problems.append(
                {"location": f"{where}.ingangsdatum", "message": "ingangsdatum is required"}
            )
            continue
        nummer = order.nummer
        if nummer is None:
            nummer = store.next_nummer(session, gemeente, taken)
            if nummer is None:
                raise BuildError(
                    "NUMBERS_EXHAUSTED",
                    f"gemeente {gemeente} has used every ToewijzingNummer from "
                    f"{store.FIRST_NUMBER} to {store.MAX_NUMBER}",
                    [{"location": f"{where}.toewijzingnummer", "message": "no free number"}],
                )
        taken.add(nummer)
        allocation = Allocation(gemeente=gemeente, nummer=nummer, bsn=bsn, aanbieder=agb, **values)
        if (
            previous is not None
            and order.referentie_aanbieder is None
            and all(getattr(allocation, f) == getattr(previous, f) for f in _CONTENT)
        ):
            problems.append(
                {
                    "location": where,
                    "message": f"changes nothing: allocation {nummer} already has these values",
                }
            )
            continue
        planned.append(Planned(allocation, previous))
        products.append(
            product_dict(
                allocation,
                toewijzingsdatum=order.toewijzingsdatum or local.date(),
                toewijzingstijd=order.toewijzingstijd or local.time().replace(microsecond=0),
                referentie_aanbieder=order.referentie_aanbieder,
                commentaar=order.commentaar,
            )
        )
    if problems:
        raise BuildError("INVALID_ALLOCATION", "the allocations cannot be built", problems)
    if include_current:
        for a in store.current_allocations(session, gemeente, agb, bsn, local.date()):
            if a.nummer not in taken:
                # IV099: an unchanged resend has an empty RedenWijziging.
                products.append(
                    product_dict(
                        replace(a, reden_wijziging=None),
                        toewijzingsdatum=a.toewijzingsdatum,
                        toewijzingstijd=a.toewijzingstijd,
                    )
                )
    return Plan(planned, products)


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a pre-create check: `refuse` blocks sending, `warn` is reported, `info`
    records what a check allowed (a ceiling override, the provider's consent)."""

    level: Literal["refuse", "warn", "info"]
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


PreCreateCheck = Callable[[Session, list[Planned], date], list[CheckResult]]
"""A check run before the back office (or automatic handling) builds a JW301, e.g. a budget
ceiling: `(session, planned, today) -> results`.  `planned` holds every allocation that is new
or changed in the message (unchanged ones resent for OP087 are not in it).  Any `refuse` result
sends nothing; `warn` results are returned with the created allocations.  The composition root
decides which checks run."""
