"""A backup made by itself after each daily closure: the closure only queues it.

As for the monthly archives (``archive_schedule``), the daily closure queues an outbox row in
its own transaction (``queue_backup``) when ``[backup] dir`` is set (``sealer.backup_after_closure``);
the outbox makes the backup after commit (``till.backup.job``), never while the closure holds
the chain locks. The event codes live here, below the backup package, so the fiscal layer and
``till doctor`` name them without importing the writer.
"""

from __future__ import annotations

import json

from store.models import OutboxJob

__all__ = ["BACKUP_FAILED", "BACKUP_MADE", "MAKE_BACKUP", "queue_backup"]

MAKE_BACKUP = "make_backup"
"""The outbox job: ``{"day": "YYYY-MM-DD"}``, the business day whose closure asked for it."""
BACKUP_MADE = "BACKUP_MADE"
"""Chain L: a backup was written and checked (file, its SHA-256 and size, the heads it holds, with_key)."""
BACKUP_FAILED = "BACKUP_FAILED"
"""Chain L: a backup could not be made or did not verify (where, error)."""


def queue_backup(till_id: str, day: str) -> OutboxJob:
    """Queue a backup of ``till_id``; call inside the daily closure's transaction."""
    return OutboxJob.create(till_id=till_id, kind=MAKE_BACKUP, payload=json.dumps({"day": day}, sort_keys=True))
