"""The declaration flow: JW323 in, every prestatie judged, approved ones booked (spec §4.5).

Evaluation order (spec §4.5, OP366):

1. Declaration: TR333 (9333) DeclaratieNummer unique for the provider; TR318 (8214) the
   DeclaratiePeriode not before the provider's latest accepted one with this gemeente (OP095:
   skipped months cannot be verified).  Either rejects the declaration: nothing is booked.
2. Credits, in document order: TR314 (8021), TR323 (8017: VorigReferentieNummer names an earlier
   approved debet of this provider, identical apart from the references and DebetCredit, IV091),
   TR390 (9390: not credited before).  No content checks on credits (IV085).
3. Debets, in document order, every failing code reported: TR314 -> TR338 (9338) -> TR304
   (8187) -> TR384 (9384) -> TR339, TR340, TR381 (S329) -> TR341 -> TR307, TR308, TR387, TR388
   -> TR389 -> TR346 -> TR418 (0611) -> TR321, TR322, TR369.  Allocation checks are skipped when
   TR338 fails or the allocation was deleted (TR384: treated as never issued).  TR319 is a level-2
   rule (code 9319 in the Header path) and is not repeated here.

Counters (net approved volume and amount per allocation, approved uncredited debet keys) are
loaded once per message with a few grouped IN-queries and updated as prestaties are approved, so
later prestaties see earlier approvals (credits first).  `apply` bulk-inserts the whole
declaration with a line per prestatie (decision, codes, rules) and marks credited debets.

The rules themselves are pure functions of a `Line`, an `AllocationView` and the loaded
`Ledger`/`ContractBook`/`Catalogue`, so they can be tested without a database.
"""

from __future__ import annotations

import gc
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

from sqlalchemy import BigInteger, String, and_, any_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.db.money import ContractTariff, Declaration, PrestatieLine, RegionMember
from app.domain import flows
from app.domain.contracts import ContractBook, load_contracts
from app.domain.products import Catalogue, load_catalogue
from app.domain.volumes import HOURS, MINUTES, Omvang, allocation_maximum, period_maximum
from app.domain.volumes import month_end as _month_end
from app.ijw.model import Node, many
from app.ijw.retour import DeclarationDecision
from app.ijw.rules.catalogue import meta

log = logging.getLogger("ijw.declarations")

EURO = "83"
DEBET_RULES = (
    "TR314",
    "TR338",
    "TR304",
    "TR384",
    "TR339",
    "TR340",
    "TR381",
    "TR341",
    "TR307",
    "TR308",
    "TR387",
    "TR388",
    "TR389",
    "TR346",
    "TR418",
    "TR321",
    "TR322",
    "TR369",
)
CREDIT_RULES = ("TR314", "TR323", "TR390")
CONTRACT_RULES = ("TR418",)
_CHUNK = 2000  # IN-list size: well under SQLite's variable limit, cheap for PostgreSQL


def code_of(rule: str) -> str:
    """The retourcode of a rule (from the rule catalogue, the single source of truth)."""
    return meta(rule).retourcode


def round_half_up(numerator: int, denominator: int) -> int:
    """Integer division rounded half up (IV081: 1.455 -> 1.46), for non-negative values."""
    return (2 * numerator + denominator) // (2 * denominator)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _member_of(session: Session, column: Any, values: Sequence[Any]) -> Iterator[Any]:
    """WHERE clauses testing `column` against `values`, as few as the backend allows.

    PostgreSQL takes the whole list as one array parameter (`= ANY(:values)`: one statement,
    one plan, index lookups); other backends get IN-lists of `_CHUNK` values.
    """
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        kind = BigInteger if isinstance(values[0], int) else String
        yield column == any_(bindparam(None, list(values), type_=ARRAY(kind)))
        return
    for chunk in _chunks(values):
        yield column.in_(chunk)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class AllocationView:
    """What the declaration rules need of an allocation's leading version."""

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

    @property
    def deleted(self) -> bool:
        """RedenWijziging 13: treated as never issued (TR384)."""
        return self.reden_wijziging == "13"

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


@dataclass(slots=True)
class Line:
    """One prestatie of the JW323 with its decision so far."""

    position: int  # 1-based, document order
    node: Node | None
    bsn: str
    ref: str
    vorig: str | None
    nummer: int
    categorie: str
    code: str
    begin: date
    end: date
    volume: int
    eenheid: str
    tarief: int | None
    bedrag: int
    dc: str
    # Empty tuples until a rule fails: most lines pass, and 26,000 pairs of lists add up.
    codes: list[str] | tuple[()] = ()
    rules: list[str] | tuple[()] = ()

    @property
    def credit(self) -> bool:
        return self.dc == "C"

    @property
    def signed(self) -> int:
        return -self.bedrag if self.credit else self.bedrag

    @property
    def month_key(self) -> tuple[int, str, str, int, int]:
        """TR389's key: allocation, category, code and the month of the product period."""
        return (self.nummer, self.categorie, self.code, self.begin.year, self.begin.month)

    def fail(self, rule: str) -> None:
        if not isinstance(self.codes, list):
            self.codes, self.rules = [], []
        assert isinstance(self.rules, list)
        code = code_of(rule)
        if code not in self.codes:
            self.codes.append(code)
        self.rules.append(rule)

    def content(self) -> tuple[Any, ...]:
        """Everything a credit must copy from its debet (IV091)."""
        return (
            self.bsn,
            self.nummer,
            self.categorie,
            self.code,
            self.begin,
            self.end,
            self.volume,
            self.eenheid,
            self.tarief,
            self.bedrag,
        )


@dataclass
class PriorDebet:
    """An earlier approved debet (for credits, TR323/TR390)."""

    id: int
    gemeente: str
    content: tuple[Any, ...]
    credited: bool


@dataclass
class Ledger:
    """The state the rules read and update while going through one declaration."""

    used_refs: set[str] = field(default_factory=set)  # TR314
    debets: dict[str, PriorDebet] = field(default_factory=dict)  # approved debets by ref
    open_keys: set[tuple[int, str, str, int, int]] = field(default_factory=set)  # TR389
    volume: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # base units
    amount: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # signed cents
    credited: dict[int, str] = field(default_factory=dict)  # prior debet id -> credit ref


@dataclass
class Judge:
    """The rules for one declaration of `aanbieder` to `gemeente`."""

    gemeente: str
    aanbieder: str
    allocations: dict[int, AllocationView]
    ledger: Ledger
    catalogue: Catalogue
    contracts: ContractBook
    contracts_configured: bool  # the gemeente's region has contracts: contract rules apply
    approved_in_message: dict[str, Line] = field(default_factory=dict)

    # -- credits -----------------------------------------------------------------------------
    def credit(self, line: Line) -> None:
        """TR314, TR323, TR390 on a credit; books it in the counters when approved."""
        ledger = self.ledger
        if line.ref in ledger.used_refs:
            line.fail("TR314")
        ledger.used_refs.add(line.ref)
        debet = ledger.debets.get(line.vorig or "")
        if debet is None or debet.gemeente != self.gemeente or debet.content != line.content():
            line.fail("TR323")
        elif debet.credited:
            line.fail("TR390")
        if line.codes:
            return
        assert debet is not None
        debet.credited = True
        ledger.credited[debet.id] = line.ref
        ledger.open_keys.discard(line.month_key)
        alloc = self.allocations.get(line.nummer)
        base = alloc.base(line.volume, line.eenheid) if alloc else line.volume
        ledger.volume[line.nummer] -= base
        ledger.amount[line.nummer] -= line.bedrag

    # -- debets ------------------------------------------------------------------------------
    def debet(self, line: Line) -> None:
        """Every debet rule in the order of spec §4.5; books it when no rule failed."""
        ledger = self.ledger
        if line.ref in ledger.used_refs:
            line.fail("TR314")
        ledger.used_refs.add(line.ref)
        alloc = self.allocations.get(line.nummer)
        if alloc is None or alloc.aanbieder != self.aanbieder or alloc.gemeente != self.gemeente:
            line.fail("TR338")
            return
        if alloc.bsn != line.bsn:
            line.fail("TR304")
        if alloc.deleted:
            line.fail("TR384")
            return
        self._product(line, alloc)
        factor_ok = self._unit(line, alloc)
        self._periods(line, alloc)
        if line.month_key in ledger.open_keys:
            line.fail("TR389")
        self._amount(line)
        if factor_ok:
            self._volumes(line, alloc)
        if not line.codes:
            ledger.open_keys.add(line.month_key)
            ledger.volume[line.nummer] += alloc.base(line.volume, line.eenheid)
            ledger.amount[line.nummer] += line.bedrag
            self.approved_in_message[line.ref] = line

    def _product(self, line: Line, alloc: AllocationView) -> None:
        if alloc.categorie is not None and line.categorie != alloc.categorie:
            line.fail("TR339")
        if alloc.code is not None and line.code != alloc.code:
            line.fail("TR340")
        # Old codes stay valid for running allocations (protocol productcodelijstwijzigingen):
        # the code counts when it was in the list at the allocation's start or in the period.
        if not (
            self.catalogue.known(line.categorie, line.code, alloc.ingangsdatum)
            or self.catalogue.known(line.categorie, line.code, line.begin)
        ):
            line.fail("TR381")

    def _unit(self, line: Line, alloc: AllocationView) -> bool:
        """TR341; returns whether the volume checks can compare the units."""
        if alloc.has_omvang:
            assert alloc.eenheid is not None
            if line.eenheid == alloc.eenheid or (
                alloc.eenheid == HOURS and line.eenheid == MINUTES
            ):
                return True
            line.fail("TR341")
            return False
        # Aspecific and generic allocations: the unit of the contract for the declared code.
        row = self.contracts.tariff(line.code, line.begin) or self.contracts.line(line.code)
        if row is not None and not (
            line.eenheid == row.eenheid or (row.eenheid == HOURS and line.eenheid == MINUTES)
        ):
            line.fail("TR341")
        return True

    @staticmethod
    def _periods(line: Line, alloc: AllocationView) -> None:
        if line.begin < alloc.ingangsdatum:
            line.fail("TR307")
        if alloc.einddatum is not None and line.end > alloc.einddatum:
            line.fail("TR308")
        first = line.begin.replace(day=1)
        ing = alloc.ingangsdatum
        expected_begin = ing if first < ing <= _month_end(first) else first
        if line.begin != expected_begin:
            line.fail("TR387")
        last = _month_end(line.end)
        eind = alloc.einddatum
        expected_end = eind if eind is not None and line.end.replace(day=1) <= eind < last else last
        if line.end != expected_end:
            line.fail("TR388")

    def _amount(self, line: Line) -> None:
        """TR346 (the amount) and TR418 (the tariff against the contract)."""
        if line.eenheid == EURO:
            if self.contracts_configured and not self.contracts.contracted(
                line.categorie, line.code, line.begin
            ):
                line.fail("TR418")
            return
        row = self.contracts.tariff(line.code, line.begin) if self.contracts_configured else None
        tarief = line.tarief or 0
        # Hours contracted, minutes declared (IV081): amount from the unrounded hour tariff.
        if (
            row is not None
            and row.tarief is not None
            and row.eenheid == HOURS
            and (line.eenheid == MINUTES)
        ):
            expected_amount = round_half_up(row.tarief * line.volume, 60)
        else:
            expected_amount = line.volume * tarief
        if line.bedrag != expected_amount:
            line.fail("TR346")
        if not self.contracts_configured:
            return
        expected_tarief: int | None = None
        if row is not None and row.tarief is not None and row.categorie == line.categorie:
            if row.eenheid == line.eenheid:
                expected_tarief = row.tarief
            elif row.eenheid == HOURS and line.eenheid == MINUTES:
                expected_tarief = round_half_up(row.tarief, 60)
            elif row.eenheid == MINUTES and line.eenheid == HOURS:
                expected_tarief = row.tarief * 60
        if expected_tarief is None or line.tarief != expected_tarief:
            line.fail("TR418")

    def _volumes(self, line: Line, alloc: AllocationView) -> None:
        """TR321 (this period), TR322 (the whole allocation), TR369 (the budget)."""
        if alloc.has_omvang:
            assert alloc.volume is not None and alloc.eenheid and alloc.frequentie
            omvang = Omvang(
                alloc.volume, alloc.eenheid, alloc.frequentie, output=self._output(alloc)
            )
            own = alloc.base(line.volume, line.eenheid)
            factor = alloc.base_factor
            p_max = period_maximum(
                omvang, line.begin, line.end, alloc.ingangsdatum, alloc.einddatum
            )
            if own > p_max * factor:
                line.fail("TR321")
            a_max = allocation_maximum(omvang, alloc.ingangsdatum, alloc.einddatum)
            if a_max is not None and self.ledger.volume[alloc.nummer] + own > a_max * factor:
                line.fail("TR322")
        if alloc.budget is not None and self.ledger.amount[alloc.nummer] + line.bedrag > (
            alloc.budget
        ):
            line.fail("TR369")

    def _output(self, alloc: AllocationView) -> bool:
        """Output variant (Sunday rule) per the contract (UP028), else by unit (82/83)."""
        variant = self.contracts.variant(alloc.code, alloc.ingangsdatum)
        if variant is not None:
            return variant == "output"
        return alloc.eenheid in ("82", EURO)


def judge_lines(judge: Judge, lines: Sequence[Line]) -> None:
    """Credits first, then debets, each in document order (OP366, spec §4.5)."""
    for line in lines:
        if line.credit:
            judge.credit(line)
    for line in lines:
        if not line.credit:
            judge.debet(line)


# --------------------------------------------------------------------------- reading the message


def read_lines(declaratie: Node) -> list[Line]:
    """Every prestatie of a Declaratie, in document order."""
    out: list[Line] = []
    position = 0
    for client in many(declaratie, "Clienten", "Client"):
        bsn = client["Bsn"]
        for p in many(client, "Prestaties", "Prestatie"):
            position += 1
            ref = p["ProductReferentie"]
            periode = p["ProductPeriode"]
            bedrag = p["IngediendBedrag"]
            out.append(
                Line(
                    position=position,
                    node=p,
                    bsn=bsn,
                    ref=ref["ReferentieNummer"],
                    vorig=ref.get("VorigReferentieNummer"),
                    nummer=p["ToewijzingNummer"],
                    categorie=p["ProductCategorie"],
                    code=p["ProductCode"],
                    begin=periode["Begindatum"],
                    end=periode["Einddatum"],
                    volume=p["GeleverdVolume"],
                    eenheid=p["Eenheid"],
                    tarief=p.get("ProductTarief"),
                    bedrag=bedrag["Bedrag"],
                    dc=bedrag["DebetCredit"],
                )
            )
    return out


# --------------------------------------------------------------------------- loading state


def load_allocations(
    session: Session, gemeente: str, nummers: Iterable[int]
) -> dict[int, AllocationView]:
    """The leading version of each allocation of `gemeente` among `nummers` (chunked IN).

    Reads the flows store (app/db/flows.py): the version `leading_version_id` points at is the
    one that counts (IV013: the latest accepted version leads).
    """
    from app.db.flows import AllocationRow
    from app.db.flows import AllocationVersionRow as V

    out: dict[int, AllocationView] = {}
    for member in _member_of(session, AllocationRow.nummer, sorted(set(nummers))):
        rows = session.execute(
            select(
                AllocationRow.nummer,
                AllocationRow.bsn,
                AllocationRow.aanbieder,
                V.categorie,
                V.code,
                V.ingangsdatum,
                V.einddatum,
                V.reden_wijziging,
                V.volume,
                V.eenheid,
                V.frequentie,
                V.budget,
            )
            .join(V, V.id == AllocationRow.leading_version_id)
            .where(AllocationRow.gemeente == gemeente, member)
        )
        for r in rows:
            out[r.nummer] = AllocationView(gemeente, *r)
    return out


def load_ledger(
    session: Session,
    gemeente: str,
    aanbieder: str,
    lines: Sequence[Line],
    allocations: dict[int, AllocationView],
) -> Ledger:
    """Prior prestaties the rules need, in a few grouped IN-queries (never one per line)."""
    ledger = Ledger()
    refs = sorted({ln.ref for ln in lines} | {ln.vorig for ln in lines if ln.vorig})
    for member in _member_of(session, PrestatieLine.referentienummer, refs):
        rows = session.execute(
            select(
                PrestatieLine.id,
                PrestatieLine.gemeente,
                PrestatieLine.referentienummer,
                PrestatieLine.debet_credit,
                PrestatieLine.status,
                PrestatieLine.credited_by,
                PrestatieLine.bsn,
                PrestatieLine.toewijzingnummer,
                PrestatieLine.categorie,
                PrestatieLine.code,
                PrestatieLine.periode_begin,
                PrestatieLine.periode_end,
                PrestatieLine.volume,
                PrestatieLine.eenheid,
                PrestatieLine.tarief,
                PrestatieLine.bedrag,
            ).where(
                PrestatieLine.aanbieder == aanbieder,
                member,
                PrestatieLine.status != "not_assessed",
            )
        )
        for r in rows:
            ledger.used_refs.add(r.referentienummer)
            if r.debet_credit == "D" and r.status == "approved":
                ledger.debets[r.referentienummer] = PriorDebet(
                    r.id,
                    r.gemeente,
                    (
                        r.bsn,
                        r.toewijzingnummer,
                        r.categorie,
                        r.code,
                        r.periode_begin,
                        r.periode_end,
                        r.volume,
                        r.eenheid,
                        r.tarief,
                        r.bedrag,
                    ),
                    r.credited_by is not None,
                )
    nummers = sorted({ln.nummer for ln in lines})
    # TR389 only looks at the months of this message: bound the scan by them.
    first = min((ln.begin for ln in lines), default=date.min).replace(day=1)
    last = max((ln.begin for ln in lines), default=date.min)
    for member in _member_of(session, PrestatieLine.toewijzingnummer, nummers):
        approved = and_(
            PrestatieLine.gemeente == gemeente,
            member,
            PrestatieLine.status == "approved",
        )
        sums = session.execute(
            select(
                PrestatieLine.toewijzingnummer,
                PrestatieLine.eenheid,
                PrestatieLine.debet_credit,
                func.sum(PrestatieLine.volume),
                func.sum(PrestatieLine.bedrag),
            )
            .where(approved)
            .group_by(
                PrestatieLine.toewijzingnummer, PrestatieLine.eenheid, PrestatieLine.debet_credit
            )
        )
        for nummer, eenheid, dc, volume, bedrag in sums:
            sign = 1 if dc == "D" else -1
            alloc = allocations.get(nummer)
            base = alloc.base(int(volume), eenheid) if alloc else int(volume)
            ledger.volume[nummer] += sign * base
            ledger.amount[nummer] += sign * int(bedrag)
        keys = session.execute(
            select(
                PrestatieLine.toewijzingnummer,
                PrestatieLine.categorie,
                PrestatieLine.code,
                PrestatieLine.periode_begin,
            ).where(
                approved,
                PrestatieLine.debet_credit == "D",
                PrestatieLine.credited_by.is_(None),
                PrestatieLine.periode_begin >= first,
                PrestatieLine.periode_begin <= last,
            )
        )
        for nummer, cat, code, begin in keys:
            ledger.open_keys.add((nummer, cat, code, begin.year, begin.month))
    return ledger


def contracts_configured(session: Session, gemeente: str) -> bool:
    """Whether the gemeente's region has any contract line (then TR418 applies)."""
    return (
        session.scalar(
            select(ContractTariff.id)
            .join(RegionMember, RegionMember.region_id == ContractTariff.region_id)
            .where(RegionMember.gemeente == gemeente)
            .limit(1)
        )
        is not None
    )


# --------------------------------------------------------------------------- the flow


@dataclass
class _State:
    """What check() learned, for apply() in the same transaction."""

    declaration: dict[str, Any]
    lines: list[Line]
    ledger: Ledger
    checks: dict[str, list[str]]


_STATE_ATTR = "_money_state"


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: tens of thousands of new objects next to a parsed model of ~100,000
    nodes would make it rescan that model over and over (nothing here is cyclic garbage)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class DeclarationFlow:
    """The JW323 flow registered with the intake pipeline."""

    def check(self, ctx: flows.Context, decision: DeclarationDecision) -> None:
        """Judge the declaration and every prestatie (fills `decision`, books nothing)."""
        with _gc_paused():
            self._check(ctx, decision)

    def _check(self, ctx: flows.Context, decision: DeclarationDecision) -> None:
        session = ctx.session
        msg = ctx.message
        gemeente, aanbieder = msg.receiver, msg.sender
        decl = msg.root["Declaratie"]
        periode = decl["DeclaratiePeriode"]
        nummer = decl["DeclaratieNummer"]
        lines = read_lines(decl)
        header = {
            "gemeente": gemeente,
            "aanbieder": aanbieder,
            "nummer": nummer,
            "identificatie": msg.identificatie,
            "dagtekening": msg.dagtekening,
            "periode_begin": periode["Begindatum"],
            "periode_end": periode["Einddatum"],
            "ingediend": _signed(decl["TotaalIngediendBedrag"]),
        }
        loc = decl.path
        used = session.scalar(
            select(Declaration.id)
            .where(
                Declaration.aanbieder == aanbieder,
                Declaration.nummer == nummer,
                Declaration.status != "rejected",
            )
            .limit(1)
        )
        if used is not None:
            decision.reject_declaration(code_of("TR333"), "TR333", f"{loc}/DeclaratieNummer")
        latest = session.scalar(
            select(func.max(Declaration.periode_begin)).where(
                Declaration.aanbieder == aanbieder,
                Declaration.gemeente == gemeente,
                Declaration.status != "rejected",
            )
        )
        if latest is not None and periode["Begindatum"] < latest:
            decision.reject_declaration(code_of("TR318"), "TR318", f"{loc}/DeclaratiePeriode")
        if decision.declaration:
            # Nothing is booked, but every line stays retrievable with the reason.
            for line in lines:
                line.codes = list(decision.declaration)
                line.rules = [f["rule"] for f in decision.findings if f.get("rule")]
            self._store(
                ctx,
                header,
                lines,
                "rejected",
                list(decision.declaration),
                {},
                None,
                findings=list(decision.findings),
            )
            return
        allocations = load_allocations(session, gemeente, [ln.nummer for ln in lines])
        ledger = load_ledger(session, gemeente, aanbieder, lines, allocations)
        configured = contracts_configured(session, gemeente)
        judge = Judge(
            gemeente,
            aanbieder,
            allocations,
            ledger,
            load_catalogue(session, gemeente),
            load_contracts(session, gemeente, aanbieder),
            configured,
        )
        judge_lines(judge, lines)
        for line in lines:
            if line.codes:
                assert line.node is not None
                for rule in line.rules:
                    decision.reject(line.node, code_of(rule), rule)
        checks = {
            "debet": [r for r in DEBET_RULES if configured or r not in CONTRACT_RULES],
            "credit": list(CREDIT_RULES),
        }
        setattr(decision, _STATE_ATTR, _State(header, lines, ledger, checks))

    def apply(self, ctx: flows.Context, decision: DeclarationDecision) -> None:
        """Book the approved prestaties and keep every line's decision (one transaction)."""
        with _gc_paused():
            self._apply(ctx, decision)

    def _apply(self, ctx: flows.Context, decision: DeclarationDecision) -> None:
        state: _State = getattr(decision, _STATE_ATTR)
        status = "partially_accepted" if any(ln.codes for ln in state.lines) else "accepted"
        self._store(ctx, state.declaration, state.lines, status, [], state.checks, state.ledger)

    @staticmethod
    def _store(
        ctx: flows.Context,
        header: dict[str, Any],
        lines: list[Line],
        status: str,
        codes: list[str],
        checks: dict[str, list[str]],
        ledger: Ledger | None,
        findings: list[dict[str, Any]] | None = None,
    ) -> None:
        session = ctx.session
        rejected = status == "rejected"
        approved = [ln for ln in lines if not ln.codes and not rejected]
        record = Declaration(
            message_id=ctx.record.id,
            status=status,
            codes=codes,
            findings=findings or [],
            checks=checks,
            toegekend=sum(ln.signed for ln in approved),
            n_prestaties=len(lines),
            n_approved=len(approved),
            received_at=ctx.now,
            **header,
        )
        session.add(record)
        session.flush()
        gemeente, aanbieder = header["gemeente"], header["aanbieder"]
        rows = (
            (
                record.id,
                ln.position,
                gemeente,
                aanbieder,
                ln.bsn,
                ln.ref,
                ln.vorig,
                ln.nummer,
                ln.categorie,
                ln.code,
                ln.begin,
                ln.end,
                ln.volume,
                ln.eenheid,
                ln.tarief,
                ln.bedrag,
                ln.dc,
                "not_assessed" if rejected else ("rejected" if ln.codes else "approved"),
                list(ln.codes),
                list(ln.rules),
            )
            for ln in lines
        )
        bulk_insert_lines(session, rows)
        if ledger is not None and ledger.credited:
            session.execute(
                update(PrestatieLine),
                [{"id": i, "credited_by": ref} for i, ref in ledger.credited.items()],
            )
        # A debet credited in the same message it was approved in cannot happen (TR316), so
        # the ledger's prior ids cover every credit.
        log.info(
            "declaration judged",
            extra={
                "message_id": ctx.record.id,
                "status": status,
                "prestaties": len(lines),
                "approved": len(approved),
            },
        )


LINE_COLUMNS = (
    "declaration_id",
    "position",
    "gemeente",
    "aanbieder",
    "bsn",
    "referentienummer",
    "vorig_referentienummer",
    "toewijzingnummer",
    "categorie",
    "code",
    "periode_begin",
    "periode_end",
    "volume",
    "eenheid",
    "tarief",
    "bedrag",
    "debet_credit",
    "status",
    "codes",
    "rules",
)


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, list):
        return _copy_text(json.dumps(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def bulk_insert_lines(session: Session, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert prestatie lines (tuples in LINE_COLUMNS order) the fastest way per backend.

    A 25 MB declaration has ~26,000 lines: PostgreSQL gets them through COPY, SQLite through
    DBAPI executemany; both skip SQLAlchemy's per-row processing (the JSON columns are
    serialised here, dates are ISO text on SQLite as SQLAlchemy stores them).  Rows are consumed
    in slices so only one slice is ever materialised.
    """
    conn = session.connection()
    dialect = conn.dialect.name
    cols = ", ".join(LINE_COLUMNS)
    it = iter(rows)
    if dialect == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY money_prestaties ({cols}) FROM STDIN") as copy:
            while chunk := list(islice(it, 5000)):
                copy.write("".join("\t".join(map(_copy_text, r)) + "\n" for r in chunk))
        return
    if dialect == "sqlite":
        marks = ", ".join("?" for _ in LINE_COLUMNS)
        cur = conn.connection.driver_connection.cursor()
        try:
            while chunk := list(islice(it, 5000)):
                cur.executemany(
                    f"INSERT INTO money_prestaties ({cols}) VALUES ({marks})",
                    [
                        (
                            *r[:10],
                            r[10].isoformat(),
                            r[11].isoformat(),
                            *r[12:18],
                            json.dumps(r[18]),
                            json.dumps(r[19]),
                        )
                        for r in chunk
                    ],
                )
        finally:
            cur.close()
        return
    while chunk := list(islice(it, 5000)):
        session.execute(
            insert(PrestatieLine.__table__),
            [dict(zip(LINE_COLUMNS, r, strict=True)) for r in chunk],
        )


def _signed(total: Node) -> int:
    value = total["TotaalBedrag"]
    return -value if total["DebetCredit"] == "C" else value


FLOW = flows.register("JW323", DeclarationFlow())

__all__ = [
    "FLOW",
    "AllocationView",
    "DeclarationFlow",
    "Judge",
    "Ledger",
    "Line",
    "judge_lines",
    "load_allocations",
    "load_ledger",
    "read_lines",
    "round_half_up",
]
