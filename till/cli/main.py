"""The ``till`` command: thin sub-commands that parse, call a workflow and print.

Exit codes: 0 success, 1 a check failed (e.g. the fiscal journal does not verify), 2 a usage or
configuration error. Errors are one clear line on stderr; tracebacks go to the log file only.
Every command runs with umask 077 (``till.files``): what it creates is its user's alone.
The UI (Textual) is imported only by the commands that start it, so technicians' commands
start fast on a Raspberry Pi.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path
from typing import NoReturn

from till import __version__
from till.config.loader import Config, load
from till.errors import TillError
from till.files import private_umask
from till.postgres_driver import peewee_without_driver

from till.cli.common import FAILED, OK, USAGE, ask_pin, find_config, manager_approval, open_shop, setup_logging

log = logging.getLogger("till")
log.addHandler(logging.NullHandler())  # before the log file is set up, nothing goes to stderr


def run_ui(config: Config) -> int:
    """Start the till's screens on ``config``'s shop."""
    if config.database_url.startswith("sqlite:"):
        peewee_without_driver()  # before the store loads: a SQLite shop's start never loads psycopg2
    from till.shop.running import running_till, start_till  # deferred: per command (fast start)
    from till.fiscal.lifecycle import record_stop  # deferred: per command (fast start)

    with running_till(config):
        ctx = start_till(config)
        try:
            from till.ui.app import TillApp  # deferred: Textual loads only when the screens start

            TillApp(ctx).run()
        finally:
            record_stop(ctx.sealer)
            ctx.close()
    return OK


def cmd_run(args: argparse.Namespace) -> int:
    config = load(find_config(args.config))
    setup_logging(config)
    return run_ui(config)


def cmd_demo(args: argparse.Namespace) -> int:
    from till.demo.build import build_demo, default_demo_dir  # deferred: per command (fast start)

    folder = Path(args.dir) if args.dir else default_demo_dir()
    print(f"Preparing the demo shop in {folder} ...", file=sys.stderr)
    config = build_demo(folder, reset=args.reset)
    print(f"Demo shop ready: {config.path}", file=sys.stderr)
    print("Log in as 'cashier' (PIN 1111) or 'manager' (PIN 9999).", file=sys.stderr)
    from till.shop.context import TillContext  # deferred: per command (fast start)
    from till.demo.offered import receipts_to_return  # deferred: per command (fast start)
    from till.money import format_cents  # deferred: per command (fast start)

    ctx = TillContext.open(config)
    print("Receipts ready to return (type or scan the code on the sale screen):", file=sys.stderr)
    for code, total, means in receipts_to_return():
        print(f"  {code}  {format_cents(total, config.till.language)}  paid by {means}", file=sys.stderr)
    from till.demo.build import DEMO_ORDER  # deferred: per command (fast start)

    print(f"Online order ready to return (type its number on the sale screen): {DEMO_ORDER}", file=sys.stderr)
    from till.demo.other_shop import RECEIPT_FILE  # deferred: per command (fast start)

    print(f"A receipt of another shop to return: {config.folder / RECEIPT_FILE}", file=sys.stderr)
    ctx.close()
    if args.no_ui:
        return OK
    setup_logging(config)
    return run_ui(config)


def cmd_init(args: argparse.Namespace) -> int:
    from till.shop.setup import init_shop  # deferred: per command (fast start)

    settings = {key: value for key, value in {
        "shop_name": args.shop_name, "siret": args.siret, "vat_number": args.vat_number,
        "till_id": args.till_id, "database": args.database, "language": args.language,
        "address": args.address,
    }.items() if value}
    result = init_shop(Path(args.dir), **settings)
    print(f"{'Created' if result.created_config else 'Kept'} {result.config.path}")
    print(f"Database ready: {result.config.database_url}")
    key = result.config.resolve(result.config.till.key_file)
    print(f"{'Created' if result.created_key else 'Kept'} signing key {key}")
    if result.root_fingerprint:
        print(f"Root key fingerprint: {result.root_fingerprint} (keep it with the shop's papers: every Z report "
              "prints it, an inspector compares them)")
    if result.created_config:
        print("Next: edit the shop's identity in the file, then add staff with `till user add`.")
    return OK


def cmd_user_add(args: argparse.Namespace) -> int:
    from till.people.auth import create_user  # deferred: per command (fast start)

    ctx = open_shop(args)
    pin = args.pin or ask_pin(args.login)
    user = create_user(args.login, args.name or args.login, args.role, pin, sealer=ctx.sealer,
                       description="user added from the command line")
    print(f"Added {user.login} ({user.role})")
    return OK


def cmd_user_unlock(args: argparse.Namespace) -> int:
    from store.models import User  # deferred: per command (fast start)
    from till.people.auth import unlock_account  # deferred: per command (fast start)

    ctx = open_shop(args)
    user = User.get_or_none(User.login == args.login)
    if user is None:
        print(f"No user {args.login}", file=sys.stderr)
        return USAGE
    unlock_account(ctx.sealer, user, "user unlocked from the command line")
    print(f"Unlocked {user.login}")
    return OK


def cmd_user_list(args: argparse.Namespace) -> int:
    from store.models import User  # deferred: per command (fast start)

    open_shop(args)
    for user in User.select().order_by(User.login):
        state = "locked" if user.locked else ("active" if user.active else "inactive")
        print(f"{user.login:16} {user.role:11} {state:8} {user.name}")
    return OK


def cmd_journal_verify(args: argparse.Namespace) -> int:
    from till.fiscal.events import INTEGRITY_CHECK, record_event  # deferred: per command (fast start)
    from till.fiscal.verify import verify_journal  # deferred: per command (fast start)

    if getattr(args, "archive", None):
        from till.cli.archive import cmd_verify_archive  # deferred: per command (fast start)

        return cmd_verify_archive(args)  # the archive alone: no configuration, no database

    from till.fiscal.key_chain import root_key_ids  # deferred: per command (fast start)
    from till.shop.ledgers import journal_checks  # deferred: per command (fast start)

    roots = root_key_ids(getattr(args, "roots", None))  # a mistyped fingerprint before anything opens
    ctx = open_shop(args)
    report = verify_journal(anchors=ctx.sealer.anchors, checks=journal_checks(ctx), roots=roots)
    for line in report.lines():
        print(line)
    seal_anchor_failure(ctx.sealer)
    ok = report.ok
    if getattr(args, "headoffice", False):
        from till.cli.anchors import check_headoffice  # deferred: per command (fast start)

        ok = check_headoffice(ctx) and ok
    record_event(ctx.sealer, INTEGRITY_CHECK, "journal verified from the command line",
                 details={"ok": ok, "problems": len(report.problems)})
    return OK if ok else FAILED


def seal_anchor_failure(sealer) -> None:
    """A failure of the tail anchors found by ``till journal verify`` is sealed as at start
    (ANCHOR_CHECK_FAILED, with the anchors as found) before anything else is sealed."""
    from till.fiscal import anchor_check  # deferred: per command (fast start)

    if sealer.anchors is not None:
        findings = anchor_check.check_anchors(sealer.anchors, [sealer.till_id])
        if findings.problems:
            anchor_check.record_failure(sealer, findings, anchor_check.VERIFY)


def cmd_journal_baseline(args: argparse.Namespace) -> int:
    from till.shop.ledgers import seal_baseline  # deferred: per command (fast start)

    ctx = open_shop(args)
    manager = manager_approval(ctx, args, "journal baseline")
    users, moves, notes = seal_baseline(ctx.sealer)
    print(f"Sealed as found, approved by {manager.login}: {users} users, {moves} stock movements without a ticket, "
          f"{notes} credit notes issued before their issue was sealed.")
    return OK


def cmd_clock_acknowledge(args: argparse.Namespace) -> int:
    from till.fiscal import clock  # deferred: per command (fast start)

    ctx = open_shop(args)
    clock.record_if_behind(ctx.sealer)
    floor = clock.clock_behind(ctx.till_id)
    if floor is None and not clock.is_held(ctx.till_id):
        print("The clock is not behind the last record: nothing to acknowledge.")
        return OK
    print(f"The clock reads {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
          + (f"; the last record was sealed at {floor:%Y-%m-%d %H:%M} UTC." if floor else "."))
    manager = manager_approval(ctx, args, "clock acknowledged")
    clock.acknowledge(ctx.sealer, manager, args.note)
    print(f"Acknowledged by {manager.login}: sales may resume.")
    return OK


def cmd_key_rotate(args: argparse.Namespace) -> int:
    from till.fiscal.rotation import rotate_key  # deferred: per command (fast start)
    from till.shop.running import running_till  # deferred: per command (fast start)

    ctx = open_shop(args)
    # Not while the till's program runs: it holds the old key and would go on signing with it
    # after the rotation, which the key chain refuses (a replaced key signs nothing more).
    with running_till(ctx.config):
        manager = manager_approval(ctx, args, "signing key rotation")
        old = ctx.sealer.signer.key_id
        new = rotate_key(ctx.sealer, manager.id)
    print(f"Signing key replaced: {old[:16]}... -> {new.key_id[:16]}... (the old key file is kept aside)")
    return OK


def cmd_import_catalogue(args: argparse.Namespace) -> int:
    from till.selling.catalogue_import import (  # deferred: per command (fast start)
        CatalogueImportError, import_catalogue_file,
    )

    ctx = open_shop(args)
    try:
        result = import_catalogue_file(args.file, sealer=ctx.sealer)  # sealed: CATALOGUE_IMPORTED
    except CatalogueImportError as error:
        print(f"till: {error.text()}", file=sys.stderr)
        return FAILED
    print(f"{len(result.created)} product(s) created, {len(result.updated)} updated, {result.unchanged} unchanged, "
          f"{len(result.barcodes_moved)} barcode(s) moved")
    return OK


def cmd_import_orders(args: argparse.Namespace) -> int:
    from till.returns.online_orders import OrderImportError, import_file  # deferred: per command (fast start)

    open_shop(args)
    try:
        result = import_file(args.file)
    except OrderImportError as error:
        print(f"till: {error.text()}", file=sys.stderr)
        return FAILED
    print(f"{len(result.imported)} order(s) imported, {len(result.unchanged)} already there")
    for number in result.imported:
        print(f"  {number}")
    return OK


def cmd_outbox_run(args: argparse.Namespace) -> int:
    from till.aftersale.jobs import run_outbox_jobs  # deferred: per command (fast start)
    from till.aftersale.outbox import pending_count  # deferred: per command (fast start)

    ctx = open_shop(args)
    run = run_outbox_jobs(ctx.config, ctx.sealer)
    for not_opened in run.drawers_not_opened:  # given up, never opened late: as the cashier is told
        print(not_opened.text(ctx.config.till.language))
    print(f"{len(run.ran)} job(s) run, {pending_count(ctx.till_id)} pending")
    return OK


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (which option, and where to read more): scripts
    and cron mails read one line, and the usage summary is one ``--help`` away. Sub-commands'
    parsers are of this class too (argparse makes them of their parent's)."""

    def error(self, message: str) -> NoReturn:
        hint = TillError("{command}: {reason} (see {command} --help)", command=self.prog, reason=message)
        self.exit(USAGE, f"{one_line(hint.text())}\n")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The ``till`` command line's parser; given the ``argv`` it will parse, it leaves out the
    analytic reports' sub-commands unless ``report`` is in it (listing them loads every report's
    module, which the till's start does not need)."""
    parser = Parser(prog="till", description="A point-of-sale till for small shops.")
    parser.add_argument("--config", help=CONFIG_HELP)
    parser.add_argument("--version", action="version", version=f"till {__version__}")
    commands = parser.add_subparsers(dest="command")

    commands.add_parser("run", help="start the till's screens (the default)").set_defaults(func=cmd_run)

    demo = commands.add_parser("demo", help="build (or reuse) the demo shop and start it")
    demo.add_argument("--dir", help="where to build it (default: your user data folder)")
    demo.add_argument("--no-ui", action="store_true", help="build it and exit")
    demo.add_argument("--reset", action="store_true", help="throw the demo shop away and build it again")
    demo.set_defaults(func=cmd_demo)

    init = commands.add_parser("init", help="set up a real shop: config file, database, signing key")
    init.add_argument("--dir", default=".", help="the shop's folder (default: here)")
    init.add_argument("--shop-name")
    init.add_argument("--address")
    init.add_argument("--siret")
    init.add_argument("--vat-number")
    init.add_argument("--till-id")
    init.add_argument("--language", choices=["fr", "en"])
    init.add_argument("--database", help="sqlite:///till.db (default) or postgresql://...")
    init.set_defaults(func=cmd_init)

    user = commands.add_parser("user", help="staff accounts").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="add a member of staff")
    add.add_argument("login")
    add.add_argument("--name")
    add.add_argument("--role", default="cashier", choices=["cashier", "manager", "technician"])
    add.add_argument("--pin", help="4-8 digits (asked for when not given)")
    add.set_defaults(func=cmd_user_add)
    unlock = user.add_parser("unlock", help="unlock an account locked by wrong PINs")
    unlock.add_argument("login")
    unlock.set_defaults(func=cmd_user_unlock)
    user.add_parser("list", help="list staff").set_defaults(func=cmd_user_list)

    journal = commands.add_parser("journal", help="the signed fiscal journal").add_subparsers(
        dest="journal_command", required=True)
    from till.cli import archive as cli_archive  # deferred: per command (fast start)
    from till.cli import backup as cli_backup  # deferred: per command (fast start)
    from till.cli import card as cli_card  # deferred: per command (fast start)
    from till.cli import cash as cli_cash  # deferred: per command (fast start)
    from till.cli import devices as cli_devices  # deferred: per command (fast start)
    from till.cli import doctor as cli_doctor  # deferred: per command (fast start)
    from till.cli import vat as cli_vat  # deferred: per command (fast start)
    from till.cli import export as cli_export  # deferred: per command (fast start)
    from till.cli import fiscal as cli_fiscal  # deferred: per command (fast start)
    from till.cli import sync as cli_sync  # deferred: per command (fast start)

    verify = journal.add_parser("verify", help="check every chain, signature and anchor (or --archive FILE)")
    cli_archive.add_verify_arguments(verify)
    verify.add_argument("--headoffice", action="store_true",
                        help="also compare with the chain heads head office keeps from the last closure")
    verify.set_defaults(func=cmd_journal_verify)
    baseline = journal.add_parser("baseline", help="seal the users and ticket-less stock movements no record "
                                  "seals yet (once, after an upgrade)")
    baseline.add_argument("--manager", metavar="LOGIN", help="the manager's login (asked for when not given)")
    baseline.add_argument("--pin", help="the manager's PIN (asked for when not given)")
    baseline.set_defaults(func=cmd_journal_baseline)

    from till.cli import anchors as cli_anchors  # deferred: per command (fast start)

    cli_anchors.register(journal)

    clock = commands.add_parser("clock", help="the till's clock").add_subparsers(dest="clock_command",
                                                                                   required=True)
    acknowledge = clock.add_parser("acknowledge", help="a manager checked a clock that went backwards")
    acknowledge.add_argument("--note", required=True, help="what was checked or fixed")
    acknowledge.add_argument("--manager", metavar="LOGIN", help="the manager's login (asked for when not given)")
    acknowledge.add_argument("--pin", help="the manager's PIN (asked for when not given)")
    acknowledge.set_defaults(func=cmd_clock_acknowledge)

    key = commands.add_parser("key", help="the till's signing key").add_subparsers(dest="key_command",
                                                                                 required=True)
    rotate = key.add_parser("rotate", help="replace the signing key (the old one signs the hand-over)")
    rotate.add_argument("--manager", metavar="LOGIN", help="the manager's login (asked for when not given)")
    rotate.add_argument("--pin", help="the manager's PIN (asked for when not given)")
    rotate.set_defaults(func=cmd_key_rotate)

    imports = commands.add_parser("import", help="bring data in from files").add_subparsers(
        dest="import_command", required=True)
    catalogue = imports.add_parser("catalogue", help="products, prices and barcodes (JSON), by SKU")
    catalogue.add_argument("file", help="a JSON file: {\"products\": [...]}")
    catalogue.set_defaults(func=cmd_import_catalogue)
    orders = imports.add_parser("orders", help="online orders (JSON), so they can be returned in the shop")
    orders.add_argument("file", help="a JSON file: {\"orders\": [...]}")
    orders.set_defaults(func=cmd_import_orders)

    cli_fiscal.register(commands, analytics=argv is None or "report" in argv)
    cli_archive.register(commands)
    cli_devices.register(commands)
    cli_sync.register(commands)
    cli_export.register(commands)
    cli_doctor.register(commands)
    cli_backup.register(commands)
    cli_vat.register(commands)
    cli_card.register(commands)
    cli_cash.register(commands)

    outbox = commands.add_parser("outbox", help="after-sale jobs (receipts, drawer)").add_subparsers(
        dest="outbox_command", required=True)
    outbox.add_parser("run", help="run the jobs that are due").set_defaults(func=cmd_outbox_run)
    _config_everywhere(parser)
    return parser


CONFIG_HELP = "configuration file (default: $TILL_CONFIG or ./till.toml)"


def _config_everywhere(parser: argparse.ArgumentParser) -> None:
    """Accept ``--config`` after any sub-command too (``till journal verify --config X``), as
    technicians type it. SUPPRESS as default: a sub-command that is not given it must not
    overwrite the value given before the sub-command with None."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                sub.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)
                _config_everywhere(sub)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) and USAGE
    func = getattr(args, "func", cmd_run)
    try:
        with private_umask():  # what the till or a library creates is its user's alone
            return func(args)
    except KeyboardInterrupt:
        return FAILED
    except Exception as error:  # the technician gets one line; the log gets the traceback
        explained = explain(error)
        if explained is not None:
            print(f"till: {one_line(explained.text())}", file=sys.stderr)
            return USAGE
        log.exception("till %s failed", getattr(args, "command", "run"))
        bug = TillError("unexpected error: {reason} (details in the log file)", reason=str(error))
        print(f"till: {one_line(bug.text())}", file=sys.stderr)
        return FAILED


def explain(error: Exception) -> TillError | None:
    """What the technician must fix, for the failures that come from outside the till (a
    folder, a database server, the input's size): exit 2 with that line rather than a
    traceback or an "unexpected error". None for a bug, which the log keeps in full."""
    import peewee  # deferred: loaded by every command that reaches a database anyway

    if isinstance(error, TillError):  # ConfigError included
        return error
    if isinstance(error, OSError):
        where = error.filename or ""
        return TillError("Cannot use {file}: {reason}", file=where, reason=error.strerror or str(error)) \
            if where else TillError("System error: {reason}", reason=error.strerror or str(error))
    if isinstance(error, peewee.DatabaseError | peewee.InterfaceError):
        return TillError("Cannot use the database: {reason}", reason=str(error))
    if isinstance(error, RecursionError):
        return TillError("The input is nested too deeply to be read")
    if isinstance(error, OverflowError):
        return TillError("A number or a date is out of range: {reason}", reason=str(error))
    return None


def one_line(text: str) -> str:
    """``text`` on one line: a database driver's message spans several, and scripts read one."""
    return " ".join(text.split()) or "?"


if __name__ == "__main__":
    sys.exit(main())
