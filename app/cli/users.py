"""`ijw user add|list|passwd|role|disable|enable|audit`: the people who sign in to /ui."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from typing import Any

from app.accounts import store
from app.cli.main import Root, db_option, fail, migrated_factory
from app.clock import SystemClock
from app.db.base import transaction


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """(password, generated): from stdin with --password-stdin, else a fresh random one."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if getattr(args, "prompt", False):
        return getpass.getpass("password: "), False
    return secrets.token_urlsafe(15), True


def register(sub: Any, root: Root) -> None:
    """Add the `user` command group."""

    def cmd_add(args: argparse.Namespace) -> int:
        password, generated = _password(args)
        try:
            with transaction(migrated_factory(args)) as s:
                user = store.add_user(
                    s,
                    username=args.username,
                    password=password,
                    role=args.role,
                    gemeente=args.gemeente,
                    region=args.region,
                    display_name=args.name,
                    now=SystemClock().now(),
                )
                where = f"gemeente {user.gemeente}" if user.gemeente else f"region {user.region}"
                print(f"added user {user.username} ({user.role}, {where})")
        except store.AccountError as exc:
            return fail(str(exc))
        if generated:
            print(password)  # last line of stdout: the generated password (only a hash is kept)
        return 0

    def cmd_list(args: argparse.Namespace) -> int:
        with transaction(migrated_factory(args)) as s:
            for u in store.users(s):
                where = f"gemeente {u.gemeente}" if u.gemeente else f"region {u.region}"
                state = "active" if u.active else "disabled"
                print(f"{u.username:24} {u.role:17} {where:22} {state:8} {u.display_name}")
        return 0

    def _change(args: argparse.Namespace, what: str) -> int:
        password = _password(args)[0] if what == "passwd" else ""
        try:
            with transaction(migrated_factory(args)) as s:
                user = store.user_by_name(s, args.username)
                if user is None:
                    return fail(f"no user {args.username}")
                if what == "passwd":
                    store.set_password(s, user, password)
                elif what == "role":
                    store.set_role(s, user, args.role)
                else:
                    store.set_active(s, user, what == "enable")
                store.audit(
                    s,
                    user_id=None,
                    username="cli",
                    gemeente=user.gemeente,
                    action=f"user.{what}",
                    target=user.username,
                    outcome="ok",
                    now=SystemClock().now(),
                )
        except store.AccountError as exc:
            return fail(str(exc))
        print(f"{what}: {args.username}")
        if what == "passwd" and not (args.password_stdin or args.prompt):
            print(password)
        return 0

    user = sub.add_parser("user", help="users of the web interface (/ui)")
    usub = user.add_subparsers(dest="user", required=True)

    p = usub.add_parser("add", help="add a user; prints a generated password as the last line")
    p.add_argument("username")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--gemeente", help="CBS gemeentecode (4 digits) the user works for")
    where.add_argument("--region", help="region code (from the contracts) it administers")
    p.add_argument("--role", required=True, choices=store.ROLES)
    p.add_argument("--name", default="", help="display name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    db_option(p)
    p.set_defaults(func=cmd_add)

    p = usub.add_parser("list", help="list users")
    db_option(p)
    p.set_defaults(func=cmd_list)

    p = usub.add_parser("passwd", help="set a new password (ends the user's sessions)")
    p.add_argument("username")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--password-stdin", action="store_true")
    mode.add_argument("--prompt", action="store_true", help="ask for it on the terminal")
    db_option(p)
    p.set_defaults(func=lambda a: _change(a, "passwd"))

    p = usub.add_parser("role", help="change a user's role")
    p.add_argument("username")
    p.add_argument("role", choices=store.ROLES)
    db_option(p)
    p.set_defaults(func=lambda a: _change(a, "role"))

    for what in ("disable", "enable"):
        p = usub.add_parser(
            what, help=f"{what} a user" + (" (ends its sessions)" * (what == "disable"))
        )
        p.add_argument("username")
        db_option(p)
        p.set_defaults(func=lambda a, w=what: _change(a, w))
