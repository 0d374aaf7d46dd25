"""`ijw alerts run`, `ijw report NAME`, `ijw payments export|paid`: steering on the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from app.cli.main import Root, db_option, fail, migrated_factory, settings
from app.clock import clock_for
from app.db.base import transaction
from app.exchange import parties
from app.ijw.catalogue import Role
from app.reference import contracts as sets
from app.steering import alerts, payments, reports


def cmd_alerts_run(args: argparse.Namespace) -> int:
    factory = migrated_factory(args)
    clock = clock_for(settings(args).fixed_today)
    while True:
        with transaction(factory) as s:
            gemeenten = (
                [args.gemeente] if args.gemeente else parties.codes_of_role(s, Role.GEMEENTE)
            )
        created = 0
        for g in gemeenten:
            with transaction(factory) as s:
                created += len(alerts.scan(s, g, clock.today(), clock.now()))
        delivered = alerts.deliver(factory, clock.now())
        print(json.dumps({"created": created, "delivered": delivered}), flush=True)
        if not args.interval:
            return 0
        time.sleep(args.interval)


def cmd_report(args: argparse.Namespace) -> int:
    today = clock_for(settings(args).fixed_today).today()
    start = date.fromisoformat(args.start) if args.start else date(today.year, 1, 1)
    end = date.fromisoformat(args.end) if args.end else date(today.year, 12, 31)
    with transaction(migrated_factory(args)) as s:
        if args.set:
            gemeenten = [g for g, st in sets.members_of(s, args.set) if st == sets.ACTIVE]
        elif args.gemeente:
            gemeenten = [args.gemeente]
        else:
            return fail("give --gemeente or --set")
        q = reports.Query(
            tuple(gemeenten), start, end, args.period, aanbieder=args.aanbieder, today=today
        )
        rows = reports.run(s, args.name, q)
    _write(rows, args.format)
    return 0


def _write(rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps({"items": rows}, indent=2, default=str))
        return
    sys.stdout.write(reports.to_csv(rows))


def cmd_payments_export(args: argparse.Namespace) -> int:
    with transaction(migrated_factory(args)) as s:
        rows = payments.export(s, args.gemeente, status=args.status)
    text = payments.to_csv(rows)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_payments_paid(args: argparse.Namespace) -> int:
    clock = clock_for(settings(args).fixed_today)
    try:
        items = payments.parse_paid_csv(Path(args.file).read_text(encoding="utf-8-sig"))
        with transaction(migrated_factory(args)) as s:
            result = payments.mark_paid(s, args.gemeente, items, args.user, clock.now())
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc}")
    except payments.PaidError as exc:
        print(f"ijw: {exc}", file=sys.stderr)
        for err in exc.errors:
            print(f"  {err['location']}: {err['message']}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


def register(sub: Any, root: Root) -> None:
    """Add `ijw alerts run`, `ijw report`, `ijw payments export|paid`."""
    p = sub.add_parser("alerts", help="alerts: ceilings past a threshold, overdue deadlines")
    asub = p.add_subparsers(dest="alerts", required=True)
    p = asub.add_parser("run", help="scan for new alerts and deliver them to the webhooks")
    p.add_argument("--gemeente", help="only this gemeente (default: every gemeente)")
    p.add_argument("--interval", type=int, default=0, help="repeat every N seconds")
    db_option(p)
    p.set_defaults(func=cmd_alerts_run)
    p = sub.add_parser("report", help="a steering report (docs/reports.md) as CSV or JSON")
    p.add_argument("name", choices=reports.REPORTS)
    p.add_argument("--gemeente")
    p.add_argument("--set", help="every active member of this contract set")
    p.add_argument("--aanbieder")
    p.add_argument("--period", choices=("month", "quarter", "year"), default="month")
    p.add_argument("--from", dest="start", help="YYYY-MM-DD (default 1 January)")
    p.add_argument("--to", dest="end", help="YYYY-MM-DD (default 31 December)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    db_option(p)
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("payments", help="the payment export and its paid status")
    psub = p.add_subparsers(dest="payments", required=True)
    p = psub.add_parser("export", help="approved prestaties as CSV")
    p.add_argument("--gemeente", required=True)
    p.add_argument("--status", choices=("open", "paid", "all"), default="open")
    p.add_argument("-o", "--output")
    db_option(p)
    p.set_defaults(func=cmd_payments_export)
    p = psub.add_parser("paid", help="set prestaties to paid from a CSV file")
    p.add_argument("--gemeente", required=True)
    p.add_argument("file", help="aanbieder,referentienummer,paid_on,payment_reference")
    p.add_argument("--user", help="who marks them (audit)")
    db_option(p)
    p.set_defaults(func=cmd_payments_paid)
