"""Hypothesis strategies over the message generators of `testkit.samples` (tests only).

Hypothesis is a development dependency: import this module from tests, never from runtime code.
The strategies drive the same generators as the benches and demos through a Hypothesis-controlled
`random.Random`, so failures shrink towards small messages and replay from the example database.

    from testkit.strategies import messages
    @given(messages("JW323"))
    def test_something(data): ...
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import strategies as st

from testkit.samples import DEFAULT_DAGTEKENING_RANGE, MESSAGE_TYPES, Data, random_message

EDGE_LEVELS = (0.0, 0.05, 0.2, 1.0)


def dagtekeningen(
    lo: date = DEFAULT_DAGTEKENING_RANGE[0], hi: date = DEFAULT_DAGTEKENING_RANGE[1]
) -> st.SearchStrategy[date]:
    """Dagtekening dates in the generators' default range."""
    return st.dates(lo, hi)


def messages(name: str, **options: Any) -> st.SearchStrategy[Data]:
    """Valid, level-2-clean messages of type `name` (model-shaped dicts).

    `options` are passed to `random_message` as fixed values; a value that is itself a strategy
    is drawn.  By default the Dagtekening, the edge-case level and max_repeats are drawn too.
    """

    @st.composite
    def build(draw: st.DrawFn) -> Data:
        opts: dict[str, Any] = {
            "dagtekening": draw(dagtekeningen()),
            "edge": draw(st.sampled_from(EDGE_LEVELS)),
            "max_repeats": draw(st.integers(1, 5)),
        }
        for key, value in options.items():
            opts[key] = draw(value) if isinstance(value, st.SearchStrategy) else value
        rng = draw(st.randoms(use_true_random=False))
        return random_message(name, rng, **opts)

    return build()


def any_message(**options: Any) -> st.SearchStrategy[tuple[str, Data]]:
    """(message type, message) for any of the 14 types."""
    return st.sampled_from(MESSAGE_TYPES).flatmap(
        lambda name: messages(name, **options).map(lambda data: (name, data))
    )
