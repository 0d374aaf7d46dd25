"""The `ijw` command line: the parser, and what every command group shares.

Each module of this package adds one group of sub-commands with `register(sub, root)`; the
composition root (`app.bootstrap.main`) lists the groups and gives them the `Root`, so no
command module imports the flows it does not need.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.clock import clock_for
from app.config import ConfigError, Settings, version
from app.db.base import make_engine, session_factory
from app.db.migrate import SchemaNotCurrent, ensure_current
from app.logging import LEVELS

DemoLoader = Callable[[Session, date], None]
"""Loads demo data into a session for `today` (idempotent)."""

DemoExtra = Callable[[Settings], list[str]]
"""Runs after the demo loaders on the migrated database (demo traffic, demo users); returns
lines for `ijw demo` to print."""


@dataclass(frozen=True)
class Root:
    """What the composition root hands the commands."""

    create_app: Callable[[Settings], Any]  # -> the ASGI app (FastAPI)
    demo_loaders: Sequence[DemoLoader]
    demo_extras: Sequence[DemoExtra] = ()
    # "module:function" that builds the app in a worker process (`ijw serve --workers N`)
    worker_app: str = ""


class Group(Protocol):
    """A command module: adds its sub-commands to the parser."""

    def __call__(self, sub: Any, root: Root) -> None: ...


def settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, the command's options (`--database-url`, `--log-level`)
    first; an unusable value is a ConfigError."""
    if getattr(args, "database_url", None):
        os.environ["IJW_DATABASE_URL"] = args.database_url
    if getattr(args, "log_level", None):
        os.environ["IJW_LOG_LEVEL"] = args.log_level
    config = Settings()
    clock_for(config.fixed_today)  # IJW_TODAY is checked before anything runs
    if config.log_level.upper() not in LEVELS:
        raise ConfigError(f"IJW_LOG_LEVEL is one of {' '.join(LEVELS)}, got {config.log_level!r}")
    return config


def safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}"
    return url


def migrated_factory(args: argparse.Namespace) -> sessionmaker[Session]:
    """Sessions on the database the command names, refusing an un-migrated one."""
    engine = make_engine(settings(args).database_url)
    ensure_current(engine)
    return session_factory(engine)


def db_option(p: argparse.ArgumentParser) -> None:
    """The `--database-url` option every database command has."""
    p.add_argument(
        "--database-url",
        help="SQLAlchemy URL (default: $IJW_DATABASE_URL or the SQLite file under var/)",
    )


def build_parser(root: Root, groups: Sequence[Group]) -> argparse.ArgumentParser:
    """The argument parser with every group's sub-commands."""
    parser = argparse.ArgumentParser(
        prog="ijw", description="The iJw 3.2 service: serve, migrate, manage, validate, demo."
    )
    parser.add_argument("--version", action="version", version=f"ijw {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in groups:
        register(sub, root)
    return parser


def run(argv: list[str] | None, root: Root, groups: Sequence[Group]) -> int:
    """Parse `argv` and run the command; its exit code.  What a user can cause (a bad setting,
    an unreachable or un-migrated database, a closed pipe) is one line on stderr and exit 2."""
    args = build_parser(root, groups).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        return fail(str(exc))
    except SchemaNotCurrent as exc:
        return fail(str(exc))
    except (ArgumentError, NoSuchModuleError) as exc:
        return fail(f"not a usable database URL ({safe_url(_url_of(args))}): {exc}")
    except OperationalError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        return fail(f"cannot use the database at {safe_url(_url_of(args))}: {first}")
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): say so once, without a traceback
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (the old stdout is broken)
        return fail("output closed before the command finished")


def _url_of(args: argparse.Namespace) -> str:
    return str(getattr(args, "database_url", None) or os.environ.get("IJW_DATABASE_URL", ""))


def fail(message: str) -> int:
    """Print one clear line for the user; exit code 2."""
    print(f"ijw: {message}", file=sys.stderr)
    return 2
