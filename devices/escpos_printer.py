"""An ESC/POS receipt printer driven through python-escpos (USB, serial, network, /dev/usb/lp0).

One connection is opened at the first job and kept for the next jobs and status reads (a
USB printer resets at each opening, and a drawer sensor read every second must not open 3600
connections an hour); it is closed after any failure and opened again by the next call. Each
job asks the printer's state (DLE EOT), prints and cuts, in a guarded thread with a deadline: a
printer unplugged or out of paper raises ``PrinterError`` and the outbox retries later; nothing
waits on it. The text printed is exactly ``layout()``'s, the
lines the on-screen preview shows; the printer adds bold totals, the ticket code as CODE128 and
QR (so a return starts with a scan; a sale's QR holds its signed proof instead, for a return in
another shop), the pinned code page (euro sign) and the cut.

Text is spelled for the code page first (``devices.code_pages``: œ -> oe, … -> ...). After the
cut the printer is asked again: one gone or silent by then may hold part of the document only
(``PrintIncomplete``), and the till prints it again as a duplicate.
"""

from __future__ import annotations

import socket
import time
from typing import Callable

from devices import escpos_status as st
from devices import escpos_transport
from devices.code_pages import escpos_name, printable, printable_document
from devices.errors import DRAWER_TOO_LATE, DeviceConfigError, PrinterError, PrintIncomplete
from devices.escpos_loader import escpos
from devices.guard import DeviceGuard
from devices.receipt import Receipt, layout
from devices.receipt_qr import module_dots, paper_dots
from devices.settings import PrinterSettings
from till.i18n import N_

BUSY = N_("The printer is still busy with a previous job that hangs")
HUNG = N_("The printer did not finish within {seconds} s: it may be hung or unplugged")
VANISHED = N_("The printer stopped answering while printing: {reason}")
LOST = N_("The printer stopped answering before the end of the document")
UNKNOWN_PROFILE = N_("Printer profile {profile} is unknown")
UNKNOWN_CODE_PAGE = N_("Code page {code_page} is not one of printer profile {profile}'s")
NO_KICK = N_("This printer cannot open a drawer (drawer pin {pin} must be 2 or 5)")


class EscposPrinter:
    """A receipt printer speaking ESC/POS; ``connect`` returns an open python-escpos printer."""

    name = "escpos"

    def __init__(self, settings: PrinterSettings, connect: Callable[[], object] | None = None) -> None:
        self.settings = settings
        if connect is None:

            def connect():
                return escpos_transport.connect(settings)
        self._connect = connect
        self._guard = DeviceGuard("printer", PrinterError, BUSY, HUNG)
        self._open = None
        """The kept python-escpos connection (only touched inside the guard), None when closed."""
        self.last_status = st.PrinterStatus(st.UNKNOWN)
        """The state as last seen, for the status line (read it; it never touches the device)."""
        self.last_error: PrinterError | None = None
        """Why the last call failed (its ``text()`` is the cashier's sentence), None after a success."""
        self.code_page, self._codec = _check_profile(settings)
        """(python-escpos name, the ``ESC t`` number the profile gives it): what the technician
        compares with the printer's self-test page."""

    # -- operations (each one guarded) --------------------------------------------------------
    def print_receipt(self, receipt: Receipt) -> None:
        """Print a ticket's receipt with its code as barcode and QR; ``PrinterError`` if it cannot."""
        self._job(lambda p: self._write_receipt(p, receipt))

    def print_lines(self, lines: list[str], code: str = "") -> None:
        """Print ready-made lines (a report, a voucher) and cut; a voucher's ``code`` is added as
        barcode and QR, so it is scanned at redemption rather than typed."""
        def write(printer) -> None:
            self._write_lines(printer, list(lines), bold=(), cut=False)
            self._write_codes(printer, code)
            self._cut(printer)
        self._job(write)

    def kick(self, pin: int, deadline: float | None = None) -> None:
        """Pulse the drawer connector pin 2 or 5; done even without paper (the drawer needs none).

        Past ``deadline`` (a ``time.monotonic()`` value) the pulse is never sent, not even by a
        call that hung and resumes later: a drawer opening after the customer left is worse
        than one that did not open. The call waits no longer than the deadline either."""
        if pin not in (2, 5):
            raise PrinterError(NO_KICK, pin=pin)

        def pulse(printer) -> None:
            if deadline is not None and time.monotonic() >= deadline:
                raise PrinterError(DRAWER_TOO_LATE)
            printer.cashdraw(pin)
        timeout_s = self.settings.timeout_s
        if deadline is not None:
            timeout_s = max(0.05, min(timeout_s, deadline - time.monotonic()))
        self._job(pulse, check=False, timeout_s=timeout_s)

    def close(self) -> None:
        """Close the kept connection (at shutdown, so within a second; the next call would open a
        new one)."""
        try:
            self._guard.call(self._drop, min(1.0, self.settings.timeout_s))
        except PrinterError:  # a hung job holds the device: the process ends anyway
            pass

    def status(self) -> st.PrinterStatus:
        """Ask the printer its state now (``OFFLINE`` when it cannot be reached at all)."""
        def ask(printer) -> st.PrinterStatus:
            return self._query(printer)
        try:
            return self._guard.call(lambda: self._with_printer(ask), self.settings.timeout_s)
        except PrinterError as error:
            self.last_error = error
            self.last_status = st.PrinterStatus(st.OFFLINE)
            return self.last_status

    # -- inside the guarded thread ------------------------------------------------------------
    def _job(self, work: Callable[[object], None], check: bool = True, timeout_s: float | None = None) -> None:
        def run(printer) -> None:
            answered = False
            if check and self.settings.status_query != "off":
                status = self._query(printer)
                answered = status.state not in (st.SILENT, st.UNKNOWN)
                if status.state == st.SILENT and self.settings.status_query != "required":
                    status = st.PrinterStatus(st.UNKNOWN)
                    self.last_status = status
                if not status.printable:
                    raise PrinterError(status.message)
            try:
                started.append(True)
                work(printer)
                if check:
                    self._check_after_cut(printer, answered)
            except PrinterError:
                raise
            except (OSError, socket.timeout, AssertionError) as error:
                raise PrinterError(VANISHED, reason=str(error) or type(error).__name__) from None
            except Exception as error:
                if type(error).__module__.startswith(("usb", "serial")):
                    raise PrinterError(VANISHED, reason=str(error) or type(error).__name__) from None
                raise

        # Not empty once the document's first byte may have left: a failure after that may leave
        # part of it on paper (``PrintIncomplete``, see ``_check_after_cut``); before it, nothing is.
        started: list[bool] = []
        try:
            self._guard.call(lambda: self._with_printer(run), timeout_s or self.settings.timeout_s)
        except PrinterError as error:
            if check and started and not isinstance(error, PrintIncomplete):
                error = PrintIncomplete(error.message, **error.params)
            self.last_error = error
            if self.last_status.printable:  # unreachable, hung or vanished: not a state it reported
                self.last_status = st.PrinterStatus(st.OFFLINE)
            raise error from None
        self.last_error = None

    def _check_after_cut(self, printer, answered_before: bool) -> None:
        """Ask the printer's state once the document is sent: bytes a vanished printer never got
        may sit in a socket's buffer, so a write that did not fail proves nothing. A printer
        that answered before and is now silent, offline or out of paper did not print it all.
        One that never answers (or a write-only link) is not asked again, which would only add
        a wait to every receipt: its transport failing is all that can tell."""
        if not answered_before:
            return
        status = self._query(printer)
        if status.state == st.SILENT:
            raise PrinterError(LOST)
        if not status.printable:
            raise PrinterError(status.message)

    def _with_printer(self, work):
        """``work`` on the kept connection (opened when there is none, or when the printer closed
        it); any failure drops it, as it may have broken it: the next call opens a new one."""
        if self._open is not None and not escpos_transport.still_open(self._open):
            self._drop()
        if self._open is None:
            self._open = self._connect()
        try:
            return work(self._open)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        printer, self._open = self._open, None
        if printer is not None:
            try:
                printer.close()
            except Exception:  # a vanished device may fail to close: it is gone anyway
                pass

    def _query(self, printer) -> st.PrinterStatus:
        """DLE EOT 1, 2 and 4; a printer that does not answer is ``SILENT`` (``UNKNOWN`` if it
        cannot answer at all, such as a Dummy)."""

        if type(printer)._read.__qualname__ == "Escpos._read":  # write-only link (Dummy, CUPS, lp)
            self.last_status = st.PrinterStatus(st.UNKNOWN)
            return self.last_status
        answers = []
        device = getattr(printer, "_device", None)
        if hasattr(device, "reset_input_buffer"):  # a late answer to an earlier query is not this one's
            device.reset_input_buffer()
        escpos_transport.set_read_timeout(printer, self.settings.status_timeout_ms / 1000)
        try:
            for n in (st.PRINTER, st.OFFLINE_CAUSE, st.PAPER):
                try:
                    raw = printer.query_status(st.DLE_EOT + bytes([n]))
                except NotImplementedError:
                    self.last_status = st.PrinterStatus(st.UNKNOWN)
                    return self.last_status
                except (socket.timeout, TimeoutError):
                    raw = b""
                except Exception as error:
                    if "timeout" in type(error).__name__.lower():  # pyusb's USBTimeoutError
                        raw = b""
                    else:
                        raise
                if not raw:
                    if n == st.PRINTER:
                        self.last_status = st.PrinterStatus(st.SILENT)
                        return self.last_status
                    answers.append(None)
                    continue
                answers.append(raw[-1])
        except OSError as error:
            raise PrinterError(VANISHED, reason=str(error) or type(error).__name__) from None
        finally:
            escpos_transport.restore_timeout(printer, self.settings)
        self.last_status = st.decode(*answers)
        return self.last_status

    def _write_receipt(self, printer, receipt: Receipt) -> None:
        width = self.settings.width
        receipt = printable_document(receipt, self._codec)
        lines = layout(receipt, width)
        bold = {line for line in lines for label, value in receipt.totals
                if line.startswith(label[: max(1, width - len(value) - 1)]) and line.endswith(value)}
        self._write_lines(printer, lines, bold, cut=False)
        self._write_codes(printer, receipt.code, receipt.proof)
        self._cut(printer)

    def _write_codes(self, printer, code: str, proof: str = "") -> None:
        """``code`` as CODE128 (hardware, where the profile has function B) and as a QR code
        (native where the profile has it, else an image); its text is already in the lines.
        A receipt's ``proof``, when it has one, takes the QR code instead, at level M with the
        largest module the paper allows (``devices.receipt_qr``): another shop reads the sale
        from it, while the CODE128 stays this shop's quick way back to the ticket."""
        if not code and not proof:
            return
        from escpos.constants import QR_ECLEVEL_M  # deferred: python-escpos is heavy, as below
        from escpos.exceptions import (  # deferred: python-escpos is heavy and only a receipt printer needs it
            BarcodeCodeError,
            BarcodeTypeError,
        )

        native = printer.profile.supports("qrCode")
        printer.set(align="center")
        if code and self.settings.barcode and printer.profile.supports("barcodeB"):
            try:
                printer.barcode("{B" + code, "CODE128", height=60, width=2, pos="OFF", function_type="B",
                                align_ct=True)
                printer.ln()
            except (BarcodeCodeError, BarcodeTypeError):
                pass  # a code CODE128 cannot carry is still printed as text above: never block the receipt
        if self.settings.qr and proof:
            dots = paper_dots(printer.profile.profile_data.get("media", {}).get("width", {}).get("pixels"),
                              self.settings.width)
            printer.qr(proof, ec=QR_ECLEVEL_M, size=module_dots(proof, dots), native=native)
            printer.ln()
        elif self.settings.qr:
            printer.qr(code, size=4 if self.settings.width >= 42 else 3, native=native)
            printer.ln()
        printer.set(align="left")

    def _write_lines(self, printer, lines: list[str], bold, cut: bool = True) -> None:
        printer.hw("INIT")
        printer.charcode(self.code_page[0])
        for line in lines:
            if line in bold:
                printer.set(bold=True)
                printer.textln(printable(line, self._codec))
                printer.set(bold=False)
            else:
                printer.textln(printable(line, self._codec))
        if cut:
            self._cut(printer)

    def _cut(self, printer) -> None:
        if self.settings.cut == "none":
            printer.ln(4)
        else:
            printer.cut(mode="PART" if self.settings.cut == "partial" else "FULL")


def _check_profile(settings: PrinterSettings) -> tuple[tuple[str, int], str]:
    """A wrong profile or code page is a configuration mistake: say so at start, not per job.
    Returns the code page as (name, ``ESC t`` number of this profile) and its Python codec
    (ASCII when python-escpos knows the page only by its table: ASCII prints on every page)."""

    escpos()
    from escpos.capabilities import get_profile  # deferred: python-escpos is heavy and only a receipt printer needs it
    from escpos.codepages import CodePages  # deferred: python-escpos, as above

    try:
        profile = get_profile(settings.profile)
    except Exception:  # escpos raises KeyError or its own NotSupported
        raise DeviceConfigError(UNKNOWN_PROFILE, profile=settings.profile) from None
    name = escpos_name(settings.code_page)
    numbers = profile.get_code_pages()
    if name not in numbers:
        raise DeviceConfigError(UNKNOWN_CODE_PAGE, code_page=name, profile=settings.profile)
    codec = CodePages.data.get(name, {}).get("python_encode") or "ascii"
    return (name, int(numbers[name])), codec
