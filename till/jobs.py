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


def run_outbox(config: Config) -> int:
    """Process due jobs once; returns how many ran. Safe to call from a worker thread."""
    return len(outbox.process(config.till.id, handlers(config)))



