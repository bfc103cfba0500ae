"""Barcode scanners: three ways in (keyboard wedge, evdev, serial), one way out.

Why three sources: a USB scanner in keyboard mode ("wedge") types into whatever terminal has
the keyboard, which is the Pi's console and never an SSH session, and its keys go through the
console's keymap (a scanner set to US on a French AZERTY console types ``&é"'(`` instead of
``12345``). Reading the same scanner through evdev, with an exclusive grab, bypasses both
problems; a scanner in USB-COM mode (CDC-ACM) or on RS-232 sends plain lines on a serial port.
Whatever the source, a complete code ends up in one callback (``ScannerHub``), so the sale
screen has one handler.

This module holds the parts without I/O (the burst detector the wedge widget uses, the settings;
the keyboard layout check is ``devices.keyboard_layout``'s) and the hub that runs the readers of
``devices.evdev_reader`` and ``devices.serial_reader`` in threads.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

from devices.keyboard_layout import LAYOUT_AZERTY_ON_US, LAYOUT_US_ON_AZERTY, LayoutMismatch, check_layout
from till.errors import TillError
from till.i18n import N_

log = logging.getLogger("till.devices.scanner")

UNKNOWN_SOURCE = N_("Unknown scanner source {source}: use wedge, evdev or serial")
SOURCE_WITHOUT_PATH = N_("The scanner source {source} needs a device path ({key} in [scanner])")
BAD_SUFFIX = N_("Unknown scanner suffix {suffix}: use enter, tab, etx or none")
BAD_THRESHOLD = N_("The scanner threshold must be from 1 to 500 ms, not {value}")
PARTIAL_CODE = N_("Partial scan refused ({chars} characters, no end of code): scan the item again")
GARBAGE = N_("The scanner on {path} sent unreadable data: check its baud rate and its USB-COM mode")
SCANNER_PROBLEM = N_("Scanner: {reason}")
"""A reader's problem, as the status line shows it."""
SCANNER_BACK = N_("Scanner ready: {source}")
"""A reader that had failed works again (plugged back in)."""
SCAN_NOT_TAKEN = N_("A code was scanned, but this screen takes none: {code}")
"""A scan from evdev or serial while a dialog with no scan field is open (a PIN): dropped."""

MESSAGES = (UNKNOWN_SOURCE, SOURCE_WITHOUT_PATH, BAD_SUFFIX, BAD_THRESHOLD, PARTIAL_CODE, GARBAGE,
            LAYOUT_US_ON_AZERTY, LAYOUT_AZERTY_ON_US, SCANNER_PROBLEM, SCANNER_BACK, SCAN_NOT_TAKEN)

SOURCES = ("wedge", "evdev", "serial")
SUFFIXES = {"enter": "\r\n", "tab": "\t", "etx": "\x03", "none": ""}
"""Suffix names of the configuration and the characters that end a code for each ("enter" takes
CR or LF: a scanner's Enter arrives as either, depending on the terminal; "etx" is the ETX of a
serial scanner's STX...ETX framing, which ``devices.serial_reader`` also reads without it)."""


class ScannerError(TillError):
    """A scanner cannot be used as configured, or sent something that is not a code."""


# --- Settings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScannerSettings:
    """The ``[scanner]`` section (burst thresholds stay in ``[scanning]``, where they were)."""

    sources: tuple[str, ...] = ("wedge",)
    prefix: str = ""
    """Characters the scanner sends before each code (programmed on the scanner); "" for none.
    Removed from the codes of the wedge and serial sources."""
    suffix: str = "enter"
    max_gap_ms: int = 30
    """Keys closer than this are a scanner (``scanning.burst_max_gap_ms``)."""
    min_length: int = 6
    """Shorter runs are typing (``scanning.burst_min_length``)."""
    partial_timeout_ms: int = 300
    """A code whose end does not arrive within this time is partial and refused."""
    strip_aim_id: bool = True
    """Remove a symbology identifier such as ``]E0`` that some scanners put before the code."""
    evdev_path: str = ""
    evdev_grab: bool = True
    serial_path: str = ""
    serial_baud: int = 9600

    @classmethod
    def from_config(cls, config: object) -> "ScannerSettings":
        """From a ``till.config.loader.Config``: its ``scanner`` section if it has one (else defaults)
        with the burst thresholds of its ``scanning`` section."""
        base = getattr(config, "scanner", None)
        settings = base if isinstance(base, cls) else cls()
        scanning = getattr(config, "scanning", None)
        if scanning is not None:
            settings = replace(settings, max_gap_ms=scanning.burst_max_gap_ms,
                                min_length=scanning.burst_min_length)
        return settings

    def validate(self) -> None:
        """Refuse settings that cannot work, naming the wrong value."""
        for source in self.sources:
            if source not in SOURCES:
                raise ScannerError(UNKNOWN_SOURCE, source=source)
        if "evdev" in self.sources and not self.evdev_path:
            raise ScannerError(SOURCE_WITHOUT_PATH, source="evdev", key="evdev_path")
        if "serial" in self.sources and not self.serial_path:
            raise ScannerError(SOURCE_WITHOUT_PATH, source="serial", key="serial_path")
        if self.suffix not in SUFFIXES:
            raise ScannerError(BAD_SUFFIX, suffix=self.suffix)
        if not 1 <= self.max_gap_ms <= 500:
            raise ScannerError(BAD_THRESHOLD, value=self.max_gap_ms)

    @property
    def end_chars(self) -> str:
        return SUFFIXES.get(self.suffix, "\r\n")

    @property
    def keyboard_end_chars(self) -> str:
        """What ends a code typed by a keyboard scanner: ``end_chars``, but Enter where the suffix
        is "etx", which a keyboard cannot type (it is set for a serial scanner beside the wedge)."""
        return "\r\n" if self.suffix == "etx" else self.end_chars


AIM_ID = re.compile(r"^\][A-Za-z][0-9A-Za-z]")


def clean_code(text: str, strip_aim_id: bool = True) -> str:
    """A received code without its symbology identifier (``]E0``) and surrounding blanks."""
    text = text.strip()
    if strip_aim_id and AIM_ID.match(text):
        text = text[3:]
    return text


# --- Keyboard wedge burst detection ---------------------------------------------------------

@dataclass(frozen=True)
class Scan:
    """A complete code from the scanner."""

    code: str


@dataclass(frozen=True)
class Typed:
    """Keys a person typed, to be given back to the focused field as they were."""

    text: str
    ended: bool = False
    """The person pressed Enter after ``text``: the field ends its input as usual."""


@dataclass(frozen=True)
class Partial:
    """A scanner burst that stopped before its end: refused, never half-entered."""

    text: str

    def error(self) -> ScannerError:
        return ScannerError(PARTIAL_CODE, chars=len(self.text))


Outcome = Scan | Typed | Partial


@dataclass
class BurstDetector:
    """Tells a scanner's burst of keys from a person typing, from key times alone.

    Why keep it free of Textual: the rule is the part worth testing, and the same detector
    serves the UI's wedge field (``events.Key.time``) and ``till devices test scanner`` reading
    a raw terminal over SSH. Feed every character with its monotonic time in seconds; printable
    keys are held back until the detector knows what they are:

    * with a ``prefix``: the prefix starts a code, whatever the timing, until the suffix;
    * without: a run of at least ``min_length`` keys, each within ``max_gap_ms`` of the
      previous, closed by the suffix, is a scan; anything slower is given back as typing.

    A fast run (or a prefixed one) whose suffix has not come ``partial_timeout_ms`` after its
    last key is ``Partial``. Call ``poll(now)`` from a timer so held keys are released.
    """

    prefix: str = ""
    end_chars: str = "\r\n"
    max_gap_ms: int = 30
    min_length: int = 6
    partial_timeout_ms: int = 300
    _held: list[str] = field(default_factory=list)
    _last: float | None = None
    _fast: bool = True
    _prefix_seen: int = 0
    _capturing: bool = False

    @classmethod
    def from_settings(cls, settings: ScannerSettings) -> "BurstDetector":
        return cls(prefix=settings.prefix, end_chars=settings.keyboard_end_chars, max_gap_ms=settings.max_gap_ms,
                   min_length=settings.min_length, partial_timeout_ms=settings.partial_timeout_ms)

    @property
    def holding(self) -> bool:
        """Keys are held back: the UI must not show them yet."""
        return bool(self._held) or self._prefix_seen > 0 or self._capturing

    def feed(self, char: str, now: float) -> list[Outcome]:
        """One key (a character; Enter as "\\r"/"\\n") at ``now``; what can be decided so far."""
        out = self.poll(now)
        gap_ok = self._last is None or (now - self._last) * 1000 <= self.max_gap_ms
        self._last = now
        if self._capturing:
            if char in self.end_chars and self.end_chars:
                code = "".join(self._held)
                self._reset()
                return out + [Scan(code)] if code else out
            self._held.append(char)
            return out
        if self.prefix and not self._held and char == self.prefix[self._prefix_seen]:
            self._prefix_seen += 1
            if self._prefix_seen == len(self.prefix):
                self._prefix_seen, self._capturing = 0, True
            return out
        if self._prefix_seen:  # not the prefix after all: those keys were typed
            out.append(Typed(self.prefix[:self._prefix_seen]))
            self._prefix_seen = 0
        if self.end_chars and char in self.end_chars:
            text = "".join(self._held)
            scan = self._fast and gap_ok and len(text) >= self.min_length
            self._reset()
            return out + [Scan(text) if scan else Typed(text, ended=True)]
        if not self._held:
            self._fast = True  # a new run starts
        elif not gap_ok:
            self._fast = False
        self._held.append(char)
        if not self._fast:  # a person: give the keys back at once, no more waiting
            out.append(Typed("".join(self._held)))
            self._held.clear()
        return out

    def poll(self, now: float) -> list[Outcome]:
        """Release what time has decided: slow keys are typing, a stalled fast run is partial."""
        if self._last is None or not self.holding:
            return []
        idle_ms = (now - self._last) * 1000
        if not self.end_chars and idle_ms > self.max_gap_ms and (
                self._capturing or (self._fast and len(self._held) >= self.min_length)):
            text = "".join(self._held)  # no suffix: silence ends the code
            self._reset()
            return [Scan(text)]
        if self._capturing or (self._fast and len(self._held) >= self.min_length):
            if idle_ms > self.partial_timeout_ms:
                text = "".join(self._held)
                self._reset()
                return [Partial(text)] if text else []  # a lone prefix: nothing to refuse
            return []
        if idle_ms > self.max_gap_ms:
            text = self.prefix[:self._prefix_seen] + "".join(self._held)
            self._reset()
            return [Typed(text)]
        return []

    def _reset(self) -> None:
        self._held.clear()
        self._fast, self._prefix_seen, self._capturing = True, 0, False
        self._last = None


# --- The hub ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScanEvent:
    """A code as the sale screen receives it, whatever scanner sent it."""

    code: str
    source: str
    notice: LayoutMismatch | None = None


@dataclass(frozen=True)
class SourceStatus:
    """A reader's state for the status line: "ready", "waiting" (retrying), "error"."""

    source: str
    state: str
    error: TillError | None = None


class Reader(Protocol):
    """A scanner reader run by the hub: blocks in ``run`` until ``stop`` is set."""

    name: str

    def run(self, emit: Callable[[str], None], stop: threading.Event,
            status: Callable[[str, TillError | None], None]) -> None: ...


def to_event(raw: str, source: str, strip_aim_id: bool = True, keyboard: bool = True) -> ScanEvent | None:
    """The event for a received code: cleaned, and decoded when a layout mismatch shows (only
    ``keyboard`` sources go through a keymap; a serial scanner's bytes are the code)."""
    code = clean_code(raw, strip_aim_id)
    if not code:
        return None
    notice = check_layout(code) if keyboard else None
    return ScanEvent(notice.code if notice else code, source, notice)


class ScannerHub:
    """Runs every configured reader in its own thread and hands each code to ``on_scan``.

    Why threads: the readers block on file descriptors, and none of them may ever hold up the UI
    loop; the callback is expected to hop onto it (``app.call_from_thread``). A reader that
    fails reports its status and is restarted after ``retry_s``: an unplugged scanner comes back
    by itself when plugged in again, and selling goes on with the others (or the keyboard).
    """

    def __init__(self, readers: Iterable[Reader], on_scan: Callable[[ScanEvent], None],
                 on_status: Callable[[SourceStatus], None] | None = None, *, strip_aim_id: bool = True,
                 retry_s: float = 2.0) -> None:
        self.readers = list(readers)
        self.on_scan = on_scan
        self.on_status = on_status or (lambda status: None)
        self.strip_aim_id = strip_aim_id
        self.retry_s = retry_s
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_status: dict[str, tuple[str, str]] = {}

    def start(self) -> "ScannerHub":
        for reader in self.readers:
            thread = threading.Thread(target=self._run, args=(reader,), name=f"scanner-{reader.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)

    def __enter__(self) -> "ScannerHub":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def deliver(self, source: str, raw: str) -> None:
        """Hand one received code to ``on_scan``; a failing callback never kills a reader."""
        event = to_event(raw, source, self.strip_aim_id, keyboard=not source.startswith("serial:"))
        if event is None:
            return
        try:
            self.on_scan(event)
        except Exception:  # noqa: BLE001 - the UI may be closing; the next scan tries again
            log.exception("scan %r from %s could not be delivered", event.code, source)

    def _status(self, source: str, state: str, error: TillError | None = None) -> None:
        shown = (state, str(error) if error else "")
        if state == "error" and self._last_status.get(source) == shown:
            return  # a reader retrying every few seconds reports its failure once
        self._last_status[source] = shown
        try:
            self.on_status(SourceStatus(source, state, error))
        except Exception:  # noqa: BLE001
            log.exception("scanner status could not be shown")

    def _run(self, reader: Reader) -> None:
        while not self._stop.is_set():
            try:
                reader.run(lambda code: self.deliver(reader.name, code), self._stop,
                           lambda state, error=None: self._status(reader.name, state, error))
            except TillError as error:
                log.warning("scanner %s: %s", reader.name, error)
                self._status(reader.name, "error", error)
            except Exception as error:  # noqa: BLE001 - a reader bug must not stop the others
                log.exception("scanner %s failed", reader.name)
                self._status(reader.name, "error", ScannerError(GARBAGE, path=reader.name)
                             if isinstance(error, UnicodeError) else None)
            self._stop.wait(self.retry_s)
