"""Rules on start (JW305) and stop (JW307) messages."""

from __future__ import annotations

from app.ijw.model import Message, Node, many
from app.ijw.rules.level2.common import client, content
from app.ijw.rules.registry import Emit, rule


def _deliveries(message: Message) -> list[Node]:
    kind = content(message)
    if kind == "JW305":
        return many(client(message), "StartProducten", "StartProduct")
    if kind == "JW307":
        return many(client(message), "StopProducten", "StopProduct")
    return []


@rule("CS058")
def status_aanlevering_1_of_3(message: Message, emit: Emit) -> None:
    """StatusAanlevering is 1 (eerste aanlevering) or 3 (verwijderen); 2 and 9 are not used."""
    for node in _deliveries(message):
        if node["StatusAanlevering"] not in ("1", "3"):
            emit(node.loc("StatusAanlevering"))


@rule("TR018")
def stop_einddatum_niet_voor_begindatum(message: Message, emit: Emit) -> None:
    """StopProduct/Einddatum is not before its Begindatum."""
    if content(message) != "JW307":
        return
    for node in _deliveries(message):
        if node["Einddatum"] < node["Begindatum"]:
            emit(node.loc("Begindatum"), node.loc("Einddatum"))
