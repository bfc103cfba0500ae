"""Receipt printers. For now: a file printer (the demo's, and a log of every receipt printed).

The ESC/POS drivers over USB, serial and network come with the devices work; they will offer
the same ``print_lines`` so the outbox does not care which printer is attached.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol


class PrinterError(Exception):
    """The printer cannot print now (offline, out of paper...); the job will be retried."""


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
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n" + "=" * 8 + " cut " + "=" * 8 + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:
            raise PrinterError(f"cannot write {self.path}: {error.strerror}") from None
