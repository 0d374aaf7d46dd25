"""Imports every flow module so their `flows.register(...)` calls run.

Each flow module registers itself; add new modules here.
"""

from app.domain import (  # noqa: F401
    allocations,
    autoalloc,
    ceilings,
    codelists,
    declarations,
    requests,
    startstop,
)
