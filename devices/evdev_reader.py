"""A scanner read straight from the kernel's input device (``/dev/input/event*``), grabbed.

Why evdev rather than the keyboard: a USB scanner in keyboard mode types into the Pi's console,
so a till used over SSH never sees it, and its keys go through the console keymap (AZERTY turns
a US scanner's digits into ``&é"'(``). Reading key *codes* from its event device avoids both;
the exclusive grab (EVIOCGRAB) keeps those keys out of the console and any other reader.

No python-evdev: it has no wheel on PyPI (it needs gcc on the Pi), and the format is small.
Each record is a ``struct input_event``: a ``timeval`` (two C longs), type, code (unsigned
16-bit) and value (signed 32-bit), struct format ``llHHi`` in the machine's own byte order.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from devices.access import explain_os_error
from devices.scanner import PARTIAL_CODE, ScannerError
from till.errors import TillError

EVENT = struct.Struct("llHHi")
EV_SYN, EV_KEY = 0x00, 0x01
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
EVIOCGRAB = 0x40044590
"""``_IOW('E', 0x90, int)``: with 1, this process alone receives the device's events."""

KEY_ENTER, KEY_KPENTER, KEY_TAB = 28, 96, 15
SHIFTS = frozenset({42, 54})        # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
CTRLS = frozenset({29, 97})         # KEY_LEFTCTRL, KEY_RIGHTCTRL
CAPSLOCK = 58
TAIL_S = 1.0
"""After a cut-off code, keys starting within this time are its tail and are refused too."""


def _table() -> dict[int, tuple[str, str]]:
    """Linux keycodes (input-event-codes.h) -> (plain, shifted) on a US keyboard."""
    rows = {
        2: "1!2@3#4$5%6^7&8*9(0)-_=+",
        16: "qQwWeErRtTyYuUiIoOpP[{]}",
        30: "aAsSdDfFgGhHjJkKlL;:'\"`~",
        43: "\\|zZxXcCvVbBnNmM,<.>/?",
    }
    table: dict[int, tuple[str, str]] = {}
    for first, pairs in rows.items():
        for offset in range(len(pairs) // 2):
            table[first + offset] = (pairs[2 * offset], pairs[2 * offset + 1])
    table[57] = (" ", " ")
    keypad = {71: "7", 72: "8", 73: "9", 74: "-", 75: "4", 76: "5", 77: "6", 78: "+", 79: "1", 80: "2",
              81: "3", 82: "0", 83: ".", 55: "*", 98: "/"}
    table.update({code: (ch, ch) for code, ch in keypad.items()})
    return table


KEYMAP = _table()


@dataclass
class KeyDecoder:
    """Keycodes -> characters of one code, tracking Shift, Ctrl and Caps Lock.

    Ctrl + ``]`` gives GS (0x1D), GS1's FNC1 separator, which a terminal would swallow.
    """

    end_keys: frozenset[int] = frozenset({KEY_ENTER, KEY_KPENTER})
    shift: bool = False
    ctrl: bool = False
    caps: bool = False
    chars: list[str] = field(default_factory=list)

    def key(self, code: int, value: int) -> str | None:
        """One EV_KEY event; returns the finished code when an end key goes down."""
        if code in SHIFTS:
            self.shift = value != KEY_UP
            return None
        if code in CTRLS:
            self.ctrl = value != KEY_UP
            return None
        if value != KEY_DOWN:
            return None  # releases and auto-repeat
        if code == CAPSLOCK:
            self.caps = not self.caps
            return None
        if code in self.end_keys:
            text, self.chars = "".join(self.chars), []
            return text
        pair = KEYMAP.get(code)
        if pair is None:
            return None
        plain, shifted = pair
        if self.ctrl and plain == "]":
            self.chars.append("\x1d")
            return None
        upper = self.shift != (self.caps and plain.isalpha())
        self.chars.append(shifted if upper else plain)
        return None


def decode_events(data: bytes) -> list[tuple[int, int, int]]:
    """``(type, code, value)`` of each whole ``input_event`` record in ``data``."""
    usable = len(data) - len(data) % EVENT.size
    return [(t, c, v) for _s, _u, t, c, v in EVENT.iter_unpack(data[:usable])]


def grab(fd: int, path: str) -> None:
    """Take the device for this process only (EVIOCGRAB); EBUSY: someone else holds it."""
    try:
        fcntl.ioctl(fd, EVIOCGRAB, 1)
    except OSError as error:
        raise explain_os_error(path, error) from None


class EvdevReader:
    """Reads one input device and emits each code ended by Enter.

    ``partial_timeout_s``: keys with no Enter after this long are a cut-off scan and are
    dropped (reported through ``status``), never delivered as a shorter code.
    """

    def __init__(self, path: str, grab: bool = True, partial_timeout_s: float = 0.3,
                 opener: Callable[[str], int] | None = None) -> None:
        self.path = path
        self.name = f"evdev:{path}"
        self.grab = grab
        self.partial_timeout_s = partial_timeout_s
        self._open = opener or (lambda p: os.open(p, os.O_RDONLY | os.O_NONBLOCK))

    def run(self, emit: Callable[[str], None], stop: threading.Event,
            status: Callable[[str, TillError | None], None]) -> None:
        try:
            fd = self._open(self.path)
        except OSError as error:
            raise explain_os_error(self.path, error) from None
        try:
            if self.grab:
                grab(fd, self.path)
            status("ready", None)
            self._loop(fd, emit, stop, status)
        finally:
            os.close(fd)  # closing also releases the grab

    def _loop(self, fd: int, emit: Callable[[str], None], stop: threading.Event,
              status: Callable[[str, TillError | None], None]) -> None:
        decoder = KeyDecoder()
        pending = b""
        last_key = started = tainted_until = 0.0
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            now = time.monotonic()
            if decoder.chars and now - last_key > self.partial_timeout_s:
                status("partial", ScannerError(PARTIAL_CODE, chars=len(decoder.chars)))
                decoder.chars.clear()
                tainted_until = now + TAIL_S  # its tail, if it comes, is not a code either
            if not ready:
                continue
            try:
                data = os.read(fd, EVENT.size * 64)
            except BlockingIOError:
                continue
            except OSError as error:
                if error.errno == errno.EAGAIN:
                    continue
                raise explain_os_error(self.path, error) from None
            if not data:
                raise explain_os_error(self.path, OSError(errno.ENODEV, "end of file"))
            pending += data
            usable = len(pending) - len(pending) % EVENT.size
            chunk, pending = pending[:usable], pending[usable:]
            for kind, code, value in decode_events(chunk):
                if kind != EV_KEY:
                    continue
                last_key = time.monotonic()
                if not decoder.chars:
                    started = last_key
                done = decoder.key(code, value)
                if done and started < tainted_until:
                    status("partial", ScannerError(PARTIAL_CODE, chars=len(done)))
                elif done:
                    emit(done)
