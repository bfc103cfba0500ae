"""Cash drawers: kicked through the receipt printer (pin 2 or 5), on their own serial port, or
only logged (the demo's). Each has ``open(reason, deadline=None)`` and ``is_open()`` (None: no
sensor). Past ``deadline`` (``time.monotonic()``) a drawer is never kicked, even by a call that
hung and resumes: the customer has gone (``till.aftersale.drawer_kick``).

Many cheap drawers have no sensor, so "unknown" is a normal answer. Where there is one,
``LeftOpenWatch`` turns repeated readings into a single "drawer left open" warning. Serial
drawers open on bytes received at their speed (BEL at 300 baud, or any byte) and report their
state on a modem line whose polarity depends on the switch (devices.md §2): all configurable,
as ``devices.settings.DrawerSettings`` (configuration keys ``drawer.*``).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Callable

from devices import paths
from devices.errors import DRAWER_TOO_LATE, DeviceConfigError, DrawerError, PrinterError
from devices.guard import DeviceGuard
from devices.settings import DRAWER_KINDS, STATUS_LINES, DrawerSettings
from till.i18n import N_

BUSY = N_("The cash drawer is still busy with a previous command that hangs")
HUNG = N_("The cash drawer did not answer within {seconds} s")
UNKNOWN_KIND = N_("Unknown drawer kind {kind}: use one of {choices}")
NEEDS_ESCPOS = N_("A drawer kicked by the printer needs an ESC/POS printer driver")
BAD_BYTES = N_("Drawer open bytes {value} must be hexadecimal, such as 07")
BAD_LINE = N_("Drawer status line {value} must be one of {choices}")


class LoggingDrawer:
    """Records each opening in a text file instead of kicking a solenoid."""

    name = "log"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def open(self, reason: str, deadline: float | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(f"{dt.datetime.now().isoformat(timespec='seconds')} drawer opened: {reason}\n")

    def is_open(self) -> bool | None:
        return None


class PrinterDrawer:
    """A drawer on the printer's kick connector; its sensor (if any) is pin 3, read by DLE EOT 1."""

    name = "printer"

    def __init__(self, printer, pin: int = 2, open_level: str = "high", sensor: bool = True) -> None:
        self.printer = printer
        self.pin = pin
        self.open_level = open_level
        self.sensor = sensor
        """False: no switch is wired (``drawer.sensor``), so the printer is not asked at all."""

    def open(self, reason: str, deadline: float | None = None) -> None:
        try:
            self.printer.kick(self.pin, deadline)
        except PrinterError as error:
            raise DrawerError(error.message, **error.params) from None

    def is_open(self) -> bool | None:
        if not self.sensor:
            return None
        high = self.printer.status().drawer_pin3_high
        return None if high is None else high == (self.open_level == "high")


class SerialDrawer:
    """A drawer with its own serial port: bytes open it, a modem line (if wired) tells its state."""

    name = "serial"

    def __init__(self, settings: DrawerSettings, serial_for_url: Callable | None = None) -> None:
        try:
            self.open_bytes = bytes.fromhex(settings.open_bytes)
        except ValueError:
            raise DeviceConfigError(BAD_BYTES, value=settings.open_bytes) from None
        if not self.open_bytes:
            raise DeviceConfigError(BAD_BYTES, value=settings.open_bytes)
        if settings.status_line not in STATUS_LINES:
            raise DeviceConfigError(BAD_LINE, value=settings.status_line, choices=", ".join(STATUS_LINES))
        self.settings = settings
        self._serial_for_url = serial_for_url
        self._guard = DeviceGuard("drawer", DrawerError, BUSY, HUNG)
        self._open_port = None

    def _port(self):
        """The open port, kept between calls (a sensor is polled every second or so, and a
        serial device server takes most of a second to negotiate a new connection)."""
        import serial  # deferred: pyserial only when a serial device is configured

        if self._open_port is not None:
            return self._open_port
        opener = self._serial_for_url or serial.serial_for_url
        options = {"baudrate": self.settings.baud, "timeout": self.settings.timeout_s}
        if "://" not in self.settings.path:  # rfc2217:// has no write timeout (the guard bounds it)
            options["write_timeout"] = self.settings.timeout_s
        try:
            self._open_port = opener(self.settings.path, **options)
        except (OSError, serial.SerialException, ValueError) as error:
            raise paths.explain(error, self.settings.path, DrawerError) from None
        return self._open_port

    def _drop(self) -> None:
        """Forget a port that failed: unplugged, it is reopened (or explained) next time."""
        port, self._open_port = self._open_port, None
        if port is not None:
            try:
                port.close()
            except Exception:  # already gone
                pass

    def open(self, reason: str, deadline: float | None = None) -> None:
        def kick() -> None:
            for attempt in (1, 2):  # a kept port may be dead (adapter replugged): reopen once
                port = self._port()
                if deadline is not None and time.monotonic() >= deadline:
                    raise DrawerError(DRAWER_TOO_LATE)
                try:
                    port.write(self.open_bytes)
                    port.flush()
                    return
                except Exception as error:
                    self._drop()
                    if attempt == 2:
                        raise paths.explain(error, self.settings.path, DrawerError) from None
        timeout_s: float = self.settings.timeout_s
        if deadline is not None:
            timeout_s = max(0.05, min(timeout_s, deadline - time.monotonic()))
        self._guard.call(kick, timeout_s)

    def is_open(self) -> bool | None:
        line = self.settings.status_line
        if line == "none":
            return None

        def read() -> bool | None:
            for _ in (1, 2):  # a kept port may be dead: reopen once
                port = self._port()
                try:
                    high = bool(getattr(port, line))
                except OSError:  # no modem lines (a pty, some USB adapters), or the port went away
                    self._drop()
                    continue
                return high == (self.settings.open_level == "high")
            return None
        return self._guard.call(read, self.settings.timeout_s)

    def close(self) -> None:
        """Release the port (at shutdown)."""
        self._guard.call(self._drop, self.settings.timeout_s)


class LeftOpenWatch:
    """Turns drawer readings into one "left open" warning per opening, after ``after_s``."""

    def __init__(self, after_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.after_s = after_s
        self._clock = clock
        self._opened_at: float | None = None
        self._warned = False

    def observe(self, is_open: bool | None) -> bool:
        """Record a reading; True exactly once when the drawer has been open too long."""
        now = self._clock()
        if not is_open:  # closed, or no sensor: nothing to warn about
            self._opened_at, self._warned = None, False
            return False
        if self._opened_at is None:
            self._opened_at = now
        if not self._warned and now - self._opened_at >= self.after_s:
            self._warned = True
            return True
        return False

    @property
    def open_for_s(self) -> float:
        return 0.0 if self._opened_at is None else self._clock() - self._opened_at


def check_left_open(drawer, watch: LeftOpenWatch) -> bool:
    """Read ``drawer`` once (off the UI thread) and feed ``watch``; a failing read counts as unknown."""
    try:
        reading = drawer.is_open()
    except Exception:  # an unplugged sensor must not raise into a timer
        reading = None
    return watch.observe(reading)


_lock = threading.Lock()
_serial_drawers: dict[DrawerSettings, SerialDrawer] = {}


def make_drawer(settings: DrawerSettings, printer=None, resolve: Callable[[str], Path] = Path):
    """The drawer ``settings`` describe (None for ``none``); ``printer`` kicks a ``printer`` drawer."""
    if settings.kind == "none":
        return None
    if settings.kind == "log":
        return LoggingDrawer(resolve(settings.log_path))
    if settings.kind == "printer":
        if printer is None or not hasattr(printer, "kick"):
            raise DeviceConfigError(NEEDS_ESCPOS)
        return PrinterDrawer(printer, settings.pin, settings.open_level, settings.sensor)
    if settings.kind == "serial":
        with _lock:  # one per port for the process: its guard must outlive a hung call
            drawer = _serial_drawers.get(settings)
            if drawer is None:
                drawer = _serial_drawers[settings] = SerialDrawer(settings)
            return drawer
    raise DeviceConfigError(UNKNOWN_KIND, kind=settings.kind, choices=", ".join(DRAWER_KINDS))
