"""Scanners: wedge bursts, keyboard layout mismatch, evdev records, serial lines, one hub.

Evdev is exercised with real ``struct input_event`` records written into a pipe (no
/dev/uinput here), serial scanners with real bytes on a pty driven by the simulator.
"""

from __future__ import annotations

import errno
import itertools
import os
import threading
import time

import pytest

from tests.support.devices import close_quietly, mangle, typed, wait_until
from devices import evdev_reader
from devices.evdev_reader import EVIOCGRAB, EvdevReader, KeyDecoder, decode_events
from devices.scanner_readers import make_readers
from devices.keyboard_layout import (
    AZERTY_ON_US, LAYOUT_AZERTY_ON_US, LAYOUT_US_ON_AZERTY, US_ON_AZERTY, check_layout,
)
from devices.scanner import (
    BurstDetector, Partial, Scan, ScannerError, ScannerHub, ScannerSettings, Typed, clean_code,
)
from devices.serial_reader import SerialReader
from till.scanning import is_valid_gtin

NUTELLA = "3017620422003"


def feed(detector: BurstDetector, text: str, start: float = 100.0, gap_ms: float = 2.0) -> list:
    out = []
    for index, char in enumerate(text):
        out += detector.feed(char, start + index * gap_ms / 1000)
    return out


# --- wedge burst detection ------------------------------------------------------------------

def test_a_fast_burst_ended_by_enter_is_a_scan():
    assert feed(BurstDetector(), NUTELLA + "\r") == [Scan(NUTELLA)]


def test_lf_also_ends_a_code():
    assert feed(BurstDetector(), NUTELLA + "\n") == [Scan(NUTELLA)]


def test_slow_keys_are_given_back_as_typing_at_once():
    detector = BurstDetector()
    outcomes = feed(detector, "1234567\r", gap_ms=95)
    assert "".join(o.text for o in outcomes if isinstance(o, Typed)) == "1234567"
    assert outcomes[-1] == Typed("", ended=True)
    assert not any(isinstance(o, Scan) for o in outcomes)


def test_a_short_fast_run_is_typing():
    assert feed(BurstDetector(min_length=6), "42\r") == [Typed("42", ended=True)]


def test_the_threshold_is_configurable():
    assert feed(BurstDetector(max_gap_ms=30), NUTELLA + "\r", gap_ms=40) != [Scan(NUTELLA)]
    assert feed(BurstDetector(max_gap_ms=50), NUTELLA + "\r", gap_ms=40) == [Scan(NUTELLA)]


def test_held_keys_are_released_when_the_person_stops():
    detector = BurstDetector()
    assert detector.feed("4", 10.0) == []
    assert detector.holding
    assert detector.poll(10.05) == [Typed("4")]
    assert not detector.holding


def test_a_prefix_makes_a_scan_whatever_the_timing():
    detector = BurstDetector(prefix="§")
    assert feed(detector, "§" + NUTELLA + "\r", gap_ms=80) == [Scan(NUTELLA)]


def test_a_character_that_only_starts_like_the_prefix_is_typing():
    detector = BurstDetector(prefix="]]")
    outcomes = feed(detector, "]x", gap_ms=100)
    assert "".join(o.text for o in outcomes if isinstance(o, Typed)) + "".join(
        o.text for o in detector.poll(200) if isinstance(o, Typed)) == "]x"


def test_a_burst_without_its_end_is_refused_as_partial():
    detector = BurstDetector(partial_timeout_ms=300)
    assert feed(detector, NUTELLA[:9]) == []
    assert detector.poll(100.0 + 0.1) == []
    outcome = detector.poll(100.0 + 0.5)
    assert outcome == [Partial(NUTELLA[:9])]
    assert "Partial scan refused (9 characters" in outcome[0].error().text("en")
    assert "Lecture partielle refusée" in outcome[0].error().text("fr")


def test_a_prefixed_code_without_its_end_is_partial():
    detector = BurstDetector(prefix="§")
    feed(detector, "§3017")
    assert detector.poll(101.0) == [Partial("3017")]


def test_a_lone_prefix_expires_without_capturing_what_follows():
    detector = BurstDetector(prefix="§")
    assert detector.feed("§", 10.0) == [] and detector.holding
    assert detector.poll(11.0) == [] and not detector.holding
    assert feed(detector, "42\r", start=12.0, gap_ms=100) == [Typed("4"), Typed("2"), Typed("", ended=True)]


def test_with_no_suffix_silence_ends_a_code():
    detector = BurstDetector(end_chars="")
    assert feed(detector, NUTELLA) == []
    assert detector.poll(100.0 + 0.2) == [Scan(NUTELLA)]


def test_settings_feed_the_detector():
    settings = ScannerSettings(prefix="~", suffix="tab", max_gap_ms=45, min_length=8)
    detector = BurstDetector.from_settings(settings)
    assert (detector.prefix, detector.end_chars, detector.max_gap_ms, detector.min_length) == ("~", "\t", 45, 8)


def test_an_etx_suffix_for_a_serial_scanner_leaves_the_wedge_ending_on_enter():
    # a keyboard cannot type ETX: with ["wedge", "serial"] and suffix "etx", wedge codes end on Enter
    detector = BurstDetector.from_settings(ScannerSettings(sources=("wedge", "serial"), serial_path="/dev/ttyACM0",
                                                           prefix="\x02", suffix="etx"))
    assert feed(detector, NUTELLA + "\r") == [Scan(NUTELLA)]


# --- keyboard layout mismatch ------------------------------------------------------------------

def test_us_scanner_on_an_azerty_console_is_recognised_decoded_and_explained():
    seen = mangle(NUTELLA, US_ON_AZERTY)
    assert seen == "\"à&è-éà'ééàà\""
    found = check_layout(seen)
    assert found is not None and found.code == NUTELLA and found.message == LAYOUT_US_ON_AZERTY
    assert "US (QWERTY)" in found.text("en") and NUTELLA in found.text("en")
    assert "réglez le scanner en français" in found.text("fr").lower()


def test_every_digit_of_the_azerty_row():
    assert check_layout("&é\"'(-è_çà").code == "1234567890"


def test_azerty_scanner_on_a_us_console():
    found = check_layout(mangle(NUTELLA, AZERTY_ON_US))
    assert found.code == NUTELLA and found.message == LAYOUT_AZERTY_ON_US


def test_ambiguous_characters_are_settled_by_the_check_digit():
    # '&' and '(' are in both tables (1 and 5 on one side, 7 and 9 on the other): take a valid
    # EAN-8 written with 7s and 9s only, as an AZERTY scanner on a US console types it.
    code = next("".join(c) for c in itertools.product("79", repeat=8) if is_valid_gtin("".join(c)))
    found = check_layout(mangle(code, AZERTY_ON_US))
    assert found.code == code and found.message == LAYOUT_AZERTY_ON_US


@pytest.mark.parametrize("text", [NUTELLA, "AB-123-X", "é", "((", "3*" + NUTELLA])
def test_ordinary_codes_are_not_a_mismatch(text):
    assert check_layout(text) is None


def test_aim_identifiers_are_removed():
    assert clean_code("]E0" + NUTELLA) == NUTELLA
    assert clean_code("]E0" + NUTELLA, strip_aim_id=False) == "]E0" + NUTELLA


# --- settings -------------------------------------------------------------------------------

@pytest.mark.parametrize("settings, words", [
    (ScannerSettings(sources=("wedge", "bluetooth")), "Unknown scanner source bluetooth"),
    (ScannerSettings(sources=("evdev",)), "needs a device path (evdev_path"),
    (ScannerSettings(sources=("serial",)), "needs a device path (serial_path"),
    (ScannerSettings(suffix="space"), "Unknown scanner suffix space: use enter, tab, etx or none"),
    (ScannerSettings(max_gap_ms=0), "threshold"),
])
def test_unusable_settings_are_refused(settings, words):
    with pytest.raises(ScannerError) as refused:
        settings.validate()
    assert words in refused.value.text("en")


def test_burst_thresholds_come_from_the_scanning_section():
    class Scanning:
        burst_max_gap_ms, burst_min_length = 45, 8

    class Config:
        scanner = ScannerSettings(sources=("wedge",), prefix="~")
        scanning = Scanning()

    settings = ScannerSettings.from_config(Config())
    assert (settings.max_gap_ms, settings.min_length, settings.prefix) == (45, 8, "~")


# --- evdev ------------------------------------------------------------------------------------

def test_decoder_tracks_shift_and_ctrl():
    decoder = KeyDecoder()
    events = decode_events(typed("Ab-1\x1d9"))
    results = [decoder.key(code, value) for kind, code, value in events if kind == 1]
    assert [r for r in results if r] == ["Ab-1\x1d9"]


class Pipe:
    """A pipe standing for /dev/input/eventN: the reader gets its read end."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()

    def opener(self, path: str) -> int:
        return self.read_fd

    def write(self, data: bytes, split: int = 0) -> None:
        if split:  # the kernel hands records over in any chunking; halves must be joined
            os.write(self.write_fd, data[:split])
            time.sleep(0.05)
            data = data[split:]
        os.write(self.write_fd, data)


def run_hub(readers):
    codes, statuses = [], []
    hub = ScannerHub(readers, codes.append, statuses.append, retry_s=0.1).start()
    return hub, codes, statuses


def test_evdev_records_become_codes():
    pipe = Pipe()
    hub, codes, statuses = run_hub([EvdevReader("/dev/input/event-test", grab=False, opener=pipe.opener)])
    try:
        pipe.write(typed(NUTELLA), split=37)
        pipe.write(typed("Code-128x"))  # an internal Code 128 label: Shift for the capital
        assert wait_until(lambda: len(codes) == 2)
        assert [c.code for c in codes] == [NUTELLA, "Code-128x"]
        assert codes[0].source == "evdev:/dev/input/event-test"
    finally:
        hub.stop()
        close_quietly(pipe.write_fd)


def test_evdev_grabs_the_device_exclusively(monkeypatch):
    calls = []
    monkeypatch.setattr(evdev_reader.fcntl, "ioctl", lambda fd, request, arg: calls.append((request, arg)))
    pipe = Pipe()
    hub, codes, statuses = run_hub([EvdevReader("/dev/input/event-test", grab=True, opener=pipe.opener)])
    try:
        pipe.write(typed("12345678"))
        assert wait_until(lambda: codes)
        assert calls == [(EVIOCGRAB, 1)]
        assert EVIOCGRAB == 0x40044590
    finally:
        hub.stop()
        close_quietly(pipe.write_fd)


def test_evdev_device_held_by_another_program_is_explained(monkeypatch):
    def busy(fd, request, arg):
        raise OSError(errno.EBUSY, "Device or resource busy")

    monkeypatch.setattr(evdev_reader.fcntl, "ioctl", busy)
    pipe = Pipe()
    hub, codes, statuses = run_hub([EvdevReader("/dev/input/event-test", opener=pipe.opener)])
    try:
        assert wait_until(lambda: statuses)
        assert statuses[0].state == "error"
        assert "is busy: another program holds it" in statuses[0].error.text("en")
    finally:
        hub.stop()
        close_quietly(pipe.write_fd)


def test_evdev_partial_code_is_refused_and_so_is_its_tail():
    pipe = Pipe()
    reader = EvdevReader("/dev/input/event-test", grab=False, opener=pipe.opener, partial_timeout_s=0.2)
    hub, codes, statuses = run_hub([reader])
    try:
        pipe.write(typed(NUTELLA[:6], enter=False))
        assert wait_until(lambda: any(s.state == "partial" for s in statuses))
        pipe.write(typed(NUTELLA[6:]))           # the rest, late: not a code on its own
        time.sleep(1.1)
        pipe.write(typed(NUTELLA))               # the cashier scans again
        assert wait_until(lambda: codes)
        time.sleep(0.1)
        assert [c.code for c in codes] == [NUTELLA]
        partial = [s for s in statuses if s.state == "partial"]
        assert len(partial) == 2 and "6 characters" in partial[0].error.text("en")
    finally:
        hub.stop()
        close_quietly(pipe.write_fd)


def test_evdev_device_unplugged_is_reported():
    pipe = Pipe()
    hub, codes, statuses = run_hub([EvdevReader("/dev/input/event-test", grab=False, opener=pipe.opener)])
    try:
        assert wait_until(lambda: statuses)
        os.close(pipe.write_fd)                    # end of file: the device went away
        assert wait_until(lambda: any(s.state == "error" for s in statuses))
        error = [s for s in statuses if s.state == "error"][0].error
        assert "stopped answering or was unplugged" in error.text("en")
    finally:
        hub.stop()


def test_evdev_path_missing_or_forbidden_names_the_fix():
    hub, codes, statuses = run_hub([EvdevReader("/dev/input/by-id/usb-none-event-kbd", grab=False)])
    try:
        assert wait_until(lambda: statuses)
        assert "does not exist" in statuses[0].error.text("en")
    finally:
        hub.stop()

    def forbidden(path):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    hub, codes, statuses = run_hub([EvdevReader("/dev/input/by-id/usb-scanner-event-kbd", opener=forbidden)])
    try:
        assert wait_until(lambda: statuses)
        error = statuses[0].error
        assert error.group == "input"
        assert "add user" in error.text("en") and "to group input (sudo usermod -aG input" in error.text("en")
        assert "au groupe input" in error.text("fr")
    finally:
        hub.stop()


def test_a_us_scanner_read_through_evdev_needs_no_layout_fix():
    pipe = Pipe()
    hub, codes, statuses = run_hub([EvdevReader("/dev/input/event-test", grab=False, opener=pipe.opener)])
    try:
        pipe.write(typed(NUTELLA))
        assert wait_until(lambda: codes)
        assert codes[0].notice is None
    finally:
        hub.stop()
        close_quietly(pipe.write_fd)


# --- serial / CDC-ACM -------------------------------------------------------------------------

def test_serial_lines_become_codes(serial_scanner):
    hub, codes, statuses = run_hub([SerialReader(serial_scanner.path)])
    try:
        assert wait_until(lambda: statuses and statuses[0].state == "ready")
        serial_scanner.scan(NUTELLA)
        serial_scanner.scan("0103012345678900" + "3103001250\x1d3922000499", aim_id="]C1")
        assert wait_until(lambda: len(codes) == 2)
        assert codes[0].code == NUTELLA and codes[0].source == f"serial:{serial_scanner.path}"
        assert codes[1].code == "0103012345678900" + "3103001250\x1d3922000499"  # GS kept for GS1 parsing
    finally:
        hub.stop()


@pytest.mark.parametrize("prefix, suffix, sent_prefix, sent_suffix", [
    ("\x02", "etx", b"\x02", b"\x03"),          # STX code ETX, nothing after
    ("\x02", "etx", b"\x02", b"\x03\r\n"),      # STX code ETX CR LF
    ("", "tab", b"", b"\t"),                     # a TAB after each code
    ("~", "enter", b"~", b"\r"),                 # a printable prefix
    ("", "none", b"", b""),                       # nothing at all: silence ends a code
])
def test_serial_scanners_honour_the_prefix_and_suffix(prefix, suffix, sent_prefix, sent_suffix):
    from devices.simulators.serial_scanner_sim import SerialScannerSimulator

    sim = SerialScannerSimulator(prefix=sent_prefix, suffix=sent_suffix, aim_id="]E0")
    settings = ScannerSettings(sources=("serial",), serial_path=sim.path, prefix=prefix, suffix=suffix)
    hub, codes, statuses = run_hub(make_readers(settings))
    try:
        assert wait_until(lambda: statuses and statuses[0].state == "ready")
        sim.scan(NUTELLA)
        if suffix != "none":
            sim.scan("12345670")  # right behind the first, in the same burst of bytes
        else:
            assert wait_until(lambda: codes)
            time.sleep(0.3)
            sim.scan("12345670")
        assert wait_until(lambda: len(codes) == 2)
        time.sleep(0.3)
        assert [c.code for c in codes] == [NUTELLA, "12345670"]
        assert [s.state for s in statuses] == ["ready"]
    finally:
        hub.stop()
        sim.unplug()


def test_stx_etx_framing_is_read_without_settings():
    from devices.simulators.serial_scanner_sim import SerialScannerSimulator

    sim = SerialScannerSimulator(prefix=b"\x02", suffix=b"\x03")
    hub, codes, statuses = run_hub([SerialReader(sim.path)])
    try:
        assert wait_until(lambda: statuses)
        sim.scan(NUTELLA)
        sim.scan("12345670")
        assert wait_until(lambda: len(codes) == 2)
        assert [c.code for c in codes] == [NUTELLA, "12345670"]
    finally:
        hub.stop()
        sim.unplug()


def test_serial_garbage_and_partial_codes_are_refused(serial_scanner):
    hub, codes, statuses = run_hub([SerialReader(serial_scanner.path, partial_timeout_s=0.2)])
    try:
        assert wait_until(lambda: statuses)
        serial_scanner.garbage()
        serial_scanner.partial(NUTELLA, 7)
        assert wait_until(lambda: any(s.state == "partial" for s in statuses))
        serial_scanner.send(NUTELLA[7:].encode() + b"\r")   # its tail
        time.sleep(1.1)
        serial_scanner.scan(NUTELLA)
        assert wait_until(lambda: codes)
        time.sleep(0.1)
        assert [c.code for c in codes] == [NUTELLA]
        states = [s.state for s in statuses]
        assert "garbage" in states and states.count("partial") == 2
        garbage = next(s for s in statuses if s.state == "garbage")
        assert "unreadable data" in garbage.error.text("en")
    finally:
        hub.stop()


def test_serial_scanner_unplugged_then_missing(serial_scanner):
    hub, codes, statuses = run_hub([SerialReader(serial_scanner.path)])
    try:
        assert wait_until(lambda: statuses)
        serial_scanner.unplug()
        assert wait_until(lambda: any(s.state == "error" for s in statuses))
        texts = [s.error.text("en") for s in statuses if s.error]
        assert any("unplugged" in t or "does not exist" in t for t in texts)
    finally:
        hub.stop()


def test_serial_permission_denied_names_dialout():
    import serial

    def forbidden(*args, **kwargs):
        raise serial.SerialException(errno.EACCES, "could not open port /dev/ttyACM0: [Errno 13] Permission denied")

    reader = SerialReader("/dev/ttyACM0", open_port=forbidden)
    with pytest.raises(Exception) as refused:
        reader.run(lambda code: None, threading.Event(), lambda state, error: None)
    assert "to group dialout" in refused.value.text("en")


# --- one hub, one handler ---------------------------------------------------------------------

def test_every_source_reaches_the_same_handler(serial_scanner):
    pipe = Pipe()
    readers = [SerialReader(serial_scanner.path), EvdevReader("/dev/input/event-test", grab=False, opener=pipe.opener)]
    hub, codes, statuses = run_hub(readers)
    try:
        assert wait_until(lambda: len(statuses) == 2)
        serial_scanner.scan("12345670")
        pipe.write(typed(NUTELLA))
        assert wait_until(lambda: len(codes) == 2)
        assert sorted(c.code for c in codes) == sorted(["12345670", NUTELLA])
        assert {c.source.split(":")[0] for c in codes} == {"serial", "evdev"}
    finally:
        hub.stop()
        close_quietly(pipe.write_fd)


def test_a_failing_handler_does_not_stop_the_reader(serial_scanner):
    seen = []

    def handler(event):
        seen.append(event.code)
        raise RuntimeError("the UI is closing")

    hub = ScannerHub([SerialReader(serial_scanner.path)], handler).start()
    try:
        time.sleep(0.2)
        serial_scanner.scan("12345670")
        serial_scanner.scan(NUTELLA)
        assert wait_until(lambda: len(seen) == 2)
    finally:
        hub.stop()


def test_make_readers_builds_what_the_settings_name():
    settings = ScannerSettings(sources=("wedge", "evdev", "serial"), evdev_path="/dev/input/event3",
                               serial_path="/dev/ttyACM0")
    assert [r.name for r in make_readers(settings)] == ["evdev:/dev/input/event3", "serial:/dev/ttyACM0"]
    assert make_readers(ScannerSettings()) == []


def test_a_scanner_plugged_back_in_is_read_again():
    pipe = Pipe()
    attempts = []

    def plugged_on_second_try(path):
        attempts.append(path)
        if len(attempts) == 1:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return pipe.read_fd

    hub, codes, statuses = run_hub([EvdevReader("/dev/till-scanner", grab=False, opener=plugged_on_second_try)])
    try:
        assert wait_until(lambda: [s.state for s in statuses] == ["error", "ready"])
        assert "/dev/till-scanner does not exist" in statuses[0].error.text("en")
        pipe.write(typed(NUTELLA))
        assert wait_until(lambda: codes)
    finally:
        hub.stop()
        close_quietly(pipe.write_fd)
