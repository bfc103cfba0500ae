"""What each outbox job does: print a receipt or a credit note voucher, open the drawer.

Runs after commit, off the UI."""

from __future__ import annotations



from store.models import Ticket

from devices.drawer import LoggingDrawer
from devices.printer import FilePrinter, ReceiptPrinter
from devices.receipt import layout
from till import credit_notes, outbox
from till.config import Config
from till.fiscal.duplicates import PRINT_DUPLICATE
from till.receipts import build_receipt


PRINT_LINES = "print_lines"
"""An outbox job printing ready-made lines (an X or Z report): ``{"lines": [...]}``."""


def make_printer(config: Config) -> ReceiptPrinter | None:
    """The receipt printer named by the configuration."""
    if config.printer.driver == "file":
        return FilePrinter(config.resolve(config.printer.path))
    return None


def receipt_lines(config: Config, ticket_id: int, duplicate: int | None = None) -> list[str]:
    """The printed lines of a ticket's receipt, as the preview shows them (copy ``duplicate``)."""
    return layout(build_receipt(config, Ticket.get_by_id(ticket_id), duplicate), config.printer.width)


def handlers(config: Config) -> dict[str, outbox.Handler]:
    """The outbox handlers of this till's devices."""
    printer = make_printer(config)
    drawer = LoggingDrawer(config.resolve("drawer.log"))

    def print_receipt(payload: dict) -> None:
        if printer is not None:
            printer.print_lines(receipt_lines(config, payload["ticket_id"]))

    def print_duplicate(payload: dict) -> None:
        if printer is not None:
            printer.print_lines(receipt_lines(config, payload["ticket_id"], payload["duplicate"]))

    def print_lines(payload: dict) -> None:
        if printer is not None:
            printer.print_lines(list(payload["lines"]))

    def open_drawer(payload: dict) -> None:
        drawer.open(f"ticket {payload.get('ticket_id')}")

    def print_credit_note(payload: dict) -> None:
        if printer is not None:
            printer.print_lines(credit_notes.voucher_lines(config, payload["credit_note_id"]))

    return {outbox.PRINT_RECEIPT: print_receipt, outbox.OPEN_DRAWER: open_drawer,
            credit_notes.PRINT_CREDIT_NOTE: print_credit_note, PRINT_DUPLICATE: print_duplicate,
            PRINT_LINES: print_lines}


PRINTING = frozenset({outbox.PRINT_RECEIPT, credit_notes.PRINT_CREDIT_NOTE, PRINT_DUPLICATE, PRINT_LINES})
PRINTER_FAILURE = "PRINTER_FAILURE"


def run_outbox(config: Config, sealer=None) -> int:
    """Process due jobs once; returns how many ran. Safe to call from a worker thread.

    With the till's ``sealer``, a print job's first failure and its giving up are technical
    events (R-JET: printer failures), once each, not at every retry.
    """
    from store.models.outbox import DONE, FAILED

    ran = outbox.process(config.till.id, handlers(config))
    if sealer is not None:
        from till.fiscal.events import record_event

        for job in ran:
            if job.kind in PRINTING and job.status != DONE and (job.attempts == 1 or job.status == FAILED):
                record_event(sealer, PRINTER_FAILURE, "a print job failed" if job.status != FAILED else
                             "a print job was given up", details={"job": job.id, "kind": job.kind,
                                                                  "attempts": job.attempts,
                                                                  "error": (job.last_error or "")[:120]})
    return len(ran)



