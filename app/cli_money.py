"""`ijw contract ...` and `ijw ceiling ...`: contracts and budget ceilings on the command line."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any


def _session_factory(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from app.cli import _settings
    from app.db.base import make_engine, session_factory
    from app.db.migrate import ensure_current

    engine = make_engine(_settings(args).database_url)
    ensure_current(engine)
    return session_factory(engine)


def cmd_contract_import(args: argparse.Namespace) -> int:
    from app.db.base import transaction
    from app.domain.contracts import ContractImportError, import_document

    path = Path(args.file)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"ijw: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    try:
        with transaction(_session_factory(args)) as s:
            result = import_document(s, document)
    except ContractImportError as exc:
        print(f"ijw: {exc}; nothing was imported", file=sys.stderr)
        for err in exc.errors:
            print(f"  {err['location']}: {err['message']}", file=sys.stderr)
        return 2
    print(json.dumps({"imported": asdict(result)}))
    return 0


def cmd_contract_export(args: argparse.Namespace) -> int:
    from app.db.base import transaction
    from app.domain.contracts import export_document

    with transaction(_session_factory(args)) as s:
        document = export_document(s, region_codes=args.region or None)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def cmd_contract_schema(_: argparse.Namespace) -> int:
    from app.domain.contracts import contract_schema

    print(json.dumps(contract_schema(), indent=2))
    return 0


def cmd_ceiling_report(args: argparse.Namespace) -> int:
    from app.cli import _settings
    from app.clock import clock_for
    from app.db.base import transaction
    from app.domain import ceilings

    today = clock_for(_settings(args).fixed_today).today()  # IJW_TODAY pins it
    year = args.year or today.year
    with transaction(_session_factory(args)) as s:
        if args.utilisation:
            rows = ceilings.utilisation(s, args.gemeente, year).rows()
            writer = csv.DictWriter(sys.stdout, fieldnames=list(UTILISATION_COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
            return 0
        items = [st.as_dict() for st in ceilings.statuses(s, args.gemeente, year, today)]
    print(json.dumps({"year": year, "items": items}, indent=2))
    return 0


UTILISATION_COLUMNS = ("aanbieder", "gemeente", "categorie", "month", "committed", "spent")


def register(sub: Any) -> None:
    """Add the money sub-commands to the `ijw` parser."""

    def db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--database-url", help="SQLAlchemy URL (default: $IJW_DATABASE_URL)")

    contract = sub.add_parser("contract", help="contracts: regions, products, dated tariffs")
    csub = contract.add_subparsers(dest="contract", required=True)
    p = csub.add_parser("import", help="import an ijw-contracts/1 JSON file (all or nothing)")
    p.add_argument("file")
    db_option(p)
    p.set_defaults(func=cmd_contract_import)
    p = csub.add_parser("export", help="export regions as an ijw-contracts/1 JSON document")
    p.add_argument("--region", action="append", help="region code (repeatable; default all)")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    db_option(p)
    p.set_defaults(func=cmd_contract_export)
    p = csub.add_parser("schema", help="print the JSON Schema of the document")
    p.set_defaults(func=cmd_contract_schema)

    ceiling = sub.add_parser("ceiling", help="budget ceilings and utilisation")
    xsub = ceiling.add_subparsers(dest="ceiling", required=True)
    p = xsub.add_parser("report", help="ceilings with their figures (JSON) or utilisation (CSV)")
    p.add_argument("--gemeente", required=True, help="a gemeente of the region")
    p.add_argument("--year", type=int, help="default: this year")
    p.add_argument(
        "--utilisation", action="store_true", help="committed and spent per month as CSV"
    )
    db_option(p)
    p.set_defaults(func=cmd_ceiling_report)
