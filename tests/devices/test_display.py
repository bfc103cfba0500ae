"""The customer display: Epson DM-D or CD5220 commands on a pty, read back by the simulator.

The simulator interprets the bytes as the display's firmware does, so each test checks what a
customer would read on the two lines; faults (hung, unplugged, missing, forbidden) must end in a
status, never in a blocked caller.
"""

from __future__ import annotations

import errno
import time

import pytest

from tests.support.devices import wait_until
from devices import access, display as display_module, scanner
from devices.display import (
    CLEAR, CURSOR_OFF, INIT, DisplayError, DisplayFeed, DisplaySettings, PoleDisplay, Screen, fit, make_display,
    two_columns,
)
from devices.simulators.display_sim import DisplaySimulator
from till.config.loader import ConfigError, load
from till.i18n import _catalogue, set_language
from tests.support.queries import placeholders


@pytest.fixture
def sim():
    simulator = DisplaySimulator()
    yield simulator
    simulator.unplug()


def settings_for(sim, **changes) -> DisplaySettings:
    return DisplaySettings(driver="epson", path=sim.path, **changes)


# --- text for a 20-character, one-byte display ------------------------------------------------

def test_lines_are_cut_and_padded_to_twenty_bytes():
    assert fit("Bonjour") == b"Bonjour" + b" " * 13
    assert fit("x" * 30) == b"x" * 20
    assert fit("12,50", align="right") == b" " * 15 + b"12,50"


def test_euro_and_accents_use_the_code_page_or_are_spelled_out():
    assert fit("€", "cp858")[:1] == b"\xd5"
    assert fit("€", "cp1252")[:1] == b"\x80"
    assert fit("2 €", "cp437").rstrip() == b"2 EUR"
    assert fit("é", "cp437")[:1] == "é".encode("cp437")
    assert fit("Œuf ŷ", "cp858").rstrip() == b"OEuf y"


def test_text_never_sends_a_control_byte():
    """A line break in a label, or PC437's "♪" (0x0D), would end a CD5220 line or clear the screen."""
    assert fit("Pain\r\nlong ♪", "cp437").rstrip() == b"Pain  long ?"
    assert fit("♪", "cp858").rstrip() == b"?"


def test_the_amount_stays_whole_and_the_label_gives_way():
    line = two_columns("Confiture de fraises extra", "1 234,56 €")
    assert len(line) == 20 and line.endswith("1 234,56 €".encode("cp858"))
    assert line.startswith(b"Confitur")


# --- commands on the wire ---------------------------------------------------------------------

def test_opening_initialises_selects_the_code_page_hides_the_cursor_and_clears(sim):
    shown = PoleDisplay(settings_for(sim))
    shown.open()
    try:
        assert wait_until(lambda: sim.commands[:3] == ["init", "code page 19", "clear"])
        assert bytes(sim.received) == INIT + b"\x1bt\x13" + CURSOR_OFF + CLEAR
        assert not sim.cursor_visible
    finally:
        shown.close()


def test_two_lines_with_accents_and_the_euro_sign(sim):
    shown = PoleDisplay(settings_for(sim))
    try:
        shown.show("Crème brûlée", "Prix : 4,50 €")
        assert sim.wait_for(lambda lines: lines == ["Crème brûlée".ljust(20), "Prix : 4,50 €".ljust(20)])
        shown.show("Pain", "")
        assert sim.wait_for(lambda lines: lines == ["Pain".ljust(20), " " * 20])
        shown.clear()
        assert sim.wait_for(lambda lines: lines == [" " * 20, " " * 20])
    finally:
        shown.close()


def test_a_display_without_the_euro_shows_eur(sim):
    shown = PoleDisplay(settings_for(sim, code_page="cp437"))
    try:
        shown.show_columns("Café", "", "2,00 €")
        assert sim.wait_for(lambda lines: lines == ["Café".ljust(20), "2,00 EUR".rjust(20)])
    finally:
        shown.close()


# --- what the customer sees during a sale -----------------------------------------------------

def test_item_total_change_and_thank_you(sim):
    from till.ui.devices_bridge import CustomerDisplayFeed

    set_language("fr")
    settings = settings_for(sim)
    feed = CustomerDisplayFeed(DisplayFeed(make_display(settings)).start(), settings, "fr")
    try:
        feed.on_line_added("Crème fraîche épaisse 50cl", 2, 798)
        assert sim.wait_for(lambda l: l == ["Crème fraîche épaiss", "2 x" + "7,98 €".rjust(17)])
        feed.on_total(1234)
        assert sim.wait_for(lambda l: l == ["Total à payer".ljust(20), "12,34 €".rjust(20)])
        feed.on_change(766)
        assert sim.wait_for(lambda l: l == ["Monnaie rendue".ljust(20), "7,66 €".rjust(20)])
        feed.on_thank_you()
        assert sim.wait_for(lambda l: l == ["Merci, à bientôt !".ljust(20), " " * 20])
        feed.on_paid(250)
        assert sim.wait_for(lambda l: l == ["Merci, à bientôt !".ljust(20), "Rendu" + "2,50 €".rjust(15)])
    finally:
        feed.stop()


def test_only_the_newest_screen_is_kept_when_the_display_is_slow(sim):
    feed = DisplayFeed(make_display(settings_for(sim))).start()
    try:
        for number in range(200):
            feed.show(Screen(f"Article {number}", "", "1,00 €"))
        assert sim.wait_for(lambda l: l[0] == "Article 199".ljust(20))
    finally:
        feed.stop()


# --- the CD5220 command set ---------------------------------------------------------------------

ESC_Q_A, ESC_Q_B, CR = b"\x1bQA", b"\x1bQB", b"\r"


@pytest.fixture
def cd5220_sim():
    """A display set (on the display itself) to the CD5220 commands, its table PC858."""
    simulator = DisplaySimulator(protocol="cd5220", code_page="cp858")
    yield simulator
    simulator.unplug()


def cd5220_settings(sim, **changes) -> DisplaySettings:
    return DisplaySettings(driver="epson", protocol="cd5220", path=sim.path, **changes)


def test_cd5220_opening_leaves_string_mode_initialises_and_hides_the_cursor(cd5220_sim):
    shown = make_display(cd5220_settings(cd5220_sim))
    shown.show("Bonjour")               # a till that stopped while the display was in string mode
    shown.close()
    assert wait_until(lambda: bytes(cd5220_sim.received).endswith(ESC_Q_B + b" " * 20 + CR))
    cd5220_sim.received.clear()
    again = make_display(cd5220_settings(cd5220_sim))
    again.open()
    try:
        assert wait_until(lambda: bytes(cd5220_sim.received) == b"\x0c\x1b@\x1b_\x00")
        assert wait_until(lambda: cd5220_sim.commands[-2:] == ["clear", "init"])  # init obeyed: string mode left
        assert cd5220_sim.lines() == [" " * 20, " " * 20] and not cd5220_sim.cursor_visible
    finally:
        again.close()


def test_cd5220_total_change_and_thank_you_are_two_esc_q_lines(cd5220_sim):
    from till.ui.devices_bridge import CustomerDisplayFeed

    settings = cd5220_settings(cd5220_sim)
    feed = CustomerDisplayFeed(DisplayFeed(make_display(settings)).start(), settings, "fr")
    try:
        screens = [
            (feed.on_total, (1234,), ["Total à payer".ljust(20), "12,34 €".rjust(20)],
             ESC_Q_A + b"Total \x85 payer" + b" " * 7 + CR + ESC_Q_B + b" " * 13 + b"12,34 \xd5" + CR),
            (feed.on_change, (766,), ["Monnaie rendue".ljust(20), "7,66 €".rjust(20)],
             ESC_Q_A + b"Monnaie rendue" + b" " * 6 + CR + ESC_Q_B + b" " * 14 + b"7,66 \xd5" + CR),
            (feed.on_thank_you, (), ["Merci, à bientôt !".ljust(20), " " * 20],
             ESC_Q_A + b"Merci, \x85 bient\x93t !" + b" " * 2 + CR + ESC_Q_B + b" " * 20 + CR),
        ]
        for show, args, lines, wire in screens:
            cd5220_sim.received.clear()
            show(*args)
            assert cd5220_sim.wait_for(lambda shown: shown == lines), (lines, cd5220_sim.lines())
            assert bytes(cd5220_sim.received).endswith(wire)
    finally:
        feed.stop()


def test_cd5220_accents_follow_the_table_set_on_the_display():
    sim = DisplaySimulator(protocol="cd5220", code_page="cp437")
    shown = make_display(DisplaySettings(driver="epson", protocol="cd5220", path=sim.path, code_page="cp437"))
    try:
        shown.show_columns("Crème brûlée", "", "4,50 €")
        assert sim.wait_for(lambda lines: lines == ["Crème brûlée".ljust(20), "4,50 EUR".rjust(20)])
        assert ESC_Q_A + b"Cr\x8ame br\x96l\x82e" + b" " * 8 + CR in bytes(sim.received)
        assert b"\x1bt" not in bytes(sim.received)  # no code-page command: CD5220 has none
    finally:
        shown.close()
        sim.unplug()


def test_dmd_commands_on_a_cd5220_display_do_not_show_the_lines(cd5220_sim):
    """The simulator speaks only the set chosen on it, as the display does: the setting matters."""
    shown = PoleDisplay(settings_for(cd5220_sim))
    try:
        shown.show("Pain", "1,20 €")
        assert wait_until(lambda: bytes(cd5220_sim.received).endswith(b"1,20 \xd5" + b" " * 14))
        assert cd5220_sim.lines() != ["Pain".ljust(20), "1,20 €".ljust(20)]
    finally:
        shown.close()


def test_the_command_set_is_read_from_the_configuration(tmp_path):
    from tests.devices.test_cli_devices import shop

    folder = shop(tmp_path / "shop", '[display]\ndriver = "epson"\npath = "/dev/ttyUSB1"\nprotocol = "cd5220"\n')
    assert load(folder / "till.toml").display.protocol == "cd5220"
    (folder / "till.toml").write_text((folder / "till.toml").read_text().replace('"cd5220"', '"cd5200"'))
    with pytest.raises(ConfigError) as refused:
        load(folder / "till.toml")
    text = refused.value.text("en")
    line = (folder / "till.toml").read_text().splitlines().index('protocol = "cd5200"') + 1
    assert f"line {line}: display.protocol is wrong" in text and "Unknown display command set cd5200: use dmd or cd5220" in text


# --- faults -------------------------------------------------------------------------------------

def test_a_hung_display_times_out_instead_of_blocking(sim):
    shown = PoleDisplay(settings_for(sim, timeout_s=1))
    shown.open()
    sim.hang()
    started = time.monotonic()
    with pytest.raises(DisplayError) as refused:
        for number in range(10_000):  # fills the pty until the display's writes block
            shown.show(f"line {number}", "x" * 20)
    assert time.monotonic() - started < 10
    assert "did not take the text within 1 s" in refused.value.text("en")
    assert shown.port is None  # closed: the next screen reopens it


def test_the_feed_never_blocks_its_caller_on_a_hung_display_and_recovers(sim):
    statuses = []
    feed = DisplayFeed(make_display(settings_for(sim, timeout_s=1)),
                       lambda state, error: statuses.append((state, error))).start()
    try:
        feed.show(Screen("ready?"))
        assert wait_until(lambda: statuses and statuses[0][0] == "ready")
        sim.hang()
        slowest = 0.0
        deadline = time.monotonic() + 30
        number = 0
        while not any(state == "error" for state, _ in statuses) and time.monotonic() < deadline:
            started = time.monotonic()
            feed.show(Screen(f"line {number}", "x" * 20))  # until the pty is full and a write hangs
            slowest = max(slowest, time.monotonic() - started)
            number += 1
            time.sleep(0.001)
        assert any(state == "error" for state, _ in statuses)
        assert slowest < 0.05   # the UI thread was never held up, not even by the hung write
        error = [e for state, e in statuses if state == "error"][0]
        assert "did not take the text" in error.text("en")
        sim.resume()                # the display answers again: the next screen reopens it
        feed.retry_s = 0
        assert wait_until(lambda: (feed.show(Screen("Bonjour")), sim.lines()[0] == "Bonjour".ljust(20))[1])
        assert statuses[-1] == ("ready", None)
    finally:
        feed.stop(timeout_s=0.1)


def test_an_unplugged_display_is_a_status(sim):
    statuses = []
    feed = DisplayFeed(make_display(settings_for(sim)), lambda state, error: statuses.append((state, error)),
                       retry_s=0).start()
    try:
        feed.show(Screen("Bonjour"))
        assert wait_until(lambda: statuses == [("ready", None)])
        sim.unplug()
        feed.show(Screen("Encore"))
        assert wait_until(lambda: any(state == "error" for state, _ in statuses))
        text = [e for state, e in statuses if state == "error"][0].text("en")
        assert "unplugged" in text or "does not exist" in text
    finally:
        feed.stop()


def test_missing_display_path_is_explained():
    shown = PoleDisplay(DisplaySettings(driver="epson", path="/dev/ttyUSB9"))
    with pytest.raises(access.DeviceAccessError) as refused:
        shown.show("x")
    assert refused.value.text("en") == (
        "/dev/ttyUSB9 does not exist: check the cable and the device name in the configuration")


def test_permission_denied_names_the_dialout_group():
    import serial

    def forbidden(*args, **kwargs):
        raise serial.SerialException(errno.EACCES, "could not open port /dev/ttyUSB0: Permission denied")

    shown = PoleDisplay(DisplaySettings(driver="epson", path="/dev/ttyUSB0"), open_port=forbidden)
    with pytest.raises(access.DeviceAccessError) as refused:
        shown.open()
    assert refused.value.group == "dialout"
    assert "sudo usermod -aG dialout" in refused.value.text("en")
    assert "au groupe dialout" in refused.value.text("fr")


@pytest.mark.parametrize("settings, words", [
    (DisplaySettings(driver="vfd", path="/dev/ttyUSB0"), "Unknown customer display driver vfd"),
    (DisplaySettings(driver="epson", path="/dev/ttyUSB0", code_page="latin9"), "Unknown display code page"),
    (DisplaySettings(driver="epson"), "needs a device path"),
    (DisplaySettings(driver="epson", path="/dev/ttyUSB0", protocol="escpos"),
     "Unknown display command set escpos: use dmd or cd5220"),
])
def test_unusable_settings_are_refused(settings, words):
    with pytest.raises(DisplayError) as refused:
        make_display(settings)
    assert words in refused.value.text("en")


def test_driver_none_shows_nothing_and_never_fails():
    feed = DisplayFeed(make_display(DisplaySettings())).start()
    feed.show(Screen("nobody sees this"))
    assert feed.state == "off"
    feed.stop()


# --- every message of the device modules speaks French ----------------------------------------------

def test_device_messages_have_french_translations():
    catalogue = _catalogue("fr")
    for message in access.MESSAGES + scanner.MESSAGES + display_module.MESSAGES:
        assert message in catalogue, message
        assert set(placeholders(message)) == set(placeholders(catalogue[message])), message
