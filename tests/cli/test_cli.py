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


def test_party_add_refuses_unmigrated_database(tmp_path, monkeypatch):
    monkeypatch.setenv("IJW_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite'}")
    with pytest.raises(Exception, match="ijw db upgrade"):
        main(["party", "add", "--role", "gemeente", "--code", "0363"])


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
    assert rows[str(junk)]["message_type"] is None and not rows[str(junk)]["xsd_valid"]


def test_validate_reports_level2_findings(tmp_path, capsys):
    msg = m.jw305_for("12345678", "0363", "V2", client_bsn="123456789")  # fails the 11-proof
    path = tmp_path / "bsn.xml"
    path.write_bytes(m.xml("JW305", msg))
    assert main(["validate", "--json", str(path)]) == 1
    row = json.loads(capsys.readouterr().out)
    assert row["xsd_valid"] and any(f["rule"] == "CS002" for f in row["findings"])
    assert all(set(f) == {"rule", "retourcode", "location"} for f in row["findings"])


def test_serve_with_workers_needs_postgresql(db_url, capsys):
    assert main(["serve", "--workers", "2"]) == 2
    assert "--workers needs PostgreSQL" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["serve", "--workers", "0"])
