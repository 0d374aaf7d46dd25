"""`ijw contract ...`: contract sets on the command line (the operator: every right).

import / export / schema / upgrade (ijw-contracts/1 -> 2) / index (yearly indexation) /
products (a product list from CSV) / versions / diff / admin (hand over the administration).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.cli.main import Root, db_option, fail, migrated_factory
from app.db.base import transaction
from app.reference import contracts as sets
from app.reference.contract_doc import upgrade_v1
from app.reference.contracts import (
    OPERATOR,
    Actor,
    ContractForbidden,
    ContractImportError,
    ContractNotFound,
    contract_schema,
    export_document,
    import_document,
)
from app.reference.indexation import index_region
from app.reference.product_csv import replace_products


def _now() -> datetime:
    return datetime.now(UTC)


def _actor(args: argparse.Namespace) -> Actor:
    return Actor(None, getattr(args, "user", None))


def _report(exc: ContractImportError | ContractForbidden) -> int:
    print(f"ijw: {exc}; nothing was imported", file=sys.stderr)
    for err in exc.errors:
        print(f"  {err['location']}: {err['message']}", file=sys.stderr)
    return 2


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def cmd_contract_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        document = _read_json(path)
    except (OSError, ValueError) as exc:
        return fail(f"cannot read {path}: {exc}")
    try:
        with transaction(migrated_factory(args)) as s:
            result = import_document(s, document, actor=_actor(args), now=_now())
    except (ContractImportError, ContractForbidden) as exc:
        return _report(exc)
    print(json.dumps({"imported": asdict(result)}))
    return 0


def _write(document: Any, output: str | None) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


def cmd_contract_export(args: argparse.Namespace) -> int:
    with transaction(migrated_factory(args)) as s:
        if args.version is not None:
            if not args.region or len(args.region) != 1:
                return fail("--version needs exactly one --region")
            try:
                document = sets.version_document(s, args.region[0], args.version)
            except ContractNotFound as exc:
                return fail(f"no {exc}")
        else:
            document = export_document(s, region_codes=args.region or None)
    _write(document, args.output)
    return 0


def cmd_contract_schema(_: argparse.Namespace) -> int:
    print(json.dumps(contract_schema(), indent=2))
    return 0


def cmd_contract_upgrade(args: argparse.Namespace) -> int:
    try:
        document = upgrade_v1(_read_json(Path(args.file)))
    except (OSError, ValueError) as exc:
        return fail(f"cannot read {args.file}: {exc}")
    except ContractImportError as exc:
        return _report(exc)
    _write(document, args.output)
    return 0


def _table(path: str) -> dict[str, Decimal]:
    """code-or-category,percentage rows (a header line is skipped)."""
    out: dict[str, Decimal] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f, delimiter=";" if ";" in f.readline() else ","):
            if len(row) >= 2 and row[0].strip():
                out[row[0].strip()] = Decimal(row[1].strip().replace(",", "."))
    return out


def cmd_contract_index(args: argparse.Namespace) -> int:
    try:
        percentage = Decimal(args.percentage.replace(",", ".")) if args.percentage else None
        table = _table(args.table) if args.table else None
    except (OSError, InvalidOperation) as exc:
        return fail(f"cannot read the percentage or table: {exc}")
    try:
        with transaction(migrated_factory(args)) as s:
            result = index_region(
                s,
                args.region,
                start=date.fromisoformat(args.start),
                percentage=percentage,
                table=table,
                rounding=args.rounding,
                actor=_actor(args),
                now=_now(),
            )
    except (ContractImportError, ContractForbidden) as exc:
        return _report(exc)
    except ContractNotFound as exc:
        return fail(f"no {exc}")
    print(json.dumps({"indexed": asdict(result)}, default=str))
    return 0


def cmd_contract_products(args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"cannot read {args.file}: {exc}")
    try:
        with transaction(migrated_factory(args)) as s:
            result = replace_products(s, args.region, text, _actor(args), _now())
    except (ContractImportError, ContractForbidden) as exc:
        return _report(exc)
    except ContractNotFound as exc:
        return fail(f"no {exc}")
    print(json.dumps({"imported": asdict(result)}))
    return 0


def cmd_contract_versions(args: argparse.Namespace) -> int:
    with transaction(migrated_factory(args)) as s:
        rows = [
            {
                "version": v.version,
                "action": v.action,
                "actor_party": v.actor_party,
                "actor_user": v.actor_user,
                "at": v.at.isoformat(),
                "changed": len(v.changes or []),
            }
            for v in sets.versions_of(s, args.region)
        ]
    print(json.dumps({"region": args.region, "items": rows}, indent=2))
    return 0


def cmd_contract_diff(args: argparse.Namespace) -> int:
    with transaction(migrated_factory(args)) as s:
        try:
            changes = sets.diff_versions(s, args.region, args.old, args.new)
        except ContractNotFound as exc:
            return fail(f"no {exc}")
    print(json.dumps({"region": args.region, "changes": changes}, indent=2, default=str))
    return 0


def cmd_contract_admin(args: argparse.Namespace) -> int:
    try:
        with transaction(migrated_factory(args)) as s:
            version = sets.transfer(s, args.region, args.gemeente, OPERATOR, _now())
    except ContractForbidden as exc:
        return _report(exc)
    except ContractNotFound as exc:
        return fail(f"no {exc}")
    print(json.dumps({"region": args.region, "administrator": args.gemeente, "version": version}))
    return 0


def register(sub: Any, root: Root) -> None:
    """Add `ijw contract import|export|schema|upgrade|index|products|versions|diff|admin`."""
    contract = sub.add_parser("contract", help="contract sets: products, lines, tariffs, ceilings")
    csub = contract.add_subparsers(dest="contract", required=True)
    p = csub.add_parser("import", help="import an ijw-contracts/2 (or /1) file (all or nothing)")
    p.add_argument("file")
    p.add_argument("--user", help="who imports (kept in the version)")
    db_option(p)
    p.set_defaults(func=cmd_contract_import)
    p = csub.add_parser("export", help="export sets as an ijw-contracts/2 JSON document")
    p.add_argument("--region", action="append", help="set code (repeatable; default all)")
    p.add_argument("--version", type=int, help="export this version of the one --region")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    db_option(p)
    p.set_defaults(func=cmd_contract_export)
    p = csub.add_parser("schema", help="print the JSON Schema of the document")
    p.set_defaults(func=cmd_contract_schema)
    p = csub.add_parser("upgrade", help="convert an ijw-contracts/1 file to ijw-contracts/2")
    p.add_argument("file")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_contract_upgrade)
    p = csub.add_parser("index", help="index a set's tariffs from a date (new dated tariffs)")
    p.add_argument("region")
    p.add_argument("--start", required=True, help="first day of the new tariffs (YYYY-MM-DD)")
    p.add_argument("--percentage", help="e.g. 2.96 (at most 4 decimals)")
    p.add_argument("--table", help="CSV: product code or category, percentage")
    p.add_argument("--rounding", choices=("half_up", "down", "up"), default="half_up")
    p.add_argument("--user", help="who indexes (kept in the version)")
    db_option(p)
    p.set_defaults(func=cmd_contract_index)
    p = csub.add_parser("products", help="replace a set's product list from a CSV file")
    p.add_argument("region")
    p.add_argument("file")
    p.add_argument("--user", help="who imports (kept in the version)")
    db_option(p)
    p.set_defaults(func=cmd_contract_products)
    p = csub.add_parser("versions", help="every version of a set: who, when, what")
    p.add_argument("region")
    db_option(p)
    p.set_defaults(func=cmd_contract_versions)
    p = csub.add_parser("diff", help="what changed in a set between two versions")
    p.add_argument("region")
    p.add_argument("old", type=int)
    p.add_argument("new", type=int)
    db_option(p)
    p.set_defaults(func=cmd_contract_diff)
    p = csub.add_parser("admin", help="make a member gemeente the administrator of a set")
    p.add_argument("region")
    p.add_argument("gemeente")
    db_option(p)
    p.set_defaults(func=cmd_contract_admin)
