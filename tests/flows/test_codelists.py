"""The dated CBS municipality list (TR378): shipped data, lookups, updates and the CLI."""

from __future__ import annotations

from datetime import date

import pytest

from app.bootstrap import main
from app.db.base import session_factory, transaction
from app.reference import codelists
from app.reference.codelists import GemeenteCode, merge_snapshot, parse_csv, shipped_list


def test_shipped_list_has_the_2026_municipalities_and_the_merged_ones():
    items = shipped_list()
    open_codes = {g.code for g in items if g.valid_to is None}
    assert len(open_codes) == 342  # the CBS indeling of 1 January 2026
    beemster = next(g for g in items if g.code == "0370")
    assert beemster.valid_to == date(2021, 12, 31)
    weesp = next(g for g in items if g.code == "0457")
    assert weesp.valid_to == date(2022, 3, 23)  # joined Amsterdam on 24 March 2022
    voorne = next(g for g in items if g.code == "1992")
    assert voorne.valid_from == date(2023, 1, 1)


def test_tr378_validity_on_dates(db_engine):
    with transaction(session_factory(db_engine)) as s:
        assert codelists.gemeente_valid(s, "0363", date(2026, 6, 1))
        assert codelists.gemeente_valid(s, "0370", date(2021, 6, 1))
        assert not codelists.gemeente_valid(s, "0370", date(2025, 6, 1))  # S300
        assert codelists.gemeente_valid(s, "0370", [date(2025, 6, 1), date(2021, 6, 1)])
        assert not codelists.gemeente_valid(s, "1992", date(2022, 6, 1))  # not yet
        assert not codelists.gemeente_valid(s, "9999", date(2026, 6, 1))


def test_merge_snapshot_starts_new_and_ends_missing_codes():
    current = [
        GemeenteCode("0001", "Oud", None, None),
        GemeenteCode("0002", "Blijft", None, None),
        GemeenteCode("0003", "Al weg", None, date(2020, 12, 31)),
    ]
    merged, summary = merge_snapshot(current, {"0002": "Blijft", "0004": "Nieuw"}, date(2027, 1, 1))
    by_code = {g.code: g for g in merged}
    assert by_code["0001"].valid_to == date(2026, 12, 31)
    assert by_code["0004"].valid_from == date(2027, 1, 1) and by_code["0004"].valid_to is None
    assert by_code["0003"].valid_to == date(2020, 12, 31)
    assert (summary.added, summary.ended, summary.unchanged) == (["0004"], ["0001"], 1)


def test_csv_round_trip_and_errors():
    text = codelists.to_csv(shipped_list())
    assert parse_csv(text) == sorted(
        shipped_list(), key=lambda g: (g.code, g.valid_from or date.min)
    )
    with pytest.raises(codelists.CodelistError):
        parse_csv("code,name\n0363,Amsterdam\n")
    with pytest.raises(codelists.CodelistError):
        parse_csv("code,name,valid_from,valid_to\n363,Amsterdam,,\n")
    with pytest.raises(codelists.CodelistError):
        parse_csv("code,name,valid_from,valid_to\n0363,Amsterdam,2020-01-01,2019-01-01\n")


def test_cli_import_replaces_the_list_and_show_reads_it(db_engine, tmp_path, capsys):
    url = db_engine.url.render_as_string(hide_password=False)
    path = tmp_path / "list.csv"
    path.write_text("code,name,valid_from,valid_to\n0363,Amsterdam,,\n0999,Proef,2027-01-01,\n")
    assert main(["codelist", "import", str(path), "--database-url", url]) == 0
    with transaction(session_factory(db_engine)) as s:
        assert not codelists.gemeente_valid(s, "0599", date(2026, 1, 1))  # not in the new list
        assert codelists.gemeente_valid(s, "0999", date(2027, 2, 1))
    assert main(["codelist", "show", "0999", "--on", "2026-12-31", "--database-url", url]) == 0
    assert "valid on 2026-12-31: no (S300)" in capsys.readouterr().out
    snapshot = tmp_path / "cbs.md"
    snapshot.write_text(
        "| Gemeentecode | Gemeentenaam |\n| 0363 | Amsterdam |\n| 1999 | Nieuwstad |\n"
    )
    args = ["codelist", "import-cbs", str(snapshot), "--peildatum", "2028-01-01"]
    assert main([*args, "--database-url", url]) == 0
    assert "1 new (1999), 1 ended (0999)" in capsys.readouterr().out
    out = tmp_path / "out.csv"
    assert main(["codelist", "export", "-o", str(out), "--database-url", url]) == 0
    assert "0999,Proef,2027-01-01,2027-12-31" in out.read_text()
