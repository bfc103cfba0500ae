"""A scanner in USB-COM (CDC-ACM, ``/dev/ttyACM*``) or RS-232 mode: one code per line.

Why it needs care anyway: a line may stop half-way (cable pulled, scanner asleep), the baud rate
may be wrong (bytes arrive as garbage), and ModemManager may probe a new ttyACM with ``AT``
commands. A line is a code only when its end arrives within ``partial_timeout_s`` of its first
byte and it is printable text; anything else is reported and dropped, never delivered.

A code ends with CR, LF or ETX, and also with the scanner's configured suffix (``[scanner]
suffix``: a TAB, or nothing, when a pause ends the code); a leading STX and the configured prefix
are removed. So STX...ETX framing needs no setting: without this, a framed code was refused as
unreadable (STX and ETX are control characters), and a code ended by TAB never ended.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from devices.access import explain_os_error
from devices.scanner import GARBAGE, PARTIAL_CODE, ScannerError
from till.errors import TillError

GS = "\x1d"  # GS1's FNC1 separator, kept inside a code
STX, ETX = 0x02, 0x03
ALWAYS_ENDS = b"\r\n\x03"
"""No code holds CR, LF or ETX: each ends one, whatever the configured suffix."""
TAIL_S = 1.0
"""After a cut-off code, a line starting within this time is its tail and is refused too (a
cashier's new scan takes longer than that)."""


def printable(text: str) -> bool:
    """True for text a barcode can hold (GS allowed)."""
    return all(ch == GS or (ch.isprintable() and ch != "\ufffd") for ch in text)


class SerialReader:
    """Reads codes from a serial port (pyserial), ended by CR, LF, ETX or the configured suffix."""

    def __init__(self, path: str, baud: int = 9600, partial_timeout_s: float = 0.3,
                 open_port: Callable[..., object] | None = None, prefix: str = "",
                 end_chars: str = "\r\n") -> None:
        self.path = path
        self.name = f"serial:{path}"
        self.baud = baud
        self.partial_timeout_s = partial_timeout_s
        self._open_port = open_port
        self.prefix = prefix.encode("latin-1", errors="replace")
        self.ends = frozenset(ALWAYS_ENDS + end_chars.encode("latin-1", errors="replace"))
        self.silence_ends = not end_chars
        """Suffix "none": a pause of one read (0.1 s) after the last byte ends the code."""

    def _open(self):
        import serial  # deferred: pyserial only when a serial device is configured

        opener = self._open_port or serial.Serial
        try:
            return opener(self.path, self.baud, timeout=0.1)
        except serial.SerialException as error:
            if isinstance(error, OSError) and error.errno is not None:
                raise explain_os_error(self.path, error) from None
            raise explain_os_error(self.path, OSError(0, str(error))) from None

    def run(self, emit: Callable[[str], None], stop: threading.Event,
            status: Callable[[str, TillError | None], None]) -> None:
        import serial  # deferred: pyserial only when a serial device is configured

        port = self._open()
        status("ready", None)
        line = bytearray()
        started = 0.0
        tainted_until = 0.0  # the tail of a cut-off code is not a code either
        try:
            while not stop.is_set():
                try:
                    data = port.read(256)
                except (serial.SerialException, OSError) as error:
                    errno_ = getattr(error, "errno", None)
                    raise explain_os_error(self.path, OSError(errno_ or 5, str(error))) from None
                now = time.monotonic()
                garbage = ScannerError(GARBAGE, path=self.path)
                if line and not data and self.silence_ends and started >= tainted_until:
                    self._finish(self._unframed(line), emit, status, garbage)  # suffix "none": a pause
                    line.clear()
                if line and now - started > self.partial_timeout_s:
                    status("partial", ScannerError(PARTIAL_CODE, chars=len(line)))
                    line.clear()
                    tainted_until = now + TAIL_S
                for byte in data:
                    if byte in self.ends:
                        if line and started < tainted_until:
                            status("partial", ScannerError(PARTIAL_CODE, chars=len(line)))
                        elif line:
                            self._finish(self._unframed(line), emit, status, garbage)
                        line.clear()
                        continue
                    if not line:
                        started = now
                    line.append(byte)
        finally:
            port.close()

    def _unframed(self, line: bytearray) -> bytes:
        """The code without the scanner's prefix (STX, or the characters it was programmed with)."""
        raw = bytes(line)
        if self.prefix and raw.startswith(self.prefix):
            raw = raw[len(self.prefix):]
        return raw[1:] if raw[:1] == bytes([STX]) else raw

    @staticmethod
    def _finish(raw: bytes, emit: Callable[[str], None], status: Callable[[str, TillError | None], None],
                garbage: TillError) -> None:
        text = raw.decode("utf-8", errors="replace")
        if not printable(text):
            status("garbage", garbage)
            return
        emit(text)
