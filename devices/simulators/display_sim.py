"""A 2x20 pole display on a pseudo-terminal, for tests and technicians.

It stands in for the hardware only: the till opens ``sim.path`` with pyserial exactly as it
opens ``/dev/ttyUSB0``, and the simulator interprets the bytes the way the display's firmware
does, so a test reads what a customer would see. Like a real display it obeys one command set,
chosen on it (``protocol``, the display's setup menu or DIP switches):

- ``dmd`` (Epson DM-D): ESC @, ESC t n, FF, US $ x y, US C n, CR, LF, text in the selected page;
- ``cd5220``: ESC Q A/B/D ... CR (string mode: until CLR or CAN, nothing but ESC Q is obeyed),
  ESC @, CLR, CAN, ESC l x y, ESC _ n, ESC [ x cursor moves; its character table above 0x7F is
  ``code_page``, set on the display, as no command of this set changes it.

``hang()`` stops reading (the till's writes then time out, as with a display whose cable is
half out); ``unplug()`` closes the device.

Run ``python -m devices.simulators.display_sim [cd5220]`` to get a path to put in
``[display] path`` and watch the two lines live.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import time

from devices.simulators.pty_line import raw_pty

PAGES = {0: "cp437", 16: "cp1252", 19: "cp858"}


class DisplaySimulator:
    """The display's screen state, fed by a pty the till writes to."""

    def __init__(self, width: int = 20, rows: int = 2, protocol: str = "dmd", code_page: str = "cp437") -> None:
        if protocol not in ("dmd", "cd5220"):
            raise ValueError(f"unknown command set {protocol!r}")
        self.width, self.rows = width, rows
        self.protocol = protocol
        self.master, self.slave, self.path = raw_pty()
        self.grid = [[" "] * width for _ in range(rows)]
        self.x = self.y = 0
        self.table = code_page
        """The page the display's setup chose: what ``ESC @`` returns to (DM-D) or keeps (CD5220)."""
        self.code_page = code_page
        self.cursor_visible = True
        self.string_mode = False
        self.received = bytearray()
        self.commands: list[str] = []
        self._buffer = bytearray()
        self._reading = threading.Event()
        self._reading.set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="display-sim", daemon=True)
        self._thread.start()

    # -- what the customer sees -------------------------------------------------------------
    def lines(self) -> list[str]:
        with self._lock:
            return ["".join(row) for row in self.grid]

    def wait_for(self, predicate, timeout_s: float = 3.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate(self.lines()):
                return True
            time.sleep(0.01)
        return predicate(self.lines())

    # -- faults -----------------------------------------------------------------------------
    def hang(self) -> None:
        """Stop reading: the pty fills up and the till's writes block until their timeout."""
        self._reading.clear()

    def resume(self) -> None:
        self._reading.set()

    def unplug(self) -> None:
        """The cable is pulled: the device file goes away for the till."""
        self._stop.set()
        self._thread.join(1)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    close = unplug

    # -- firmware ---------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._reading.is_set():
                time.sleep(0.02)
                continue
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self.master, 1024)
            except OSError:
                return
            with self._lock:
                self.received += data
                self._buffer += data
                self._interpret()

    def _interpret(self) -> None:
        if self.protocol == "cd5220":
            self._interpret_cd5220()
        else:
            self._interpret_dmd()

    def _interpret_dmd(self) -> None:
        buf = self._buffer
        while buf:
            byte = buf[0]
            if byte == 0x1B:  # ESC
                if len(buf) < 2:
                    return
                if buf[1] == ord("@"):
                    self._init()
                    del buf[:2]
                    self.commands.append("init")
                elif buf[1] == ord("t"):
                    if len(buf) < 3:
                        return
                    self.code_page = PAGES.get(buf[2], self.table)
                    self.commands.append(f"code page {buf[2]}")
                    del buf[:3]
                else:
                    del buf[:2]  # unknown: ignored, as the firmware does
            elif byte == 0x1F:  # US
                if len(buf) < 2:
                    return
                if buf[1] == ord("$"):
                    if len(buf) < 4:
                        return
                    self.x = max(0, min(self.width - 1, buf[2] - 1))
                    self.y = max(0, min(self.rows - 1, buf[3] - 1))
                    del buf[:4]
                elif buf[1] == ord("C"):
                    if len(buf) < 3:
                        return
                    self.cursor_visible = bool(buf[2])
                    del buf[:3]
                else:
                    del buf[:2]
            elif byte == 0x0C:  # FF: clear, cursor home
                self._blank()
                self.commands.append("clear")
                del buf[:1]
            elif byte == 0x0B:  # HOME
                self.x = self.y = 0
                del buf[:1]
            elif byte == 0x0D:
                self.x = 0
                del buf[:1]
            elif byte == 0x0A:
                self.y = min(self.rows - 1, self.y + 1)
                del buf[:1]
            elif byte < 0x20:
                del buf[:1]
            else:
                self._put(bytes([byte]).decode(self.code_page, errors="replace"))
                del buf[:1]

    def _interpret_cd5220(self) -> None:
        buf = self._buffer
        while buf:
            byte = buf[0]
            if byte == 0x1B:
                if len(buf) < 2:
                    return
                if buf[1] == ord("Q"):
                    if len(buf) < 3 or 0x0D not in buf[3:]:
                        return  # a line is shown once its CR has arrived
                    end = buf.index(0x0D, 3)
                    self._string_line(buf[2], bytes(buf[3:end]))
                    del buf[:end + 1]
                    continue
                if self.string_mode:  # only CLR, CAN or another ESC Q leave or use string mode
                    del buf[:2]
                    continue
                size = {ord("l"): 4, ord("_"): 3, ord("f"): 3, ord("c"): 3, ord("*"): 3, ord("="): 3,
                        ord("["): 3}.get(buf[1], 2)
                if len(buf) < size:
                    return
                self._cd5220_escape(bytes(buf[:size]))
                del buf[:size]
            elif byte in (0x0C, 0x18):  # CLR: clear all; CAN: clear the cursor's line. Both end string mode.
                self.string_mode = False
                if byte == 0x0C:
                    self._blank()
                    self.commands.append("clear")
                else:
                    self.grid[self.y] = [" "] * self.width
                    self.x = 0
                del buf[:1]
            elif self.string_mode:
                del buf[:1]
            elif byte == 0x0B:
                self.x = self.y = 0
                del buf[:1]
            elif byte == 0x0D:
                self.x = 0
                del buf[:1]
            elif byte == 0x0A:
                self.y = min(self.rows - 1, self.y + 1)
                del buf[:1]
            elif byte < 0x20:
                del buf[:1]
            else:
                self._put(bytes([byte]).decode(self.code_page, errors="replace"))
                del buf[:1]

    def _string_line(self, which: int, text: bytes) -> None:
        """``ESC Q A|B|D text CR``: the whole line replaced (D, the scrolling message, shown still)."""
        row = 1 if which == ord("B") else 0
        shown = text[:self.width].decode(self.code_page, errors="replace")
        self.grid[row] = list(shown.ljust(self.width))
        self.string_mode = True
        self.commands.append("upper line" if row == 0 else "lower line")

    def _cd5220_escape(self, command: bytes) -> None:
        kind = command[1:2]
        if kind == b"@":
            self._init()
            self.commands.append("init")
        elif kind == b"l":
            self.x = max(0, min(self.width - 1, command[2] - 1))
            self.y = max(0, min(self.rows - 1, command[3] - 1))
        elif kind == b"_":
            self.cursor_visible = bool(command[2])
        elif kind == b"[":
            moves = {b"H": (0, 0), b"L": (0, self.y), b"R": (self.width - 1, self.y), b"K": (self.x, self.rows - 1),
                     b"A": (self.x, max(0, self.y - 1)), b"B": (self.x, min(self.rows - 1, self.y + 1)),
                     b"C": (min(self.width - 1, self.x + 1), self.y), b"D": (max(0, self.x - 1), self.y)}
            self.x, self.y = moves.get(command[2:3], (self.x, self.y))
        # ESC f n (national characters), ESC c n, ESC * n (brightness), ESC = n, ESC DC1-3 (modes):
        # taken and ignored, as they change nothing the till relies on.

    def _blank(self) -> None:
        self.grid = [[" "] * self.width for _ in range(self.rows)]
        self.x = self.y = 0

    def _init(self) -> None:
        self._blank()
        self.code_page = self.table
        self.cursor_visible = True
        self.string_mode = False

    def _put(self, char: str) -> None:
        self.grid[self.y][self.x] = char
        self.x += 1
        if self.x >= self.width:  # overwrite mode: wrap to the next line (the last one stays)
            self.x = 0
            self.y = min(self.rows - 1, self.y + 1)


def main() -> None:  # pragma: no cover - an interactive helper for technicians
    protocol = sys.argv[1] if len(sys.argv) > 1 else "dmd"
    sim = DisplaySimulator(protocol=protocol, code_page="cp858" if protocol == "cd5220" else "cp437")
    print(f"Customer display simulator ({protocol}) on {sim.path} (Ctrl-C to stop)", flush=True)
    shown: list[str] = []
    try:
        while True:
            lines = sim.lines()
            if lines != shown:
                shown = lines
                print("+" + "-" * sim.width + "+")
                for line in lines:
                    print("|" + line + "|")
                print("+" + "-" * sim.width + "+", flush=True)
            time.sleep(0.1)
    except KeyboardInterrupt:
        sim.unplug()


if __name__ == "__main__":  # pragma: no cover
    main()
