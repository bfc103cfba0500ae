"""A 2x20 Epson-command pole display on a pseudo-terminal, for tests and technicians.

It stands in for the hardware only: the till opens ``sim.path`` with pyserial exactly as it
opens ``/dev/ttyUSB0``, and the simulator interprets the bytes the way the display's firmware
does (ESC @, ESC t n, FF, US $ x y, US C n, CR, LF, text in the selected code page), so a test
reads what a customer would see. ``hang()`` stops reading (the till's writes then time out, as
with a display whose cable is half out); ``unplug()`` closes the device.

Run ``python -m devices.simulators.display_sim`` to get a path to put in ``[display] path`` and
watch the two lines live.
"""

from __future__ import annotations

import os
import select
import threading
import time
from devices.simulators.pty_line import raw_pty

PAGES = {0: "cp437", 16: "cp1252", 19: "cp858"}


class DisplaySimulator:
    """The display's screen state, fed by a pty the till writes to."""

    def __init__(self, width: int = 20, rows: int = 2) -> None:
        self.width, self.rows = width, rows
        self.master, self.slave, self.path = raw_pty()
        self.grid = [[" "] * width for _ in range(rows)]
        self.x = self.y = 0
        self.code_page = "cp437"
        self.cursor_visible = True
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
                    self.code_page = PAGES.get(buf[2], "cp437")
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
                self.grid = [[" "] * self.width for _ in range(self.rows)]
                self.x = self.y = 0
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

    def _init(self) -> None:
        self.grid = [[" "] * self.width for _ in range(self.rows)]
        self.x = self.y = 0
        self.code_page = "cp437"
        self.cursor_visible = True

    def _put(self, char: str) -> None:
        self.grid[self.y][self.x] = char
        self.x += 1
        if self.x >= self.width:  # overwrite mode: wrap to the next line (the last one stays)
            self.x = 0
            self.y = min(self.rows - 1, self.y + 1)


def main() -> None:  # pragma: no cover - an interactive helper for technicians
    sim = DisplaySimulator()
    print(f"Customer display simulator on {sim.path} (Ctrl-C to stop)", flush=True)
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
