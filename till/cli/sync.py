"""``till sync [--dry-run] [--public-key]``: the cron job that talks to head office.

Kept apart from ``till.cli.main`` (which calls ``register``). Exit codes are ``till.sync.push``'s:
0 done, 1 refused by head office, 2 usage or configuration, 3 head office unreachable,
4 another sync is running. One line on stdout says what happened; details go to the log.
Head office is the ``[sync]`` section of till.toml (``Config.sync``): one file for the technician.
"""

from __future__ import annotations

import argparse
import sys
from till.cli.common import open_shop


def register(commands: argparse._SubParsersAction) -> None:
    sync = commands.add_parser("sync", help="push the fiscal chains to head office and pull its updates")
    sync.add_argument("--dry-run", action="store_true", help="only say what would be pushed")
    sync.add_argument("--public-key", action="store_true",
                      help="print this till's public key (for `till-headoffice enroll`) and exit")
    sync.set_defaults(func=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    from till.i18n import translate  # deferred: per command (fast start)
    from till.sync.push import EXIT_USAGE, run_sync  # deferred: per command (fast start)

    ctx = open_shop(args)
    try:
        if args.public_key:
            from till.fiscal.key_chain import key_chain_of  # deferred: per command (fast start)

            print(ctx.sealer.signer.public_pem, end="")
            root = key_chain_of(ctx.till_id).fingerprint
            if root:  # on stderr: stdout is the PEM file; the root goes to `till-headoffice enroll --root`
                print(f"root key fingerprint: {root}", file=sys.stderr)
            return 0
        if ctx.config.sync is None:
            print("till: " + translate("No head office to sync with: add a [sync] section with url to {file}",
                                       file=str(ctx.config.path)), file=sys.stderr)
            return EXIT_USAGE
        result = run_sync(ctx, ctx.config.sync, dry_run=args.dry_run)
    finally:
        ctx.close()
    print(result.message, file=sys.stdout if result.exit_code == 0 else sys.stderr)
    return result.exit_code
