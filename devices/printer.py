"""Receipt printers: a text file (the demo's, and a log of every receipt printed) and ESC/POS
printers over USB, serial, network or /dev/usb/lp0 (``devices.escpos_printer``).

Every printer offers ``print_lines``; an ESC/POS printer also offers ``print_receipt``, which
adds the ticket code as barcode and QR. The outbox uses whichever the printer has. python-escpos
is imported only when an ESC/POS driver is configured (its import is slow and has side effects).
The settings (configuration keys ``printer.*``) are ``devices.settings.PrinterSettings``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable, Protocol

from devices.errors import DeviceConfigError, PrinterError
from devices.escpos_printer import EscposPrinter
from devices.settings import PRINTER_DRIVERS, PrinterSettings
from till.files import create_private
from till.i18n import N_

__all__ = ["PrinterError", "ReceiptPrinter", "FilePrinter", "make_printer", "close_printers", "UNKNOWN_DRIVER"]

UNKNOWN_DRIVER = N_("Unknown printer driver {driver}: use one of {choices}")


class ReceiptPrinter(Protocol):
    name: str

    def print_lines(self, lines: list[str]) -> None:
        """Print and cut; raise ``PrinterError`` when it cannot."""


class FilePrinter:
    """Appends each receipt to a text file, separated by a cut line, and syncs it to disk."""

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def print_lines(self, lines: list[str]) -> None:
        try:
            create_private(self.path)  # receipts and vouchers: customers' names, credit-note codes
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n" + "=" * 8 + " cut " + "=" * 8 + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:
            raise PrinterError("cannot write {path}: {reason}", path=str(self.path),
                               reason=error.strerror or str(error)) from None


def make_printer(settings: PrinterSettings, resolve: Callable[[str], Path] = Path) -> ReceiptPrinter | None:
    """The printer ``settings`` describe (None for ``none``); ``resolve`` makes the file
    printer's relative path relative to the configuration's folder."""
    if settings.driver == "none":
        return None
    if settings.driver == "file":
        return FilePrinter(resolve(settings.path))
    if settings.driver not in PRINTER_DRIVERS:
        raise DeviceConfigError(UNKNOWN_DRIVER, driver=settings.driver, choices=", ".join(PRINTER_DRIVERS))
    with _lock:
        printer = _escpos_printers.get(settings)
        if printer is None:

            printer = _escpos_printers[settings] = EscposPrinter(settings)
        return printer


_lock = threading.Lock()
_escpos_printers: dict[PrinterSettings, ReceiptPrinter] = {}
"""One object per configured ESC/POS printer for the life of the process: the outbox builds its
handlers at every run, and a call still hung from the previous run must keep later calls away
from the device (its guard), and the last known state must survive for the status line."""


def close_printers() -> None:
    """Close the connections the ESC/POS printers keep (at the till's exit): a network printer
    serves one connection at a time, and the next program to print must not wait on ours."""
    with _lock:
        printers = list(_escpos_printers.values())
    for printer in printers:
        printer.close()  # type: ignore[attr-defined]
