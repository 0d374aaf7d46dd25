"""`ijw contract ...`: contracts (regions, products, dated tariffs) on the command line."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.cli.main import Root, db_option, migrated_factory
from app.db.base import transaction
from app.reference.contracts import (
    ContractImportError,
    contract_schema,
    export_document,
    import_document,
)


def cmd_contract_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"ijw: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    try:
        with transaction(migrated_factory(args)) as s:
            result = import_document(s, document)
    except ContractImportError as exc:
        print(f"ijw: {exc}; nothing was imported", file=sys.stderr)
        for err in exc.errors:
            print(f"  {err['location']}: {err['message']}", file=sys.stderr)
        return 2
    print(json.dumps({"imported": asdict(result)}))
    return 0


def cmd_contract_export(args: argparse.Namespace) -> int:
    with transaction(migrated_factory(args)) as s:
        document = export_document(s, region_codes=args.region or None)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def cmd_contract_schema(_: argparse.Namespace) -> int:
    print(json.dumps(contract_schema(), indent=2))
    return 0


def register(sub: Any, root: Root) -> None:
    """Add `ijw contract import|export|schema`."""
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
