"""Level-2 (in-message) rule implementations; importing this package registers them all.

Modules by topic: header, client, contact, product (allocated/requested products), requests (VOT
and VOW), startstop, answer (JW319), declaration (JW323/JW325), dates (TR134), duplicates (TR101).
"""

from app.ijw.rules.level2 import (  # noqa: F401
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
