"""The durable outbox: what must happen after a ticket commits (print, open the drawer...).

Jobs are rows written in the same transaction as the ticket, so a crash between the commit and
the printer loses nothing: the next ``process`` run (at start, after each sale, on a timer)
picks them up. A failing job is retried with a growing delay; it never blocks selling. A job
that must not be done late (the drawer) raises ``GiveUp``: it ends there, never retried.
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


class GiveUp(Exception):
    """Raised by a handler whose job must not be tried again (a drawer after the customer left):
    the job ends as given up (``FAILED``) at once, ``reason`` (a ``TillError``) kept on the job
    as ``given_up`` for the caller to tell the cashier in their language."""

    def __init__(self, reason: Exception) -> None:
        super().__init__(str(reason))
        self.reason = reason


class Timed:
    """A handler that is told when its job was queued (naive UTC, the commit of its document):
    the drawer, which opens within seconds of the sale or not at all."""

    def __init__(self, run: Callable[[dict, dt.datetime], None]) -> None:
        self.run = run

    def __call__(self, payload: dict, queued_at: dt.datetime | None = None) -> None:
        self.run(payload, queued_at or utcnow())


LEASE = dt.timedelta(minutes=2)
"""A claimed job is left alone this long; a worker that died holding it loses it after that."""


def encode(payload: dict) -> str:
    """A job's payload as stored: JSON with sorted keys."""
    return json.dumps(payload, sort_keys=True)


def enqueue(till_id: str, kind: str, payload: dict) -> OutboxJob:
    """Add a job for ``till_id``'s devices; call inside the transaction whose commit triggers it."""
    return OutboxJob.create(till_id=till_id, kind=kind, payload=encode(payload))


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait before retry number ``attempts``: 2, 4, 8 ... seconds, capped at 10 min."""
    return dt.timedelta(seconds=min(600, 2**attempts))


def _claim(job: OutboxJob, now: dt.datetime) -> bool:
    """Take ``job`` for this worker by pushing its due time past the lease; False if another
    worker (the after-sale run, the timer, another process) took it first."""
    claimed = (
        OutboxJob.update(not_before=now + LEASE)
        .where((OutboxJob.id == job.id) & (OutboxJob.status == PENDING) & (OutboxJob.not_before == job.not_before))
        .execute()
    )
    return claimed == 1


def process(till_id: str, handlers: Mapping[str, Handler], limit: int = 20) -> list[OutboxJob]:
    """Run ``till_id``'s due jobs, oldest first; returns the jobs that ran (done or failed)."""
    now = utcnow()
    due = list(
        OutboxJob.select()
        .where((OutboxJob.till_id == till_id) & (OutboxJob.status == PENDING) & (OutboxJob.not_before <= now)
               & (OutboxJob.kind.in_(list(handlers))))
        .order_by(OutboxJob.id)
        .limit(limit)
    )
    ran = []
    for job in due:
        handler = handlers[job.kind]
        if not _claim(job, now):
            continue
        ran.append(job)
        job.attempts += 1
        job.given_up = None
        try:
            if isinstance(handler, Timed):
                handler(json.loads(job.payload), job.created_at)
            else:
                handler(json.loads(job.payload))
        except GiveUp as error:
            log.warning("outbox job %s (%s) given up: %s", job.id, job.kind, error)
            job.last_error = str(error)[:500]
            job.status = FAILED
            job.given_up = error.reason
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
    return ran


def pending_count(till_id: str) -> int:
    """``till_id``'s jobs still waiting, for the status bar and ``till outbox run``."""
    return OutboxJob.select().where((OutboxJob.till_id == till_id) & (OutboxJob.status == PENDING)).count()
