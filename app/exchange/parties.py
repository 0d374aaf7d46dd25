"""Parties (gemeenten and aanbieders), their API tokens and row locks."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.exchange.models import Party
from app.ijw.catalogue import Role

_CODE = {Role.GEMEENTE: re.compile(r"[0-9]{4}"), Role.AANBIEDER: re.compile(r"[0-9]{8}")}


class PartyError(ValueError):
    """A party cannot be created as asked."""


def token_hash(token: str) -> str:
    """Tokens are 256-bit random values, so a plain SHA-256 is a safe lookup key."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_party(
    session: Session, role: Role, code: str, name: str, clock: Clock
) -> tuple[Party, str]:
    """Create a party and return it with its new API token (only the hash is stored)."""
    if not _CODE[role].fullmatch(code):
        digits = 4 if role is Role.GEMEENTE else 8
        raise PartyError(f"a {role} code has exactly {digits} digits, got {code!r}")
    if session.scalar(select(Party).where(Party.code == code)) is not None:
        raise PartyError(f"party {code} already exists")
    token = f"ijw_{secrets.token_urlsafe(32)}"
    party = Party(
        role=str(role),
        code=code,
        name=name,
        token_hash=token_hash(token),
        feed_seq=0,
        created_at=clock.now(),
    )
    session.add(party)
    session.flush()
    return party, token


def rotate_token(session: Session, party: Party) -> str:
    """Give a party a new token; the old one stops working."""
    token = f"ijw_{secrets.token_urlsafe(32)}"
    party.token_hash = token_hash(token)
    session.flush()
    return token


# Statements on the path of every request are built once: building and cache-keying a select
# costs more CPU than running it (about 0.2 ms against 0.07 ms, measured on SQLite).
_BY_TOKEN = select(Party).where(Party.token_hash == bindparam("hash"))
_BY_ID = select(Party).where(Party.id == bindparam("id"))
_BY_ID_OR_CODE = select(Party).where(
    or_(Party.id == bindparam("id"), Party.code == bindparam("code"))
)


_LOCKING = {q: q.order_by(Party.id).with_for_update() for q in (_BY_ID, _BY_ID_OR_CODE)}


def authenticate(session: Session, token: str | None) -> Party | None:
    """The party a bearer token belongs to, or None."""
    if not token:
        return None
    return session.scalar(_BY_TOKEN, {"hash": token_hash(token)})


def by_code(session: Session, code: str | None) -> Party | None:
    """The party with this CBS or AGB code."""
    if not code:
        return None
    return session.scalar(select(Party).where(Party.code == code))


def load_locked(
    session: Session, party_id: int, other_code: str | None
) -> tuple[Party, Party | None]:
    """A party and (by code) its counterpart, read and row-locked in one statement (id order,
    as `lock`): the intake's first step, so the message's work is serialised from the start."""
    query = _BY_ID_OR_CODE if other_code else _BY_ID
    if session.get_bind().dialect.name != "sqlite":
        query = _LOCKING[query]
    found = {p.id: p for p in session.scalars(query, {"id": party_id, "code": other_code})}
    party = found.pop(party_id)
    other = next((p for p in found.values() if p.code == other_code), None)
    return party, other


def lock(session: Session, parties: Iterable[Party | None]) -> None:
    """Row-lock parties in id order: serialises the processing of messages between them.

    On PostgreSQL this is SELECT ... FOR UPDATE (id order prevents deadlocks); SQLite already
    serialises writers with BEGIN IMMEDIATE.
    """
    ids = sorted({p.id for p in parties if p is not None})
    if ids and session.get_bind().dialect.name != "sqlite":
        session.execute(
            select(Party.id).where(Party.id.in_(ids)).order_by(Party.id).with_for_update()
        )
