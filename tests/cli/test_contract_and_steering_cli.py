"""The operator's commands: contract upgrade / index / products / versions / diff / admin,
`ijw report`, `ijw payments`, `ijw alerts run`."""

from __future__ import annotations

import json

from app.bootstrap import main
from app.reference.contracts import demo_document
from tests.money.support import seed_allocation


def test_operator_commands(db_engine, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("IJW_TODAY", "2026-06-15")
    url = db_engine.url.render_as_string(hide_password=False)
    db = ["--database-url", url]
    v1 = {
        "format": "ijw-contracts/1",
        "regions": [
            {
                "code": "OUD",
                "gemeenten": ["0599"],
                "products": [
                    {
                        "categorie": "45",
                        "code": "45A04",
                        "eenheid": "04",
                        "valid_from": "2020-01-01",
                    }
                ],
                "contracts": [
                    {
                        "aanbieder": "12345678",
                        "code": "45A04",
                        "variant": "inspanning",
                        "tariffs": [{"eenheid": "04", "tarief": 8000, "valid_from": "2020-01-01"}],
                    }
                ],
            }
        ],
    }
    (tmp_path / "v1.json").write_text(json.dumps(v1))
    assert (
        main(["contract", "upgrade", str(tmp_path / "v1.json"), "-o", str(tmp_path / "v2.json")])
        == 0
    )
    assert json.loads((tmp_path / "v2.json").read_text())["format"] == "ijw-contracts/2"
    (tmp_path / "demo.json").write_text(json.dumps(demo_document(2026)))
    assert main(["contract", "import", str(tmp_path / "demo.json"), "--user", "ops", *db]) == 0
    capsys.readouterr()
    index = ["contract", "index", "DEMO-AMS", "--start", "2027-01-01", "--percentage", "2,5"]
    assert main([*index, *db]) == 0
    # 15 regional defaults and 1 provider exception are valid on the start date
    assert json.loads(capsys.readouterr().out)["indexed"]["indexed"] == 16
    (tmp_path / "list.csv").write_text(
        "code;categorie;eenheid;ingangsdatum\n45A04;45;04;2025-01-01\n"
    )
    # the list drops codes the contract lines still name: refused, nothing changes
    assert main(["contract", "products", "DEMO-AMS", str(tmp_path / "list.csv"), *db]) == 2
    assert "not in the set's catalogue" in capsys.readouterr().err
    assert main(["contract", "versions", "DEMO-AMS", *db]) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    assert [(v["action"], v["actor_user"]) for v in items] == [("import", "ops"), ("index", None)]
    assert main(["contract", "diff", "DEMO-AMS", "1", "2", *db]) == 0
    # each indexed tariff: an end date and a new tariff
    assert len(json.loads(capsys.readouterr().out)["changes"]) == 16 * 2
    assert main(["contract", "admin", "DEMO-AMS", "0362", *db]) == 0
    capsys.readouterr()
    out = tmp_path / "v1-export.json"
    assert (
        main(["contract", "export", "--region", "DEMO-AMS", "--version", "1", "-o", str(out), *db])
        == 0
    )
    assert json.loads(out.read_text())["regions"][0]["administrator"] == "0363"
    seed_allocation(db_engine, 1, bsn="999990019", volume=1, frequentie="4")
    assert main(["report", "volumes", "--gemeente", "0363", "--period", "year", *db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("period,gemeente,aanbieder,categorie,code,eenheid")
    assert lines[1].startswith("2026,0363,12345678,45,45A04,04,")
    assert main(["payments", "export", "--gemeente", "0363", *db]) == 0
    assert capsys.readouterr().out.startswith("declaratie_id,declaratienummer")
    assert main(["alerts", "run", "--gemeente", "0363", *db]) == 0
    assert json.loads(capsys.readouterr().out) == {"created": 1, "delivered": 0}  # no JW302 yet
