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

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db.base import make_engine, session_factory
from app.db.migrate import ensure_current

DemoLoader = Callable[[Session, date], None]
"""Loads demo data into a session for `today` (idempotent)."""


@dataclass(frozen=True)
class Root:
    """What the composition root hands the commands."""

    create_app: Callable[[Settings], Any]  # -> the ASGI app (FastAPI)
    demo_loaders: Sequence[DemoLoader]
    # "module:function" that builds the app in a worker process (`ijw serve --workers N`)
    worker_app: str = ""


class Group(Protocol):
    """A command module: adds its sub-commands to the parser."""

    def __call__(self, sub: Any, root: Root) -> None: ...


def settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, `--database-url` first."""
    if getattr(args, "database_url", None):
        os.environ["IJW_DATABASE_URL"] = args.database_url
    return Settings()


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
    sub = parser.add_subparsers(dest="command", required=True)
    for register in groups:
        register(sub, root)
    return parser


def run(argv: list[str] | None, root: Root, groups: Sequence[Group]) -> int:
    """Parse `argv` and run the command; its exit code."""
    args = build_parser(root, groups).parse_args(argv)
    return int(args.func(args) or 0)


def fail(message: str) -> int:
    """Print one clear line for the user; exit code 2."""
    print(f"ijw: {message}", file=sys.stderr)
    return 2
