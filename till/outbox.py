"""The durable outbox: what must happen after a ticket commits (print, open the drawer...).

Jobs are rows written in the same transaction as the ticket, so a crash between the commit and
the printer loses nothing: the next ``process`` run (at start, after each sale, on a timer)
picks them up. A failing job is retried with a growing delay; it never blocks selling.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Callable, Mapping

from store.models import OutboxJob
from store.models.base import utcnow
from store.models.outbox import DONE, FAILED, PENDING

log = logging.getLogger(__name__)

PRINT_RECEIPT = "print_receipt"
OPEN_DRAWER = "open_drawer"

MAX_ATTEMPTS = 8
Handler = Callable[[dict], None]


def enqueue(kind: str, payload: dict) -> OutboxJob:
    """Add a job; call inside the transaction whose commit should trigger it."""
    return OutboxJob.create(kind=kind, payload=json.dumps(payload, sort_keys=True))


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait before retry number ``attempts``: 2, 4, 8 ... seconds, capped at 10 min."""
    return dt.timedelta(seconds=min(600, 2**attempts))


def process(handlers: Mapping[str, Handler], limit: int = 20) -> list[OutboxJob]:
    """Run due jobs, oldest first; returns the jobs that ran (done or failed this time)."""
    now = utcnow()
    due = list(
        OutboxJob.select()
        .where((OutboxJob.status == PENDING) & (OutboxJob.not_before <= now))
        .order_by(OutboxJob.id)
        .limit(limit)
    )
    for job in due:
        handler = handlers.get(job.kind)
        if handler is None:
            continue
        job.attempts += 1
        try:
            handler(json.loads(job.payload))
        except Exception as error:  # a device or network failure must not stop the till
            log.warning("outbox job %s (%s) failed: %s", job.id, job.kind, error)
            job.last_error = str(error)[:500]
            job.status = FAILED if job.attempts >= MAX_ATTEMPTS else PENDING
            job.not_before = utcnow() + backoff(job.attempts)
        else:
            job.status = DONE
            job.done_at = utcnow()
            job.last_error = None
        job.save()
    return due


def pending_count() -> int:
    """Jobs still waiting, for the status bar."""
    return OutboxJob.select().where(OutboxJob.status == PENDING).count()
