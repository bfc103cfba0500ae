"""What an ESC/POS printer says about itself: the DLE EOT n real-time status bytes, decoded.

Real-time commands are answered even when the printer is offline (that is their point), so a
printer out of paper or with its cover open says so before we send a receipt into the void.
Each answer byte has fixed bits (bit 1 and 4 set, bits 0 and 7 clear): anything else is not a
status answer (a wrong baud rate, another device on the port) and is reported as such.
No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass

from till.i18n import N_

DLE_EOT = b"\x10\x04"
PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER = 1, 2, 3, 4

READY = "ready"
PAPER_LOW = "paper_low"
PAPER_OUT = "paper_out"
COVER_OPEN = "cover_open"
OFFLINE = "offline"
ERROR = "error"
SILENT = "silent"
GARBAGE = "garbage"
UNKNOWN = "unknown"

PRINTABLE = frozenset({READY, PAPER_LOW, UNKNOWN})

MESSAGES = {
    READY: N_("The printer is ready"),
    PAPER_LOW: N_("The printer's paper is running low"),
    PAPER_OUT: N_("The printer is out of paper"),
    COVER_OPEN: N_("The printer's cover is open"),
    OFFLINE: N_("The printer is offline"),
    ERROR: N_("The printer reports an error (cutter or mechanism): switch it off and on"),
    SILENT: N_("The printer does not answer status queries"),
    GARBAGE: N_("The printer answers with unexpected data: check its speed (baud) and cable"),
    UNKNOWN: N_("The printer's state is unknown (it does not report it)"),
}


@dataclass(frozen=True)
class PrinterStatus:
    """The printer's state as last asked, and the drawer sensor when it reports one."""

    state: str
    drawer_pin3_high: bool | None = None

    @property
    def printable(self) -> bool:
        return self.state in PRINTABLE

    @property
    def message(self) -> str:
        return MESSAGES[self.state]


def is_status_byte(value: int) -> bool:
    """True for a byte shaped like a DLE EOT answer (fixed bits 0xx1xx10)."""
    return value & 0x93 == 0x12


def decode(printer: int | None, offline_cause: int | None, paper: int | None) -> PrinterStatus:
    """The state from the answers to DLE EOT 1, 2 and 4 (``None``: no answer)."""
    if printer is None:
        return PrinterStatus(UNKNOWN)
    answers = [a for a in (printer, offline_cause, paper) if a is not None]
    if not all(is_status_byte(a) for a in answers):
        return PrinterStatus(GARBAGE)
    drawer = bool(printer & 0x04)
    if offline_cause is not None and offline_cause & 0x04:
        return PrinterStatus(COVER_OPEN, drawer)
    if (offline_cause is not None and offline_cause & 0x20) or (paper is not None and paper & 0x60):
        return PrinterStatus(PAPER_OUT, drawer)
    if offline_cause is not None and offline_cause & 0x40:
        return PrinterStatus(ERROR, drawer)
    if printer & 0x08:
        return PrinterStatus(OFFLINE, drawer)
    if paper is not None and paper & 0x0C:
        return PrinterStatus(PAPER_LOW, drawer)
    return PrinterStatus(READY, drawer)
