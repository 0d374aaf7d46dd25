"""Users, passwords, sessions and the audit trail of the web interface (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts import store
from app.accounts.models import User, UserSession
from app.db.base import session_factory, transaction
from app.reference.contracts import import_document
from tests.money.support import contract_doc

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def factory(db_engine):
    return session_factory(db_engine)


def _add(factory, username="anna", **kw) -> None:
    with transaction(factory) as s:
        store.add_user(
            s,
            username=username,
            password=kw.pop("password", PASSWORD),
            role=kw.pop("role", store.CASE_WORKER),
            now=NOW,
            gemeente=kw.pop("gemeente", "0363" if "region" not in kw else None),
            **kw,
        )


def test_a_password_is_stored_only_as_an_argon2id_hash(factory) -> None:
    _add(factory)
    with factory() as s:
        user = s.scalar(select(User))
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"username": "A"}, "username"),
        ({"password": "short"}, "at least 12"),
        ({"role": "admin"}, "role"),
        ({"gemeente": "363"}, "4 digits"),
        ({"region": "NOWHERE"}, "not known"),
    ],
)
def test_bad_users_are_refused(factory, kw, message) -> None:
    with pytest.raises(store.AccountError, match=message):
        _add(factory, **kw)


def test_a_username_is_unique(factory) -> None:
    _add(factory)
    with pytest.raises(store.AccountError, match="already exists"):
        _add(factory)


def test_sign_in_checks_the_password(factory) -> None:
    _add(factory)
    with transaction(factory) as s:
        assert store.authenticate(s, "anna", PASSWORD, NOW).user is not None
        assert store.authenticate(s, "anna", PASSWORD + "x", NOW).reason == "wrong"
        assert store.authenticate(s, "nobody", PASSWORD, NOW).reason == "unknown"


def test_five_failures_lock_the_account_for_a_while(factory) -> None:
    _add(factory)
    with transaction(factory) as s:
        for _ in range(store.MAX_FAILURES):
            assert store.authenticate(s, "anna", "wrong password!", NOW).user is None
        # the right password does not help while locked ...
        assert store.authenticate(s, "anna", PASSWORD, NOW).reason == "locked"
        # ... and works again after the lockout
        later = NOW + store.LOCKOUT + timedelta(seconds=1)
        assert store.authenticate(s, "anna", PASSWORD, later).user is not None


def test_a_disabled_user_cannot_sign_in_and_loses_its_sessions(factory) -> None:
    _add(factory)
    life = store.Lifetime()
    with transaction(factory) as s:
        user = store.authenticate(s, "anna", PASSWORD, NOW).user
        token, _ = store.start_session(s, user, NOW, life)
        store.set_active(s, user, False)
    with transaction(factory) as s:
        assert store.session_for(s, token, NOW, life) is None
        assert store.authenticate(s, "anna", PASSWORD, NOW).reason == "inactive"


def test_sessions_end_when_idle_or_old_and_on_sign_out(factory) -> None:
    _add(factory)
    life = store.Lifetime(absolute=timedelta(hours=2), idle=timedelta(minutes=30))
    with transaction(factory) as s:
        user = store.authenticate(s, "anna", PASSWORD, NOW).user
        token, row = store.start_session(s, user, NOW, life)
        assert row.token_hash != token and len(token) >= 40  # only the hash is stored
    with transaction(factory) as s:
        # active every 20 minutes: alive until the absolute end
        for minutes in (20, 40, 60, 80, 100):
            assert store.session_for(s, token, NOW + timedelta(minutes=minutes), life)
        assert store.session_for(s, token, NOW + timedelta(minutes=121), life) is None
    with transaction(factory) as s:
        token, _ = store.start_session(s, user, NOW, life)
    with transaction(factory) as s:
        assert store.session_for(s, token, NOW + timedelta(minutes=31), life) is None
    with transaction(factory) as s:
        token, _ = store.start_session(s, user, NOW, life)
        store.end_session(s, token)
    with transaction(factory) as s:
        assert store.session_for(s, token, NOW, life) is None
        assert store.session_for(s, "not-a-token", NOW, life) is None


def test_a_new_password_ends_every_session(factory) -> None:
    _add(factory)
    with transaction(factory) as s:
        user = store.authenticate(s, "anna", PASSWORD, NOW).user
        store.start_session(s, user, NOW, store.Lifetime())
        store.set_password(s, user, "another long passphrase")
    with factory() as s:
        assert s.scalar(select(UserSession)) is None


def test_a_region_administrator_works_for_every_member(factory) -> None:
    with transaction(factory) as s:
        import_document(s, contract_doc(gemeenten=("0363", "0362")))
    _add(factory, "regio", region="TEST")
    with transaction(factory) as s:
        user = store.user_by_name(s, "regio")
        assert store.scope(s, user) == ["0362", "0363"]
        _, row = store.start_session(s, user, NOW, store.Lifetime())
        assert store.choose_gemeente(s, row, user, "0363")
        assert not store.choose_gemeente(s, row, user, "0599")


def test_the_audit_trail_is_per_gemeente(factory) -> None:
    with transaction(factory) as s:
        for gemeente in ("0363", "0599"):
            store.audit(
                s,
                user_id=None,
                username="anna",
                gemeente=gemeente,
                action="signin",
                outcome="ok",
                now=NOW,
            )
        assert [e.gemeente for e in store.audit_entries(s, ["0363"])] == ["0363"]
