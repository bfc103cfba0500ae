"""The outbox job that makes a backup after each daily closure (``till.fiscal.backup_schedule``).

It runs after commit with the till's sealer, like a closed month's archive
(``till.aftersale.archive_job``): the backup's own BACKUP_MADE is sealed by ``make_backup``; a
backup that fails is retried by the outbox with a growing delay, and sealed as BACKUP_FAILED at
its first failure and when given up, so ``till doctor`` and an inspector see it.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from store.models import OutboxJob
from store.models.outbox import DONE, FAILED
from till.config.loader import Config
from till.fiscal.backup_schedule import BACKUP_FAILED, MAKE_BACKUP
from till.fiscal.events import record_event

__all__ = ["backup_handlers", "report_backup_failures", "record_backup_failure"]


def backup_handlers(config: Config, sealer: Any) -> dict[str, Any]:
    """The handler of ``MAKE_BACKUP`` for this till's outbox run."""

    def make(_payload: dict) -> None:
        if not config.backup.configured:
            return  # [backup] dir removed since the closure queued it: nothing to make
        from till.backup.make import make_backup  # deferred: the writer, once a day (fast start)

        make_backup(config, sealer)

    return {MAKE_BACKUP: make}


def record_backup_failure(sealer: Any, where: str, error: str, **details: Any) -> None:
    """Seal BACKUP_FAILED: ``where`` it was asked (``closure``, ``command``) and why it failed."""
    record_event(sealer, BACKUP_FAILED, "a backup failed", details={"where": where, "error": error[:200], **details})


def report_backup_failures(sealer: Any, ran: Iterable[OutboxJob]) -> int:
    """BACKUP_FAILED for each backup of this run that failed for the first time or was given up."""
    count = 0
    for job in ran:
        if job.kind == MAKE_BACKUP and job.status != DONE and (job.attempts == 1 or job.status == FAILED):
            record_backup_failure(sealer, "closure", job.last_error or "", job=job.id,
                                  day=json.loads(job.payload).get("day"), attempts=job.attempts,
                                  given_up=job.status == FAILED)
            count += 1
    return count
