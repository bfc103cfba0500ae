"""``till doctor``'s checks: what a technician should know about a till before trusting it.

Each check is a function of the configuration returning findings: OK, WARN (works, but
something should be done) or FAIL (unsafe or broken; ``till doctor`` exits 1), each with the fix
in words. ``CHECKS`` lists them in the order they are printed, one module per group:

- ``files``: the configuration, the privacy of each file, the log file;
- ``database``: it opens (read-only, never migrated), its integrity, the free disk space;
- ``journal``: the signing key, the tail anchors, the journal's verification, the clock;
- ``devices``: each configured device is there, may be opened, and answers;
- ``activity``: the last daily closure, card payments of unknown outcome, the outbox;
- ``backup``: whether backups are configured, and the age and result of the last one;
- ``headoffice``: the last successful sync and whether head office answers.

A check that breaks is itself a FAIL finding, never a traceback, and a broken database does
not stop the checks that do not need it (``database.session``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from till.errors import TillError
from till.shop.doctor import activity, backup, database, devices, files, headoffice, journal
from till.shop.doctor.findings import CHECK_BROKE, FAIL, OK, WARN, Check, Finding
from till.shop.doctor.files import configuration, file_permissions, log_file

__all__ = ["OK", "WARN", "FAIL", "Finding", "CHECKS", "run_checks", "configuration", "file_permissions", "log_file",
           "MESSAGES"]

log = logging.getLogger(__name__)

CHECKS: list[Check] = [
    configuration, file_permissions, log_file, database.database, journal.signing_key, journal.anchors,
    journal.journal, devices.devices, activity.last_closure_check, activity.card_outcomes, activity.outbox_jobs,
    backup.last_backup, headoffice.head_office, journal.clock_check,
]
"""Run in this order by ``till doctor``."""

MESSAGES = (CHECK_BROKE, *files.MESSAGES, *database.MESSAGES, *journal.MESSAGES, *devices.MESSAGES,
            *activity.MESSAGES, *backup.MESSAGES, *headoffice.MESSAGES)
"""Every sentence ``till doctor`` may print (each has its French translation)."""


def run_checks(config: Any, checks: Iterable[Check] | None = None) -> list[Finding]:
    """Every finding of ``checks`` (default: ``CHECKS``) on ``config``'s till."""
    findings: list[Finding] = []
    with database.session():
        for check in CHECKS if checks is None else checks:
            try:
                findings += list(check(config))
            except Exception as error:  # noqa: BLE001 - one broken check must not hide the others
                log.exception("doctor check %s failed", check.__name__)
                reason = error if isinstance(error, TillError) else str(error) or type(error).__name__
                findings.append(Finding(FAIL, CHECK_BROKE, {"check": check.__name__, "reason": reason}))
    return findings
