"""`ijw serve`, `ijw db upgrade`, `ijw party add` and `ijw demo`."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

from app.cli.main import Root, db_option, fail, migrated_factory, settings
from app.clock import SystemClock, clock_for
from app.config import Settings
from app.db.base import make_engine, session_factory, transaction
from app.db.migrate import SchemaNotCurrent, ensure_current, upgrade
from app.exchange import parties
from app.ijw.catalogue import Role
from app.logging import configure

MAX_WORKERS = 64
DEMO_PARTIES = [
    (Role.GEMEENTE, "0363", "Gemeente Amsterdam (demo)"),
    (Role.AANBIEDER, "12345678", "Jeugdhulp Noord (demo)"),
    (Role.AANBIEDER, "87654321", "Zorgaanbieder Zuid (demo)"),
]


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}"
    return url


def _workers(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_WORKERS}")
    return value


def load_demo(root: Root, config: Settings) -> list[tuple[str, str, str, str]]:
    """Migrate, create the demo parties if missing, give each a fresh token and run the demo
    loaders (contracts, ...)."""
    upgrade(config.database_url)
    engine = make_engine(config.database_url)
    today = clock_for(config.fixed_today).today()
    out = []
    with transaction(session_factory(engine)) as session:
        for role, code, name in DEMO_PARTIES:
            party = parties.by_code(session, code)
            if party is None:
                party, token = parties.add_party(session, role, code, name, SystemClock())
            else:
                token = parties.rotate_token(session, party)
            out.append((str(role), code, name, token))
        for loader in root.demo_loaders:
            loader(session, today)
    engine.dispose()
    return out


def register(sub: Any, root: Root) -> None:
    """Add serve, db, party and demo."""

    def cmd_serve(args: argparse.Namespace) -> int:
        configure()
        config = settings(args)
        workers = getattr(args, "workers", 1)
        if workers == 1:
            try:
                app = root.create_app(config)
            except SchemaNotCurrent as exc:
                return fail(str(exc))
            uvicorn.run(app, host=args.host, port=args.port, log_config=None)
            return 0
        if config.database_url.startswith("sqlite"):
            return fail(
                "--workers needs PostgreSQL (IJW_DATABASE_URL=postgresql+psycopg://...): SQLite "
                "has one writer per database, so several processes would only wait for each "
                "other; one process queues its writers itself (docs/deployment.md)"
            )
        engine = make_engine(config.database_url)
        try:
            ensure_current(engine)  # refuse here, once, rather than in every worker
        except SchemaNotCurrent as exc:
            return fail(str(exc))
        finally:
            engine.dispose()
        # Each worker process builds its own app from the environment (settings() put
        # --database-url there); uvicorn binds the socket once, shares it and restarts a
        # worker that dies.
        uvicorn.run(
            root.worker_app,
            factory=True,
            workers=workers,
            host=args.host,
            port=args.port,
            log_config=None,
        )
        return 0

    def cmd_db_upgrade(args: argparse.Namespace) -> int:
        config = settings(args)
        upgrade(config.database_url)
        print(f"database at {_safe_url(config.database_url)} is up to date")
        return 0

    def cmd_party_add(args: argparse.Namespace) -> int:
        factory = migrated_factory(args)
        try:
            with transaction(factory) as session:
                party, token = parties.add_party(
                    session, Role(args.role), args.code, args.name or "", SystemClock()
                )
                print(f"added {party.role} {party.code} {party.name}".rstrip())
        except parties.PartyError as exc:
            return fail(str(exc))
        print(token)  # last line of stdout: the token (only its hash is stored)
        return 0

    def cmd_demo(args: argparse.Namespace) -> int:
        tokens = load_demo(root, settings(args))
        print("demo parties (tokens are new on every run):")
        for role, code, name, token in tokens:
            print(f"  {role:9} {code}  {name:28} {token}")
        if args.serve:
            print(f"serving on http://{args.host}:{args.port}  (OpenAPI: /docs)", flush=True)
            return cmd_serve(args)
        return 0

    p = sub.add_parser("serve", help="run the HTTP service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="worker processes sharing the port (PostgreSQL only; default 1)",
    )
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

    p = sub.add_parser("demo", help="migrate the embedded database and load demo data")
    p.add_argument("--serve", action="store_true", help="then serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    db_option(p)
    p.set_defaults(func=cmd_demo)
