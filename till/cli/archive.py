"""``till archive export``, ``till archive verify`` and ``till journal verify --archive``.

Kept apart from ``till.cli.main`` so the archive can grow (purge, listing) without touching the
other commands; ``till.cli.main`` calls ``register`` and hands ``--archive`` to
``cmd_verify_archive``. Same exit codes: 0 success, 1 a check failed, 2 usage or unreadable.
Verifying an archive opens no configuration and no database: it runs on an auditor's machine.
"""

from __future__ import annotations

import argparse
import re
import sys
from till.cli.common import open_shop
from till.errors import TillError

OK, FAILED, USAGE = 0, 1, 2


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``till archive export --period YYYY-MM --out FILE [--till ID|all] [--partial]`` and ``till archive
    verify FILE`` to ``commands``."""
    archive = commands.add_parser("archive", help="signed fiscal archives").add_subparsers(
        dest="archive_command", required=True)
    export = archive.add_parser("export", help="write the signed archive of a period and record it in chain A")
    export.add_argument("--period", required=True, help="a month YYYY-MM (or a day YYYY-MM-DD, or a year YYYY)")
    export.add_argument("--out", required=True, help="the archive file to write (or a folder to write it in)")
    export.add_argument("--till", dest="till", help="the till to archive (default: this one; 'all': every till)")
    export.add_argument("--partial", action="store_true",
                        help="archive a period that is not closed yet, marked as partial (otherwise refused)")
    export.set_defaults(func=cmd_archive_export)
    verify = archive.add_parser("verify", help="verify an archive file alone (no database): the same as "
                                "`till journal verify --archive FILE`")
    verify.add_argument("archive", metavar="FILE")
    verify.add_argument("--key-id", action="append", dest="key_ids", metavar="ID", help="a key id you trust")
    verify.add_argument("--root", action="append", dest="roots", metavar="FINGERPRINT",
                        help="the root key fingerprint the till's key chain must lead to (from its Z reports)")
    verify.set_defaults(func=cmd_verify_archive)


def add_verify_arguments(verify: argparse.ArgumentParser) -> None:
    """The options ``till journal verify`` needs to check an archive instead of the database."""
    verify.add_argument("--archive", metavar="FILE", help="verify this archive file alone, without the database")
    verify.add_argument("--key-id", action="append", dest="key_ids", metavar="ID",
                        help="with --archive: a key id you trust (repeatable)")
    verify.add_argument("--root", action="append", dest="roots", metavar="FINGERPRINT",
                        help="the root key fingerprint each till's key chain must lead to (from its Z reports; "
                             "repeatable, one per till); with or without --archive")


def cmd_archive_export(args: argparse.Namespace) -> int:
    from till.aftersale.archive_job import shop_identity  # deferred: per command (fast start)
    from till.fiscal.archive import export_archive, parse_period  # deferred: per command (fast start)

    parse_period(args.period)  # a usage error before anything is opened
    if args.till and args.till != "all" and not re.fullmatch(r"[A-Za-z0-9]{1,8}", args.till):
        raise TillError("--till must be a till id (1 to 8 letters or digits) or \"all\"")
    ctx = open_shop(args)
    try:
        tills = () if not args.till else (None if args.till == "all" else [args.till])
        result = export_archive(ctx.sealer, args.period, args.out, tills=tills,  # in the shop's time zone
                                partial=args.partial, shop=shop_identity(ctx.config))
    finally:
        ctx.close()
    records = sum(result.counts.values())
    print(f"Archive {result.path} written: period {result.period.label} ({result.period.zone}), {records} records "
          f"in {len(result.counts)} chains" + ("" if result.complete else ", PARTIAL (period not closed)"))
    print(f"manifest SHA-256 {result.manifest_sha256}, signed by key {ctx.sealer.signer.key_id}")
    print(f"recorded as record {result.record.sequence} of chain A of till {result.record.till_id}")
    from till.fiscal.archive_trust import key_chain_roots  # deferred: per command (fast start)

    for till_id, root in key_chain_roots(result.path).items():
        print(f"root key of till {till_id}: {root} (give it to the archive check with --root)")
    return OK


def cmd_verify_archive(args: argparse.Namespace) -> int:
    """Verify ``args.archive`` with no configuration and no database: 0 ok, 1 problems, 2 unreadable."""
    from till.errors import TillError  # deferred: per command (fast start)
    from till.fiscal.archive_verify import verify_archive  # deferred: per command (fast start)
    from till.fiscal.key_chain import root_key_ids  # deferred: per command (fast start)

    try:
        report = verify_archive(args.archive, trusted_key_ids=getattr(args, "key_ids", None),
                                roots=root_key_ids(getattr(args, "roots", None)))
    except TillError as error:
        print(f"till: {error.text()}", file=sys.stderr)
        return USAGE
    for line in report.lines():
        print(line)
    return OK if report.ok else FAILED
