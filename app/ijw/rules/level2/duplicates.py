"""TR101: no duplicate classes - the logical key, with its parents' keys, is unique.

The logical keys are the "sleutelelement" markings of the informatiemodel (Condities en
constraints per data-element); spec §7 Q5 lists the same keys except that it leaves
VorigReferentieNummer out of the Prestatie key and does not mention Contact.  We follow the
informatiemodel.  A class is compared with its siblings only: a parent's key is equal for all of
them and differs from every other parent's, which is what "with the keys of the parent classes"
amounts to.  One dict per sibling group keeps this linear (the checker compares all pairs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.ijw.model import Message, Node, many
from app.ijw.rules.level2.common import client, content, declaration, verzoek
from app.ijw.rules.registry import Emit, rule

# Key of each repeating class: paths of single children, relative to the class.
KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Relatie": (("Nummer",),),
    "Contact": (("Soort",),),
    "ToegewezenProduct": (("ToewijzingNummer",),),
    "StartProduct": (
        ("ToewijzingNummer",),
        ("Product", "Categorie"),
        ("Product", "Code"),
        ("Begindatum",),
    ),
    "StopProduct": (
        ("ToewijzingNummer",),
        ("Product", "Categorie"),
        ("Product", "Code"),
        ("Begindatum",),
        ("RedenBeeindiging",),
        ("Einddatum",),
    ),
    "AangevraagdProduct": (("ReferentieAanbieder",),),
    "OngewijzigdProduct": (("ToewijzingNummer",),),
    "TeWijzigenProduct": (("ToewijzingNummer",),),
    "NieuwProduct": (("Product", "Categorie"), ("Product", "Code"), ("GewensteIngangsdatum",)),
    "Client": (("Bsn",),),
    "Prestatie": (
        ("ProductReferentie", "ReferentieNummer"),
        ("ProductReferentie", "VorigReferentieNummer"),
    ),
}


def _groups(message: Message) -> Iterator[list[Node]]:
    """Every group of same-named sibling classes that TR101 compares."""
    kind = content(message)
    cl = client(message)
    if kind == "JW301":
        yield many(cl, "Relaties", "Relatie")
        yield many(cl, "Contactgegevens", "Contact")
        yield many(cl, "ToegewezenProducten", "ToegewezenProduct")
    elif kind == "JW305":
        yield many(cl, "StartProducten", "StartProduct")
    elif kind == "JW307":
        yield many(cl, "StopProducten", "StopProduct")
    elif kind == "JW315":
        yield many(cl, "AangevraagdeProducten", "AangevraagdProduct")
    elif kind == "JW317":
        node = verzoek(message)
        yield many(node, "OngewijzigdeProducten", "OngewijzigdProduct")
        yield many(node, "TeWijzigenProducten", "TeWijzigenProduct")
        yield many(node, "NieuweProducten", "NieuwProduct")
    elif kind in ("JW323", "JW325"):
        clients = many(declaration(message), "Clienten", "Client")
        yield clients
        for each in clients:
            yield each["Prestaties"]["Prestatie"]


def _key(node: Node, paths: tuple[tuple[str, ...], ...]) -> tuple[Any, ...]:
    return tuple(node.get_in(*path) for path in paths)


@rule("TR101")
def geen_dubbele_klassen(message: Message, emit: Emit) -> None:
    """No class occurs twice with the same logical key (with its parents' keys)."""
    for group in _groups(message):
        if len(group) < 2:
            continue
        paths = KEYS[group[0].name]
        first: dict[tuple[Any, ...], Node] = {}
        for node in group:
            seen = first.setdefault(_key(node, paths), node)
            if seen is not node:
                emit(seen.path, node.path)
