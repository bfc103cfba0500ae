"""The customer's pole display: 2 lines of 20 characters, Epson DM-D or CD5220 commands.

Why our own small module instead of a library: each command set is a handful of sequences and
the only subtle part is text: the display has one single-byte code page, so "€" and accents
must be encoded for it, or spelled out ("EUR") when the page has none, and every line is cut or
padded to exactly 20 characters *after* that, so the second line never wraps onto the first.

Two command sets are common on French counters, and a display obeys only the one chosen on it
(setup menu or DIP switches), hence ``protocol``: ``dmd`` (Epson DM-D: the till selects the code
page with ``ESC t n`` and places the cursor with ``US $``) and ``cd5220`` (each line sent whole,
``ESC Q A``/``ESC Q B`` ... ``CR``; no code-page command, the table is the one set on the display).

``DisplayFeed`` is what the till uses: it takes screens from the UI without ever blocking, and
writes the newest one from a worker thread with a timeout; an unplugged or hung display is a
status, retried later, never a frozen till.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from devices.access import explain_os_error
from devices.code_pages import printable
from till.errors import TillError
from till.i18n import N_

log = logging.getLogger("till.devices.display")

UNKNOWN_DRIVER = N_("Unknown customer display driver {driver}: use epson or none")
UNKNOWN_CODE_PAGE = N_("Unknown display code page {code_page}: use cp858, cp437 or cp1252")
UNKNOWN_PROTOCOL = N_("Unknown display command set {protocol}: use dmd or cd5220")
DISPLAY_NO_PATH = N_("The customer display needs a device path (path in [display])")
DISPLAY_TIMEOUT = N_("The customer display on {path} did not take the text within {seconds} s")

DISPLAY_PROBLEM = N_("Customer display: {reason}")
DISPLAY_UNAVAILABLE = N_("Customer display unavailable")

# What the customer reads, in the shop's language (translated by the caller).
TOTAL_TO_PAY = N_("Total to pay")
CHANGE_GIVEN = N_("Change given")
CHANGE = N_("Change")
THANK_YOU = N_("Thank you, see you soon!")

MESSAGES = (UNKNOWN_DRIVER, UNKNOWN_CODE_PAGE, UNKNOWN_PROTOCOL, DISPLAY_NO_PATH, DISPLAY_TIMEOUT,
            DISPLAY_PROBLEM, DISPLAY_UNAVAILABLE, TOTAL_TO_PAY, CHANGE_GIVEN, CHANGE, THANK_YOU)

DRIVERS = ("epson", "none")
WIDTH = 20

ESC, US, CR = b"\x1b", b"\x1f", b"\r"
INIT = ESC + b"@"
CLEAR = b"\x0c"
CURSOR_OFF = US + b"C\x00"
CD5220_CURSOR_OFF = ESC + b"_\x00"
CD5220_UPPER, CD5220_LOWER = ESC + b"QA", ESC + b"QB"

CODE_PAGES = {"cp437": 0, "cp858": 19, "cp1252": 16}
"""Python codec -> ``ESC t n`` page number on Epson displays (PC437 has no "€"; PC858 has it at
0xD5, WPC1252 at 0x80)."""


class DisplayError(TillError):
    """The customer display cannot be used as configured, or stopped answering."""

    setting = "driver"
    """The ``[display]`` key to fix, so the configuration's message points at its line."""


def _wrong(setting: str, message: str, **params: object) -> DisplayError:
    error = DisplayError(message, **params)
    error.setting = setting
    return error


@dataclass(frozen=True)
class DisplaySettings:
    """The ``[display]`` section."""

    driver: str = "none"
    protocol: str = "dmd"
    """The command set chosen on the display: ``dmd`` (Epson DM-D) or ``cd5220``."""
    path: str = ""
    baud: int = 9600
    code_page: str = "cp858"
    timeout_s: int = 2
    """A write that takes longer means a hung display: it is dropped and retried later."""
    thank_you: str = ""
    """Shown after payment; "" for the till's own "Thank you" in the shop's language."""

    @classmethod
    def from_config(cls, config: object) -> "DisplaySettings":
        found = getattr(config, "display", None)
        return found if isinstance(found, cls) else cls()

    def validate(self) -> None:
        if self.driver not in DRIVERS:
            raise DisplayError(UNKNOWN_DRIVER, driver=self.driver)
        if self.protocol not in COMMAND_SETS:
            raise _wrong("protocol", UNKNOWN_PROTOCOL, protocol=self.protocol)
        if self.code_page not in CODE_PAGES:
            raise _wrong("code_page", UNKNOWN_CODE_PAGE, code_page=self.code_page)
        if self.driver != "none" and not self.path:
            raise _wrong("path", DISPLAY_NO_PATH)


def fit(text: str, code_page: str = "cp858", width: int = WIDTH, align: str = "left") -> bytes:
    """``text`` encoded for the display's code page, cut or padded to ``width`` bytes.

    Never a control byte: a label's line break, or a symbol that PC437 puts below 0x20 ("♪" is
    0x0D), would end a CD5220 line early or clear a DM-D screen."""
    raw = printable(text, code_page).encode(code_page)  # spelled as the printer spells (devices.code_pages)
    if align == "right":
        return raw[-width:].rjust(width, b" ")
    return raw[:width].ljust(width, b" ")


def two_columns(left: str, right: str, code_page: str = "cp858", width: int = WIDTH) -> bytes:
    """A line with ``right`` (an amount) kept whole at the right and ``left`` cut to fit."""
    right_raw = fit(right, code_page, width, align="right").lstrip(b" ")
    room = width - len(right_raw) - 1
    if room <= 0:
        return right_raw[-width:].rjust(width, b" ")
    return fit(left, code_page, room) + b" " + right_raw


def move(column: int, row: int) -> bytes:
    """Cursor to ``column`` (1-20), ``row`` (1-2): ``US $ x y``."""
    return US + b"$" + bytes([column, row])


def screen_bytes(top: bytes, bottom: bytes) -> bytes:
    """DM-D: both lines written in place (no clear, so the display does not flicker)."""
    return move(1, 1) + top + move(1, 2) + bottom


def dmd_start(code_page: str) -> bytes:
    """DM-D: initialise, select the code page, hide the cursor, clear."""
    return INIT + ESC + b"t" + bytes([CODE_PAGES[code_page]]) + CURSOR_OFF + CLEAR


def cd5220_screen(top: bytes, bottom: bytes) -> bytes:
    """CD5220: each line sent whole (``ESC Q A`` upper, ``ESC Q B`` lower, ended by CR)."""
    return CD5220_UPPER + top + CR + CD5220_LOWER + bottom + CR


def cd5220_start(code_page: str) -> bytes:
    """CD5220: clear first, because a display left in string mode (``ESC Q``) by a till that
    stopped obeys nothing but CLR; then initialise and hide the cursor. No code-page command
    exists in this set: ``code_page`` must name the table chosen on the display."""
    return CLEAR + INIT + CD5220_CURSOR_OFF


@dataclass(frozen=True)
class CommandSet:
    """How one family of displays starts and shows two lines of exactly ``WIDTH`` bytes."""

    start: Callable[[str], bytes]
    screen: Callable[[bytes, bytes], bytes]


COMMAND_SETS = {"dmd": CommandSet(dmd_start, screen_bytes), "cd5220": CommandSet(cd5220_start, cd5220_screen)}


class PoleDisplay:
    """A 2x20 pole display on a serial port, spoken to in the command set of ``settings``."""

    def __init__(self, settings: DisplaySettings, open_port: Callable[..., object] | None = None) -> None:
        self.settings = settings
        self._open_port = open_port
        self.commands = COMMAND_SETS[settings.protocol]
        self.port = None

    def open(self) -> None:
        import serial  # deferred: pyserial only when a serial device is configured

        opener = self._open_port or serial.Serial
        timeout = self.settings.timeout_s
        try:
            self.port = opener(self.settings.path, self.settings.baud, timeout=timeout, write_timeout=timeout)
        except (serial.SerialException, OSError) as error:
            raise explain_os_error(self.settings.path, OSError(getattr(error, "errno", None) or 0, str(error))) \
                from None
        self._write(self.commands.start(self.settings.code_page))

    def close(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            finally:
                self.port = None

    def _write(self, data: bytes) -> None:
        import serial  # deferred: pyserial only when a serial device is configured

        if self.port is None:
            self.open()
        try:
            written = self.port.write(data)
            self.port.flush()
        except serial.SerialTimeoutException:
            self.close()
            raise DisplayError(DISPLAY_TIMEOUT, path=self.settings.path, seconds=self.settings.timeout_s) from None
        except (serial.SerialException, OSError) as error:
            self.close()
            raise explain_os_error(self.settings.path, OSError(getattr(error, "errno", None) or 5, str(error))) \
                from None
        if written is not None and written < len(data):
            self.close()
            raise DisplayError(DISPLAY_TIMEOUT, path=self.settings.path, seconds=self.settings.timeout_s)

    def clear(self) -> None:
        self._write(CLEAR)

    def show(self, top: str, bottom: str = "") -> None:
        page = self.settings.code_page
        self._write(self.commands.screen(fit(top, page), fit(bottom, page)))

    def show_columns(self, top: str, left: str, right: str) -> None:
        """``top`` on line 1; ``left`` and ``right`` (an amount, kept whole) on line 2."""
        page = self.settings.code_page
        self._write(self.commands.screen(fit(top, page), two_columns(left, right, page)))


@dataclass(frozen=True)
class Screen:
    """What the customer should see: two lines, with an amount kept whole at the bottom right."""

    top: str
    bottom_left: str = ""
    bottom_right: str = ""


class DisplayFeed:
    """Shows screens on a display from one worker thread; never blocks its caller.

    Only the newest screen matters to a customer, so ``show`` replaces any screen still
    waiting; a display that fails is closed, reported once through ``on_status`` and opened
    again at the next screen (no more often than every ``retry_s``), so unplugging and
    plugging it back needs nothing from the cashier.
    """

    def __init__(self, display: PoleDisplay | None, on_status: Callable[[str, TillError | None], None] | None = None,
                 retry_s: float = 5.0) -> None:
        self.display = display
        self.on_status = on_status or (lambda state, error: None)
        self.retry_s = retry_s
        self._queue: queue.Queue[Screen | None] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None
        self._failed_at = 0.0
        self.state = "off" if display is None else "starting"
        self.shown: Screen | None = None

    def start(self) -> "DisplayFeed":
        if self.display is not None:
            self._thread = threading.Thread(target=self._run, name="customer-display", daemon=True)
            self._thread.start()
        return self

    def show(self, screen: Screen) -> None:
        """Queue ``screen``, dropping an older one not yet shown. Returns at once."""
        if self.display is None:
            return
        while True:
            try:
                self._queue.put_nowait(screen)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass

    def stop(self, timeout_s: float = 2.0) -> None:
        if self._thread is not None:
            self.show(None)  # type: ignore[arg-type]
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while True:
            screen = self._queue.get()
            if screen is None:
                break
            self._write(screen)
        if self.display is not None:
            self.display.close()

    def _write(self, screen: Screen) -> None:
        assert self.display is not None
        if self.state == "error" and time.monotonic() - self._failed_at < self.retry_s:
            return  # still broken: do not wait on it again for every scan
        try:
            if screen.bottom_right:
                self.display.show_columns(screen.top, screen.bottom_left, screen.bottom_right)
            else:
                self.display.show(screen.top, screen.bottom_left)
        except TillError as error:
            self._failed_at = time.monotonic()
            if self.state != "error":
                log.warning("customer display: %s", error)
                self.state = "error"
                self.on_status("error", error)
            return
        except Exception:  # noqa: BLE001 - a display bug must not stop the feed
            log.exception("customer display failed")
            self.display.close()
            self._failed_at = time.monotonic()
            self.state = "error"
            self.on_status("error", None)
            return
        self.shown = screen
        if self.state != "ready":
            self.state = "ready"
            self.on_status("ready", None)


def make_display(settings: DisplaySettings) -> PoleDisplay | None:
    """The display named by ``settings`` (validated), or ``None`` for ``driver = "none"``."""
    settings.validate()
    if settings.driver == "epson":  # the name of the serial driver, whatever the command set
        return PoleDisplay(settings)
    return None
