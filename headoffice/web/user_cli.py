"""``till-headoffice user``: the people who log in to head office's pages.

    user add NAME --role viewer|manager|admin [--password-stdin]
    user password NAME [--password-stdin]
    user disable NAME
    user unlock NAME
    user list
    user log [--user NAME] [--limit N]

A password is typed twice without echo, or read from the first line of stdin for a script
(never from the command line, where ``ps`` and the shell's history would show it). What the
commands change is in the audit log, under the system user who ran them.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from headoffice.store import open_database, proxy
from headoffice.web.accounts import (ROLES, UserError, add_user, disable_user, list_users, locked, set_password,
                                     unlock)
from headoffice.web.audit import audit, entries

__all__ = ["add_user_parser"]

OK, FAILED, USAGE = 0, 1, 2


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise UserError("the two passwords differ")
    return first


def _operator() -> str:
    """Who ran the command, for the audit log."""
    try:
        return "system:" + getpass.getuser()
    except (KeyError, OSError):
        return "system:?"


def cmd_user(args: argparse.Namespace, settings: dict) -> int:
    open_database(settings["database"])
    if args.action in ("add", "password", "disable", "unlock") and not args.name:
        print(f"till-headoffice: user {args.action} NAME", file=sys.stderr)
        return USAGE
    try:
        with proxy.obj.connection_context():
            return _run(args)
    except UserError as error:
        print(f"till-headoffice: {error}", file=sys.stderr)
        return FAILED


def _run(args: argparse.Namespace) -> int:
    if args.action == "add":
        if args.role is None:
            raise UserError(f"user add NAME --role {'|'.join(ROLES)}")
        user = add_user(args.name, args.role, _password(args))
        audit(_operator(), "user_added", f"{user.username} ({user.role})")
        print(f"user {user.username} added, role {user.role}")
    elif args.action == "password":
        set_password(args.name, _password(args))
        audit(_operator(), "password_set", args.name)
        print(f"password of {args.name} changed; their sessions are ended")
    elif args.action == "disable":
        disable_user(args.name)
        audit(_operator(), "user_disabled", args.name)
        print(f"user {args.name} disabled")
    elif args.action == "unlock":
        print(f"{args.name}: {unlock(args.name, _operator())} failed logins cleared")
    elif args.action == "list":
        for row in list_users():
            state = "disabled" if row.disabled else ("locked out" if locked(row.username, "") else "active")
            print(f"{row.username}\t{row.role}\t{state}\tcreated {row.created_at:%Y-%m-%d %H:%M} UTC")
    else:
        for entry in reversed(entries(args.limit, args.user)):
            print(f"{entry.at:%Y-%m-%d %H:%M:%S} UTC\t{entry.username}\t{entry.action}\t{entry.details}"
                  f"\t{entry.address or '-'}")
    return OK


def add_user_parser(commands, load_settings) -> None:
    """Add ``user`` to ``till-headoffice``'s subcommands (``load_settings`` reads --config)."""
    user = commands.add_parser("user", help="people who log in to the pages: add, password, disable, unlock, "
                                            "list, log")
    user.add_argument("action", choices=("add", "password", "disable", "unlock", "list", "log"))
    user.add_argument("name", nargs="?")
    user.add_argument("--role", choices=ROLES)
    user.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    user.add_argument("--user", help="log: only this user's entries")
    user.add_argument("--limit", type=int, default=200, help="log: how many entries (default 200)")
    user.set_defaults(func=lambda args: cmd_user(args, load_settings(args.config)))
