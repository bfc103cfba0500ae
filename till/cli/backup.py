"""``till backup`` and ``till restore``: copies of the shop, and a shop rebuilt from one.

Kept apart from ``till.cli.main`` (which calls ``register``). Exit codes as in ``till.cli.main``:
0 done; 1 a backup that failed or did not verify, a restore refused, or a restore that found the
backup behind (the till will not start: the lines printed say what to do); 2 usage or configuration.
A passphrase is never taken from the command line, where ``ps`` and the shell's history show
it: it is asked at the terminal, or read from a file or an environment variable named by an option.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from till.cli.common import FAILED, OK, USAGE, open_shop
from till.errors import TillError
from till.i18n import N_, translate

NO_FILE = N_("till restore: give the backup FILE, or --from-headoffice")
PASSPHRASE_MISMATCH = N_("The two passphrases differ")
NO_TERMINAL = N_("No terminal to ask the passphrase on: give --passphrase-file or --passphrase-env")
EMPTY_ENV = N_("The environment variable {name} is not set or empty")
MADE = N_("Backup written and verified: {file} ({size} bytes, SHA-256 {sha256}); without the private key")
MADE_WITH_KEY = N_("Backup written and verified: {file} ({size} bytes, SHA-256 {sha256}); with the private key, "
                   "encrypted")
ROTATED = N_("Old backups removed by the rotation rule: {count}")
VERIFIED = N_("Backup verified: {file}")
NOT_VERIFIED = N_("Backup NOT verified: {file}")


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``backup`` and ``restore`` to ``till``'s sub-commands."""
    backup = commands.add_parser("backup", help="copy the database, configuration, anchors and public keys into "
                                 "backup.dir (or --out), checked, rotated, sealed")
    backup.add_argument("--out", metavar="DIR", help="the folder to write to (default: backup.dir of till.toml)")
    backup.add_argument("--verify", metavar="FILE", help="only check a backup file (checksums, integrity, journal), "
                        "on any machine; nothing is written")
    backup.add_argument("--with-key", action="store_true",
                        help="also the private key, encrypted with a passphrase (asked, or --passphrase-file/-env)")
    _passphrase_options(backup)
    backup.set_defaults(func=cmd_backup)

    restore = commands.add_parser("restore", help="a new shop folder from a backup (verified first), and how far "
                                  "behind the anchors, head office and the last Z it is")
    source = restore.add_mutually_exclusive_group()
    source.add_argument("file", nargs="?", help="the backup file, till-<till>-<time>.tar.gz")
    source.add_argument("--from-headoffice", action="store_true", help="rebuild from head office instead")
    restore.add_argument("--dir", required=True, help="the new shop folder (absent or empty)")
    restore.add_argument("--anchors", metavar="DIR", help="surviving anchors (the old card's anchors folder, a copy)")
    restore.add_argument("--database", metavar="URL", help="PostgreSQL backup: the empty database to restore into")
    restore.add_argument("--no-headoffice", action="store_true", help="do not ask head office")
    _passphrase_options(restore)
    restore.set_defaults(func=cmd_restore)


def _passphrase_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--passphrase-file", metavar="FILE", help="read the key's passphrase from this file's first line")
    group.add_argument("--passphrase-env", metavar="VAR", help="read the key's passphrase from this environment variable")


def passphrase(args: argparse.Namespace, confirm: bool) -> str:
    """The passphrase from ``--passphrase-file``, ``--passphrase-env``, or typed (twice with ``confirm``)."""
    if args.passphrase_file:
        lines = Path(args.passphrase_file).read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    if args.passphrase_env:
        value = os.environ.get(args.passphrase_env, "")
        if not value:
            raise TillError(EMPTY_ENV, name=args.passphrase_env)
        return value
    if not sys.stdin.isatty():
        raise TillError(NO_TERMINAL)
    typed = getpass.getpass("Passphrase for the key: ")
    if confirm and getpass.getpass("Same passphrase again: ") != typed:
        raise TillError(PASSPHRASE_MISMATCH)
    return typed


def cmd_backup(args: argparse.Namespace) -> int:
    if args.verify:
        return verify_backup(args.verify)
    from till.backup.job import record_backup_failure  # deferred: per command (fast start)
    from till.backup.make import BackupError, backup_folder, make_backup  # deferred: per command (fast start)

    ctx = open_shop(args)
    lang = ctx.config.till.language
    try:
        try:
            backup_folder(ctx.config, args.out)
        except BackupError as unset:  # neither backup.dir nor --out: something to configure (exit 2)
            print("till: " + unset.text(lang), file=sys.stderr)
            return USAGE
        secret = passphrase(args, confirm=True) if args.with_key else None
        try:
            result = make_backup(ctx.config, ctx.sealer, out=args.out, passphrase=secret)
        except (BackupError, OSError) as error:
            reason = error.text(lang) if isinstance(error, TillError) else f"{error.filename}: {error.strerror}"
            record_backup_failure(ctx.sealer, "command", reason)
            print("till: " + " ".join(reason.split()), file=sys.stderr)
            return FAILED
        print(translate(MADE_WITH_KEY if result.manifest.with_key else MADE, lang, file=str(result.path),
                        size=result.size, sha256=result.sha256))
        if result.removed:
            print(translate(ROTATED, lang, count=len(result.removed)))
        return OK
    finally:
        ctx.close()


def verify_backup(file: str) -> int:
    """``till backup --verify FILE``: the backup proved as a restore proves it, without a shop."""
    from till.backup.check import check_backup  # deferred: per command (fast start)

    problems = check_backup(file)
    if not problems:
        print(translate(VERIFIED, file=file))
        return OK
    print(translate(NOT_VERIFIED, file=file))
    for line in problems:
        print(" ".join(line.split()))
    return FAILED


def cmd_restore(args: argparse.Namespace) -> int:
    from till.backup.backup_format import PRIVATE_KEY_MEMBER  # deferred: per command (fast start)
    from till.backup.restore import RestoreRefused, restore_backup  # deferred: per command (fast start)

    if args.from_headoffice:  # no backup left: the till's own signed records, from head office
        from till.cli.rebuild import cmd_rebuild  # deferred: per command (fast start)

        return cmd_rebuild(args)
    if not args.file:
        print("till: " + translate(NO_FILE), file=sys.stderr)
        return USAGE
    secret = None
    if args.passphrase_file or args.passphrase_env or (_holds_key(args.file, PRIVATE_KEY_MEMBER)
                                                       and sys.stdin.isatty()):
        secret = passphrase(args, confirm=False)
    try:
        report = restore_backup(args.file, args.dir, anchors_dir=args.anchors, passphrase=secret,
                                database_url=args.database, ask_headoffice=not args.no_headoffice)
    except RestoreRefused as refused:
        print("till: " + " ".join(refused.text().split()), file=sys.stderr)
        return FAILED
    for line in report.lines:
        print(line)
    return FAILED if report.behind else OK


def _holds_key(file: str, member: str) -> bool:
    """Whether the backup ``file`` holds the private key (read from its member list, nothing extracted)."""
    import tarfile  # deferred: per command (fast start)

    try:
        with tarfile.open(file, "r:gz") as archive:
            return member in archive.getnames()
    except (OSError, tarfile.TarError, EOFError):
        return False  # the restore's own check says what is wrong with the file
