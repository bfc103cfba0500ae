"""What every ``till`` sub-command shares: where the configuration is, the log, opening the
shop, and a manager's approval from a shell. One place, imported by ``till.cli.main`` and by
each command group, so no group imports the parser that imports it.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

from till import logmask
from till.config.loader import Config, load
from till.errors import TillError
from till.files import create_private
from till.logfile import PrivateRotatingLog

OK, FAILED, USAGE = 0, 1, 2


def find_config(explicit: str | None) -> Path:
    """The configuration file: ``--config``, else ``$TILL_CONFIG``, else ``./till.toml``."""
    chosen = explicit or os.environ.get("TILL_CONFIG") or "till.toml"
    return Path(chosen)


def setup_logging(config: Config | None, verbose: bool = False) -> None:
    """Log to the till's log file (never to the cashier's screen).

    The file is made 0600 before it is opened, and so is each file that follows it when it is
    rotated (``till.logfile``: ``till.log_max_kb``, ``till.log_backups``); every handler masks credit-note codes
    (``till.logmask``): the log may be read by people who must not spend the shop's vouchers.
    """
    handlers: list[logging.Handler] = []
    if config is not None:
        path = config.resolve(config.till.log_file)
        try:
            create_private(path)
            handlers.append(PrivateRotatingLog(path, config.till.log_max_kb, config.till.log_backups))
        except OSError as error:  # the command still runs, but its traces are lost: say so once
            warning = TillError("warning: cannot write the log file {file}: {reason}", file=str(path),
                                reason=error.strerror or str(error))
            print(f"till: {warning.text()}", file=sys.stderr)
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    logmask.install(*handlers)
    logging.basicConfig(level=logging.INFO, handlers=handlers or [logging.NullHandler()], force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def open_shop(args: argparse.Namespace):
    """The shop of ``--config`` (or ``$TILL_CONFIG``, or ./till.toml), logging to its file: its ``TillContext``."""
    from till.shop.context import TillContext  # deferred: per command (fast start)

    config = load(find_config(args.config))
    setup_logging(config)
    return TillContext.open(config)


def manager_approval(ctx, args: argparse.Namespace, reason: str):
    """The manager approving ``reason`` from a shell: their login (``--manager``, else asked)
    and PIN. Naming the manager lets a wrong PIN count against that account, locked at the
    third as at the till, so a shell is no place to try every PIN either."""
    from till.people.auth import authorize_manager  # deferred: per command (fast start)

    login = args.manager or _ask("--manager", lambda: input("Manager login: ").strip())
    pin = args.pin or ask_pin(login)
    return authorize_manager(ctx.sealer, pin, reason, login=login)


def ask_pin(login: str) -> str:
    """``login``'s PIN, typed at the terminal without echo. With no terminal (cron, a pipe),
    getpass would read stdin in clear or fail on its end: the technician is told to give
    ``--pin`` instead."""
    return _ask("--pin", lambda: getpass.getpass(f"PIN for {login}: "))


def _ask(option: str, question):
    if not sys.stdin.isatty():
        raise TillError("No terminal to ask on: give {option}", option=option)
    try:
        return question()
    except EOFError:
        raise TillError("No answer was typed: give {option}", option=option) from None
