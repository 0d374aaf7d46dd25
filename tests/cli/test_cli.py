"""The `ijw` command line: party tokens, offline validation, migrations."""

from __future__ import annotations

import json

import pytest

from app.bootstrap import main
from app.db.base import make_engine, session_factory
from app.exchange.parties import authenticate
from testkit import messages as m


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("IJW_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    return url


def test_party_add_prints_token_last_and_stores_only_its_hash(db_url, capsys):
    assert main(["party", "add", "--role", "aanbieder", "--code", "12345678", "--name", "X"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        party = authenticate(s, token)
        assert party is not None and party.code == "12345678"
        assert token not in party.token_hash
    engine.dispose()


def test_party_add_rejects_bad_code_and_duplicates(db_url, capsys):
    assert main(["party", "add", "--role", "gemeente", "--code", "123"]) == 2
    assert main(["party", "add", "--role", "gemeente", "--code", "0363"]) == 0
    assert main(["party", "add", "--role", "gemeente", "--code", "0363"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_party_add_refuses_unmigrated_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IJW_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite'}")
    assert main(["party", "add", "--role", "gemeente", "--code", "0363"]) == 2
    err = capsys.readouterr().err
    assert "ijw db upgrade" in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_validate_json_reports_each_file(tmp_path, capsys):
    good = tmp_path / "good.xml"
    good.write_bytes(m.xml("JW305", m.jw305_for("12345678", "0363", "V1", client_bsn=m.bsn(3))))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(good.read_bytes().replace(b"<jw305:Geslacht>1<", b"<jw305:Geslacht>7<"))
    junk = tmp_path / "junk.xml"
    junk.write_bytes(b"not xml")
    assert main(["validate", "--json", str(good)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["xsd_valid"] and rows[0]["message_type"] == "JW305"
    assert rows[0]["findings"] == [] and rows[0]["path"] == str(good)
    assert main(["validate", "--json", str(tmp_path)]) == 1
    rows = {r["path"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert set(rows) == {str(good), str(bad), str(junk)}
    assert not rows[str(bad)]["xsd_valid"] and rows[str(bad)]["errors"][0]["line"]
    assert rows[str(junk)] == {"path": str(junk), "skipped": "not XML"}
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(good.read_bytes()[:200])
    assert main(["validate", "--json", str(truncated)]) == 1
    (row,) = map(json.loads, capsys.readouterr().out.splitlines())
    assert row["message_type"] is None and not row["xsd_valid"]


def test_validate_summarises_and_skips_virtual_environments(tmp_path, capsys):
    good = m.xml("JW305", m.jw305_for("12345678", "0363", "V1", client_bsn=m.bsn(3)))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.xml").write_bytes(good)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "vendored.xml").write_bytes(b"<broken")
    (tmp_path / "notes.xml").write_bytes(b"just notes")
    assert main(["validate", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "vendored" not in captured.out and "skipped (not XML)" in captured.out
    assert "2 file(s): 1 valid, 0 invalid, 1 skipped" in captured.err


def test_validate_reports_level2_findings(tmp_path, capsys):
    msg = m.jw305_for("12345678", "0363", "V2", client_bsn="123456789")  # fails the 11-proof
    path = tmp_path / "bsn.xml"
    path.write_bytes(m.xml("JW305", msg))
    assert main(["validate", "--json", str(path)]) == 1
    row = json.loads(capsys.readouterr().out)
    assert row["xsd_valid"] and any(f["rule"] == "CS002" for f in row["findings"])
    assert all(set(f) == {"rule", "retourcode", "location"} for f in row["findings"])


@pytest.mark.parametrize(
    "env,argv,says",
    [
        ({"IJW_TODAY": "tomorrow"}, ["party", "list"], "IJW_TODAY"),
        ({"IJW_DATABASE_URL": "nonsense://x"}, ["db", "upgrade"], "database URL"),
        ({"IJW_DATABASE_URL": "not a url"}, ["party", "list"], "database URL"),
        (
            {"IJW_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
            ["party", "list"],
            "cannot use the database",
        ),
        ({"IJW_LOG_LEVEL": "LOUD"}, ["party", "list"], "IJW_LOG_LEVEL"),
        ({"IJW_WRITE_WAIT": "soon"}, ["party", "list"], "IJW_WRITE_WAIT"),
        ({"IJW_WRITE_WAIT": "0"}, ["party", "list"], "IJW_WRITE_WAIT"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(monkeypatch, capsys, env, argv, says):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_a_bad_on_date_is_one_line(db_url, capsys):
    assert main(["codelist", "show", "0363", "--on", "2026-13-01"]) == 2
    assert "--on" in capsys.readouterr().err


def test_party_list_rotate_and_revoke(db_url, capsys):
    assert main(["party", "add", "--role", "aanbieder", "--code", "12345678"]) == 0
    old = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["party", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["code"] == "12345678" and row["state"] == "active" and old not in json.dumps(row)
    assert main(["party", "rotate-token", "12345678"]) == 0
    new = capsys.readouterr().out.strip().splitlines()[-1]
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        assert authenticate(s, old) is None and authenticate(s, new) is not None
    assert main(["party", "revoke", "12345678"]) == 0
    with session_factory(engine)() as s:
        assert authenticate(s, new) is None
    engine.dispose()
    assert main(["party", "list"]) == 0 and "revoked" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("ijw ")


def test_demo_tokens_are_pinned_across_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IJW_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("IJW_DATABASE_URL", raising=False)
    assert main(["demo"]) == 0
    first = [line.strip() for line in capsys.readouterr().out.splitlines() if "export" in line]
    assert len(first) == 3 and (tmp_path / "demo-tokens.env").exists()
    assert main(["demo"]) == 0
    second = [line.strip() for line in capsys.readouterr().out.splitlines() if "export" in line]
    assert second == first  # the user's curl commands keep working
    assert main(["demo", "--new-tokens"]) == 0
    third = [line.strip() for line in capsys.readouterr().out.splitlines() if "export" in line]
    assert third != first


@pytest.mark.parametrize("kind", ["JW301", "JW305", "JW307", "JW315", "JW323"])
def test_examples_are_valid_messages(kind, capsysbinary):
    from app.cli.validate import validate_bytes

    assert main(["example", kind]) == 0
    result = validate_bytes(capsysbinary.readouterr().out)
    assert result["message_type"] == kind and result["xsd_valid"] and result["findings"] == []


def test_serve_with_workers_needs_postgresql(db_url, capsys):
    assert main(["serve", "--workers", "2"]) == 2
    assert "--workers needs PostgreSQL" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["serve", "--workers", "0"])
