"""`ijw serve`, `ijw db upgrade`, `ijw party add|list|rotate-token|revoke` and `ijw demo`."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import uvicorn

from app import memory
from app.cli.main import Root, db_option, fail, migrated_factory, safe_url, settings
from app.cli.protocol import ProblemH11Protocol
from app.cli.tls import server_options
from app.cli.workers import WorkerSpec, free_to_bind, supervise
from app.clock import SystemClock, clock_for
from app.config import Settings, state_dir
from app.db.base import make_engine, session_factory, transaction
from app.db.migrate import ensure_current, upgrade
from app.exchange import parties
from app.ijw.catalogue import Role
from app.logging import LEVELS, configure

MAX_WORKERS = 64
# (role, code, name, the environment variable the README's curl lines use)
DEMO_PARTIES = [
    (Role.GEMEENTE, "0363", "Gemeente Amsterdam (demo)", "GEMEENTE_TOKEN"),
    (Role.AANBIEDER, "12345678", "Jeugdhulp Noord (demo)", "PROVIDER_TOKEN"),
    (Role.AANBIEDER, "87654321", "Zorgaanbieder Zuid (demo)", "PROVIDER2_TOKEN"),
]


def demo_tokens_file() -> Path:
    """Where `ijw demo` keeps the demo tokens ($IJW_DEMO_TOKENS or <state dir>/demo-tokens.env),
    so the curl commands of a user survive a restart of `make run`."""
    return Path(os.environ.get("IJW_DEMO_TOKENS") or state_dir() / "demo-tokens.env")


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number between 1 and {MAX_WORKERS}") from None
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_WORKERS}")
    return value


def _pinned(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.removeprefix("export ").partition("=")
        if sep and value.startswith("ijw_"):
            out[name.strip()] = value.strip()
    return out


def load_demo(root: Root, config: Settings, new_tokens: bool = False) -> list[tuple[str, ...]]:
    """Migrate, create the demo parties if missing, keep (or make) their tokens and run the
    demo loaders (contracts, ...).  Tokens are pinned in `demo_tokens_file()`."""
    upgrade(config.database_url)
    engine = make_engine(config.database_url)
    today = clock_for(config.fixed_today).today()
    path = demo_tokens_file()
    pinned = {} if new_tokens else _pinned(path)
    out: list[tuple[str, ...]] = []
    with transaction(session_factory(engine)) as session:
        for role, code, name, variable in DEMO_PARTIES:
            party = parties.by_code(session, code)
            if party is None:
                party, token = parties.add_party(session, role, code, name, SystemClock())
                if variable in pinned:
                    token = parties.rotate_token(session, party, pinned[variable])
            else:
                token = parties.rotate_token(session, party, pinned.get(variable))
            out.append((str(role), code, name, variable, token))
        for loader in root.demo_loaders:
            loader(session, today)
    engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"export {v}={t}\n" for *_, v, t in out), encoding="utf-8")
    path.chmod(0o600)
    return out


def print_demo_parties(rows: list[tuple[str, ...]]) -> None:
    """The demo parties and the export line of each one's token (the README's curl lines)."""
    print(f"demo parties; tokens are kept in {demo_tokens_file()}:")
    for role, code, name, variable, token in rows:
        print(f"  {role:9} {code:8}  {name}")
        print(f"    export {variable}={token}")


def register(sub: Any, root: Root) -> None:
    """Add serve, db, party and demo."""

    def cmd_serve(args: argparse.Namespace) -> int:
        tls = tls_settings(args)
        if isinstance(tls, str):
            return fail(tls)
        config = settings(args)
        configure(config.log_level)
        memory.limit_arenas()
        http = tls.pop("http", ProblemH11Protocol)
        workers = getattr(args, "workers", 1)
        if workers == 1:
            app = root.create_app(config)
            uvicorn.run(app, host=args.host, port=args.port, log_config=None, http=http, **tls)
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
        finally:
            engine.dispose()
        # /metrics sums every worker through prometheus-client's multiprocess files.
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="ijw-metrics-"))
        busy = free_to_bind(args.host, args.port)
        if busy is not None:
            return fail(busy)
        # Each worker process builds its own app from the environment (settings() put
        # --database-url there) and listens on its own socket (app/cli/workers.py).
        spec = WorkerSpec(root.worker_app, args.host, args.port, {"http": http, **tls})
        return supervise(spec, workers)

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
        print(f"database at {safe_url(config.database_url)} is up to date")
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

    def cmd_party_list(args: argparse.Namespace) -> int:
        with transaction(migrated_factory(args)) as session:
            rows = [
                {
                    "role": p.role,
                    "code": p.code,
                    "name": p.name,
                    "state": "revoked" if p.revoked_at else "active",
                    "created_at": p.created_at.isoformat(),
                }
                for p in parties.all_parties(session)
            ]
        if args.json:
            print(json.dumps(rows))
        for r in [] if args.json else rows:
            print(f"{r['role']:9} {r['code']:8}  {r['state']:7}  {r['name']}")
        return 0

    def _change(args: argparse.Namespace, revoke: bool) -> int:
        with transaction(migrated_factory(args)) as session:
            party = parties.by_code(session, args.code)
            if party is None:
                return fail(f"no party {args.code}")
            if revoke:
                parties.revoke(session, party, SystemClock().now())
                print(f"revoked {party.role} {party.code}: its token no longer works")
                return 0
            token = parties.rotate_token(session, party)
        print(f"new token for {args.code} (the old one no longer works):")
        print(token)
        return 0

    def cmd_demo(args: argparse.Namespace) -> int:
        print_demo_parties(load_demo(root, settings(args), new_tokens=args.new_tokens))
        for extra in root.demo_extras:
            for line in extra(settings(args)):
                print(line.replace("{base}", f"http://{args.host}:{args.port}"))
        if args.serve:
            print(f"serving on http://{args.host}:{args.port}  (OpenAPI: /docs)", flush=True)
            return cmd_serve(args)
        return 0

    p = sub.add_parser("serve", help="run the HTTP service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--log-level", choices=[x.lower() for x in LEVELS], help="(IJW_LOG_LEVEL)")
    p.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="worker processes sharing the port (PostgreSQL only; default 1)",
    )
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
    p = psub.add_parser("list", help="every party with its state (no tokens: only hashes exist)")
    p.add_argument("--json", action="store_true")
    db_option(p)
    p.set_defaults(func=cmd_party_list)
    p = psub.add_parser("rotate-token", help="a new token; the old one stops working at once")
    p.add_argument("code")
    db_option(p)
    p.set_defaults(func=lambda a: _change(a, revoke=False))
    p = psub.add_parser("revoke", help="the party's token stops working at once")
    p.add_argument("code")
    db_option(p)
    p.set_defaults(func=lambda a: _change(a, revoke=True))

    p = sub.add_parser("demo", help="migrate the embedded database and load demo data")
    p.add_argument("--serve", action="store_true", help="then serve")
    p.add_argument("--new-tokens", action="store_true", help="forget the pinned demo tokens")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--log-level", choices=[x.lower() for x in LEVELS], help="(IJW_LOG_LEVEL)")
    db_option(p)
    p.set_defaults(func=cmd_demo)
