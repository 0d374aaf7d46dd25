"""Rules on allocated and requested products: Product, Omvang, Budget and their periods.

ToegewezenProduct (301), AangevraagdProduct (315), TeWijzigenProduct and NieuwProduct (317) share
these conditions; `requested_products` yields each with the names of its start and end element.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.ijw.codes import DELETED, EURO, OBSOLETE_CORRECTION
from app.ijw.model import Message, Node
from app.ijw.rules.level2.common import (
    AANGEVRAAGD,
    END_2020,
    GEWENST,
    TOEGEWEZEN,
    Period,
    aangevraagd,
    contacts,
    nieuw,
    requested_products,
    toegewezen,
)
from app.ijw.rules.registry import Emit, rule


def _with_product(message: Message) -> Iterable[tuple[Node, Period]]:
    """The product classes that have a Product element in their structure (not TeWijzigen)."""
    for node, period in requested_products(message):
        if node.name != "TeWijzigenProduct":
            yield node, period


@rule("CD041")
def omvang_bij_productcode(message: Message, emit: Emit) -> None:
    """Omvang is required when Product/Code is filled."""
    for node, _period in _with_product(message):
        product = node.get("Product")
        if product is not None and product.get("Code") is not None and node.get("Omvang") is None:
            emit(product.loc("Code"))


@rule("CD075")
def einddatum_bij_budget(message: Message, emit: Emit) -> None:
    """The (Toewijzing)Einddatum is required when Budget is filled."""
    for node, period in requested_products(message):
        if node.get("Budget") is not None and node.get(period.end) is None:
            emit(node.loc("Budget"))


@rule("CD076")
def einddatum_bij_per_week(message: Message, emit: Emit) -> None:
    """The (Toewijzing)Einddatum is required when Omvang/Frequentie is 2 (per week)."""
    for node, period in requested_products(message):
        omvang = node.get("Omvang")
        if omvang is not None and omvang["Frequentie"] == "2" and node.get(period.end) is None:
            emit(omvang.loc("Frequentie"))


@rule("CD077")
def geen_omvang_bij_budget(message: Message, emit: Emit) -> None:
    """Omvang is empty when Budget is filled."""
    # CD077 and CD078 are two sides of one exclusion: the checker reports both (corpus).
    for node, _period in requested_products(message):
        if node.get("Budget") is not None and node.get("Omvang") is not None:
            emit(node.loc("Omvang"), node.loc("Budget"))


@rule("CD078")
def geen_budget_bij_omvang(message: Message, emit: Emit) -> None:
    """Budget is empty when Omvang is filled."""
    for node, _period in requested_products(message):
        if node.get("Omvang") is not None and node.get("Budget") is not None:
            emit(node.loc("Omvang"), node.loc("Budget"))


@rule("CD079")
def product_zonder_budget(message: Message, emit: Emit) -> None:
    """Product is required when Budget is empty (a generic allocation needs a budget)."""
    for node, _period in _with_product(message):
        if node.get("Budget") is None and node.get("Product") is None:
            # Both elements are absent, so the class itself is the only place to point at.
            emit(node.path)


def _omvang_zonder_code(node: Node, end_name: str, emit: Emit) -> None:
    product = node.get("Product")
    if node.get("Omvang") is None or (product is not None and product.get("Code") is not None):
        return
    end: date | None = node.get(end_name)
    if end is None:
        emit(node.loc("Omvang"))
    elif end > END_2020:
        emit(node.loc(end_name), node.loc("Omvang"))


@rule("CD080")
def toegewezen_omvang_zonder_code(message: Message, emit: Emit) -> None:
    """ToegewezenProduct: no Omvang without Product/Code when Einddatum is after 2020 or open."""
    for node in toegewezen(message):
        _omvang_zonder_code(node, "Einddatum", emit)


@rule("CD095")
def aangevraagd_omvang_zonder_code(message: Message, emit: Emit) -> None:
    """AangevraagdProduct: no Omvang without Code when ToewijzingEinddatum is after 2020/open."""
    for node in aangevraagd(message):
        _omvang_zonder_code(node, "ToewijzingEinddatum", emit)


@rule("CD096")
def nieuw_omvang_zonder_code(message: Message, emit: Emit) -> None:
    """NieuwProduct: no Omvang when Code is empty and Einddatum is after 2020 or open."""
    for node in nieuw(message):
        _omvang_zonder_code(node, "Einddatum", emit)


@rule("CS003")
def einddatum_niet_voor_begindatum(message: Message, emit: Emit) -> None:
    """An end date is not before the start date of its period (products and Contact/Periode)."""
    for contact in contacts(message):
        periode = contact.get("Periode")
        if periode is None or periode.get("Einddatum") is None:
            continue
        begin = periode.get("Begindatum")
        if begin is None:
            # The checker compares with the absent Begindatum and fails (corpus: only Einddatum).
            emit(periode.loc("Einddatum"))
        elif periode["Einddatum"] < begin:
            emit(periode.loc("Begindatum"), periode.loc("Einddatum"))
    for node, period in requested_products(message):
        end = node.get(period.end)
        if end is not None and end < node[period.start]:
            emit(node.loc(period.start), node.loc(period.end))


@rule("CS335")
def verwijderd_alleen_zonder_duur(message: Message, emit: Emit) -> None:
    """RedenWijziging 13 (verwijderd) only when Einddatum equals Ingangsdatum."""
    for node in toegewezen(message):
        if node.get("RedenWijziging") != DELETED:
            continue
        end = node.get("Einddatum")
        if end is None:
            # An open end is not equal to the Ingangsdatum (rule text); nothing else to show.
            emit(node.loc("Ingangsdatum"), node.loc("RedenWijziging"))
        elif end != node["Ingangsdatum"]:
            emit(node.loc("Ingangsdatum"), node.loc("Einddatum"), node.loc("RedenWijziging"))


@rule("CS336")
def geen_administratieve_correctie(message: Message, emit: Emit) -> None:
    """RedenWijziging 01 (administratieve correctie, vervallen) is not used."""
    for node in toegewezen(message):
        if node.get("RedenWijziging") == "01":
            emit(node.loc("RedenWijziging"))


_FREQUENTIE_NA_2020 = ("2", "4", "6")
_EENHEID_MET_FREQUENTIE = ("14", "16", EURO, "84")


def _frequentie_past_bij_eenheid(node: Node, end_name: str, emit: Emit) -> None:
    omvang = node.get("Omvang")
    if omvang is None or omvang["Eenheid"] not in _EENHEID_MET_FREQUENTIE:
        return
    end: date | None = node.get(end_name)
    if end is not None and end <= END_2020:
        return
    if omvang["Frequentie"] not in _FREQUENTIE_NA_2020:
        locations = [omvang.loc("Eenheid"), omvang.loc("Frequentie")]
        if end is not None:
            locations.insert(0, node.loc(end_name))
        emit(*locations)


@rule("CS338")
def frequentie_bij_eenheid(message: Message, emit: Emit) -> None:
    """Eenheid 14, 16, 83 or 84 ending after 2020 or open: Frequentie 2, 4 or 6 (301, 317)."""
    for node in toegewezen(message):
        _frequentie_past_bij_eenheid(node, TOEGEWEZEN.end, emit)
    for node, period in requested_products(message):
        if node.name in ("TeWijzigenProduct", "NieuwProduct"):
            _frequentie_past_bij_eenheid(node, period.end, emit)


@rule("CS343")
def frequentie_bij_eenheid_aangevraagd(message: Message, emit: Emit) -> None:
    """AangevraagdProduct: Eenheid 14, 16, 83 or 84 after 2020 or open: Frequentie 2, 4 or 6."""
    for node in aangevraagd(message):
        _frequentie_past_bij_eenheid(node, "ToewijzingEinddatum", emit)


# --- stacking: the same product twice only without overlapping periods ------------------------


@dataclass(slots=True)
class _Item:
    node: Node
    categorie: str | None  # None: no Product at all (generic)
    code: str | None
    start: date
    end: date | None  # None: open-ended


class _Latest:
    """Among the items seen so far (sorted by start), the one reaching furthest."""

    __slots__ = ("item",)

    def __init__(self) -> None:
        self.item: _Item | None = None

    def add(self, item: _Item) -> None:
        best = self.item
        if best is None or (best.end is not None and (item.end is None or item.end > best.end)):
            self.item = item

    def overlapping(self, item: _Item) -> _Item | None:
        """The remembered item if it overlaps `item` (which starts at or after it)."""
        best = self.item
        if best is not None and (best.end is None or best.end >= item.start):
            return best
        return None


def _items(nodes: Iterable[Node], period: Period) -> list[_Item]:
    out = []
    for node in nodes:
        product = node.get("Product")
        out.append(
            _Item(
                node,
                product["Categorie"] if product is not None else None,
                product.get("Code") if product is not None else None,
                node[period.start],
                node.get(period.end),
            )
        )
    return out


def _stacking(items: list[_Item], emit: Emit) -> None:
    """Report each item that overlaps an earlier-starting item of the same product.

    Same product: equal Categorie and Code when both have a Code; equal Categorie when either
    has no Code; any product when either has no Product at all.  Periods are closed and an open
    end is infinite.  One sweep over the items sorted by start keeps, per code, per category and
    overall, the item reaching furthest: O(n log n) instead of the checker's pairwise comparison.
    """
    by_code: dict[tuple[str, str], _Latest] = {}
    by_categorie_any: dict[str, _Latest] = {}  # every item of the category
    by_categorie_codeless: dict[str, _Latest] = {}  # category items without a code
    everything = _Latest()
    generic = _Latest()  # items without a Product
    order = {id(item.node): i for i, item in enumerate(items)}
    for item in sorted(items, key=lambda it: (it.start, order[id(it.node)])):
        partner: _Item | None
        if item.categorie is None:
            partner = everything.overlapping(item)
        else:
            partner = generic.overlapping(item)
            if partner is None and item.code is None:
                partner = by_categorie_any.get(item.categorie, _Latest()).overlapping(item)
            if partner is None and item.code is not None:
                partner = by_categorie_codeless.get(item.categorie, _Latest()).overlapping(item)
                if partner is None:
                    partner = by_code.get((item.categorie, item.code), _Latest()).overlapping(item)
        if partner is not None:
            pair = sorted((partner, item), key=lambda it: order[id(it.node)])
            emit(pair[0].node.path, pair[1].node.path)
        everything.add(item)
        if item.categorie is None:
            generic.add(item)
            continue
        by_categorie_any.setdefault(item.categorie, _Latest()).add(item)
        if item.code is None:
            by_categorie_codeless.setdefault(item.categorie, _Latest()).add(item)
        else:
            by_code.setdefault((item.categorie, item.code), _Latest()).add(item)


def _deleted(node: Node) -> bool:
    # TR302: deleted allocations (13) and the obsolete administrative correction (01) with
    # Einddatum = Ingangsdatum do not count as stacking.
    return node.get("RedenWijziging") in (DELETED, OBSOLETE_CORRECTION) and node.get(
        "Einddatum"
    ) == node.get("Ingangsdatum")


@rule("TR302")
def geen_stapeling_toegewezen(message: Message, emit: Emit) -> None:
    """A product occurs more than once in a 301 only with non-overlapping periods."""
    nodes = [node for node in toegewezen(message) if not _deleted(node)]
    _stacking(_items(nodes, TOEGEWEZEN), emit)


@rule("TR386")
def geen_stapeling_aangevraagd(message: Message, emit: Emit) -> None:
    """A product occurs more than once in a 315 only with non-overlapping periods."""
    _stacking(_items(aangevraagd(message), AANGEVRAAGD), emit)


@rule("TR410")
def geen_stapeling_nieuw(message: Message, emit: Emit) -> None:
    """A product occurs more than once among the NieuweProducten only without overlap."""
    _stacking(_items(nieuw(message), GEWENST), emit)
