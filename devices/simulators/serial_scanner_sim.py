"""A barcode scanner in USB-COM (CDC-ACM) or RS-232 mode, on a pseudo-terminal.

It stands in for the hardware only: the till opens ``sim.path`` as it opens ``/dev/ttyACM0``
and receives the bytes a real scanner sends, a code and its CR (or CR LF, a TAB, ETX, nothing),
optionally after a programmed prefix (STX...) and an AIM symbology identifier such as ``]E0``.
The faults are the real ones: a code cut off before its end (``partial``), line noise from a
wrong baud rate (``garbage``), a pulled cable (``unplug``).

``python -m devices.simulators.serial_scanner_sim`` prints a path for ``[scanner] serial_path``
and sends each line typed on its standard input as a scan.
"""

from __future__ import annotations

import os
import sys
from devices.simulators.pty_line import raw_pty


class SerialScannerSimulator:
    """The scanner's end of a pty; the till reads the other end."""

    def __init__(self, suffix: bytes = b"\r", aim_id: str = "", prefix: bytes = b"") -> None:
        self.master, self.slave, self.path = raw_pty()
        self.suffix = suffix
        self.aim_id = aim_id
        self.prefix = prefix

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def scan(self, code: str, aim_id: str | None = None) -> None:
        """One complete scan, as the scanner sends it."""
        aim = self.aim_id if aim_id is None else aim_id
        self.send(self.prefix + (aim + code).encode("ascii") + self.suffix)

    def partial(self, code: str, keep: int) -> None:
        """Only the first ``keep`` characters of ``code``, and no end of line."""
        self.send(code[:keep].encode("ascii"))

    def garbage(self) -> None:
        """What a 9600-baud line read at the wrong speed looks like, ended by a CR."""
        self.send(bytes([0x80, 0xFE, 0x00, 0xF0, 0x9F, 0xC3]) + self.suffix)

    def unplug(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    close = unplug


def main() -> None:  # pragma: no cover - an interactive helper for technicians
    sim = SerialScannerSimulator()
    print(f"Serial scanner simulator on {sim.path}: type a code and Enter to scan it (Ctrl-D to stop)",
          file=sys.stderr, flush=True)
    try:
        for line in sys.stdin:
            if line.strip():
                sim.scan(line.strip())
    finally:
        sim.unplug()


if __name__ == "__main__":  # pragma: no cover
    main()
