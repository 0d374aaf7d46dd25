"""Level-2 (in-message) rule implementations, collected into `RULES` (code -> Rule).

Modules by topic: header, client, contact, product (allocated/requested products), requests (VOT
and VOW), startstop, answer (JW319), declaration (JW323/JW325), dates (TR134), duplicates (TR101).
A new rule module is added to the list below; nothing registers itself.
"""

from app.ijw.rules.level2 import (
    answer,
    client,
    contact,
    dates,
    declaration,
    duplicates,
    header,
    product,
    requests,
    startstop,
)
from app.ijw.rules.registry import Rule, collect

RULES: dict[str, Rule] = collect(
    (answer, client, contact, dates, declaration, duplicates, header, product, requests, startstop)
)
