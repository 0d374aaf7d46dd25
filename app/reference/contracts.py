"""Contract sets as data: import, export, governance, versions, and reading them for the rules.

One JSON document (`ijw-contracts/2`, `app.reference.contract_doc`, docs/contracts.md) describes
whole contract sets.  Importing a set replaces its members, products, default tariffs, contract
lines (and ceilings and task funding when the document lists them) in one transaction; any bad
row refuses the whole import with one error per row, so nothing is ever half-imported.  Every
import or change that changes something is kept as a version (who, when, what changed), so any
version can be exported and two versions compared.  Export writes the same format, so
export -> import is the identity.

Who may change a set (docs/contracts.md "Who administers a set"): the operator (the command line,
`actor.party` None) may do anything.  Over the API only the set's administrator - a member
gemeente, normally the one hosting the regional purchasing organisation - may import, index or
delete it; a new set is administered by the gemeente that creates it.  A gemeente the
administrator lists is only *invited*: it becomes a member (and the set's contracts apply to it)
when it joins itself.  Members read and use the set; they can leave it but never change it.

The rules read contracts through `ContractBook` (one gemeente x one provider, over every set the
gemeente is an active member of), loaded once per message: TR418 (tariff, with the set's tariff
policy), TR346 (hour tariff for minutes), TR341 (contract unit for aspecific and generic
allocations), the execution variant per product (UP028) and whether an allocation lies within a
valid contract (OP296).  A line's tariff is its exception for the code where it has one, else the
regional default; it is valid from the line's start to its end for that gemeente (extensions
exercised included).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.ijw.codes import EURO
from app.reference.contract_doc import (
    DEFAULT_VARIANT,
    FORMAT,
    MAX_CENTS,
    CeilingIn,
    ContractDocument,
    ContractIn,
    DocumentError,
    ExtensionIn,
    LineTariffIn,
    PaymentIn,
    ProductIn,
    RegionIn,
    TariffIn,
    TaskFundingIn,
    contract_schema,
    diff,
    parse_document,
)
from app.reference.models import (
    Ceiling,
    CeilingMember,
    ContractLine,
    ContractVersion,
    LineTariff,
    Product,
    ProductTariff,
    Region,
    RegionMember,
    TaskFunding,
)
from app.reference.products import NATIONAL_CATEGORIES, UNITS

ACTIVE, INVITED = "active", "invited"
MEMBERS = "members"  # the member statuses, kept in each version next to the set
_GEMEENTE = re.compile(r"[0-9]{4}")
_AGB = re.compile(r"[0-9]{8}")
_CODE = re.compile(r".*\S.*")
MAX_EXTENSION_MONTHS = 120

ContractImportError = DocumentError  # the name callers have used since version 1


class ContractForbidden(Exception):
    """The caller may not make this change (not the set's administrator, ...)."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["message"] if errors else "forbidden")
        self.errors = errors


class ContractNotFound(LookupError):
    """No such contract set (or version) visible to the caller."""


@dataclass(frozen=True)
class Actor:
    """Who changes a contract set: a gemeente (`party`) or the operator (None), and the person
    acting (`user`, from X-Ijw-User or the web UI), for the versions and audits."""

    party: str | None = None
    user: str | None = None


OPERATOR = Actor()


@dataclass
class ImportResult:
    """What an import changed."""

    regions: list[str]
    products: int
    contracts: int
    tariffs: int
    ceilings: int
    versions: dict[str, int] = field(default_factory=dict)
    invited: list[str] = field(default_factory=list)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


# --------------------------------------------------------------------------- periods


def _overlap(a0: date, a1: date | None, b0: date, b1: date | None) -> bool:
    return (b1 is None or a0 <= b1) and (a1 is None or b0 <= a1)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (2021-12-31 + 12)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def line_end(end: date | None, extensions: Iterable[dict[str, Any]], gemeente: str) -> date | None:
    """The end of a line for one gemeente: its initial end or the last extension exercised for
    that gemeente (or for all); None: open-ended."""
    if end is None:
        return None
    out = end
    for e in extensions:
        gs = e.get("gemeenten")
        if gs is None or gemeente in gs:
            out = max(out, date.fromisoformat(str(e["until"])))
    return out


def _subtract(
    lo: date, hi: date | None, cuts: Sequence[tuple[date, date | None]]
) -> list[tuple[date, date | None]]:
    """[lo, hi] minus the union of `cuts` (inclusive periods; None = open end)."""
    parts: list[tuple[date, date | None]] = [(lo, hi)]
    for c0, c1 in cuts:
        out: list[tuple[date, date | None]] = []
        for p0, p1 in parts:
            if not _overlap(p0, p1, c0, c1):
                out.append((p0, p1))
                continue
            if p0 < c0:
                out.append((p0, c0 - timedelta(days=1)))
            if c1 is not None and (p1 is None or c1 < p1):
                out.append((c1 + timedelta(days=1), p1))
        parts = out
    return parts


# --------------------------------------------------------------------------- validation


def _check_tariffs(
    err: Any,
    loc: str,
    tariffs: Sequence[TariffIn],
    products: dict[str, list[ProductIn]],
    code_of: Any,
    skip: int = 0,
) -> None:
    """The rules of a list of tariffs (the first `skip` were checked before, as context)."""
    for ti, t in enumerate(tariffs):
        if ti < skip:
            continue
        tl = f"{loc}[{ti - skip}]"
        code = code_of(t)
        if t.eenheid not in UNITS:
            err(f"{tl}.eenheid", f"{t.eenheid!r} is not a WJ756 unit")
        if t.eenheid == EURO and t.tarief is not None:
            err(f"{tl}.tarief", "a euro product (eenheid 83) has no tariff")
        if t.eenheid != EURO and t.tarief is None:
            err(f"{tl}.tarief", "a tariff is required unless eenheid is 83")
        if t.valid_to is not None and t.valid_to < t.valid_from:
            err(f"{tl}.valid_to", "valid_to is before valid_from")
        for other in tariffs[:ti]:
            if code_of(other) == code and _overlap(
                other.valid_from, other.valid_to, t.valid_from, t.valid_to
            ):
                err(tl, "tariff periods of one product overlap")
                break
        if code in products and not any(
            _overlap(p.valid_from, p.valid_to, t.valid_from, t.valid_to) for p in products[code]
        ):
            err(tl, f"product {code} is not valid in this tariff period")


def _check_region(region: RegionIn, rl: str, err: Any) -> None:
    members = set(region.gemeenten)
    for gi, g in enumerate(region.gemeenten):
        if not _GEMEENTE.fullmatch(g):
            err(f"{rl}.gemeenten[{gi}]", f"a gemeentecode has 4 digits, got {g!r}")
        if region.gemeenten.index(g) != gi:
            err(f"{rl}.gemeenten[{gi}]", f"gemeente {g} is listed twice")
    if region.administrator is not None and region.administrator not in members:
        err(f"{rl}.administrator", "the administrator is a member gemeente of the set")
    for cat, share in region.realisation.items():
        if cat not in NATIONAL_CATEGORIES:
            err(f"{rl}.realisation", f"{cat!r} is not a JZ020 product category")
        if not 0 <= share <= 100:
            err(f"{rl}.realisation.{cat}", "a realisation factor is a percentage 0-100")
    for name, days in region.exception_max_days.items():
        if name not in region.stacking_exceptions:
            err(f"{rl}.exception_max_days.{name}", f"{name} is not a stacking exception")
        if not 1 <= days <= 366:
            err(f"{rl}.exception_max_days.{name}", "the maximum is 1-366 days")
    if region.payment is not None:
        for cat in region.payment.by_categorie:
            if cat not in NATIONAL_CATEGORIES:
                err(f"{rl}.payment.by_categorie", f"{cat!r} is not a JZ020 product category")
        for g in region.payment.by_gemeente:
            if g not in members:
                err(f"{rl}.payment.by_gemeente", f"{g} is not a member of the set")
    products: dict[str, list[ProductIn]] = defaultdict(list)
    for pi, p in enumerate(region.products):
        pl = f"{rl}.products[{pi}]"
        if p.categorie not in NATIONAL_CATEGORIES:
            err(f"{pl}.categorie", f"{p.categorie!r} is not a JZ020 product category")
        if p.eenheid not in UNITS:
            err(f"{pl}.eenheid", f"{p.eenheid!r} is not a WJ756 unit")
        if not _CODE.fullmatch(p.code):
            err(f"{pl}.code", "a product code is not blank")
        if p.valid_to is not None and p.valid_to < p.valid_from:
            err(f"{pl}.valid_to", "valid_to is before valid_from")
        if p.financing == "profile" and not (p.profiel and p.intensiteit):
            err(pl, "a profile product names its profiel and intensiteit")
        if p.declaration_moment != "period" and p.financing not in ("output", "profile"):
            err(f"{pl}.declaration_moment", "a declaration moment is agreed for output products")
        if (p.declaration_moment == "milestones") != (p.milestones is not None):
            err(f"{pl}.milestones", "milestones are given exactly when the moment is milestones")
        if p.milestones is not None and (
            not p.milestones
            or p.milestones != sorted(set(p.milestones))
            or p.milestones[0] < 1
            or p.milestones[-1] != 100
        ):
            err(f"{pl}.milestones", "milestones are ascending percentages ending at 100")
        for earlier in products[p.code]:
            if _overlap(earlier.valid_from, earlier.valid_to, p.valid_from, p.valid_to):
                err(pl, f"product {p.code} has overlapping validity periods")
                break
            if earlier.categorie != p.categorie:
                err(f"{pl}.categorie", f"product {p.code} changes category")
                break
        products[p.code].append(p)
    defaults: dict[str, list[TariffIn]] = defaultdict(list)
    for pi, p in enumerate(region.products):
        # default tariffs of one code may sit on any of its entries: checked together
        prior = list(defaults[p.code])
        _check_tariffs(
            err,
            f"{rl}.products[{pi}].tariffs",
            prior + p.tariffs,
            products,
            lambda _t, c=p.code: c,
            skip=len(prior),
        )
        defaults[p.code].extend(p.tariffs)
    spans: dict[tuple[str, str], list[tuple[int, set[str] | None, date, date | None]]] = (
        defaultdict(list)
    )
    for ci, c in enumerate(region.contracts):
        cl = f"{rl}.contracts[{ci}]"
        if not _AGB.fullmatch(c.aanbieder):
            err(f"{cl}.aanbieder", f"an AGB code has 8 digits, got {c.aanbieder!r}")
        for ki, code in enumerate(c.codes):
            if code not in products:
                err(f"{cl}.codes[{ki}]", f"product {code} is not in the set's catalogue")
            if c.codes.index(code) != ki:
                err(f"{cl}.codes[{ki}]", f"product {code} is listed twice")
        for gi, g in enumerate(c.gemeenten or []):
            if g not in members:
                err(f"{cl}.gemeenten[{gi}]", f"{g} is not a member of the set")
        if c.end is not None and c.end < c.start:
            err(f"{cl}.end", "end is before start")
        for oi, months in enumerate(c.extension_options):
            if not 1 <= months <= MAX_EXTENSION_MONTHS:
                err(f"{cl}.extension_options[{oi}]", "an option is 1-120 months")
        if c.extensions and c.end is None:
            err(f"{cl}.extensions", "an open-ended line has no extensions")
        if c.end is not None:
            latest = add_months(c.end, sum(c.extension_options))
            for ei, e in enumerate(c.extensions):
                if e.until <= c.end:
                    err(f"{cl}.extensions[{ei}].until", "an extension runs past the end")
                elif e.until > latest:
                    err(
                        f"{cl}.extensions[{ei}].until",
                        f"the extension options allow at most {latest.isoformat()}",
                    )
                for g in e.gemeenten or []:
                    if c.gemeenten is not None and g not in c.gemeenten:
                        err(f"{cl}.extensions[{ei}].gemeenten", f"{g} is not on the line")
        for ti, t in enumerate(c.tariffs):
            if t.code not in c.codes:
                err(f"{cl}.tariffs[{ti}].code", f"{t.code} is not one of the line's codes")
        _check_tariffs(err, f"{cl}.tariffs", c.tariffs, products, lambda t: t.code)
        for code in c.codes:
            # task-based care has no per-unit price: its lump sums are the task funding
            task = c.variant == "taakgericht" or any(
                p.financing == "task" for p in products.get(code, [])
            )
            if (
                code in products
                and not task
                and not (
                    any(p.tariffs for p in products[code]) or any(t.code == code for t in c.tariffs)
                )
            ):
                err(cl, f"product {code} has no tariff: no regional default, no exception")
        scope = set(c.gemeenten) if c.gemeenten is not None else None
        for g in sorted(scope if scope is not None else members):
            end = line_end(c.end, [e.model_dump(mode="json") for e in c.extensions], g)
            for code in c.codes:
                for other_ci, other_scope, o0, o1 in spans[(c.aanbieder, code)]:
                    if (other_scope is None or g in other_scope) and _overlap(o0, o1, c.start, end):
                        err(
                            cl,
                            f"{c.aanbieder} x {code} for {g} overlaps contracts[{other_ci}]: one "
                            "line per provider, product, gemeente and day",
                        )
                        break
        for g in sorted(scope if scope is not None else members):
            end = line_end(c.end, [e.model_dump(mode="json") for e in c.extensions], g)
            for code in c.codes:
                spans[(c.aanbieder, code)].append((ci, {g}, c.start, end))
    for xi, ceiling in enumerate(region.ceilings or []):
        xl = f"{rl}.ceilings[{xi}]"
        if (ceiling.year is None) == (ceiling.start is None or ceiling.end is None):
            err(xl, "a ceiling has a year or a start and an end")
            continue
        if (ceiling.year is not None) and (ceiling.start or ceiling.end):
            err(xl, "a ceiling has a year or a start and an end, not both")
            continue
        p0, p1 = ceiling.period()
        if p1 < p0:
            err(f"{xl}.end", "end is before start")
        elif (p1 - p0).days > 5 * 366:
            err(f"{xl}.end", "a ceiling period is at most five years")
        if (ceiling.aanbieders is None) == (not ceiling.all_contracted):
            err(xl, "a ceiling lists its aanbieders or pools all_contracted providers")
        for ai, agb in enumerate(ceiling.aanbieders or []):
            if not _AGB.fullmatch(agb):
                err(f"{xl}.aanbieders[{ai}]", f"an AGB code has 8 digits, got {agb!r}")
        if ceiling.aanbieders is not None and len(set(ceiling.aanbieders)) != len(
            ceiling.aanbieders
        ):
            err(f"{xl}.aanbieders", "an aanbieder is listed twice")
        for ki, cat in enumerate(ceiling.categories or []):
            if cat not in NATIONAL_CATEGORIES:
                err(f"{xl}.categories[{ki}]", f"{cat!r} is not a JZ020 product category")
        for ki, code in enumerate(ceiling.codes or []):
            if code not in products:
                err(f"{xl}.codes[{ki}]", f"product {code} is not in the set's catalogue")
        for gi, g in enumerate(ceiling.gemeenten or []):
            if g not in members:
                err(f"{xl}.gemeenten[{gi}]", f"{g} is not a member of the set")
        marks = ceiling.thresholds
        if marks != sorted(set(marks)) or any(not 1 <= v <= 100 for v in marks):
            err(f"{xl}.thresholds", "thresholds are ascending percentages 1-100")
        if any(
            o.name == ceiling.name and o.period()[0] == p0 for o in (region.ceilings or [])[:xi]
        ):
            err(xl, f"ceiling {ceiling.name} {p0.isoformat()} appears twice")
    for fi, f in enumerate(region.task_funding or []):
        fl = f"{rl}.task_funding[{fi}]"
        if not _AGB.fullmatch(f.aanbieder):
            err(f"{fl}.aanbieder", f"an AGB code has 8 digits, got {f.aanbieder!r}")
        if f.code not in products:
            err(f"{fl}.code", f"product {f.code} is not in the set's catalogue")
        if f.end < f.start:
            err(f"{fl}.end", "end is before start")
        for g in f.gemeenten or []:
            if g not in members:
                err(f"{fl}.gemeenten", f"{g} is not a member of the set")


def _cross_set_conflicts(session: Session, doc: ContractDocument, err: Any) -> None:
    """A provider x product x gemeente x day is contracted in at most one set: the papers allow
    local procurement only for what the region did not buy (seed 003), and TR418 needs one
    tariff.  Sets in the document are checked against each other and against stored ones."""
    codes = {r.code for r in doc.regions}
    gemeenten = {g for r in doc.regions for g in r.gemeenten}
    stored = session.execute(
        select(Region.code, RegionMember.gemeente, ContractLine)
        .join(RegionMember, RegionMember.region_id == Region.id)
        .join(ContractLine, ContractLine.region_id == Region.id)
        .where(RegionMember.gemeente.in_(sorted(gemeenten)), Region.code.not_in(sorted(codes)))
    ).all()
    taken: dict[tuple[str, str, str], list[tuple[str, date, date | None]]] = defaultdict(list)
    for set_code, g, line in stored:
        if line.gemeenten is not None and g not in line.gemeenten:
            continue
        end = line_end(line.end, line.extensions, g)
        for code in line.codes:
            taken[(g, line.aanbieder, code)].append((set_code, line.start, end))
    for ri, region in enumerate(doc.regions):
        mine: dict[tuple[str, str, str], list[tuple[str, date, date | None]]] = defaultdict(list)
        for ci, c in enumerate(region.contracts):
            exts = [e.model_dump(mode="json") for e in c.extensions]
            for g in c.gemeenten if c.gemeenten is not None else region.gemeenten:
                end = line_end(c.end, exts, g)
                for code in c.codes:
                    for other, o0, o1 in taken[(g, c.aanbieder, code)]:
                        if _overlap(o0, o1, c.start, end):
                            err(
                                f"regions[{ri}].contracts[{ci}]",
                                f"{c.aanbieder} x {code} for gemeente {g} is already contracted"
                                f" in set {other} in an overlapping period",
                            )
                            break
                    mine[(g, c.aanbieder, code)].append((region.code, c.start, end))
        for k, v in mine.items():
            taken[k].extend(v)


def _check_permissions(
    session: Session, doc: ContractDocument, actor: Actor
) -> list[dict[str, str]]:
    if actor.party is None:
        return []
    errors = []
    for ri, region in enumerate(doc.regions):
        existing = session.scalar(select(Region).where(Region.code == region.code))
        loc = f"regions[{ri}]"
        if existing is not None:
            if existing.administrator != actor.party:
                who = (
                    f"its administrator {existing.administrator}"
                    if existing.administrator
                    else "the operator"
                )
                errors.append(
                    {
                        "location": loc,
                        "message": f"contract set {region.code} is changed by {who} only; "
                        f"gemeente {actor.party} may read and use it",
                    }
                )
            elif region.administrator not in (None, existing.administrator):
                errors.append(
                    {
                        "location": f"{loc}.administrator",
                        "message": "hand over the administration with POST "
                        f"/v1/contracts/{region.code}/administrator",
                    }
                )
        else:
            if region.administrator not in (None, actor.party):
                errors.append(
                    {
                        "location": f"{loc}.administrator",
                        "message": f"a new set is administered by the gemeente that creates it "
                        f"({actor.party})",
                    }
                )
            if actor.party not in region.gemeenten:
                errors.append(
                    {
                        "location": f"{loc}.gemeenten",
                        "message": f"a new set lists the gemeente that creates it ({actor.party})",
                    }
                )
    return errors


def validate_document(session: Session, data: Any) -> ContractDocument:
    """Shape and every row rule; raises ContractImportError with one entry per bad row."""
    doc = parse_document(data)
    errors: list[dict[str, str]] = []

    def err(loc: str, message: str) -> None:
        errors.append({"location": loc, "message": message})

    seen: set[str] = set()
    for ri, region in enumerate(doc.regions):
        if region.code in seen:
            err(f"regions[{ri}].code", f"region {region.code} appears twice in the document")
        seen.add(region.code)
        _check_region(region, f"regions[{ri}]", err)
    if not errors:
        _cross_set_conflicts(session, doc, err)
    if errors:
        raise ContractImportError(errors)
    return doc


# --------------------------------------------------------------------------- import


def import_document(
    session: Session,
    data: Any,
    *,
    actor: Actor = OPERATOR,
    now: datetime | None = None,
    action: str = "import",
) -> ImportResult:
    """Validate and import a contract document (replacing the sets it lists).

    Raises ContractImportError (bad rows) or ContractForbidden (the actor may not change a set
    it lists); the caller's transaction then rolls back, so nothing is half-imported.
    """
    doc = validate_document(session, data)
    forbidden = _check_permissions(session, doc, actor)
    if forbidden:
        raise ContractForbidden(forbidden)
    result = ImportResult([], 0, 0, 0, 0)
    for region_in in doc.regions:
        _replace_region(session, region_in, result, actor)
    session.flush()
    for region_in in doc.regions:
        version = record_version(session, region_in.code, action, actor, _now(now))
        if version is not None:
            result.versions[region_in.code] = version
    return result


def _settings(r: RegionIn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if r.realisation:
        out["realisation"] = dict(r.realisation)
    if r.exception_max_days:
        out["exception_max_days"] = dict(r.exception_max_days)
    if r.payment is not None:
        out["payment"] = r.payment.model_dump(mode="json", exclude_none=True)
    return out


def _replace_region(session: Session, r: RegionIn, result: ImportResult, actor: Actor) -> None:
    forget_indexes(session)
    region = session.scalar(select(Region).where(Region.code == r.code))
    if region is None:
        region = Region(code=r.code, version=0)
        session.add(region)
        if actor.party is not None:
            region.administrator = actor.party
    region.name = r.name
    region.kind = r.kind
    if actor.party is None and r.administrator is not None:
        region.administrator = r.administrator
    region.auto_allocate = r.auto_allocate
    region.stacking_exceptions = list(r.stacking_exceptions)
    region.tariff_policy = r.tariff_policy
    region.settings = _settings(r)
    session.flush()
    status = {
        m.gemeente: m.status
        for m in session.scalars(select(RegionMember).where(RegionMember.region_id == region.id))
    }
    session.execute(delete(RegionMember).where(RegionMember.region_id == region.id))
    for model in (Product, ProductTariff, ContractLine):
        session.execute(delete(model).where(model.region_id == region.id))
    session.flush()
    for g in r.gemeenten:
        # The operator enrols; over the API nobody enrols another gemeente: it is invited.
        state = ACTIVE if actor.party is None or g == actor.party else status.get(g, INVITED)
        if state == INVITED and status.get(g) != INVITED:
            result.invited.append(g)
        session.add(RegionMember(region_id=region.id, gemeente=g, status=state))
    for p in r.products:
        session.add(
            Product(
                region_id=region.id,
                categorie=p.categorie,
                code=p.code,
                name=p.name,
                eenheid=p.eenheid,
                financing=p.financing,
                profiel=p.profiel,
                intensiteit=p.intensiteit,
                valid_from=p.valid_from,
                valid_to=p.valid_to,
                declaration_moment=p.declaration_moment,
                milestones=list(p.milestones) if p.milestones is not None else None,
            )
        )
        session.add_all(
            ProductTariff(
                region_id=region.id,
                code=p.code,
                eenheid=t.eenheid,
                tarief=t.tarief,
                valid_from=t.valid_from,
                valid_to=t.valid_to,
            )
            for t in p.tariffs
        )
        result.tariffs += len(p.tariffs)
    for position, c in enumerate(r.contracts):
        line = ContractLine(
            region_id=region.id,
            position=position,
            aanbieder=c.aanbieder,
            codes=list(c.codes),
            variant=c.variant,
            gemeenten=list(c.gemeenten) if c.gemeenten is not None else None,
            start=c.start,
            end=c.end,
            extension_options=list(c.extension_options),
            extensions=[e.model_dump(mode="json") for e in c.extensions],
        )
        session.add(line)
        session.flush()
        session.add_all(
            LineTariff(
                line_id=line.id,
                code=t.code,
                eenheid=t.eenheid,
                tarief=t.tarief,
                valid_from=t.valid_from,
                valid_to=t.valid_to,
            )
            for t in c.tariffs
        )
        result.tariffs += len(c.tariffs)
    category = {p.code: p.categorie for p in r.products}
    if r.ceilings is not None:
        session.execute(delete(Ceiling).where(Ceiling.region_id == region.id))
        session.flush()
        for x in r.ceilings:
            p0, p1 = x.period()
            ceiling = Ceiling(
                region_id=region.id,
                name=x.name,
                year=p0.year,
                period_start=p0,
                period_end=p1,
                amount=x.amount,
                hard=x.hard,
                all_contracted=x.all_contracted,
                categories=list(x.categories) if x.categories is not None else None,
                codes=list(x.codes) if x.codes is not None else None,
                gemeenten=list(x.gemeenten) if x.gemeenten is not None else None,
                thresholds=list(x.thresholds),
            )
            session.add(ceiling)
            session.flush()
            session.add_all(
                CeilingMember(ceiling_id=ceiling.id, aanbieder=a) for a in x.aanbieders or []
            )
        result.ceilings += len(r.ceilings)
    if r.task_funding is not None:
        session.execute(delete(TaskFunding).where(TaskFunding.region_id == region.id))
        session.add_all(
            TaskFunding(
                region_id=region.id,
                name=f.name,
                aanbieder=f.aanbieder,
                categorie=category[f.code],
                code=f.code,
                gemeenten=list(f.gemeenten) if f.gemeenten is not None else None,
                start=f.start,
                end=f.end,
                amount=f.amount,
            )
            for f in r.task_funding
        )
    result.regions.append(r.code)
    result.products += len(r.products)
    result.contracts += len(r.contracts)


# --------------------------------------------------------------------------- export


def _tariff(t: ProductTariff | LineTariff) -> dict[str, Any]:
    return {
        "eenheid": t.eenheid,
        "tarief": t.tarief,
        "valid_from": t.valid_from,
        "valid_to": t.valid_to,
    }


def region_in(session: Session, region: Region, aanbieder: str | None = None) -> RegionIn:
    """One stored set in the document format (with `aanbieder`: only what that provider may
    see - its own lines, the ceilings it shares, its task funding)."""
    members = sorted(
        session.scalars(select(RegionMember.gemeente).where(RegionMember.region_id == region.id))
    )
    defaults: dict[str, list[ProductTariff]] = defaultdict(list)
    for t in session.scalars(
        select(ProductTariff)
        .where(ProductTariff.region_id == region.id)
        .order_by(ProductTariff.code, ProductTariff.valid_from)
    ):
        defaults[t.code].append(t)
    products = []
    for p in session.scalars(
        select(Product)
        .where(Product.region_id == region.id)
        .order_by(Product.code, Product.valid_from)
    ):
        # the default tariffs are listed once, on the product's latest entry
        products.append(p)
    latest: dict[str, Product] = {}
    for p in products:
        latest[p.code] = p
    product_models = [
        ProductIn.model_validate(
            {
                "categorie": p.categorie,
                "code": p.code,
                "name": p.name,
                "eenheid": p.eenheid,
                "financing": p.financing,
                "profiel": p.profiel,
                "intensiteit": p.intensiteit,
                "valid_from": p.valid_from,
                "valid_to": p.valid_to,
                "tariffs": [_tariff(t) for t in defaults[p.code]] if latest[p.code] is p else [],
                "declaration_moment": p.declaration_moment,
                "milestones": p.milestones,
            }
        )
        for p in products
    ]
    lq = select(ContractLine).where(ContractLine.region_id == region.id)
    if aanbieder is not None:
        lq = lq.where(ContractLine.aanbieder == aanbieder)
    lines = list(session.scalars(lq.order_by(ContractLine.position)))
    exceptions: dict[int, list[LineTariff]] = defaultdict(list)
    if lines:
        for lt in session.scalars(
            select(LineTariff)
            .where(LineTariff.line_id.in_([ln.id for ln in lines]))
            .order_by(LineTariff.code, LineTariff.valid_from)
        ):
            exceptions[lt.line_id].append(lt)
    contracts = [
        ContractIn(
            aanbieder=ln.aanbieder,
            codes=list(ln.codes),
            variant=ln.variant,  # type: ignore[arg-type]  # validated on import
            gemeenten=ln.gemeenten,
            start=ln.start,
            end=ln.end,
            extension_options=list(ln.extension_options or []),
            extensions=[ExtensionIn.model_validate(e) for e in ln.extensions or []],
            tariffs=[
                LineTariffIn.model_validate({"code": t.code, **_tariff(t)})
                for t in exceptions[ln.id]
            ],
        )
        for ln in lines
    ]
    ceilings = []
    for x in session.scalars(
        select(Ceiling)
        .where(Ceiling.region_id == region.id)
        .order_by(Ceiling.period_start, Ceiling.name)
    ):
        agbs = sorted(
            session.scalars(select(CeilingMember.aanbieder).where(CeilingMember.ceiling_id == x.id))
        )
        if aanbieder is not None and not (x.all_contracted or aanbieder in agbs):
            continue
        calendar_year = x.period_start == date(x.year, 1, 1) and x.period_end == date(
            x.year, 12, 31
        )
        ceilings.append(
            CeilingIn(
                name=x.name,
                year=x.year if calendar_year else None,
                start=None if calendar_year else x.period_start,
                end=None if calendar_year else x.period_end,
                amount=x.amount,
                hard=x.hard,
                aanbieders=None if x.all_contracted else agbs,
                all_contracted=x.all_contracted,
                categories=x.categories,
                codes=x.codes,
                gemeenten=x.gemeenten,
                thresholds=list(x.thresholds if x.thresholds is not None else [90]),
            )
        )
    fq = select(TaskFunding).where(TaskFunding.region_id == region.id)
    if aanbieder is not None:
        fq = fq.where(TaskFunding.aanbieder == aanbieder)
    funding = [
        TaskFundingIn(
            name=f.name,
            aanbieder=f.aanbieder,
            code=f.code,
            gemeenten=f.gemeenten,
            start=f.start,
            end=f.end,
            amount=f.amount,
        )
        for f in session.scalars(fq.order_by(TaskFunding.start, TaskFunding.name))
    ]
    settings = region.settings or {}
    payment = settings.get("payment")
    return RegionIn(
        code=region.code,
        name=region.name,
        kind=region.kind,  # type: ignore[arg-type]  # validated on import
        administrator=region.administrator,
        gemeenten=members,
        auto_allocate=region.auto_allocate,
        stacking_exceptions=list(region.stacking_exceptions or []),
        exception_max_days=dict(settings.get("exception_max_days", {})),
        tariff_policy=region.tariff_policy,  # type: ignore[arg-type]  # validated on import
        realisation=dict(settings.get("realisation", {})),
        payment=PaymentIn.model_validate(payment) if payment is not None else None,
        products=product_models,
        contracts=contracts,
        ceilings=ceilings,
        task_funding=funding,
    )


def export_document(
    session: Session,
    *,
    region_codes: list[str] | None = None,
    gemeente: str | None = None,
    aanbieder: str | None = None,
) -> dict[str, Any]:
    """The sets (all, the named ones, those `gemeente` is a member of or invited to) in the
    import format.  With `aanbieder`, the sets it has lines in with only what it may see."""
    query = select(Region).order_by(Region.code)
    if region_codes:
        query = query.where(Region.code.in_(region_codes))
    if gemeente is not None:
        query = query.where(
            Region.id.in_(select(RegionMember.region_id).where(RegionMember.gemeente == gemeente))
        )
    if aanbieder is not None:
        query = query.where(
            Region.id.in_(select(ContractLine.region_id).where(ContractLine.aanbieder == aanbieder))
        )
    regions = [region_in(session, r, aanbieder) for r in session.scalars(query)]
    return ContractDocument(regions=regions).model_dump(mode="json")


# --------------------------------------------------------------------------- versions


def record_version(
    session: Session, code: str, action: str, actor: Actor, now: datetime
) -> int | None:
    """Keep the set's current state as a new version when it differs from the latest (returns
    its number; None when nothing changed).  A deleted set is kept as an empty document."""
    region = session.scalar(select(Region).where(Region.code == code))
    document: dict[str, Any] = {}
    if region is not None:
        document = region_in(session, region).model_dump(mode="json")
        # who is active and who only invited is part of the version (not of the document)
        document[MEMBERS] = {
            m.gemeente: m.status
            for m in session.scalars(
                select(RegionMember).where(RegionMember.region_id == region.id)
            )
        }
    previous = session.scalar(
        select(ContractVersion)
        .where(ContractVersion.region_code == code)
        .order_by(ContractVersion.version.desc())
        .limit(1)
    )
    if previous is not None and previous.document == document:
        return None
    number = (previous.version if previous is not None else 0) + 1
    session.add(
        ContractVersion(
            region_code=code,
            version=number,
            action=action,
            actor_party=actor.party,
            actor_user=actor.user,
            at=now,
            document=document,
            changes=diff(previous.document if previous is not None else {}, document),
        )
    )
    if region is not None:
        region.version = number
    session.flush()
    return number


def visible_to(session: Session, code: str, gemeente: str | None) -> Region | None:
    """The set `code` when `gemeente` administers it or is (or was invited as) a member; every
    set for the operator (None)."""
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None or gemeente is None or region.administrator == gemeente:
        return region
    member = session.scalar(
        select(RegionMember.id).where(
            RegionMember.region_id == region.id, RegionMember.gemeente == gemeente
        )
    )
    return region if member is not None else None


def versions_of(session: Session, code: str) -> list[ContractVersion]:
    """Every version of a set, oldest first."""
    return list(
        session.scalars(
            select(ContractVersion)
            .where(ContractVersion.region_code == code)
            .order_by(ContractVersion.version)
        )
    )


def version_document(session: Session, code: str, number: int) -> dict[str, Any]:
    """Version `number` of a set as an import document (raises ContractNotFound)."""
    row = session.scalar(
        select(ContractVersion).where(
            ContractVersion.region_code == code, ContractVersion.version == number
        )
    )
    if row is None:
        raise ContractNotFound(f"version {number} of {code}")
    regions = [{k: v for k, v in row.document.items() if k != MEMBERS}] if row.document else []
    return {"format": FORMAT, "regions": regions}


def diff_versions(session: Session, code: str, old: int, new: int) -> list[dict[str, Any]]:
    """What changed in a set from version `old` to version `new` (member statuses included)."""

    def stored(number: int) -> dict[str, Any]:
        row = session.scalar(
            select(ContractVersion).where(
                ContractVersion.region_code == code, ContractVersion.version == number
            )
        )
        if row is None:
            raise ContractNotFound(f"version {number} of {code}")
        return dict(row.document or {})

    return diff(stored(old), stored(new))


# --------------------------------------------------------------------------- governance


def _region(session: Session, code: str) -> Region:
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise ContractNotFound(f"contract set {code}")
    return region


def _forbid(message: str) -> ContractForbidden:
    return ContractForbidden([{"location": "", "message": message}])


def _require_admin(region: Region, actor: Actor) -> None:
    if actor.party is not None and region.administrator != actor.party:
        raise _forbid(f"only the administrator of {region.code} may do this")


def members_of(session: Session, code: str) -> list[tuple[str, str]]:
    """(gemeente, status) of every member of a set, by code."""
    region = _region(session, code)
    return [
        (m.gemeente, m.status)
        for m in session.scalars(
            select(RegionMember)
            .where(RegionMember.region_id == region.id)
            .order_by(RegionMember.gemeente)
        )
    ]


def join(session: Session, code: str, gemeente: str, actor: Actor, now: datetime) -> int | None:
    """An invited gemeente joins a set: from now on its contracts apply to that gemeente."""
    region = _region(session, code)
    member = session.scalar(
        select(RegionMember).where(
            RegionMember.region_id == region.id, RegionMember.gemeente == gemeente
        )
    )
    if member is None:
        raise _forbid(f"gemeente {gemeente} is not invited to {code}")
    if member.status == ACTIVE:
        return None
    doc = ContractDocument(regions=[region_in(session, region)])
    errors: list[dict[str, str]] = []

    def err(loc: str, message: str) -> None:
        errors.append({"location": loc, "message": message})

    _cross_set_conflicts(session, doc, err)
    if errors:
        raise ContractImportError(errors)
    member.status = ACTIVE
    forget_indexes(session)
    session.flush()
    return record_version(session, code, "join", actor, now)


def leave(session: Session, code: str, gemeente: str, actor: Actor, now: datetime) -> int | None:
    """A member leaves a set (or declines the invitation); the administrator cannot leave."""
    region = _region(session, code)
    if region.administrator == gemeente:
        raise _forbid("the administrator hands over the administration before leaving")
    gone = session.execute(
        delete(RegionMember).where(
            RegionMember.region_id == region.id, RegionMember.gemeente == gemeente
        )
    )
    if not gone.rowcount:  # type: ignore[attr-defined]  # CursorResult of a DELETE
        raise _forbid(f"gemeente {gemeente} is not a member of {code}")
    forget_indexes(session)
    session.flush()
    return record_version(session, code, "leave", actor, now)


def transfer(
    session: Session, code: str, new_admin: str, actor: Actor, now: datetime
) -> int | None:
    """Hand the administration of a set to another active member."""
    region = _region(session, code)
    _require_admin(region, actor)
    status = session.scalar(
        select(RegionMember.status).where(
            RegionMember.region_id == region.id, RegionMember.gemeente == new_admin
        )
    )
    if status != ACTIVE:
        raise _forbid(f"gemeente {new_admin} is not an active member of {code}")
    region.administrator = new_admin
    session.flush()
    return record_version(session, code, "administrator", actor, now)


def delete_region(session: Session, code: str, actor: Actor, now: datetime) -> int | None:
    """Dismantle a set (administrator or operator); its versions stay."""
    region = _region(session, code)
    _require_admin(region, actor)
    session.delete(region)
    forget_indexes(session)
    session.flush()
    return record_version(session, code, "delete", actor, now)


def replace_region_as(
    session: Session, region: RegionIn, actor: Actor, now: datetime, action: str
) -> ImportResult:
    """Import one (changed) set in the name of `actor`, kept as a version with `action`."""
    return import_document(
        session,
        ContractDocument(regions=[region]).model_dump(mode="json"),
        actor=actor,
        now=now,
        action=action,
    )


def stored_region(session: Session, code: str, actor: Actor) -> RegionIn:
    """A set as the administrator edits it (raises ContractNotFound, ContractForbidden)."""
    region = _region(session, code)
    _require_admin(region, actor)
    return region_in(session, region)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class TariffRow:
    """One dated tariff of a contract line for one gemeente, as the rules need it."""

    categorie: str
    code: str
    eenheid: str
    tarief: int | None
    variant: str
    valid_from: date
    valid_to: date | None
    region_id: int = 0
    policy: str = "equal"  # the set's TR418 tariff policy

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class LineView:
    """A contract line as it applies to one gemeente: its period for that gemeente and the
    extension options it still has."""

    region_id: int
    region_code: str
    aanbieder: str
    codes: tuple[str, ...]
    categories: frozenset[str]
    start: date
    end: date | None  # for this gemeente, extensions included
    options_left: int  # months of extension options not yet used for this gemeente
    taakgericht: frozenset[tuple[str, str]] = frozenset()  # (categorie, code) of task-based care

    def valid_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class ContractBook:
    """The contracts of one aanbieder with one gemeente, over every set the gemeente is an
    active member of (loaded once per message)."""

    region_id: int | None
    aanbieder: str
    by_code: dict[str, list[TariffRow]] = field(default_factory=lambda: defaultdict(list))
    lines: list[LineView] = field(default_factory=list)

    @property
    def any(self) -> bool:
        """Whether this provider has any contract with the gemeente (else contract checks skip)."""
        return bool(self.by_code)

    def tariff(self, code: str, on: date) -> TariffRow | None:
        """The tariff of `code` valid on `on`."""
        for row in self.by_code.get(code, ()):
            if row.valid_on(on):
                return row
        return None

    def line(self, code: str) -> TariffRow | None:
        """Any tariff row of `code` (for its unit and variant when the date does not matter)."""
        rows = self.by_code.get(code)
        return max(rows, key=lambda r: r.valid_from) if rows else None

    def nearest(self, code: str, on: date) -> TariffRow | None:
        """The tariff valid on `on`, else the latest before it, else the first after it."""
        rows = self.by_code.get(code)
        if not rows:
            return None
        found = self.tariff(code, on)
        if found is not None:
            return found
        before = [r for r in rows if r.valid_from <= on]
        if before:
            return max(before, key=lambda r: r.valid_from)
        return min(rows, key=lambda r: r.valid_from)

    def contracted(self, categorie: str | None, code: str, on: date) -> bool:
        """Whether (categorie, code) is contracted on `on` (categorie None: any category)."""
        row = self.tariff(code, on)
        return row is not None and (categorie is None or row.categorie == categorie)

    def variant(self, code: str | None, on: date) -> str | None:
        """The execution variant agreed for a product (UP028), or None when not contracted."""
        if code is None:
            return None
        row = self.tariff(code, on) or self.line(code)
        return row.variant if row else None

    def covering(self, categorie: str | None, code: str | None, on: date) -> LineView | None:
        """The contract line that covers a product on `on` (OP296): the code, or for an
        aspecific product any code of its category, or for a generic one any line."""
        for ln in self.lines:
            if not ln.valid_on(on):
                continue
            if code is not None and code in ln.codes:
                return ln
            if code is None and (categorie is None or categorie in ln.categories):
                return ln
        return None


@dataclass
class ContractIndex:
    """The contract data of every set some gemeenten are active members of, loaded in a few
    queries, resolving books per (gemeente, aanbieder) on demand."""

    regions: dict[int, Region]
    memberships: dict[str, list[int]]
    categories: dict[tuple[int, str], str]
    financing: dict[tuple[int, str], str]
    defaults: dict[tuple[int, str], list[ProductTariff]]
    lines: dict[tuple[int, str], list[ContractLine]]
    exceptions: dict[int, list[LineTariff]]
    _books: dict[tuple[str, str], ContractBook] = field(default_factory=dict)

    def book(self, gemeente: str, aanbieder: str) -> ContractBook:
        """The contract book of one provider with one gemeente."""
        key = (gemeente, aanbieder)
        if key not in self._books:
            self._books[key] = self._build(gemeente, aanbieder)
        return self._books[key]

    def aanbieders(self, region_id: int) -> set[str]:
        """Every provider with a line in the set (an open house: joiners included)."""
        return {agb for (rid, agb) in self.lines if rid == region_id}

    def configured(self, gemeente: str) -> bool:
        """Whether any set of the gemeente has contract lines (then TR418 applies)."""
        mine = set(self.memberships.get(gemeente, ()))
        return any(rid in mine for (rid, _) in self.lines)

    def _build(self, gemeente: str, aanbieder: str) -> ContractBook:
        region_ids = self.memberships.get(gemeente, [])
        book = ContractBook(region_ids[0] if region_ids else None, aanbieder)
        for rid in region_ids:
            region = self.regions[rid]
            for ln in self.lines.get((rid, aanbieder), ()):
                if ln.gemeenten is not None and gemeente not in ln.gemeenten:
                    continue
                end = line_end(ln.end, ln.extensions or [], gemeente)
                used = 0
                if ln.end is not None and end is not None and end > ln.end:
                    used = (end.year - ln.end.year) * 12 + end.month - ln.end.month
                book.lines.append(
                    LineView(
                        rid,
                        region.code,
                        aanbieder,
                        tuple(ln.codes),
                        frozenset(
                            self.categories[(rid, c)]
                            for c in ln.codes
                            if (rid, c) in self.categories
                        ),
                        ln.start,
                        end,
                        max(sum(ln.extension_options or []) - used, 0),
                        frozenset(
                            (self.categories[(rid, c)], c)
                            for c in ln.codes
                            if (rid, c) in self.categories
                            and (ln.variant or DEFAULT_VARIANT[self.financing[(rid, c)]])
                            == "taakgericht"
                        ),
                    )
                )
                for code in ln.codes:
                    if (rid, code) not in self.categories:
                        continue
                    variant = ln.variant or DEFAULT_VARIANT[self.financing[(rid, code)]]
                    own = [x for x in self.exceptions.get(ln.id, ()) if x.code == code]
                    spans: list[tuple[ProductTariff | LineTariff, date, date | None]] = []
                    for x in own:
                        spans.append((x, x.valid_from, x.valid_to))
                    cuts = [(x.valid_from, x.valid_to) for x in own]
                    for d in self.defaults.get((rid, code), ()):
                        for p0, p1 in _subtract(d.valid_from, d.valid_to, cuts):
                            spans.append((d, p0, p1))
                    for tariff, p0, p1 in spans:
                        lo = max(p0, ln.start)
                        hi = end if p1 is None else (p1 if end is None else min(p1, end))
                        if hi is not None and hi < lo:
                            continue
                        book.by_code[code].append(
                            TariffRow(
                                self.categories[(rid, code)],
                                code,
                                tariff.eenheid,
                                tariff.tarief,
                                variant,
                                lo,
                                hi,
                                rid,
                                region.tariff_policy,
                            )
                        )
        for rows in book.by_code.values():
            rows.sort(key=lambda r: r.valid_from)
        return book


def active_sets(session: Session, gemeenten: Sequence[str]) -> dict[str, list[int]]:
    """gemeente -> the ids of the sets it is an active member of (oldest set first)."""
    out: dict[str, list[int]] = defaultdict(list)
    for g, rid in session.execute(
        select(RegionMember.gemeente, RegionMember.region_id)
        .where(RegionMember.gemeente.in_(list(gemeenten)), RegionMember.status == ACTIVE)
        .order_by(RegionMember.region_id)
    ):
        out[g].append(rid)
    return dict(out)


_CACHE = "ijw.contract_indexes"


def forget_indexes(session: Session) -> None:
    """Drop the contract indexes this session cached (after a change of a set)."""
    session.info.pop(_CACHE, None)


def load_index(
    session: Session, gemeenten: Sequence[str], aanbieder: str | None = None
) -> ContractIndex:
    """The contract data of the gemeenten's sets (only `aanbieder`'s lines when given), for
    every active member of those sets.  Cached in the session per sets and provider: the checks
    of one message ask for it several times; a change of a set in the session drops the cache."""
    wanted = active_sets(session, gemeenten)
    ids = sorted({rid for rids in wanted.values() for rid in rids})
    key = (tuple(ids), aanbieder)
    cache: dict[tuple[tuple[int, ...], str | None], ContractIndex] = session.info.setdefault(
        _CACHE, {}
    )
    if ids and key in cache:
        return cache[key]
    memberships = dict(wanted)
    if ids:
        for g, rid in session.execute(
            select(RegionMember.gemeente, RegionMember.region_id)
            .where(RegionMember.region_id.in_(ids), RegionMember.status == ACTIVE)
            .order_by(RegionMember.region_id)
        ):
            rids = memberships.setdefault(g, [])
            if rid not in rids:
                rids.append(rid)
    index = ContractIndex({}, memberships, {}, {}, defaultdict(list), defaultdict(list), {})
    if not ids:
        return index
    cache[key] = index
    index.regions = {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(ids)))}
    for rid, code, cat, fin in session.execute(
        select(Product.region_id, Product.code, Product.categorie, Product.financing).where(
            Product.region_id.in_(ids)
        )
    ):
        index.categories[(rid, code)] = cat
        index.financing[(rid, code)] = fin
    for t in session.scalars(select(ProductTariff).where(ProductTariff.region_id.in_(ids))):
        index.defaults[(t.region_id, t.code)].append(t)
    lq = select(ContractLine).where(ContractLine.region_id.in_(ids))
    if aanbieder is not None:
        lq = lq.where(ContractLine.aanbieder == aanbieder)
    line_ids = []
    for ln in session.scalars(lq.order_by(ContractLine.position)):
        index.lines[(ln.region_id, ln.aanbieder)].append(ln)
        line_ids.append(ln.id)
    exceptions: dict[int, list[LineTariff]] = defaultdict(list)
    if line_ids:
        tq = select(LineTariff).join(ContractLine, ContractLine.id == LineTariff.line_id)
        tq = tq.where(ContractLine.region_id.in_(ids))
        if aanbieder is not None:
            tq = tq.where(ContractLine.aanbieder == aanbieder)
        for lt in session.scalars(tq):
            exceptions[lt.line_id].append(lt)
    index.exceptions = dict(exceptions)
    return index


def load_contracts(session: Session, gemeente: str, aanbieder: str) -> ContractBook:
    """The contracts of `aanbieder` with `gemeente` over all its sets (a few small queries)."""
    return load_index(session, [gemeente], aanbieder).book(gemeente, aanbieder)


def contracts_configured(session: Session, gemeente: str) -> bool:
    """Whether any set the gemeente is an active member of has a contract line (then TR418
    applies)."""
    found = session.scalar(
        select(ContractLine.id)
        .join(RegionMember, RegionMember.region_id == ContractLine.region_id)
        .where(RegionMember.gemeente == gemeente, RegionMember.status == ACTIVE)
        .limit(1)
    )
    return found is not None


def taakgericht_contracted(
    session: Session, gemeente: str, aanbieder: str, categorie: str | None, code: str | None
) -> bool:
    """TR019's exception (IV096): the product is contracted taakgericht with this provider for
    this gemeente, so a start or stop without ToewijzingNummer refers to it."""
    book = load_contracts(session, gemeente, aanbieder)
    return any(
        (code is None or code == c) and (categorie is None or categorie == cat)
        for line in book.lines
        for cat, c in line.taakgericht
    )


def region_gemeenten(session: Session, code: str) -> list[str] | None:
    """The member gemeenten of the set with this code, active or invited (None: no such set)."""
    region_id = session.scalar(select(Region.id).where(Region.code == code))
    if region_id is None:
        return None
    return sorted(
        session.scalars(select(RegionMember.gemeente).where(RegionMember.region_id == region_id))
    )


def version_sections(
    session: Session, gemeente: str, year: int
) -> list[tuple[str, list[dict[str, Any]]]]:
    """(title, rows) per set the gemeente administers or is a member of: its versions, newest
    first (the web interface's `contract_versions` hook; `year` is not needed)."""
    codes = sorted(
        set(
            session.scalars(
                select(Region.code)
                .join(RegionMember, RegionMember.region_id == Region.id)
                .where(RegionMember.gemeente == gemeente)
            )
        )
    )
    out = []
    for code in codes:
        rows = [
            {
                "versie": v.version,
                "wijziging": v.action,
                "door": " / ".join(x for x in (v.actor_party, v.actor_user) if x) or "beheer",
                "op": v.at.isoformat(timespec="minutes"),
                "waarden": len(v.changes or []),
            }
            for v in reversed(versions_of(session, code))
        ]
        out.append((f"Versies van {code}", rows))
    return out


def demo_document(year: int = 2026) -> dict[str, Any]:
    """A regional set for gemeente 0363 and two neighbours: minutes and hours (p x q),
    day-parts, etmaal (24 h), output trajectories, euro budgets, profile x intensity products
    with the no-stacking exceptions, regional default tariffs (last year's and this year's,
    indexed) with one provider exception, contract lines with extension options, ceilings per
    provider and pooled, a realisation factor per category."""
    start = f"{year - 1}-01-01"
    last_year_end = f"{year - 1}-12-31"
    pxq = [
        ("45", "45A01", "Ambulante jeugdhulp (minuten)", "01", 146),
        ("45", "45A04", "Ambulante jeugdhulp individueel (uur)", "04", 8730),
        ("41", "41A16", "Dagbehandeling (dagdeel)", "16", 7550),
        ("43", "43A14", "Verblijf inclusief behandeling (etmaal)", "14", 24500),
        ("44", "44A14", "Pleegzorg (etmaal)", "14", 6200),
        ("46", "46A84", "Crisisinterventie (stuks inspanning)", "84", 41000),
    ]
    output = [("54", "54D82", "Dyslexiezorg, traject", "82", 360000)]
    budget = [("55", "55B83", "Landelijk ingekochte zorg (budget)", "83", None)]
    profiles = [
        (f"50P{p}{i[0]}", f"Profiel {p}", i, tariff)
        for p, base in ((1, 120000), (2, 180000))
        for i, tariff in (
            ("Perspectief", base),
            ("Intensief", base * 2),
            ("Acuut", base // 2),
            ("Duurzaam", base + base // 2),
        )
    ]

    def tariffs(unit: str, tariff: int | None) -> list[dict[str, Any]]:
        # last year's tariff, then this year's (indexed 3 %)
        old = None if tariff is None else tariff * 100 // 103
        return [
            {"eenheid": unit, "tarief": old, "valid_from": start, "valid_to": last_year_end},
            {"eenheid": unit, "tarief": tariff, "valid_from": f"{year}-01-01"},
        ]

    products: list[dict[str, Any]] = [
        {
            "categorie": c,
            "code": k,
            "name": n,
            "eenheid": u,
            "financing": financing,
            "valid_from": start,
            "tariffs": tariffs(u, t),
        }
        for financing, rows in (("pxq", pxq), ("output", output), ("budget", budget))
        for c, k, n, u, t in rows
    ]
    products += [
        {
            "categorie": "50",
            "code": code,
            "name": f"{profiel} x {intensiteit}",
            "eenheid": "82",
            "financing": "profile",
            "profiel": profiel,
            "intensiteit": intensiteit,
            "valid_from": start,
            "tariffs": tariffs("82", t),
        }
        for code, profiel, intensiteit, t in profiles
    ]
    # An old code replaced at the start of the year: still valid for running allocations.
    products.append(
        {
            "categorie": "45",
            "code": "45A99",
            "name": "Oude ambulante code",
            "eenheid": "04",
            "valid_from": "2019-01-01",
            "valid_to": last_year_end,
            "tariffs": [
                {"eenheid": "04", "tarief": 8000, "valid_from": "2019-01-01"},
            ],
        }
    )
    products[-1]["tariffs"][0]["valid_to"] = last_year_end
    regular = [k for _, k, _, _, _ in pxq + output + budget]
    term = {"start": start, "end": f"{year + 1}-12-31", "extension_options": [12, 12]}
    contracts = [
        {"aanbieder": "12345678", "codes": regular + [code for code, *_ in profiles], **term},
        {
            "aanbieder": "87654321",
            "codes": regular,
            **term,
            # a provider exception: day-parts at Zuid cost more this year
            "tariffs": [
                {"code": "41A16", "eenheid": "16", "tarief": 7800, "valid_from": f"{year}-01-01"}
            ],
        },
        {"aanbieder": "12345678", "codes": ["45A99"], "start": "2019-01-01", "end": last_year_end},
    ]
    return {
        "format": FORMAT,
        "regions": [
            {
                "code": "DEMO-AMS",
                "name": "Regio Amsterdam-Amstelland (demo)",
                "administrator": "0363",
                "gemeenten": ["0363", "0362", "0437"],
                "auto_allocate": False,  # opt-in: set it (and import) to try item 5
                "stacking_exceptions": ["Acuut", "Duurzaam"],
                "exception_max_days": {"Acuut": 14},
                "realisation": {"45": 85, "43": 95},
                "payment": {"kostenplaats": "JH-REGIO", "grootboek": "4700"},
                "products": products,
                "contracts": contracts,
                "ceilings": [
                    {
                        "name": "Noord totaal",
                        "year": year,
                        "amount": 250_000_00,
                        "hard": True,
                        "aanbieders": ["12345678"],
                        "thresholds": [75, 90],
                    },
                    {
                        "name": "Zuid bestedingsruimte",
                        "year": year,
                        "amount": 120_000_00,
                        "hard": False,
                        "aanbieders": ["87654321"],
                    },
                    {
                        "name": "Verblijf regionaal (pool)",
                        "year": year,
                        "amount": 900_000_00,
                        "hard": True,
                        "all_contracted": True,
                        "categories": ["43", "44"],
                    },
                ],
            }
        ],
    }


def load_demo_contracts(session: Session, today: date) -> None:
    """Demo loader: import the demo set for `today`'s year (idempotent: it replaces itself)."""
    import_document(session, demo_document(today.year))


__all__ = [
    "ACTIVE",
    "INVITED",
    "MAX_CENTS",
    "OPERATOR",
    "Actor",
    "ContractBook",
    "ContractDocument",
    "ContractForbidden",
    "ContractImportError",
    "ContractIndex",
    "ContractNotFound",
    "ImportResult",
    "LineView",
    "TariffRow",
    "contract_schema",
    "contracts_configured",
    "demo_document",
    "export_document",
    "import_document",
    "load_contracts",
    "load_demo_contracts",
    "load_index",
    "parse_document",
    "region_gemeenten",
    "taakgericht_contracted",
]
