"""`ijw serve`, `ijw db upgrade`, `ijw party add` and `ijw demo`."""

from __future__ import annotations

import argparse
import os
from typing import Any

import uvicorn

from app.cli.main import Root, db_option, fail, migrated_factory, settings
from app.cli.tls import server_options
from app.clock import SystemClock, clock_for
from app.config import Settings
from app.db.base import make_engine, session_factory, transaction
from app.db.migrate import SchemaNotCurrent, upgrade
from app.exchange import parties
from app.ijw.catalogue import Role
from app.logging import configure

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
        tls = tls_settings(args)
        if isinstance(tls, str):
            return fail(tls)
        configure()
        try:
            app = root.create_app(settings(args))
        except (SchemaNotCurrent, ValueError) as exc:
            return fail(str(exc))
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, **tls)
        return 0

    def tls_settings(args: argparse.Namespace) -> dict[str, Any] | str:
        """uvicorn's TLS options; the app learns of client certificates from the environment
        (IJW_TLS_CLIENT_CA, IJW_GGK_ALLOWED_SUBJECTS), like every other setting."""
        cert = getattr(args, "tls_cert", None) or os.environ.get("IJW_TLS_CERT")
        key = getattr(args, "tls_key", None) or os.environ.get("IJW_TLS_KEY")
        client_ca = getattr(args, "tls_client_ca", None) or os.environ.get("IJW_TLS_CLIENT_CA")
        if client_ca and not cert:
            return "--tls-client-ca needs --tls-cert (client certificates need TLS)"
        if client_ca:
            os.environ["IJW_TLS_CLIENT_CA"] = client_ca
        subjects = getattr(args, "tls_allowed_subject", None)
        if subjects:
            os.environ["IJW_GGK_ALLOWED_SUBJECTS"] = ";".join(subjects)
        return server_options(cert, key, client_ca, getattr(args, "tls_require_client_cert", False))

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
                    session, args.role, args.code, args.name or "", SystemClock()
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
    db_option(p)
    tls = p.add_argument_group("TLS (docs/ggk.md)")
    tls.add_argument("--tls-cert", help="server certificate (PEM); $IJW_TLS_CERT")
    tls.add_argument("--tls-key", help="its private key (PEM); $IJW_TLS_KEY")
    tls.add_argument(
        "--tls-client-ca",
        help="CA bundle that signs client certificates: the GGk endpoint then requires one "
        "(two-way TLS) instead of a ggk token; $IJW_TLS_CLIENT_CA",
    )
    tls.add_argument(
        "--tls-allowed-subject",
        action="append",
        metavar="DN",
        help="a client certificate subject allowed to call the GGk endpoint, e.g. "
        "'CN=ggk.example.nl,O=Inlichtingenbureau' (repeatable); $IJW_GGK_ALLOWED_SUBJECTS",
    )
    tls.add_argument(
        "--tls-require-client-cert",
        action="store_true",
        help="refuse every TLS connection without a valid client certificate",
    )
    p.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db", required=True)
    p = db.add_parser("upgrade", help="migrate the database to the newest schema")
    db_option(p)
    p.set_defaults(func=cmd_db_upgrade)

    party = sub.add_parser("party", help="parties and their API tokens")
    psub = party.add_subparsers(dest="party", required=True)
    p = psub.add_parser("add", help="add a party; prints its API token as the last line")
    p.add_argument("--role", required=True, choices=list(parties.ROLES))
    p.add_argument(
        "--code",
        required=True,
        help="CBS gemeentecode (4 digits), AGB (8 digits), or the chain's name (ggk: e.g. GGK)",
    )
    p.add_argument("--name", default="")
    db_option(p)
    p.set_defaults(func=cmd_party_add)

    p = sub.add_parser("demo", help="migrate the embedded database and load demo data")
    p.add_argument("--serve", action="store_true", help="then serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    db_option(p)
    p.set_defaults(func=cmd_demo)
