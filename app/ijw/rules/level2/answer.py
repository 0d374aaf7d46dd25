"""Rules on our answer to a request (JW319) and its retour (JW320)."""

from __future__ import annotations

from app.ijw.model import Message, Node
from app.ijw.rules.registry import Emit, rule


def _antwoord(message: Message) -> Node | None:
    value = message.root.get("Antwoord")
    return value if isinstance(value, Node) else None


@rule("CD085")
def reden_bij_afwijzing(message: Message, emit: Emit) -> None:
    """RedenAfwijzingVerzoek is filled when VerzoekAntwoord is 1 (verzoek afgewezen)."""
    node = _antwoord(message)
    if node is not None and node["VerzoekAntwoord"] == "1" and "RedenAfwijzingVerzoek" not in node:
        emit(node.loc("VerzoekAntwoord"))


@rule("CD086")
def geen_reden_bij_onderzoek(message: Message, emit: Emit) -> None:
    """RedenAfwijzingVerzoek is empty when VerzoekAntwoord is 2 (aanvraag in onderzoek)."""
    node = _antwoord(message)
    if node is not None and node["VerzoekAntwoord"] == "2" and "RedenAfwijzingVerzoek" in node:
        emit(node.loc("VerzoekAntwoord"), node.loc("RedenAfwijzingVerzoek"))


@rule("TR377")
def woonplaatsbeginsel_bij_reden_8(message: Message, emit: Emit) -> None:
    """RedenAfwijzingVerzoek 8 (woonplaatsbeginsel) requires the class Woonplaatsbeginsel."""
    node = _antwoord(message)
    if (
        node is not None
        and node.get("RedenAfwijzingVerzoek") == "8"
        and "Woonplaatsbeginsel" not in node
    ):
        emit(node.loc("RedenAfwijzingVerzoek"))


@rule("TR409")
def geen_woonplaatsbeginsel_zonder_reden_8(message: Message, emit: Emit) -> None:
    """RedenAfwijzingVerzoek other than 8: the class Woonplaatsbeginsel is left out."""
    node = _antwoord(message)
    if node is None or "Woonplaatsbeginsel" not in node:
        return
    reden = node.get("RedenAfwijzingVerzoek")
    if reden is None:
        # No reason at all is "not 8" as well; only the class itself can be pointed at.
        emit(node["Woonplaatsbeginsel"].path)
    elif reden != "8":
        emit(node.loc("RedenAfwijzingVerzoek"), node["Woonplaatsbeginsel"].path)
