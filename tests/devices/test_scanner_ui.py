"""Scans inside the running app: a serial scan reaches the screen as a wedge scan does, and the
wedge field strips prefixes, refuses partial bursts and explains a keyboard layout mismatch."""

from __future__ import annotations

import time

from tests.support.devices import mangle
from devices.keyboard_layout import US_ON_AZERTY
from devices.scanner import ScannerSettings

NUTELLA = "3017620422003"


# --- into the running app ----------------------------------------------------------------------

async def test_a_serial_scan_reaches_the_screen_as_a_wedge_scan_does(serial_scanner):
    from textual.app import App

    from till.ui.devices_bridge import start_scanner_hub
    from till.ui.widgets.scan_input import ScanInput

    class Probe(App):
        def __init__(self):
            super().__init__()
            self.codes = []

        def compose(self):
            yield ScanInput(id="scan")

        def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
            self.codes.append((message.control.id, message.code))

    app = Probe()
    async with app.run_test() as pilot:
        app.query_one(ScanInput).focus()
        hub = start_scanner_hub(app, ScannerSettings(sources=("wedge", "serial"), serial_path=serial_scanner.path))
        try:
            await pilot.pause(0.3)
            serial_scanner.scan(NUTELLA)
            for _ in range(100):
                await pilot.pause(0.02)
                if app.codes:
                    break
            await pilot.press(*"12345670", "enter")  # the keyboard wedge path, same handler
            await pilot.pause(0.1)
        finally:
            hub.stop()
    assert app.codes == [("scan", NUTELLA), ("scan", "12345670")]


# --- the wedge field ----------------------------------------------------------------------------

async def burst(app, text: str, gap_s: float = 0.002, start: float | None = None) -> None:
    """Keys as a scanner's burst reaches the app: the terminal parser stamps them ms apart
    (Pilot's ``press`` waits ~60 ms between keys, which is a person's speed), from ``start``
    (a monotonic time; now by default)."""
    from textual import events
    from textual.keys import _character_to_key

    start = time.monotonic() if start is None else start
    for index, char in enumerate(text):
        key = events.Key(_character_to_key(char), char)
        key.time = start + index * gap_s
        app.post_message(key)


def wedge_probe(settings):
    from textual.app import App
    from textual.screen import Screen

    from till.ui.devices_bridge import WedgeScanInput
    from till.ui.widgets.scan_input import ScanInput

    class Sale(Screen):
        def __init__(self):
            super().__init__()
            self.codes, self.errors, self.infos = [], [], []

        def compose(self):
            yield WedgeScanInput(id="scan", settings=settings)

        def on_mount(self):
            self.query_one(WedgeScanInput).focus()

        def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
            self.codes.append(message.code)

        def show_error(self, text):
            self.errors.append(text)

        def show_info(self, text):
            self.infos.append(text)

    class Probe(App):
        notes: list = []

        def on_mount(self):
            self.notes = []
            self.push_screen(Sale())

        def notify(self, message, **kwargs):
            self.notes.append((message, kwargs.get("severity")))

    return Probe()


async def test_wedge_field_decodes_a_layout_mismatch_and_explains_it():
    from till.i18n import set_language

    set_language("en")
    try:
        app = wedge_probe(ScannerSettings())
        async with app.run_test() as pilot:
            await pilot.pause()
            await pilot.press(*mangle(NUTELLA, US_ON_AZERTY), "enter")
            await pilot.pause(0.05)
            screen = app.screen
            assert screen.codes == [NUTELLA]
            assert "US (QWERTY) layout on a French (AZERTY) keyboard" in app.notes[0][0]
            assert app.notes[0][1] == "warning"
    finally:
        set_language("fr")


async def test_wedge_field_strips_the_prefix_and_refuses_a_partial_burst():
    from till.i18n import set_language

    set_language("en")
    try:
        app = wedge_probe(ScannerSettings(prefix="~", partial_timeout_ms=200))
        async with app.run_test() as pilot:
            await pilot.pause()
            await pilot.press(*"~" + NUTELLA, "enter")   # ~60 ms a key: only the prefix says "scanner"
            await pilot.pause(0.05)
            await burst(app, NUTELLA[:9])                  # a real burst that stops half-way
            await pilot.pause(0.5)
            field = app.screen.query_one("#scan")
            assert field.value == ""
            assert app.screen.codes == [NUTELLA]
            assert "Partial scan refused (9 characters" in app.screen.errors[0]
            await pilot.press(*"42", "enter")            # typing still works, and ends on Enter
            await pilot.pause(0.05)
            assert app.screen.codes == [NUTELLA, "42"]
    finally:
        set_language("fr")


async def test_a_burst_handled_late_by_a_busy_till_is_not_a_partial_scan():
    """A loaded till handles a burst's keys well after the terminal read (and stamped) them:
    the timer that looks for stalled bursts may then run between the last digit and the Enter
    still queued behind it. The silence it measures starts when the last key was handled, not
    when it was read, so the code is not thrown away as a partial scan."""
    app = wedge_probe(ScannerSettings(partial_timeout_ms=300))
    async with app.run_test() as pilot:
        await pilot.pause()
        read_at = time.monotonic() - 1.0  # read a second ago; the till is only now handling them
        await burst(app, NUTELLA, start=read_at)
        await pilot.pause()
        app.screen.query_one("#scan")._poll()  # the stalled-burst timer fires before the Enter
        from textual import events

        enter = events.Key("enter", "\r")
        enter.time = read_at + 0.03
        app.post_message(enter)
        await pilot.pause(0.05)
        assert app.screen.codes == [NUTELLA]
        assert app.screen.errors == []


async def test_wedge_field_with_a_tab_suffix_or_none():
    app = wedge_probe(ScannerSettings(suffix="tab"))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press(*NUTELLA, "tab")
        await pilot.pause(0.05)
        assert app.screen.codes == [NUTELLA]
        assert app.screen.focused is app.screen.query_one("#scan")  # the Tab did not move the focus
    app = wedge_probe(ScannerSettings(suffix="none"))
    async with app.run_test() as pilot:
        await pilot.pause()
        await burst(app, NUTELLA)
        await pilot.pause(0.4)
        assert app.screen.codes == [NUTELLA]
        assert app.screen.query_one("#scan").value == ""


async def test_a_scan_on_a_screen_without_a_scan_field_is_dropped_and_said():
    from textual.app import App
    from textual.widgets import Input

    from devices.scanner import ScanEvent
    from till.i18n import set_language
    from till.ui.devices_bridge import deliver_scan

    class PinDialog(App):
        notes: list = []

        def compose(self):
            yield Input(password=True, id="pin")

        def notify(self, message, **kwargs):
            self.notes.append(message)

    set_language("en")
    try:
        app = PinDialog()
        async with app.run_test() as pilot:
            app.query_one("#pin").focus()
            assert deliver_scan(app, ScanEvent(NUTELLA, "serial:/dev/ttyACM0")) is False
            await pilot.pause()
            assert app.query_one("#pin").value == ""
            assert app.notes == [f"A code was scanned, but this screen takes none: {NUTELLA}"]
    finally:
        set_language("fr")
