"""Level-2 (in-message) rule implementations; importing this package registers them all."""

from app.ijw.rules.level2 import header  # noqa: F401
