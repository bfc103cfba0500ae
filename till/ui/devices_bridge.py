"""Where the scanner threads and the customer display meet the running Textual app.

Why a module apart from ``app.py``: the devices live in threads (``devices.scanner.ScannerHub``,
``devices.display.DisplayFeed``) and must reach the UI only through ``app.call_from_thread``;
keeping that hop here lets the screens stay as they are. A code from evdev or a serial scanner
is posted as the same ``ScanInput.Scanned`` message a keyboard-wedge scan produces, on the
focused scan field, so every screen's existing ``on_scan_input_scanned`` handles it, whatever
the source. Device problems go to the screen's status line and never stop selling.

Call from ``TillApp.on_mount``::

    self.scanner_hub = start_scanner_hub(self, ScannerSettings.from_config(self.ctx.config))
    self.customer_display = CustomerDisplayFeed.start(self, DisplaySettings.from_config(self.ctx.config))

and ``stop_devices(self)`` when the app exits.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from textual import events

from devices.display import (
    CHANGE,
    CHANGE_GIVEN,
    DISPLAY_PROBLEM,
    DISPLAY_UNAVAILABLE,
    THANK_YOU,
    TOTAL_TO_PAY,
    DisplayFeed,
    DisplaySettings,
    Screen,
    make_display,
)
from devices.scanner import (
    SCAN_NOT_TAKEN,
    SCANNER_BACK,
    SCANNER_PROBLEM,
    BurstDetector,
    Partial,
    Scan,
    ScanEvent,
    ScannerHub,
    ScannerSettings,
    SourceStatus,
    to_event,
)
from devices.scanner_readers import make_readers
from till.errors import TillError
from till.i18n import translate
from till.money import format_cents
from till.ui.widgets.scan_input import END_KEYS, ScanInput

log = logging.getLogger("till.ui.devices")


# --- scanner ----------------------------------------------------------------------------------

def _scan_field(app: Any):
    """The scan field a code should go to: the focused one, else the screen's first."""
    focused = app.focused
    if isinstance(focused, ScanInput):
        return focused
    try:
        fields = app.screen.query(ScanInput)
    except Exception:  # noqa: BLE001 - a screen being replaced
        return None
    return fields.first() if fields else None


def deliver_scan(app: Any, event: ScanEvent) -> bool:
    """Post ``event`` as ``ScanInput.Scanned`` on the current scan field (UI thread only).

    Returns False, and says so on the status line, when the screen takes no code (a PIN
    dialog): the code is dropped rather than typed into a field that did not ask for it.
    """
    field = _scan_field(app)
    if field is None:
        _show(app, translate(SCAN_NOT_TAKEN, code=event.code))
        return False
    if event.notice is not None:
        _notice(app, event.notice.text())
    field.post_message(field.Scanned(field, event.code))
    return True


def _notice(app: Any, text: str) -> None:
    """A note beside the scan (a keyboard layout to fix): a toast, because the screen's status
    line is about to say what the scan added and would hide it."""
    app.notify(text, severity="warning", timeout=15)


def _show(app: Any, text: str, error: bool = True) -> None:
    screen = app.screen
    method = getattr(screen, "show_error" if error else "show_info", None)
    if method is not None:
        method(text)
    else:
        app.notify(text, severity="error" if error else "information", timeout=8)


def _scanner_status(app: Any, status: SourceStatus, came_back: bool = False) -> None:
    if status.error is not None:
        _show(app, translate(SCANNER_PROBLEM, reason=status.error.text()))
    elif came_back:
        _show(app, translate(SCANNER_BACK, source=status.source), error=False)


def start_scanner_hub(app: Any, settings: ScannerSettings) -> ScannerHub | None:
    """Start the evdev/serial readers of ``settings``; ``None`` when only the wedge is used.

    A reader whose device is missing keeps retrying in its thread and reports once; the
    callbacks block their reader only until the UI loop has taken the code.
    """
    readers = make_readers(settings)
    if not readers:
        return None

    def on_scan(event: ScanEvent) -> None:
        app.call_from_thread(deliver_scan, app, event)

    failed: set[str] = set()

    def on_status(status: SourceStatus) -> None:
        came_back = status.state == "ready" and status.source in failed
        if status.state == "error":
            failed.add(status.source)
        elif status.state == "ready":
            failed.discard(status.source)
        app.call_from_thread(_scanner_status, app, status, came_back)

    return ScannerHub(readers, on_scan, on_status, strip_aim_id=settings.strip_aim_id).start()


# --- keyboard wedge ---------------------------------------------------------------------------

def wedge_code(text: str, settings: ScannerSettings | None = None) -> tuple[str, str | None]:
    """A code typed by a wedge scanner, without its prefix or AIM identifier, decoded when the
    keyboard layouts of scanner and console differ; with the note to show, if any."""
    settings = settings or ScannerSettings()
    code = text.strip()
    if settings.prefix and settings.prefix in code:  # also after a typed quantity ("3*")
        code = code.replace(settings.prefix, "", 1)
    event = to_event(code, "wedge", settings.strip_aim_id)
    if event is None:
        return "", None
    return event.code, (event.notice.text() if event.notice is not None else None)


class WedgeScanInput(ScanInput):
    """A ``ScanInput`` that also knows what the scanner's timing says.

    Keys go into the field as before (a person sees what they type at once); a ``BurstDetector``
    watches their times alongside. Enter ends the code as in ``ScanInput``, with the scanner's
    prefix and AIM identifier removed and a keyboard layout mismatch decoded (and explained on
    the status line). A burst that stops with no Enter is a partial scan: the field is emptied
    and the cashier told to scan again, so half a barcode never meets the next one.
    """

    POLL_S = 0.1

    def __init__(self, *args: Any, settings: ScannerSettings | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        self._detector: BurstDetector | None = None
        self._lag_s = 0.0
        """How long after the terminal read it the last key was handled (a busy till lags)."""

    def on_mount(self) -> None:
        if self.settings is None:
            self.settings = getattr(self.app, "scanner_settings", None) or ScannerSettings()
        self._detector = BurstDetector.from_settings(self.settings)
        self.set_interval(self.POLL_S, self._poll)

    async def _on_key(self, event: events.Key) -> None:
        detector = self._detector
        tab_ends = self.settings is not None and self.settings.suffix == "tab"
        ended = event.key in END_KEYS or (tab_ends and event.key == "tab")
        outcomes = []
        if detector is not None and (ended or event.is_printable):
            self._lag_s = max(0.0, time.monotonic() - event.time)
            outcomes = detector.feed(("\t" if event.key == "tab" else "\r") if ended else (event.character or ""),
                                     event.time)
        if not ended:
            return  # ScanInput and Input insert the character as usual
        event.stop()
        event.prevent_default()
        self._end_code(keyed=None if detector is None else not any(isinstance(o, Scan) for o in outcomes))

    def _end_code(self, keyed: bool | None = None) -> None:
        """Post the field's code; ``keyed`` says whether the detector saw typing or a burst (a
        return records it: codes keyed rather than scanned are a cashier signal)."""
        self.insert_typed()
        code, note = wedge_code(self.value, self.settings)
        self.value = ""
        if note:
            _notice(self.app, note)
        if code:
            self.post_message(self.Scanned(self, code, keyed))

    def _poll(self) -> None:
        if self._detector is None:
            return
        # Silence counts from when the last key was handled, not from when it was read: on a
        # busy till this timer can run between a burst's last digit and its Enter, still queued,
        # a long time after the keys were read; that code is not a partial scan.
        for outcome in self._detector.poll(time.monotonic() - self._lag_s):
            if isinstance(outcome, Partial):
                self.value = ""
                _show(self.app, outcome.error().text())
            elif isinstance(outcome, Scan):  # suffix "none": the burst's silence ended it
                self._end_code(keyed=False)


# --- customer display -------------------------------------------------------------------------

class CustomerDisplayFeed:
    """What the customer sees on the pole display, kept in step with the sale screen.

    Every method returns at once: the text goes to a ``DisplayFeed`` worker that writes with a
    timeout and keeps only the newest screen. With ``driver = "none"`` every call does nothing.
    Texts and amounts follow the shop's locale (``shop.locale``), as receipts do, not the
    cashier's screen language.
    """

    def __init__(self, feed: DisplayFeed, settings: DisplaySettings, locale: str = "fr") -> None:
        self.feed = feed
        self.settings = settings
        self.locale = locale

    @classmethod
    def start(cls, app: Any, settings: DisplaySettings, locale: str | None = None) -> "CustomerDisplayFeed":
        def on_status(state: str, error: TillError | None) -> None:
            if state != "error":
                return
            text = (translate(DISPLAY_PROBLEM, reason=error.text()) if error is not None
                    else translate(DISPLAY_UNAVAILABLE))
            try:
                app.call_from_thread(_show, app, text)
            except Exception:  # noqa: BLE001 - the app is closing
                log.warning("customer display: %s", text)

        config = getattr(getattr(app, "ctx", None), "config", None)
        locale = locale or (config.shop.locale if config is not None else "fr")
        return cls(DisplayFeed(make_display(settings), on_status).start(), settings, locale)

    def _money(self, cents: int) -> str:
        return format_cents(cents, self.locale)

    def on_line_added(self, label: str, quantity: int | str, line_cents: int) -> None:
        """An item was scanned: its label on top, quantity and line amount below."""
        self.feed.show(Screen(label, f"{quantity} x" if str(quantity) not in ("1", "") else "",
                              self._money(line_cents)))

    def on_total(self, total_cents: int) -> None:
        self.feed.show(Screen(translate(TOTAL_TO_PAY, self.locale), "", self._money(total_cents)))

    def on_change(self, change_cents: int) -> None:
        self.feed.show(Screen(translate(CHANGE_GIVEN, self.locale), "", self._money(change_cents)))

    def on_paid(self, change_cents: int) -> None:
        """After payment: thanks on top and, when cash is given back, the change below."""
        thanks = self.settings.thank_you or translate(THANK_YOU, self.locale)
        self.feed.show(Screen(thanks, translate(CHANGE, self.locale) if change_cents else "",
                              self._money(change_cents) if change_cents else ""))

    def on_thank_you(self) -> None:
        self.feed.show(Screen(self.settings.thank_you or translate(THANK_YOU, self.locale)))

    def stop(self) -> None:
        self.feed.stop()


def stop_devices(app: Any) -> None:
    """Stop the hub and the display feed started on ``app`` (attributes set in on_mount)."""
    for name in ("scanner_hub", "customer_display"):
        device = getattr(app, name, None)
        if device is not None:
            try:
                device.stop()
            except Exception:  # noqa: BLE001 - quitting must not fail on a device
                log.exception("could not stop %s", name)
