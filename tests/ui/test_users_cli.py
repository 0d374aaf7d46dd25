"""`ijw user ...`: users of the web interface are managed from the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.accounts import store
from app.bootstrap import main
from app.db.base import make_engine, session_factory, transaction
from app.db.migrate import upgrade


@pytest.fixture
def url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'users.sqlite'}"
    upgrade(url)
    monkeypatch.setenv("IJW_DATABASE_URL", url)  # the CLI sets it; restored after the test
    return url


def _sign_in(url: str, username: str, password: str) -> store.SignIn:
    engine = make_engine(url)
    try:
        with transaction(session_factory(engine)) as s:
            return store.authenticate(s, username, password, datetime.now(UTC))
    finally:
        engine.dispose()


def test_user_add_prints_a_password_that_signs_in(url, capsys) -> None:
    args = ["user", "add", "anna", "--gemeente", "0363", "--role", "case_worker"]
    assert main([*args, "--name", "Anna", "--database-url", url]) == 0
    password = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(password) >= store.MIN_PASSWORD
    assert _sign_in(url, "anna", password).user is not None
    assert main(["user", "list", "--database-url", url]) == 0
    assert "anna" in capsys.readouterr().out


def test_a_disabled_user_cannot_sign_in(url, capsys) -> None:
    main(
        ["user", "add", "piet", "--gemeente", "0363", "--role", "read_only", "--database-url", url]
    )
    password = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["user", "disable", "piet", "--database-url", url]) == 0
    assert _sign_in(url, "piet", password).reason == "inactive"


def test_a_bad_user_is_refused_with_one_line(url, capsys) -> None:
    args = ["user", "add", "x", "--gemeente", "0363", "--role", "boss", "--database-url", url]
    with pytest.raises(SystemExit):  # argparse: not one of the roles
        main(args)
    code = main(
        ["user", "add", "kees", "--region", "NOWHERE", "--role", "read_only", "--database-url", url]
    )
    assert code == 2 and "region NOWHERE is not known" in capsys.readouterr().err
