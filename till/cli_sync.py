"""``till sync [--dry-run] [--public-key]``: the cron job that talks to head office.

Kept apart from ``till.cli`` (which calls ``register``). Exit codes are ``till.sync``'s:
0 done, 1 refused by head office, 2 usage or configuration, 3 head office unreachable,
4 another sync is running. One line on stdout says what happened; details go to the log.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    sync = commands.add_parser("sync", help="push the fiscal chains to head office and pull its updates")
    sync.add_argument("--dry-run", action="store_true", help="only say what would be pushed")
    sync.add_argument("--public-key", action="store_true",
                      help="print this till's public key (for `till-headoffice enroll`) and exit")
    sync.add_argument("--settings", help="sync settings file (default: sync.toml beside till.toml)")
    sync.set_defaults(func=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    from till.cli import _open
    from till.errors import TillError
    from till.sync import EXIT_USAGE, load_settings, run_sync

    ctx = _open(args)
    try:
        if args.public_key:
            print(ctx.sealer.signer.public_pem, end="")
            return 0
        try:
            settings = load_settings(ctx.config.path.parent, Path(args.settings) if args.settings else None)
        except TillError as error:
            print(f"till: {error.text()}", file=sys.stderr)
            return EXIT_USAGE
        result = run_sync(ctx, settings, dry_run=args.dry_run)
    finally:
        ctx.close()
    print(result.message, file=sys.stdout if result.exit_code == 0 else sys.stderr)
    return result.exit_code
