"""``till doctor``: one line per check, OK, WARN or FAIL, for a technician (often over SSH).

Kept apart from ``till.cli.main`` like ``cli_devices``; ``till.cli.main`` calls ``register(commands)``.
Thin: load the configuration (not the database: a broken database must not stop the
diagnosis), run ``till.shop.doctor``'s checks, print each finding in the till's language. Exit
codes as in ``till.cli.main``: 0 nothing failed (warnings allowed), 1 a check failed, 2 the
configuration cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from till.cli.common import find_config, setup_logging
from till.i18n import N_, translate

OK, FAILED = 0, 1
CHECKS_FAILED = N_("doctor: checks failed: {count} (the FAIL lines above say what to do)")


def cmd_doctor(args: argparse.Namespace) -> int:
    from till.config.loader import load  # deferred: per command (fast start)
    from till.shop.doctor import FAIL, run_checks  # deferred: per command (fast start)

    config = load(find_config(getattr(args, "config", None)))
    setup_logging(config)
    findings = run_checks(config)
    lang = config.till.language
    for finding in findings:
        print(f"{finding.status:<4}  {finding.text(lang)}")
    failed = sum(1 for finding in findings if finding.status == FAIL)
    if failed:  # as every command that exits 1: one line on stderr, for cron and scripts
        print("till: " + translate(CHECKS_FAILED, lang, count=failed), file=sys.stderr)
        return FAILED
    return OK


def register(commands: Any) -> None:
    """Add ``doctor`` to ``till``'s sub-commands (``commands`` = its sub-parsers)."""
    doctor = commands.add_parser("doctor", help="check the till, one line per check (OK, WARN, FAIL): files, database, "
                                 "key, journal, devices, closures, card payments, outbox, head office, clock")
    doctor.set_defaults(func=cmd_doctor)
