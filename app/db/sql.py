"""Query helpers shared by the stores: membership tests over long value lists."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session

CHUNK = 2000  # IN-list size: well under SQLite's variable limit, cheap for PostgreSQL


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """`items` in slices of at most `size`."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def member_of(
    session: Session, column: QueryableAttribute[Any], values: Sequence[Any]
) -> Iterator[ColumnElement[bool]]:
    """WHERE clauses testing `column` against `values`, as few as the backend allows.

    PostgreSQL takes the whole list as one array parameter (`= ANY(:values)`: one statement,
    one plan, index lookups); other backends get IN-lists of `CHUNK` values.
    """
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        kind = BigInteger if isinstance(values[0], int) else String
        yield column == any_(bindparam(None, list(values), type_=ARRAY(kind)))
        return
    for chunk in chunks(values):
        yield column.in_(chunk)
