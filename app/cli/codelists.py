"""`ijw codelist ...`: show, export and update the CBS municipality list used by TR378."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from app.cli.main import Root, db_option, fail, migrated_factory
from app.db.base import transaction
from app.reference import codelists


def cmd_show(args: argparse.Namespace) -> int:
    with transaction(migrated_factory(args)) as session:
        periods = codelists.lookup(session, args.code)
        try:
            on = date.fromisoformat(args.on) if args.on else None
        except ValueError:
            return fail(f"--on must be a date YYYY-MM-DD, got {args.on!r}")
        for p in periods:
            print(f"{p.code} {p.name}: {p.valid_from or '...'} - {p.valid_to or '...'}")
        if not periods:
            print(f"{args.code}: not in the list", file=sys.stderr)
        if on is not None:
            ok = codelists.gemeente_valid(session, args.code, on)
            print(f"valid on {on}: {'yes' if ok else 'no (S300)'}")
    return 0 if periods else 1


def cmd_export(args: argparse.Namespace) -> int:
    with transaction(migrated_factory(args)) as session:
        text = codelists.to_csv(codelists.current_list(session))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    try:
        items = codelists.parse_csv(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, codelists.CodelistError) as exc:
        print(f"ijw codelist: {exc}", file=sys.stderr)
        return 2
    with transaction(migrated_factory(args)) as session:
        n = codelists.replace_list(session, items)
    print(f"{n} gemeentecode periods in use (replaced the previous list)")
    return 0


def cmd_import_cbs(args: argparse.Namespace) -> int:
    try:
        snapshot = codelists.parse_cbs_snapshot(Path(args.file).read_text(encoding="utf-8"))
        peildatum = date.fromisoformat(args.peildatum)
    except (OSError, ValueError) as exc:
        print(f"ijw codelist: {exc}", file=sys.stderr)
        return 2
    with transaction(migrated_factory(args)) as session:
        merged, summary = codelists.merge_snapshot(
            codelists.current_list(session), snapshot, peildatum
        )
        codelists.replace_list(session, merged)
    print(
        f"CBS list of {peildatum}: {len(summary.added)} new ({', '.join(summary.added) or '-'}), "
        f"{len(summary.ended)} ended ({', '.join(summary.ended) or '-'}), "
        f"{summary.unchanged} unchanged"
    )
    return 0


def register(sub: Any, root: Root) -> None:
    """Add `ijw codelist show|export|import|import-cbs`."""
    codelist = sub.add_parser("codelist", help="the CBS municipality list (TR378)")
    csub = codelist.add_subparsers(dest="codelist", required=True)

    p = csub.add_parser("show", help="the validity periods of one gemeentecode")
    p.add_argument("code")
    p.add_argument("--on", help="also say whether it is valid on this date (YYYY-MM-DD)")
    db_option(p)
    p.set_defaults(func=cmd_show)

    p = csub.add_parser("export", help="write the list in use as CSV")
    p.add_argument("--output", "-o", default="-")
    db_option(p)
    p.set_defaults(func=cmd_export)

    p = csub.add_parser(
        "import", help="replace the list in use by a CSV (code,name,valid_from,valid_to)"
    )
    p.add_argument("file")
    db_option(p)
    p.set_defaults(func=cmd_import)

    p = csub.add_parser(
        "import-cbs",
        help="merge a new CBS snapshot: new codes start on the peildatum, missing ones end",
    )
    p.add_argument("file", help="CBS table (markdown rows `| code | name |` or code,name CSV)")
    p.add_argument("--peildatum", required=True, help="the date the snapshot is valid from")
    db_option(p)
    p.set_defaults(func=cmd_import_cbs)
