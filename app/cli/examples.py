"""`ijw example KIND`: a valid iJw 3.2 message between two parties, to try the service with.

    ijw example JW315 --from 12345678 --to 0363 > vot.xml       # a request for an allocation
    ijw example JW305 --from 12345678 --nummer 100001 > start.xml   # the start of allocation
    ijw example JW323 --from 12345678 --nummer 100001 > decl.xml    # a month declared

The client parts come from the scenario harness's defaults (`app.harness.scenario`); every
message printed is checked against our schemas and the in-message rules first.
"""

from __future__ import annotations

import argparse
import calendar
import secrets
import sys
from datetime import date, timedelta
from typing import Any

from app.cli.main import Root, fail, settings
from app.clock import clock_for
from app.harness.scenario import forward_message
from app.ijw import model, render, xml
from app.ijw.rules.engine import check

KINDS = ("JW301", "JW305", "JW307", "JW315", "JW323")
DEMO_BSN = "999993653"  # a test BSN (passes the 11-proof, issued to nobody)


def _month(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def body(kind: str, args: argparse.Namespace, today: date) -> dict[str, Any]:
    """The message body (everything but the Header) of one example."""
    product = {"Categorie": "45", "Code": args.code}
    omvang = {"Volume": 3, "Eenheid": "04", "Frequentie": "2"}
    # Allocations start on the first of last month, so last month can be declared.
    start, _ = _month(today.replace(day=1) - timedelta(days=1))
    end = date(today.year, 12, 31)
    if kind == "JW315":
        return {
            "Client": {
                "Bsn": args.bsn,
                "AangevraagdeProducten": {
                    "AangevraagdProduct": {
                        "ReferentieAanbieder": args.referentie,
                        "Product": product,
                        "ToewijzingIngangsdatum": today + timedelta(days=7),
                        "ToewijzingEinddatum": max(end, today + timedelta(days=90)),
                        "Omvang": omvang,
                        "Verwijzer": {"Type": "01"},
                    }
                },
            }
        }
    if kind == "JW301":
        return {
            "Client": {
                "Bsn": args.bsn,
                "ToegewezenProducten": {
                    "ToegewezenProduct": {
                        "ToewijzingNummer": args.nummer,
                        "Product": product,
                        "Ingangsdatum": start,
                        "Einddatum": end,
                        "Omvang": omvang,
                    }
                },
            }
        }
    key = {
        "ToewijzingNummer": args.nummer,
        "Product": product,
        "ToewijzingIngangsdatum": start,
        "Begindatum": start,
    }
    if kind == "JW305":
        item = {**key, "StatusAanlevering": "1"}
        return {"Client": {"Bsn": args.bsn, "StartProducten": {"StartProduct": item}}}
    if kind == "JW307":
        item = {**key, "RedenBeeindiging": "02", "Einddatum": today, "StatusAanlevering": "1"}
        return {"Client": {"Bsn": args.bsn, "StopProducten": {"StopProduct": item}}}
    # JW323: last month, declared as 12 hours at the tariff given
    begin, last = _month(start)
    amount = 12 * args.tarief
    prestatie = {
        "ProductReferentie": {"ReferentieNummer": f"EX{secrets.token_hex(4).upper()}"},
        "ToewijzingNummer": args.nummer,
        "ProductCategorie": "45",
        "ProductCode": args.code,
        "ProductPeriode": {"Begindatum": begin, "Einddatum": last},
        "GeleverdVolume": 12,
        "Eenheid": "04",
        "ProductTarief": args.tarief,
        "IngediendBedrag": {"Bedrag": amount, "DebetCredit": "D"},
    }
    return {
        "Declaratie": {
            "DeclaratieNummer": f"EX{today:%Y%m}{secrets.token_hex(2).upper()}",
            "DeclaratiePeriode": {"Begindatum": begin, "Einddatum": last},
            "DeclaratieDagtekening": today,
            "TotaalIngediendBedrag": {"TotaalBedrag": amount, "DebetCredit": "D"},
            "Clienten": {"Client": {"Bsn": args.bsn, "Prestaties": {"Prestatie": prestatie}}},
        }
    }


def cmd_example(args: argparse.Namespace) -> int:
    today = clock_for(settings(args).fixed_today).today()
    by_gemeente = args.kind == "JW301"
    sender = args.sender or ("0363" if by_gemeente else "12345678")
    receiver = args.to or ("12345678" if by_gemeente else "0363")
    ident = args.identificatie or f"EX{secrets.token_hex(5).upper()}"
    data = forward_message(
        args.kind,
        body(args.kind, args, today),
        sender=sender,
        receiver=receiver,
        identificatie=ident,
        dagtekening=today,
    )
    try:
        raw = render.render(args.kind, data)
        info, tree = xml.read(raw)
    except (render.RenderError, xml.Rejection, ValueError) as exc:
        return fail(f"cannot build that {args.kind}: {exc}")
    findings = check(model.to_model(tree, info))
    if findings:
        return fail(f"that {args.kind} would fail {', '.join(f.rule for f in findings)}")
    sys.stdout.buffer.write(raw)
    return 0


def register(sub: Any, root: Root) -> None:
    """Add `ijw example`."""
    p = sub.add_parser("example", help="print a valid example message (to try the service)")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--from", dest="sender", help="Afzender (default: the demo party)")
    p.add_argument("--to", help="Ontvanger (default: the demo party)")
    p.add_argument("--bsn", default=DEMO_BSN, help=f"the client (default {DEMO_BSN})")
    p.add_argument("--nummer", type=int, default=100_001, help="ToewijzingNummer (301/305/307/323)")
    p.add_argument("--code", default="45A04", help="product code of category 45 (default 45A04)")
    p.add_argument("--tarief", type=int, default=8730, help="JW323: eurocents per hour")
    p.add_argument("--referentie", default="EX-REQ-1", help="JW315: ReferentieAanbieder")
    p.add_argument("--identificatie", help="BerichtIdentificatie (default: a fresh one)")
    p.set_defaults(func=cmd_example)
