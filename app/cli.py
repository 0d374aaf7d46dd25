"""The `ijw` command line: serve, migrate, manage parties, validate files offline, demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app.config import ROOT, Settings

# Modules that add sub-commands: each has `register(subparsers) -> None`.
EXTENSIONS: list[str] = ["app.harness.cli", "app.flows_cli", "app.cli_money"]


def _settings(args: argparse.Namespace) -> Settings:
    if getattr(args, "database_url", None):
        os.environ["IJW_DATABASE_URL"] = args.database_url
    return Settings()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.api.app import create_app
    from app.db.migrate import SchemaNotCurrent
    from app.logging import configure

    configure()
    try:
        app = create_app(_settings(args))
    except SchemaNotCurrent as exc:
        print(f"ijw: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from app.db.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url)
    print(f"database at {_safe_url(settings.database_url)} is up to date")
    return 0


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}"
    return url


def cmd_party_add(args: argparse.Namespace) -> int:
    from app.clock import SystemClock
    from app.db.base import make_engine, session_factory, transaction
    from app.db.migrate import ensure_current
    from app.domain.parties import PartyError, add_party
    from app.ijw.catalogue import Role

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    ensure_current(engine)
    try:
        with transaction(session_factory(engine)) as session:
            party, token = add_party(
                session, Role(args.role), args.code, args.name or "", SystemClock()
            )
            print(f"added {party.role} {party.code} {party.name}".rstrip())
    except PartyError as exc:
        print(f"ijw: {exc}", file=sys.stderr)
        return 2
    print(token)  # last line of stdout: the token (only its hash is stored)
    return 0


def _files(paths: list[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.xml") if p.is_file())
        else:
            yield path


def validate_bytes(data: bytes) -> dict[str, Any]:
    """Level 1 and level 2 verdict of one message, as `ijw validate --json` prints it."""
    from app.ijw import model, xml
    from app.ijw.rules.engine import check

    out: dict[str, Any] = {"message_type": None, "xsd_valid": False, "errors": [], "findings": []}
    try:
        tree = xml.parse(data)
        info = xml.identify(tree)
        out["message_type"] = info.name
        xml.validate(tree, info)
    except xml.Rejection as exc:
        out["errors"] = [
            {"line": e.line, "path": e.path, "message": e.message} for e in exc.errors
        ] or [{"line": None, "path": "", "message": exc.message}]
        return out
    out["xsd_valid"] = True
    out["findings"] = [f.as_dict() for f in check(model.to_model(tree, info))]
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    files = list(_files(args.paths))
    missing = [f for f in files if not f.exists()]
    if missing:
        print(f"ijw: no such file: {missing[0]}", file=sys.stderr)
        return 2
    progress: Callable[[list[Path]], Any] = lambda items: items  # noqa: E731
    if len(files) > 1 and sys.stderr.isatty():
        from tqdm import tqdm

        progress = lambda items: tqdm(items, unit="file", file=sys.stderr)  # noqa: E731
    clean = True
    for path in progress(files):
        result = {"path": str(path), **validate_bytes(path.read_bytes())}
        ok = result["xsd_valid"] and not result["findings"]
        clean = clean and ok
        if args.json:
            print(json.dumps(result, default=str), flush=True)
        else:
            status = "ok" if ok else ("XSD INVALID" if not result["xsd_valid"] else "REJECTED")
            print(f"{path}: {result['message_type'] or '?'} {status}")
            for err in result["errors"]:
                print(f"  line {err['line']}: {err['path']} {err['message']}")
            for f in result["findings"]:
                print(f"  {f['rule']} ({f['retourcode']}) at {', '.join(f['location'])}")
    return 0 if clean else 1


def cmd_schemas_write(args: argparse.Namespace) -> int:
    from app.ijw.catalogue.xsd_writer import write_all

    for path in write_all(Path(args.folder)):
        print(path)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo import load_demo

    settings = _settings(args)
    tokens = load_demo(settings)
    print("demo parties (tokens are new on every run):")
    for role, code, name, token in tokens:
        print(f"  {role:9} {code}  {name:28} {token}")
    if args.serve:
        print(f"serving on http://{args.host}:{args.port}  (OpenAPI: /docs)", flush=True)
        return cmd_serve(args)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (extensions add their own sub-commands)."""
    parser = argparse.ArgumentParser(prog="ijw", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--database-url",
            help="SQLAlchemy URL (default: $IJW_DATABASE_URL or the SQLite file under var/)",
        )

    p = sub.add_parser("serve", help="run the HTTP service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    db_option(p)
    p.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db", required=True)
    p = db.add_parser("upgrade", help="migrate the database to the newest schema")
    db_option(p)
    p.set_defaults(func=cmd_db_upgrade)

    party = sub.add_parser("party", help="parties and their API tokens")
    psub = party.add_subparsers(dest="party", required=True)
    p = psub.add_parser("add", help="add a party; prints its API token as the last line")
    p.add_argument("--role", required=True, choices=["gemeente", "aanbieder"])
    p.add_argument("--code", required=True, help="CBS gemeentecode (4 digits) or AGB (8 digits)")
    p.add_argument("--name", default="")
    db_option(p)
    p.set_defaults(func=cmd_party_add)

    p = sub.add_parser("validate", help="validate message files offline (XSD and level 2)")
    p.add_argument("--json", action="store_true", help="one JSON object per line per file")
    p.add_argument("paths", nargs="+", help="files or folders (*.xml, recursively)")
    p.set_defaults(func=cmd_validate)

    schemas = sub.add_parser("schemas", help="our XSDs").add_subparsers(dest="s", required=True)
    p = schemas.add_parser("write", help="render schemas/xsd from the message model")
    p.add_argument("--folder", default=str(ROOT / "schemas" / "xsd"))
    p.set_defaults(func=cmd_schemas_write)

    p = sub.add_parser("demo", help="migrate the embedded database and load demo data")
    p.add_argument("--serve", action="store_true", help="then serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    db_option(p)
    p.set_defaults(func=cmd_demo)

    import importlib

    for name in EXTENSIONS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ijw` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
