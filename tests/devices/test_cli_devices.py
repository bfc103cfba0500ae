"""``till devices list`` and ``till devices test ...`` through ``till.cli.main.main``.

The configuration is a real TOML file read by ``till.config.loader.load`` (with the ``[scanner]`` and
``[display]`` sections added as the integration adds them, see ``tests.support.devices``); devices are the
pty simulators, the file printer, the logging drawer and the built-in card terminal simulator.
"""

from __future__ import annotations

import argparse
import grp
import os
import threading
import time

import pytest

from tests.support.devices import wait_until, with_device_sections
from devices.simulators.display_sim import DisplaySimulator
from devices.simulators.serial_scanner_sim import SerialScannerSimulator
from till.cli import devices as cli_devices
from till.config.example import render_example
from till.i18n import set_language

NUTELLA = "3017620422003"


@pytest.fixture(autouse=True)
def english(monkeypatch):
    with_device_sections(monkeypatch)
    set_language("en")
    yield
    set_language("fr")


def run(monkeypatch, folder, *argv: str) -> int:
    """``till --config FOLDER/till.toml ARGV`` with ``till devices`` registered as cli.py will."""
    import till.cli.main as cli

    original = cli.build_parser

    def build(*args):
        parser = original(*args)
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "devices" not in commands.choices:
            cli_devices.register(commands)
        return parser

    monkeypatch.setattr(cli, "build_parser", build)
    return cli.main(["--config", str(folder / "till.toml"), *argv])


def shop(folder, devices: str = "", decline: int = -1):
    folder.mkdir(exist_ok=True)
    text = render_example().replace("simulator_decline_cents = 1313", f"simulator_decline_cents = {decline}")
    (folder / "till.toml").write_text(text + "\n" + devices, encoding="utf-8")
    return folder


# --- list ---------------------------------------------------------------------------------------

def test_list_shows_each_device_its_path_and_what_is_missing(tmp_path, monkeypatch, capsys):
    forbidden = tmp_path / "ttyUSB-display"
    forbidden.write_bytes(b"")
    os.chown(forbidden, -1, grp.getgrnam("dialout").gr_gid)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if str(path) == str(forbidden)
                        else real_access(path, mode, **kw))
    sim = SerialScannerSimulator()
    try:
        folder = shop(tmp_path / "shop", f"""
[scanner]
sources = ["wedge", "serial", "evdev"]
serial_path = "{sim.path}"
evdev_path = "/dev/input/by-id/usb-missing-event-kbd"

[display]
driver = "epson"
path = "{forbidden}"
""")
        assert run(monkeypatch, folder, "devices", "list") == 1
    finally:
        sim.unplug()
    out = capsys.readouterr().out
    rows = {line.split()[0] + " " + line.split()[1]: line for line in out.splitlines()}
    assert rows["printer file"].rstrip().endswith(")") and " ok" in rows["printer file"]
    assert "built in" in rows["terminal simulator"]
    assert "keyboard" in rows["scanner wedge"]
    assert sim.path in rows["scanner serial"] and " ok" in rows["scanner serial"]
    assert "/dev/input/by-id/usb-missing-event-kbd does not exist" in rows["scanner evdev"]
    assert f"Permission denied on {forbidden}: add user" in rows["display epson"]
    assert "to group dialout (sudo usermod -aG dialout" in rows["display epson"]


def test_list_exits_0_when_every_device_can_be_opened(tmp_path, monkeypatch, capsys):
    folder = shop(tmp_path / "shop")
    assert run(monkeypatch, folder, "devices", "list") == 0
    out = capsys.readouterr().out
    assert "printer" in out and "display   none" in out


@pytest.mark.parametrize("devices, words", [
    ('[display]\ndriver = "vfd"\npath = "/dev/ttyUSB0"\n', "Unknown customer display driver vfd"),
    ('[scanner]\nsources = ["wedge", "bluetooth"]\n', "Unknown scanner source bluetooth"),
])
def test_an_unknown_driver_is_refused(tmp_path, monkeypatch, capsys, devices, words):
    folder = shop(tmp_path / "shop", devices)
    assert run(monkeypatch, folder, "devices", "list") == 2
    assert words in capsys.readouterr().err


# --- test ---------------------------------------------------------------------------------------

def test_printer_prints_a_test_receipt(tmp_path, monkeypatch, capsys):
    folder = shop(tmp_path / "shop")
    assert run(monkeypatch, folder, "devices", "test", "printer") == 0
    printed = (folder / "receipts.txt").read_text(encoding="utf-8")
    assert "TEST - till devices test" in printed and "0,01 €" in printed and "àâçéèêëîïôùûü" in printed
    assert "test receipt sent" in capsys.readouterr().out


@pytest.mark.parametrize("code_page, sent, line", [
    ("CP858", b"\x1bt\x13", b"Boeuf ... l'\x82t\x82 - \xae 1,00 \xd5 \xaf"),
    ("WPC1252", b"\x1bt\x10", b"B\x9cuf \x85 l\x92\xe9t\xe9 \x96 \xab 1,00 \x80 \xbb"),
])
def test_printer_test_prints_french_punctuation_and_names_the_code_page(tmp_path, monkeypatch, capsys, code_page,
                                                                         sent, line):
    from devices.simulators.escpos_printer_sim import NetworkPrinterSimulator

    with NetworkPrinterSimulator() as sim:
        folder = shop(tmp_path / "shop")
        toml = folder / "till.toml"
        text = toml.read_text(encoding="utf-8").replace(
            'driver = "file"', f'driver = "escpos_network"\nhost = "{sim.host}"\nport = {sim.port}', 1)
        toml.write_text(text.replace('code_page = "CP858"', f'code_page = "{code_page}"', 1), encoding="utf-8")
        assert run(monkeypatch, folder, "devices", "test", "printer") == 0
        assert wait_until(lambda: b"\x1dV\x00" in bytes(sim.state.received))
        received = bytes(sim.state.received)
    name, number = ("CP858", 19) if code_page == "CP858" else ("CP1252", 16)
    assert sent in received and line + b"\n" in received
    assert f"code page {name} (ESC t {number})".encode() in received  # on the paper, beside the line
    out = capsys.readouterr().out
    assert f"code page {name} (ESC t {number})" in out and "self-test page" in out


def test_drawer_is_pulsed(tmp_path, monkeypatch, capsys):
    folder = shop(tmp_path / "shop")
    assert run(monkeypatch, folder, "devices", "test", "drawer") == 0
    assert "drawer: pulse sent" in capsys.readouterr().out


def initialised(folder):
    """The shop's database and key made (a card request is journaled in the database)."""
    from till.config.loader import load
    from till.shop.context import TillContext

    TillContext.open(load(folder / "till.toml"), create_key=True).close()
    return folder


def test_terminal_sale_and_refund_of_one_cent(tmp_path, monkeypatch, capsys):
    folder = initialised(shop(tmp_path / "shop"))
    assert run(monkeypatch, folder, "devices", "test", "terminal") == 0
    out = capsys.readouterr().out
    assert "sale of 0,01 EUR" in out and "terminal: sale approved SIM" in out and "terminal: refund approved" in out
    # journaled like any card request, and closed once the cent came back
    from store.models.payments import PendingPayment

    rows = [(r.operation, r.amount_cents, r.status) for r in PendingPayment.select().order_by(PendingPayment.id)]
    assert rows == [("sale", 1, "settled"), ("refund", 1, "settled")]


def test_terminal_refusal_fails_the_test(tmp_path, monkeypatch, capsys):
    folder = initialised(shop(tmp_path / "shop", decline=1))
    assert run(monkeypatch, folder, "devices", "test", "terminal") == 1
    assert "terminal: sale REFUSED" in capsys.readouterr().out


def test_display_shows_a_test_message(tmp_path, monkeypatch, capsys):
    sim = DisplaySimulator()
    try:
        folder = shop(tmp_path / "shop", f'[display]\ndriver = "epson"\npath = "{sim.path}"\n')
        assert run(monkeypatch, folder, "devices", "test", "display") == 0
        assert sim.wait_for(lambda lines: lines == ["Crème brûlée".ljust(20), "1 x" + "0,01 €".rjust(17)])
        assert "init" in sim.commands
    finally:
        sim.unplug()


def test_display_missing_is_a_clear_failure(tmp_path, monkeypatch, capsys):
    folder = shop(tmp_path / "shop", '[display]\ndriver = "epson"\npath = "/dev/ttyUSB9"\n')
    assert run(monkeypatch, folder, "devices", "test", "display") == 1
    assert "display: FAILED: /dev/ttyUSB9 does not exist" in capsys.readouterr().err


def test_scanner_shows_codes_live_until_count(tmp_path, monkeypatch, capsys):
    sim = SerialScannerSimulator(aim_id="]E0")

    def scanner_at_the_counter():
        time.sleep(0.5)
        sim.partial(NUTELLA, 4)
        time.sleep(1.6)  # past the partial timeout and its tail window
        sim.scan(NUTELLA)
        sim.scan("12345670")

    try:
        folder = shop(tmp_path / "shop", f'[scanner]\nsources = ["serial"]\nserial_path = "{sim.path}"\n')
        threading.Thread(target=scanner_at_the_counter, daemon=True).start()
        started = time.monotonic()
        assert run(monkeypatch, folder, "devices", "test", "scanner", "--count", "2", "--seconds", "10") == 0
        assert time.monotonic() - started < 8
    finally:
        sim.unplug()
    out = capsys.readouterr().out
    assert f"scan: {NUTELLA}  (serial:{sim.path})" in out and "scan: 12345670" in out
    assert "Partial scan refused (4 characters" in out
    assert "2 code(s) read" in out


def test_scanner_with_a_missing_device_says_so_and_stops_at_the_deadline(tmp_path, monkeypatch, capsys):
    folder = shop(tmp_path / "shop", '[scanner]\nsources = ["serial"]\nserial_path = "/dev/ttyACM7"\n')
    assert run(monkeypatch, folder, "devices", "test", "scanner", "--count", "1", "--seconds", "0.5") == 1
    assert "/dev/ttyACM7 does not exist" in capsys.readouterr().out


def test_a_device_call_that_hangs_is_cut_by_its_timeout():
    started = time.monotonic()
    with pytest.raises(cli_devices.DeviceTimeout):
        cli_devices.with_timeout(lambda: time.sleep(5), 0.2)
    assert time.monotonic() - started < 1


def test_rows_follow_each_driver_kind(tmp_path):
    from types import SimpleNamespace

    from devices.display import DisplaySettings
    from devices.scanner import ScannerSettings

    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    config = SimpleNamespace(
        printer=SimpleNamespace(driver="escpos_serial", path="/dev/ttyUSB8", host="", usb_vendor_id=0),
        drawer=SimpleNamespace(kind="serial", path="/dev/ttyUSB6"),
        payment=SimpleNamespace(terminal="caisse_ap", device="/dev/ttyACM0", host="127.0.0.1", port=closed_port),
        resolve=lambda p: tmp_path / p)
    rows = {row.kind: row for row in cli_devices.device_rows(config, ScannerSettings(), DisplaySettings())}
    assert rows["printer"].where == "/dev/ttyUSB8" and "does not exist" in rows["printer"].state
    assert rows["drawer"].where == "/dev/ttyUSB6" and not rows["drawer"].ok
    assert rows["terminal"].where == f"127.0.0.1:{closed_port}" and rows["terminal"].state.startswith("no answer")
    usb = SimpleNamespace(driver="escpos_usb", path="", host="", usb_vendor_id=0x04B8, usb_product_id=0x0E28)
    config.printer = usb
    assert cli_devices.device_rows(config, ScannerSettings(), DisplaySettings())[0].where == "usb 04b8:0e28"


@pytest.mark.parametrize("module", ["devices.access", "devices.scanner", "devices.evdev_reader",
                                    "devices.serial_reader", "devices.display", "till.cli.devices",
                                    "devices.simulators.display_sim", "devices.simulators.serial_scanner_sim"])
def test_device_modules_do_not_import_textual_or_rich(module):
    import subprocess
    import sys
    from pathlib import Path

    code = (f"import sys; import {module}; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                            capture_output=True, text=True)
    assert result.returncode == 0, f"{module} imports {result.stdout.strip() or result.stderr.strip()}"


def test_devices_example_documents_the_real_keys():
    """Every key of config/devices.example.toml is one the code reads, with a valid value."""
    import dataclasses
    import tomllib
    from pathlib import Path

    from devices.display import DisplaySettings
    from devices.scanner import ScannerSettings
    from devices.settings import DrawerSettings, PrinterSettings
    from till.config.loader import PaymentConfig

    example = tomllib.loads((Path(__file__).resolve().parents[2] / "config/devices.example.toml").read_text())
    scanner = dict(example["scanner"], sources=tuple(example["scanner"]["sources"]))
    ScannerSettings(**scanner).validate()
    DisplaySettings(**example["display"]).validate()
    for section, kind in (("printer", PrinterSettings), ("drawer", DrawerSettings), ("payment", PaymentConfig)):
        fields = {f.name for f in dataclasses.fields(kind)}
        assert set(example[section]) <= fields, (section, set(example[section]) - fields)
    assert {f.name for f in dataclasses.fields(ScannerSettings)} - set(example["scanner"]) == {
        "max_gap_ms", "min_length"}  # documented under [scanning], where they are read
    assert set(example["display"]) == {f.name for f in dataclasses.fields(DisplaySettings)}
