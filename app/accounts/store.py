"""Users, sessions and the audit trail: the only code on the ui_* tables.

Passwords are hashed with argon2id (argon2-cffi, its RFC 9106 defaults) and re-hashed when those
defaults change.  A session cookie carries a 256-bit random token; only its SHA-256 is stored, so
a copy of the database signs nobody in.  Five failed sign-ins in a row lock an account for a
quarter of an hour (the answer does not say so, to tell an attacker nothing).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.models import AuditEntry, User, UserSession
from app.reference.contracts import region_gemeenten

READ_ONLY, CASE_WORKER, CONTRACT_MANAGER = "read_only", "case_worker", "contract_manager"
ROLES = (READ_ONLY, CASE_WORKER, CONTRACT_MANAGER)
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
MIN_PASSWORD = 12  # long passphrases over complexity rules (NCSC, NIST SP 800-63B)
MAX_PASSWORD = 1024  # argon2 takes any length; this only bounds the work per attempt
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
_GEMEENTE = re.compile(r"[0-9]{4}")

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A user cannot be created or changed as asked."""


@cache
def _dummy_hash() -> str:
    # verified against for unknown usernames, so both answers take the same time
    return _hasher.hash(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    """Session tokens are 256-bit random values: a plain SHA-256 is a safe lookup key."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password: str) -> None:
    """Raise AccountError for a password that is too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters")


def add_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    now: datetime,
    gemeente: str | None = None,
    region: str | None = None,
    display_name: str = "",
) -> User:
    """Create a user of one gemeente, or the administrator of one region (exactly one)."""
    if not USERNAME.fullmatch(username):
        raise AccountError("a username is 3-64 characters: lower-case letters, digits and . _ @ -")
    if role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}")
    if (gemeente is None) == (region is None):
        raise AccountError("a user belongs to one gemeente or administers one region")
    if gemeente is not None and not _GEMEENTE.fullmatch(gemeente):
        raise AccountError(f"a gemeentecode has exactly 4 digits, got {gemeente!r}")
    if region is not None and region_gemeenten(session, region) is None:
        raise AccountError(f"region {region} is not known (import its contracts first)")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"user {username} already exists")
    check_password_rules(password)
    user = User(
        username=username,
        display_name=display_name,
        password_hash=_hasher.hash(password),
        role=role,
        gemeente=gemeente,
        region=region,
        active=True,
        failed_logins=0,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def user_by_name(session: Session, username: str) -> User | None:
    """The user with this username."""
    return session.scalar(select(User).where(User.username == username))


def users(session: Session) -> list[User]:
    """Every user, by username."""
    return list(session.scalars(select(User).order_by(User.username)))


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; every session of the user ends."""
    check_password_rules(password)
    user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    end_sessions_of(session, user)


def set_role(session: Session, user: User, role: str) -> None:
    """Give the user another role (takes effect on the next page)."""
    if role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}")
    user.role = role


def set_active(session: Session, user: User, active: bool) -> None:
    """Enable or disable a user; disabling ends every session."""
    user.active = active
    if not active:
        end_sessions_of(session, user)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or why not (unknown | wrong | locked | inactive)."""

    user: User | None
    reason: str = ""


def authenticate(session: Session, username: str, password: str, now: datetime) -> SignIn:
    """Check a username and password; counts failures and locks after MAX_FAILURES."""
    user = user_by_name(session, username) if len(password) <= MAX_PASSWORD else None
    if user is None:
        with suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password[:MAX_PASSWORD])
        return SignIn(None, "unknown")
    if user.locked_until is not None and user.locked_until > now:
        return SignIn(None, "locked")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        return SignIn(None, "wrong")
    if not user.active:
        return SignIn(None, "inactive")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    return SignIn(user)


# -- sessions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lifetime:
    """How long a session lasts: `absolute` after sign-in, `idle` after the last page."""

    absolute: timedelta = timedelta(hours=9)  # a working day
    idle: timedelta = timedelta(minutes=30)


def start_session(
    session: Session, user: User, now: datetime, lifetime: Lifetime
) -> tuple[str, UserSession]:
    """A new session for a signed-in user: (cookie token, row).  Its CSRF token is fresh."""
    token = secrets.token_urlsafe(32)
    gemeenten = scope(session, user)
    row = UserSession(
        token_hash=token_hash(token),
        csrf_token=secrets.token_urlsafe(32),
        user_id=user.id,
        gemeente=gemeenten[0] if gemeenten else None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime.absolute,
    )
    session.add(row)
    session.flush()
    return token, row


def session_for(
    session: Session, token: str | None, now: datetime, lifetime: Lifetime
) -> tuple[UserSession, User] | None:
    """The live session of a cookie token and its active user (None: sign in again)."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if row is None:
        return None
    if row.expires_at <= now or row.last_seen_at + lifetime.idle <= now:
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at > timedelta(minutes=1):  # one write a minute at most
        row.last_seen_at = now
    return row, user


def end_session(session: Session, token: str | None) -> None:
    """Sign out: the session row is gone, the cookie token means nothing any more."""
    if token:
        session.execute(delete(UserSession).where(UserSession.token_hash == token_hash(token)))


def end_sessions_of(session: Session, user: User) -> None:
    """End every session of a user (password change, disabled)."""
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def scope(session: Session, user: User) -> list[str]:
    """The gemeenten a user works for: its own, or every member of the region it administers."""
    if user.gemeente is not None:
        return [user.gemeente]
    return region_gemeenten(session, user.region or "") or []


def choose_gemeente(session: Session, row: UserSession, user: User, gemeente: str) -> bool:
    """A region administrator switches to one of its member gemeenten (False: not one)."""
    if gemeente not in scope(session, user):
        return False
    row.gemeente = gemeente
    return True


# -- audit -------------------------------------------------------------------------------------


def audit(
    session: Session,
    *,
    user_id: int | None,
    username: str,
    gemeente: str | None,
    action: str,
    outcome: str,
    now: datetime,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> int:
    """Record one action with who did it and how it ended (never a password or a BSN)."""
    entry = AuditEntry(
        at=now,
        user_id=user_id,
        username=username[:64],
        gemeente=gemeente,
        action=action,
        target=target[:120],
        outcome=outcome,
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    return entry.id


def audit_entry(session: Session, entry_id: int, gemeenten: Sequence[str]) -> AuditEntry | None:
    """One entry of the audit trail of these gemeenten."""
    entry = session.get(AuditEntry, entry_id)
    return entry if entry is not None and entry.gemeente in gemeenten else None


def audit_entries(
    session: Session, gemeenten: Sequence[str], *, limit: int = 100, offset: int = 0
) -> list[AuditEntry]:
    """The audit trail of these gemeenten, newest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.gemeente.in_(list(gemeenten)))
            .order_by(AuditEntry.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )
