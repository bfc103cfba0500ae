"""Monthly archives made by themselves: a month's closure queues the archive of its month.

French law asks for periodic archives (fiscal-fr.md R-ARC-01, BOFiP §220: at least yearly); a
shop owner forgets, so each month's archive is made once the month is closed. The closure only
*queues* it (``queue_month_archive``), in the closure's own transaction, as a row of the durable
outbox (``till.aftersale.outbox``): it commits with the closure or not at all, a crash loses it
not, and the archive itself (seconds of reading and compressing) is never made while the
closure holds the chain locks. The outbox runs it after commit (``till.aftersale.archive_job``,
at the till's next outbox run: after a sale, on its timer, or ``till outbox run``).
"""

from __future__ import annotations

import json

from store.models import OutboxJob

__all__ = ["ARCHIVE_FAILED", "EXPORT_MONTH_ARCHIVE", "queue_month_archive"]

EXPORT_MONTH_ARCHIVE = "export_month_archive"
"""The outbox job: ``{"period": "YYYY-MM"}``, the month to archive into ``[till] archive_dir``."""
ARCHIVE_FAILED = "ARCHIVE_FAILED"
"""The technical event (chain L) of a monthly archive that failed, at its first failure and when
the outbox gives it up: an archive missing is an anomaly an inspector asks about."""


def queue_month_archive(till_id: str, label: str) -> OutboxJob:
    """Queue the archive of month ``label`` of ``till_id``; call inside the month closure's transaction."""
    return OutboxJob.create(till_id=till_id, kind=EXPORT_MONTH_ARCHIVE,
                            payload=json.dumps({"period": label}, sort_keys=True))
