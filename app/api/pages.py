"""One pagination convention for every list.

A list answers `{"items": [...], "next_cursor": ..., "has_more": bool}`.  Lists take
`?limit=N&cursor=C` (C from the previous page's `next_cursor`; `has_more` false means you have
everything and `next_cursor` is null).  The two change feeds (`/v1/berichten`,
`/v1/backoffice/toewijzingen/wijzigingen`) take `?since=C` instead and always return a
`next_cursor` to poll with, also when nothing new came.  `limit` has a documented maximum per
endpoint; nothing is ever cut off silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None
    has_more: bool


def page_of(
    rows: Iterable[R], limit: int, key: Callable[[R], str], view: Callable[[R], T]
) -> Page[T]:
    """A page from up to `limit + 1` rows (the extra one only tells that more exist)."""
    taken = list(rows)
    more = len(taken) > limit
    taken = taken[:limit]
    return Page[T](
        items=[view(r) for r in taken],
        next_cursor=key(taken[-1]) if more and taken else None,
        has_more=more,
    )
