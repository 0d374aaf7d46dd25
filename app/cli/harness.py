"""`ijw harness run SCENARIO...`: run scenario files against a running server (docs/harness.md)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.cli.main import Root
from app.clock import SystemClock
from app.db.base import make_engine, session_factory, transaction
from app.db.migrate import ensure_current
from app.exchange import parties
from app.harness.runner import Harness, ScenarioResult, scenario_files
from app.harness.scenario import PartySpec, ScenarioError, load
from app.ijw.catalogue import Role


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise SystemExit(f"ijw harness: {what} must look like NAME=VALUE, got {item!r}")
        out[name] = value
    return out


def db_provisioner(database_url: str) -> Callable[[PartySpec], str]:
    """Parties straight in the server's database: created when missing, otherwise given a new
    token (the old token of that party stops working)."""
    engine = make_engine(database_url)
    ensure_current(engine)
    factory = session_factory(engine)

    def provision(spec: PartySpec) -> str:
        with transaction(factory) as session:
            party = parties.by_code(session, spec.code)
            if party is None:
                name = f"harness {spec.name}"
                _, token = parties.add_party(
                    session, Role(spec.role), spec.code, name, SystemClock()
                )
                return token
            if party.role != spec.role:
                raise ScenarioError(f"party {spec.code} exists as a {party.role}, not {spec.role}")
            return parties.rotate_token(session, party)

    return provision


def print_result(result: ScenarioResult, verbose: bool) -> None:
    mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "error": "ERROR"}[result.status]
    print(f"{mark:5} {result.path}  {result.name}")
    if result.reason and result.status != "passed":
        print(f"      {result.reason}")
    for step in result.steps:
        if verbose or not step.ok:
            print(
                f"      {'ok ' if step.ok else 'BAD'} {step.index:>2} {step.label} -> {step.status}"
            )
            for problem in step.problems:
                print(f"            {problem}")


def cmd_run(args: argparse.Namespace) -> int:
    tokens = _pairs(args.token, "--token")
    if args.tokens:
        tokens.update(json.loads(Path(args.tokens).read_text(encoding="utf-8")))
    provision = db_provisioner(args.database_url) if args.database_url else None
    harness = Harness(
        args.base_url, tokens=tokens, codes=_pairs(args.code, "--code"), provision=provision
    )
    results: list[ScenarioResult] = []
    try:
        for path in scenario_files(args.paths):
            try:
                scenario = load(path)
            except ScenarioError as exc:
                results.append(ScenarioResult(str(path), path.stem, "error", str(exc)))
            else:
                results.append(harness.run(scenario))
            if not args.json:
                print_result(results[-1], args.verbose)
            if args.fail_fast and results[-1].status in ("failed", "error"):
                break
    finally:
        harness.close()
    counts: dict[str, Any] = {
        s: sum(r.status == s for r in results) for s in ("passed", "failed", "skipped", "error")
    }
    if args.json:
        print(json.dumps({"summary": counts, "results": [r.as_dict() for r in results]}, indent=2))
    else:
        print(", ".join(f"{n} {s}" for s, n in counts.items()))
    bad = counts["failed"] + counts["error"] + (counts["skipped"] if args.strict else 0)
    return 1 if bad or not results else 0


def register(sub: Any, root: Root) -> None:
    """Add `ijw harness run` to the command line."""
    harness = sub.add_parser("harness", help="integration test harness (scenario files)")
    hsub = harness.add_subparsers(dest="harness", required=True)
    p = hsub.add_parser(
        "run",
        help="run scenario files against a running server",
        description="Drive a running server over HTTP as gemeente and aanbieders from "
        "declarative JSON scenario files and check status codes, retour codes, findings and "
        "feeds.  Exit status 0 when every scenario passed.",
    )
    p.add_argument("paths", nargs="+", help="scenario files or folders (*.json, recursively)")
    p.add_argument("--base-url", default="http://127.0.0.1:8000", help="the server to test")
    p.add_argument(
        "--token", action="append", metavar="NAME=TOKEN", help="API token of scenario party NAME"
    )
    p.add_argument("--tokens", metavar="FILE", help='JSON file {"gemeente": "TOKEN", ...}')
    p.add_argument(
        "--code", action="append", metavar="NAME=CODE", help="use another code for party NAME"
    )
    p.add_argument(
        "--database-url",
        help="the server's database: parties without --token are created there (or get a new "
        "token) so the harness can act as them",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--verbose", "-v", action="store_true", help="list every step")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failing file")
    p.add_argument(
        "--strict", action="store_true", help="count skipped scenarios (wrong today) as failures"
    )
    p.set_defaults(func=cmd_run)
