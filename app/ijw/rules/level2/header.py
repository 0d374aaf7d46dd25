"""Header constraints shared by every message."""

from app.ijw.model import Message
from app.ijw.rules.registry import Emit, rule


@rule("CS025")
def berichtversie_is_3(message: Message, emit: Emit) -> None:
    """BerichtVersie = 3 (also an XSD pattern, so only reachable for hand-built messages)."""
    if message.header["BerichtVersie"] != 3:
        emit(message.header.loc("BerichtVersie"))


@rule("CS015")
def berichtsubversie_is_2(message: Message, emit: Emit) -> None:
    """BerichtSubversie = 2 (also an XSD pattern)."""
    if message.header["BerichtSubversie"] != 2:
        emit(message.header.loc("BerichtSubversie"))
