"""`ijw ceiling report`: budget ceilings with their figures (JSON) or utilisation (CSV)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from app.budget import ceilings
from app.cli.main import Root, db_option, migrated_factory, settings
from app.clock import clock_for
from app.db.base import transaction

UTILISATION_COLUMNS = ("aanbieder", "gemeente", "categorie", "month", "committed", "spent")


def cmd_ceiling_report(args: argparse.Namespace) -> int:
    today = clock_for(settings(args).fixed_today).today()  # IJW_TODAY pins it
    year = args.year or today.year
    with transaction(migrated_factory(args)) as s:
        if args.utilisation:
            rows = ceilings.utilisation(s, args.gemeente, year).rows()
            writer = csv.DictWriter(sys.stdout, fieldnames=list(UTILISATION_COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
            return 0
        items = [st.as_dict() for st in ceilings.statuses(s, args.gemeente, year, today)]
    print(json.dumps({"year": year, "items": items}, indent=2))
    return 0


def register(sub: Any, root: Root) -> None:
    """Add `ijw ceiling report`."""
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
