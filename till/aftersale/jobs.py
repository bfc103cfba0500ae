"""What each outbox job does: print a receipt or a credit note voucher, open the drawer.

Runs after commit, off the UI."""

from __future__ import annotations

from dataclasses import dataclass

from devices import drawer as drawers
from devices import printer as printers
from devices.errors import DeviceConfigError
from devices.printer import ReceiptPrinter
from devices.receipt import layout
from store.models import CreditNote, OutboxJob, Ticket
from store.models.base import utcnow
from store.models.outbox import DONE, FAILED, PENDING
from till.aftersale import outbox
from till.aftersale.archive_job import archive_handlers, report_archive_failures
from till.backup.job import backup_handlers, report_backup_failures
from till.aftersale.cash_move_slip import PRINT_CASH_MOVE, slip_lines
from till.aftersale.drawer_kick import kick_in_time, report_not_opened
from till.aftersale.duplicates import PRINT_DUPLICATE
from till.aftersale.lost_prints import LostPrints
from till.aftersale.messages import jobs as messages
from till.aftersale.receipts import build_receipt
from till.config.loader import Config
from till.credit import notes as credit_notes
from till.errors import TillError
from till.fiscal.events import record_event
from till.fiscal.heads import SEND_CHAIN_HEADS
from till.fiscal.keys import Signer
from till.sync.heads import send as send_heads

PRINT_LINES = "print_lines"
"""An outbox job printing ready-made lines (an X or Z report): ``{"lines": [...]}``."""


def make_printer(config: Config) -> ReceiptPrinter | None:
    """The receipt printer named by the configuration (keys it lacks keep their defaults)."""
    return printers.make_printer(config.printer, config.resolve)


def make_drawer(config: Config, printer: ReceiptPrinter | None = None):
    """The cash drawer named by ``[drawer]`` (a logged drawer, ``drawer.log``, when absent); a
    drawer on the printer's kick port uses ``printer`` (the configured one when not given)."""
    settings = config.drawer
    if settings.kind == "printer" and printer is None:
        printer = make_printer(config)
    return drawers.make_drawer(settings, printer, config.resolve)


def receipt_lines(config: Config, ticket_id: int, duplicate: int | None = None) -> list[str]:
    """The printed lines of a ticket's receipt, as the preview shows them (copy ``duplicate``)."""
    return layout(build_receipt(config, Ticket.get_by_id(ticket_id), duplicate), config.printer.width)


def handlers(config: Config, sealer=None) -> dict[str, outbox.Handler]:
    """The outbox handlers of this till's devices. With the running till's ``sealer``, a sale's
    receipt is printed with its signed proof as QR code (``till.aftersale.receipt_proofs``), its
    signer read at print time (a key rotated since the sale signs the copy); without one, the
    receipt is printed without its proof rather than not at all."""
    printer = drawer = None
    printer_error = drawer_error = None
    try:  # a wrong device setting fails its own jobs (retried, then reported), never the others
        printer = make_printer(config)
    except DeviceConfigError as error:
        printer_error = error
    try:
        drawer = make_drawer(config, printer)
    except DeviceConfigError as error:
        drawer_error = error

    def print_ticket(ticket_id: int, duplicate: int | None = None) -> None:
        """An ESC/POS printer gets the document (ticket code as barcode and QR); others the lines."""
        if printer_error is not None:
            raise printer_error
        if printer is None:
            return
        if hasattr(printer, "print_receipt"):
            signer = sealer.signer if sealer is not None else None
            printer.print_receipt(build_receipt(config, Ticket.get_by_id(ticket_id), duplicate, signer=signer))
        else:
            printer.print_lines(receipt_lines(config, ticket_id, duplicate))

    def print_receipt(payload: dict) -> None:
        print_ticket(payload["ticket_id"])

    def print_duplicate(payload: dict) -> None:
        print_ticket(payload["ticket_id"], payload["duplicate"])

    def print_lines(payload: dict) -> None:
        if printer_error is not None:
            raise printer_error
        if printer is not None:
            printer.print_lines(list(payload["lines"]))

    def open_drawer(payload: dict, queued_at) -> None:
        """Now or never (``till.aftersale.drawer_kick``): given up ``drawer.give_up_s`` after the sale."""
        if drawer_error is not None:
            raise outbox.GiveUp(drawer_error)
        if drawer is not None:
            kick_in_time(drawer, payload, queued_at, config.drawer.give_up_s)

    def print_cash_move(payload: dict) -> None:
        if printer_error is not None:
            raise printer_error
        if printer is not None:
            printer.print_lines(slip_lines(config, payload["cash_move_id"]))

    def print_credit_note(payload: dict) -> None:
        if printer_error is not None:
            raise printer_error
        if printer is None:
            return
        lines = credit_notes.voucher_lines(config, payload["credit_note_id"])
        if hasattr(printer, "print_receipt"):  # ESC/POS: the code as barcode and QR too
            printer.print_lines(lines, code=CreditNote.get_by_id(payload["credit_note_id"]).code)
        else:
            printer.print_lines(lines)

    return {**heads_handler(config), outbox.PRINT_RECEIPT: print_receipt, outbox.OPEN_DRAWER: outbox.Timed(open_drawer),
            credit_notes.PRINT_CREDIT_NOTE: print_credit_note, PRINT_DUPLICATE: print_duplicate,
            **messages.handlers(config),
            PRINT_LINES: print_lines, PRINT_CASH_MOVE: print_cash_move}


def heads_handler(config: Config) -> dict[str, outbox.Handler]:
    """The handler of a closure's signed chain heads (``till.fiscal.heads``): sent to head office
    with the till's key; without ``[sync]`` (removed since the closure) there is nobody to tell."""

    def send_chain_heads(payload: dict) -> None:
        if config.sync is None:
            return
        signer = Signer.load(config.resolve(config.till.key_file))
        send_heads(config.sync, config.till.id, signer, payload)

    return {SEND_CHAIN_HEADS: send_chain_heads}


def send_chain_heads_now(config: Config) -> int:
    """Right after a closure from the command line: send its chain heads now (the outbox keeps
    them for a retry if head office cannot be reached). Returns how many were sent."""
    ran = outbox.process(config.till.id, heads_handler(config))
    return sum(1 for job in ran if job.status == DONE)


PRINTING = frozenset({outbox.PRINT_RECEIPT, credit_notes.PRINT_CREDIT_NOTE, PRINT_DUPLICATE, PRINT_LINES,
                      PRINT_CASH_MOVE})
PRINTER_FAILURE = "PRINTER_FAILURE"


def printer_waiting(till_id: str) -> tuple[int, str] | None:
    """(how many print jobs wait, the printer's last complaint) after a failed attempt, or None:
    what the screens say while the printer is out of paper, open or offline."""

    rows = list(OutboxJob.select(OutboxJob.last_error)
                .where((OutboxJob.till_id == till_id) & (OutboxJob.status == PENDING)
                       & OutboxJob.kind.in_(list(PRINTING)) & OutboxJob.last_error.is_null(False))
                .order_by(OutboxJob.id.desc()).tuples())
    return (len(rows), rows[0][0]) if rows else None


def reprint_given_up(till_id: str) -> int:
    """Put the print jobs the outbox gave up on back in the queue (the printer is back): the
    documents were never printed, so they print as they are, not as duplicates."""

    return (OutboxJob.update(status=PENDING, attempts=0, not_before=utcnow())
            .where((OutboxJob.till_id == till_id) & (OutboxJob.status == FAILED)
                   & OutboxJob.kind.in_(list(PRINTING))).execute())


def run_outbox(config: Config, sealer=None) -> int:
    """Process due jobs once; returns how many ran. Safe to call from a worker thread."""
    return len(run_outbox_jobs(config, sealer).ran)


@dataclass(frozen=True)
class OutboxRun:
    """What one run did: the jobs that ran, and what the cashier must be told about them."""

    ran: list[OutboxJob]
    drawers_not_opened: list[TillError]


def run_outbox_jobs(config: Config, sealer=None) -> OutboxRun:
    """Process due jobs once, drawers first (a customer waits for the change, and a kick behind
    a backlog of receipts would come too late), then the rest.

    With the till's ``sealer``, a print job's first failure and its giving up are technical
    events (R-JET: printer failures), once each, not at every retry; so is a drawer given up.
    """

    lost = LostPrints()  # a receipt cut short prints again as a DUPLICATA (till.aftersale.lost_prints)
    own = lost.watch(handlers(config, sealer))
    if sealer is not None:  # jobs that seal records: a closed month's archive
        own.update(archive_handlers(config, sealer))
        own.update(backup_handlers(config, sealer))  # a backup after each daily closure
        own.update(getattr(sealer, "job_handlers", {}))  # those of higher layers (TillContext): a day's signals
    drawers = {outbox.OPEN_DRAWER: own.pop(outbox.OPEN_DRAWER)}
    ran = outbox.process(config.till.id, drawers)
    ran += outbox.process(config.till.id, own)
    not_opened = report_not_opened(sealer, ran)
    if sealer is not None:
        lost.record(sealer, ran)

        for job in ran:
            if job.kind in PRINTING and job.status != DONE and (job.attempts == 1 or job.status == FAILED):
                record_event(sealer, PRINTER_FAILURE, "a print job failed" if job.status != FAILED else
                             "a print job was given up", details={"job": job.id, "kind": job.kind,
                                                                  "attempts": job.attempts,
                                                                  "error": (job.last_error or "")[:120]})
        messages.report_failures(sealer, ran)  # a message given up: a manager is told (chain L)
        report_archive_failures(sealer, ran)  # a monthly archive not made: an anomaly (chain L)
        report_backup_failures(sealer, ran)  # a backup not made: BACKUP_FAILED, and till doctor warns
    return OutboxRun(ran, not_opened)



