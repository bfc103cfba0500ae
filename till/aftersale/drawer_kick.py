"""The drawer of a sale opens within seconds of it, or not at all.

A drawer kicked late is worse than one that did not open: with the printer unplugged, two cash
sales queued their kicks, and the drawer popped open twice when the printer came back, long
after the customers had left, with nobody at the till. So a sale's drawer job runs before its
receipt (``till.selling.ticket_writer``), is tried again every half second until
``drawer.give_up_s`` after the sale, and is then given up: never tried again, sealed once in
chain L (``DRAWER_NOT_OPENED``), and the cashier is told that a manager can open the drawer
(F1, then F7: ``till.aftersale.drawer``, itself recorded in chain L).

The deadline goes down to the driver (``devices.drawer``), which refuses to send the kick past
it even from a call that hung and resumes later.
"""

from __future__ import annotations

import datetime as dt
import json
import time

from devices.errors import DRAWER_TOO_LATE, DeviceConfigError, DeviceError, DrawerError
from store.models import OutboxJob
from store.models.base import utcnow
from store.models.outbox import FAILED
from till.aftersale import outbox
from till.errors import TillError
from till.fiscal.events import record_event
from till.i18n import N_, translate

DRAWER_NOT_OPENED = "DRAWER_NOT_OPENED"
"""Technical event code (chain L) of a sale's drawer given up on."""

NOT_OPENED = N_("The cash drawer did not open ({reason}). A manager can open it: F1, then F7")
"""What the cashier reads when a sale's drawer was given up on."""


class DrawerNotOpened(TillError):
    """A sale's drawer was given up on; its ``reason`` is said in the reader's language too."""

    def __init__(self, reason: TillError) -> None:
        super().__init__(NOT_OPENED, reason=str(reason))
        self.reason = reason

    def text(self, lang: str | None = None) -> str:
        return translate(self.message, lang, reason=self.reason.text(lang))


RETRY_EVERY_S = 0.5
"""Pause between two kicks of one job (an unplugged printer refuses at once)."""


def kick_in_time(drawer, payload: dict, queued_at: dt.datetime, give_up_s: float) -> None:
    """Open ``drawer`` for the job ``payload`` queued at ``queued_at`` (naive UTC), trying again
    until ``give_up_s`` after it; then ``outbox.GiveUp`` with the last reason. A wrong drawer
    setting is given up at once (waiting will not fix it)."""
    deadline = time.monotonic() + give_up_s - (utcnow() - queued_at).total_seconds()
    reason: TillError = DrawerError(DRAWER_TOO_LATE)
    while time.monotonic() < deadline:
        try:
            drawer.open(what(payload), deadline=deadline)
            return
        except DeviceConfigError as error:
            raise outbox.GiveUp(error) from None
        except DeviceError as error:
            reason = error
        time.sleep(max(0.0, min(RETRY_EVERY_S, deadline - time.monotonic())))
    raise outbox.GiveUp(reason)


def what(payload: dict) -> str:
    """The document a drawer job opens for, as the drawer's log says it."""
    if "ticket_id" in payload:
        return f"ticket {payload['ticket_id']}"
    return f"document {payload.get('code')}"


def report_not_opened(sealer, ran: list[OutboxJob]) -> list[DrawerNotOpened]:
    """Seal ``DRAWER_NOT_OPENED`` for each drawer job of ``ran`` given up in this run (a job is
    given up once, so the event is sealed once), and return what the cashier is told."""
    told = []
    for job in ran:
        if job.kind != outbox.OPEN_DRAWER or job.status != FAILED:
            continue
        reason = getattr(job, "given_up", None)
        if not isinstance(reason, TillError):
            reason = TillError(job.last_error or "")
        if sealer is not None:
            payload = json.loads(job.payload)
            details = {name: payload[name] for name in ("ticket_id", "cash_move_id", "code") if name in payload}
            record_event(sealer, DRAWER_NOT_OPENED, "the drawer of a sale did not open and was given up",
                         details={**details, "job": job.id, "attempts": job.attempts,
                                  "error": (job.last_error or "")[:120]})
        told.append(DrawerNotOpened(reason))
    return told
