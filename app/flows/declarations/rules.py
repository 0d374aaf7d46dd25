"""The declaration rules (spec §4.5), pure: a `Line` per prestatie judged against the leading
`Allocation` it names and the loaded `Ledger`, `ContractBook` and `Catalogue`.

Evaluation order (spec §4.5, OP366):

1. Declaration: TR333 (9333) DeclaratieNummer unique for the provider; TR318 (8214) the
   DeclaratiePeriode not before the provider's latest accepted one with this gemeente (OP095:
   skipped months cannot be verified).  Either rejects the declaration: nothing is booked.
   (These two read the declarations store and run in the flow.)
2. Credits, in document order: TR314 (8021), TR323 (8017: VorigReferentieNummer names an earlier
   approved debet of this provider, identical apart from the references and DebetCredit, IV091),
   TR390 (9390: not credited before).  No content checks on credits (IV085).
3. Debets, in document order, every failing code reported: TR314 -> TR338 (9338) -> TR304
   (8187) -> TR384 (9384) -> TR339, TR340, TR381 (S329) -> TR341 -> TR307, TR308, TR387, TR388
   -> TR389 -> TR346 -> TR418 (0611) -> TR321, TR322, TR369 -> OP264 (0611: the declaration
   moment of output products; like TR418 only when the gemeente has contracts).  Allocation
   checks are skipped when TR338 fails or the allocation was deleted (TR384: treated as never
   issued).  TR319 is a level-2 rule (code 9319 in the Header path) and is not repeated here.

The counters of the `Ledger` (net approved volume and amount per allocation, approved uncredited
debet keys) are updated as prestaties are approved, so later prestaties see earlier approvals
(credits first).  No database: the rules can be tested on their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.flows.allocations.store import Allocation
from app.ijw.codes import EURO, HOURS, MINUTES, OUTPUT_PIECES
from app.ijw.model import Node, many
from app.ijw.rules.catalogue import meta
from app.ijw.volumes import Omvang, allocation_maximum, period_maximum
from app.ijw.volumes import month_end as _month_end
from app.reference.contracts import ContractBook
from app.reference.products import Catalogue

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
    "OP264",
)
CREDIT_RULES = ("TR314", "TR323", "TR390")
CONTRACT_RULES = ("TR418", "OP264")


def code_of(rule: str) -> str:
    """The retourcode of a rule (from the rule catalogue, the single source of truth)."""
    return meta(rule).retourcode


def round_half_up(numerator: int, denominator: int) -> int:
    """Integer division rounded half up (IV081: 1.455 -> 1.46), for non-negative values."""
    return (2 * numerator + denominator) // (2 * denominator)


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
    allocations: dict[int, Allocation]
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
        if self.contracts_configured:
            self._moment(line, alloc)
        if not line.codes:
            ledger.open_keys.add(line.month_key)
            ledger.volume[line.nummer] += alloc.base(line.volume, line.eenheid)
            ledger.amount[line.nummer] += line.bedrag
            self.approved_in_message[line.ref] = line

    def _product(self, line: Line, alloc: Allocation) -> None:
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

    def _unit(self, line: Line, alloc: Allocation) -> bool:
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
    def _periods(line: Line, alloc: Allocation) -> None:
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
        # The set's tariff policy: `maximum` approves a lower declared tariff (the papers agree
        # maximum tariffs); `equal` is TR418 as the standard says.
        maximum = row is not None and row.policy == "maximum"
        # Hours contracted, minutes declared (IV081): amount from the unrounded hour tariff -
        # unless a lower tariff was declared under the maximum policy (then volume x tariff).
        if (
            row is not None
            and row.tarief is not None
            and row.eenheid == HOURS
            and (line.eenheid == MINUTES)
            and not (maximum and tarief < round_half_up(row.tarief, 60))
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
        declared = line.tarief
        if (
            expected_tarief is None
            or declared is None
            or declared > expected_tarief
            or (not maximum and declared != expected_tarief)
        ):
            line.fail("TR418")

    def _moment(self, line: Line, alloc: Allocation) -> None:
        """OP264: an output product is declared at the agreed moment - at the end of the
        trajectory (the ProductPeriode that ends on the allocation's Einddatum) or when the
        approved total reaches one of the agreed milestones (percent of the allocated total
        volume, or of the Budget)."""
        product = self.catalogue.product(line.code, alloc.ingangsdatum)
        if product is None or product.declaration_moment == "period":
            return
        if product.declaration_moment == "end":
            if alloc.einddatum is None or line.end != alloc.einddatum:
                line.fail("OP264")
            return
        marks = product.milestones or (100,)
        if alloc.budget is not None:
            reached = self.ledger.amount[alloc.nummer] + line.bedrag
            total = alloc.budget
        elif alloc.has_omvang and alloc.frequentie == "6":
            assert alloc.volume is not None
            reached = self.ledger.volume[alloc.nummer] + alloc.base(line.volume, line.eenheid)
            total = alloc.volume * alloc.base_factor
        else:
            return  # milestones of a total: nothing to measure them against
        if not any(reached * 100 == m * total for m in marks):
            line.fail("OP264")

    def _volumes(self, line: Line, alloc: Allocation) -> None:
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

    def _output(self, alloc: Allocation) -> bool:
        """Output variant (Sunday rule) per the contract (UP028), else by unit (82/83)."""
        variant = self.contracts.variant(alloc.code, alloc.ingangsdatum)
        if variant is not None:
            return variant == "output"
        return alloc.eenheid in (OUTPUT_PIECES, EURO)


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
