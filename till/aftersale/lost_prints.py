"""A receipt lost mid-print is not "printed": its job waits again, and its next full copy is a
DUPLICATA.

Why: a printer switched off after part of a receipt, or stalled longer than the till waits,
may leave a partial copy on paper (or print it in full later). The driver says so with
``PrintIncomplete`` (``devices.escpos_printer``); a failure before the first byte (connection
refused, out of paper when asked first) is a plain ``PrinterError`` and the retry is the
original. After an incomplete copy, in one transaction: copy n is sealed in chain C as a reprint
is (``till.aftersale.duplicates.seal_duplicate``, operator: the ticket's cashier), the waiting job
becomes the print of that copy, and a RECEIPT_INCOMPLETE event in chain L says which ticket
and copy were cut short and which copy follows. So two originals never exist on paper, and the
journal explains the DUPLICATA the customer gets. A copy cut short in turn makes copy n+1.
"""

from __future__ import annotations

import json
from typing import Iterable, Mapping

from devices.errors import PrintIncomplete
from store.models import OutboxJob, Ticket
from store.models.outbox import DONE
from till.aftersale import outbox
from till.aftersale.duplicates import PRINT_DUPLICATE, seal_duplicate
from till.fiscal.chain import Sealer, current_database
from till.fiscal.events import record_event

RECEIPT_INCOMPLETE = "RECEIPT_INCOMPLETE"
"""Chain L: a receipt (or one of its copies) left the till in part only; the next copy is a DUPLICATA."""

TICKET_PRINTS = (outbox.PRINT_RECEIPT, PRINT_DUPLICATE)


class LostPrints:
    """Notes which ticket print jobs were cut short during one outbox run, then records them."""

    def __init__(self) -> None:
        self._cut_short: list[tuple[dict, str]] = []

    def watch(self, handlers: Mapping[str, outbox.Handler]) -> dict[str, outbox.Handler]:
        """``handlers`` with the ticket print handlers noting a ``PrintIncomplete`` (still raised,
        so the outbox keeps the job)."""
        watched = dict(handlers)
        for kind in TICKET_PRINTS:
            if kind in watched:
                watched[kind] = self._watching(watched[kind])
        return watched

    def _watching(self, handler: outbox.Handler) -> outbox.Handler:
        def run(payload: dict) -> None:
            try:
                handler(payload)
            except PrintIncomplete as error:
                self._cut_short.append((payload, str(error)))
                raise
        return run

    def record(self, sealer: Sealer, ran: Iterable[OutboxJob]) -> None:
        """Seal the copy and the event, and turn each job cut short into its copy's print."""
        for job in ran:
            if job.status == DONE or job.kind not in TICKET_PRINTS:
                continue
            payload = json.loads(job.payload)
            noted = next((entry for entry in self._cut_short if entry[0] == payload), None)
            if noted is not None:
                self._cut_short.remove(noted)  # once per job cut short, even for two alike
                _requeue_as_copy(sealer, job, payload, noted[1])


def _requeue_as_copy(sealer: Sealer, job: OutboxJob, payload: dict, error: str) -> None:
    ticket = Ticket.get_by_id(payload["ticket_id"])
    details = {"job": job.id, "ticket_id": ticket.id, "ticket_code": ticket.code,
               "copy_cut_short": payload.get("duplicate", 0), "error": error[:120]}
    with current_database().atomic():
        if ticket.training:  # a practice receipt has no duplicate: it prints again as it is
            record_event(sealer, RECEIPT_INCOMPLETE, "a training receipt was printed in part only",
                         details={**details, "duplicate": None})
            return
        copy = seal_duplicate(sealer, ticket.id, ticket.user, "print")
        (OutboxJob.update(kind=PRINT_DUPLICATE, payload=outbox.encode({"ticket_id": ticket.id,
                                                                       "duplicate": copy.number}))
         .where(OutboxJob.id == job.id).execute())
        record_event(sealer, RECEIPT_INCOMPLETE, "a receipt was printed in part only: its next copy is a duplicate",
                     details={**details, "duplicate": copy.number, "duplicate_sequence": copy.record.sequence})
