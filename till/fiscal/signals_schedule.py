"""The loss-prevention signals of each closed day, sealed after the closure by the outbox.

As a backup (``backup_schedule``), the daily closure only queues an outbox row, in its own
transaction, when ``sealer.signals_after_closure`` is set (the running till sets it): a crash
just after the closure cannot lose the day's signals, the manager closing the day does not wait
for the rules to run, and the closure never holds the chain locks while they do. The outbox
seals them (``till.loss.day_signals``). The job's name lives here, below the loss package, so
the closure names it without importing the rules.
"""

from __future__ import annotations

import json

from store.models import OutboxJob

__all__ = ["SEAL_DAY_SIGNALS", "queue_day_signals"]

SEAL_DAY_SIGNALS = "seal_day_signals"
"""The outbox job: ``{"day": "YYYY-MM-DD"}``, the business day just closed."""


def queue_day_signals(till_id: str, day: str) -> OutboxJob:
    """Queue the sealing of ``day``'s signals; call inside the daily closure's transaction."""
    return OutboxJob.create(till_id=till_id, kind=SEAL_DAY_SIGNALS, payload=json.dumps({"day": day}, sort_keys=True))
