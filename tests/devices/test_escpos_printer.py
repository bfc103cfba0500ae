"""ESC/POS receipts as bytes: what python-escpos sends for our document (Dummy), and what a
printer receives over a socket, a pseudo-terminal or a device file, including its answers to
status queries (paper out, cover open, offline) and the ways real hardware fails."""

from __future__ import annotations

import os
import time

import pytest

from devices import escpos_status as st
from devices.errors import DeviceConfigError, PrinterError
from devices.escpos_printer import EscposPrinter
from devices.printer import FilePrinter, make_printer
from devices.receipt import layout
from devices.settings import PrinterSettings
from devices.simulators.escpos_printer_sim import NetworkPrinterSimulator, PrinterState, PtyPrinterSimulator
from tests.support.devices import wait_until

INIT, CP858 = b"\x1b@", b"\x1bt\x13"
BOLD_ON, BOLD_OFF = b"\x1bE\x01", b"\x1bE\x00"
FULL_CUT = b"\x1bd\x06\x1dV\x00"
QUERIES = b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"


def dummy_printer(profile="default", **settings):
    from devices.escpos_loader import escpos

    dummy = escpos().Dummy(profile=profile)
    return EscposPrinter(PrinterSettings(driver="escpos_file", profile=profile, **settings), connect=lambda: dummy), dummy


def test_receipt_bytes_on_an_80_mm_printer(receipt):
    printer, dummy = dummy_printer(width=42)
    printer.print_receipt(receipt)
    out = dummy.output
    assert out.startswith(INIT + CP858)  # reset, then the pinned code page: CP858 has the euro sign
    assert "Café moulu".encode("cp858") in out and b"17,95 \xd5" in out  # 0xD5 is the euro in CP858
    total_line = next(line for line in layout(receipt, 42) if line.startswith("TOTAL TTC"))
    assert BOLD_ON + total_line.encode("cp858") + b"\n" + BOLD_OFF in out
    assert b"\x1dkI\x0d{BT01-0028811" in out  # CODE128 (GS k 73, length 13, code set B)
    assert b"\x1d(k\x0e\x001P0T01-0028811" in out and b"\x1d(k\x03\x001Q0" in out  # native QR: store, print
    assert out.endswith(FULL_CUT)
    assert printer.last_status.state == st.UNKNOWN  # a Dummy cannot answer status queries


def test_58_mm_printer_without_cutter_native_qr_or_hardware_barcode(receipt):
    printer, dummy = dummy_printer(profile="POS-5890", width=32)
    printer.print_receipt(receipt)
    out = dummy.output
    text = out.split(b"\n")
    assert all(len(line.decode("cp858", "replace")) <= 40 for line in text if b"\x1d" not in line)
    for line in layout(receipt, 32):
        assert line.encode("cp858", "replace") in out
    assert b"\x1dk" not in out and b"\x1d(k" not in out  # neither hardware barcode nor native QR
    assert b"\x1dv0" in out  # the QR code sent as a raster image instead
    assert b"\x1dV" not in out  # no cutter: no cut command


def test_text_only_lines_and_voucher_code(receipt):
    printer, dummy = dummy_printer(cut="partial")
    printer.print_lines(["X REPORT", "Total 12,00 €"])
    assert dummy.output == INIT + CP858 + b"X REPORT\nTotal 12,00 \xd5\n" + b"\x1bd\x06\x1dV\x01"
    dummy.clear()
    printer.print_lines(["AVOIR"], code="AV7KQ2M9XJ")
    assert b"{BAV7KQ2M9XJ" in dummy.output and b"1P0AV7KQ2M9XJ" in dummy.output


def test_drawer_kick_bytes():
    printer, dummy = dummy_printer()
    printer.kick(2)
    assert dummy.output == b"\x1bp\x00\x32\x32"
    dummy.clear()
    printer.kick(5)
    assert dummy.output == b"\x1bp\x01\x32\x32"
    with pytest.raises(PrinterError):
        printer.kick(3)


def network(sim, **settings):
    return make_printer(PrinterSettings(driver="escpos_network", host=sim.host, port=sim.port, timeout_s=3,
                                        status_timeout_ms=300, **settings))


def test_network_printer_asks_its_state_then_prints(receipt):
    with NetworkPrinterSimulator() as sim:
        printer = network(sim)
        printer.print_receipt(receipt)
        assert wait_until(lambda: bytes(sim.state.received).endswith(FULL_CUT + QUERIES))  # asked again after the cut
        received = bytes(sim.state.received)
        assert received.startswith(QUERIES + INIT + CP858)
        assert b"{BT01-0028811" in received
        assert printer.last_status == st.PrinterStatus(st.READY, False)


@pytest.mark.parametrize("fault, state, message", [
    ("paper_out", st.PAPER_OUT, "out of paper"),
    ("cover_open", st.COVER_OPEN, "cover is open"),
    ("error", st.ERROR, "reports an error"),
])
def test_a_printer_that_cannot_print_says_why_and_gets_nothing(receipt, fault, state, message):
    with NetworkPrinterSimulator() as sim:
        setattr(sim.state, fault, True)
        printer = network(sim)
        with pytest.raises(PrinterError, match=message) as raised:
            printer.print_receipt(receipt)
        assert raised.value.text("fr") != str(raised.value)  # the cashier reads it in French
        assert printer.last_status.state == state
        time.sleep(0.1)
        assert bytes(sim.state.received) == QUERIES  # asked, and nothing printed into the void
        setattr(sim.state, fault, False)  # paper loaded, cover closed: the retry prints
        printer.print_receipt(receipt)
        assert wait_until(lambda: b"T01-0028811" in bytes(sim.state.received))


def test_paper_low_still_prints_and_status_is_readable():
    with NetworkPrinterSimulator() as sim:
        sim.state.paper_low = True
        printer = network(sim)
        assert printer.status().state == st.PAPER_LOW
        printer.print_lines(["ok"])
        assert wait_until(lambda: b"ok\n" in bytes(sim.state.received))


def test_silent_printer_prints_unless_answers_are_required():
    with NetworkPrinterSimulator(PrinterState()) as sim:
        sim.state.silent = True
        network(sim).print_lines(["printed anyway"])
        assert wait_until(lambda: b"printed anyway" in bytes(sim.state.received))
        strict = network(sim, status_query="required")
        with pytest.raises(PrinterError, match="does not answer"):
            strict.print_lines(["not printed"])
        assert b"not printed" not in bytes(sim.state.received)


def test_garbage_talking_printer_is_reported():
    with NetworkPrinterSimulator() as sim:
        sim.state.garbage = True
        with pytest.raises(PrinterError, match="unexpected data"):
            network(sim).print_lines(["x"])


def test_status_off_never_queries():
    with NetworkPrinterSimulator() as sim:
        network(sim, status_query="off").print_lines(["x"])
        assert wait_until(lambda: bytes(sim.state.received).endswith(FULL_CUT))
        assert b"\x10\x04" not in bytes(sim.state.received)


def test_printer_vanishing_mid_receipt_is_a_printer_error_and_the_retry_prints(receipt):
    with NetworkPrinterSimulator() as sim:
        sim.state.unplug_after = 40
        printer = network(sim)
        with pytest.raises(PrinterError) as raised:
            for _ in range(3):  # the reset may reach the sender one write late
                printer.print_lines([f"line {n} " + "x" * 30 for n in range(400)])
        assert "stopped answering" in str(raised.value) or "cannot be reached" in str(raised.value)
        sim.state.unplug_after = None
        sim.state.received.clear()
        printer.print_receipt(receipt)
        assert wait_until(lambda: bytes(sim.state.received).endswith(FULL_CUT + QUERIES))  # asked again after the cut


def test_unreachable_network_printer():
    with NetworkPrinterSimulator() as sim:
        host, port = sim.host, sim.port
    printer = make_printer(PrinterSettings(driver="escpos_network", host=host, port=port, timeout_s=2))
    with pytest.raises(PrinterError, match=f"{host}:{port} cannot be reached"):
        printer.print_lines(["x"])
    assert printer.last_status.state == st.OFFLINE and "cannot be reached" in str(printer.last_error)
    assert printer.status().state == st.OFFLINE


def test_serial_printer_on_a_pty(receipt):
    with PtyPrinterSimulator() as sim:
        printer = make_printer(PrinterSettings(driver="escpos_serial", path=sim.path, baud=19200, timeout_s=3,
                                               status_timeout_ms=300))
        sim.state.cover_open = True
        with pytest.raises(PrinterError, match="cover is open"):
            printer.print_receipt(receipt)
        sim.state.cover_open = False
        printer.print_receipt(receipt)
        assert wait_until(lambda: bytes(sim.state.received).endswith(FULL_CUT + QUERIES))  # asked again after the cut
        assert b"\x1dkI\x0d{BT01-0028811" in bytes(sim.state.received)


def test_device_file_printer(tmp_path, receipt):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    printer = make_printer(PrinterSettings(driver="escpos_file", path=str(device), status_timeout_ms=50))
    printer.print_receipt(receipt)
    written = device.read_bytes()
    assert written.startswith(QUERIES[:3])  # asked; a plain file never answers, so it printed
    assert INIT + CP858 in written and written.endswith(FULL_CUT)


def test_missing_device_file_is_named_and_never_created(tmp_path):
    missing = tmp_path / "usb" / "lp7"
    printer = make_printer(PrinterSettings(driver="escpos_file", path=str(missing)))
    with pytest.raises(PrinterError, match="lp7 does not exist: check the cable"):
        printer.print_lines(["x"])
    assert not missing.exists()
    serial = make_printer(PrinterSettings(driver="escpos_serial", path=str(tmp_path / "ttyUSB9")))
    with pytest.raises(PrinterError, match="ttyUSB9 does not exist"):
        serial.print_lines(["x"])


def test_hung_device_times_out_and_later_calls_do_not_queue(tmp_path):
    """A FIFO nobody reads takes 64 KiB, then blocks every write, as /dev/usb/lp0 does without paper."""
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    printer = make_printer(PrinterSettings(driver="escpos_file", path=str(fifo), status_query="off", timeout_s=1))
    started = time.monotonic()
    with pytest.raises(PrinterError, match="did not finish within 1 s"):
        printer.print_lines(["x" * 41] * 3000)
    assert time.monotonic() - started < 2
    with pytest.raises(PrinterError, match="still busy"):
        printer.print_lines(["y"])
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the printer comes back: the hung write ends
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                if not os.read(reader, 1 << 16):
                    time.sleep(0.01)
            except BlockingIOError:
                time.sleep(0.01)
            if printer._guard._lock.acquire(blocking=False):
                printer._guard._lock.release()
                break
    finally:
        os.close(reader)


def test_usb_printer_not_found_is_explained():
    printer = make_printer(PrinterSettings(driver="escpos_usb", usb_vendor_id=0x04B8, usb_product_id=0x0E28))
    with pytest.raises(PrinterError) as raised:
        printer.print_lines(["x"])
    assert "04b8:0e28 not found" in str(raised.value) or "libusb" in str(raised.value)


def test_configuration_mistakes(tmp_path):
    with pytest.raises(DeviceConfigError, match="Unknown printer driver laser: use one of file, escpos_usb"):
        make_printer(PrinterSettings(driver="laser"))
    with pytest.raises(DeviceConfigError, match="profile TM-NOPE is unknown"):
        make_printer(PrinterSettings(driver="escpos_network", host="127.0.0.1", profile="TM-NOPE"))
    with pytest.raises(DeviceConfigError, match="Code page CP9999"):
        make_printer(PrinterSettings(driver="escpos_network", host="127.0.0.1", code_page="CP9999"))
    assert make_printer(PrinterSettings(driver="none")) is None
    same = PrinterSettings(driver="escpos_network", host="127.0.0.1")
    assert make_printer(same) is make_printer(same)  # one guard per printer, across outbox runs
    assert isinstance(make_printer(PrinterSettings(driver="file", path="r.txt"), lambda p: tmp_path / p), FilePrinter)


def test_settings_from_a_configuration_section_keep_defaults_for_missing_keys(tmp_path):
    from till.config.loader import load

    (tmp_path / "till.toml").write_text('[printer]\ndriver = "escpos_network"\nhost = "10.0.0.9"\nwidth = 48\n',
                                        encoding="utf-8")
    settings = load(tmp_path / "till.toml").printer
    assert isinstance(settings, PrinterSettings)
    assert (settings.driver, settings.host, settings.port, settings.width, settings.code_page) == \
        ("escpos_network", "10.0.0.9", 9100, 48, "CP858")


def test_a_code_code128_cannot_carry_still_prints_the_receipt(receipt):
    import dataclasses

    printer, dummy = dummy_printer()
    printer.print_receipt(dataclasses.replace(receipt, code="AVOIR-É1"))
    assert b"\x1dk" not in dummy.output and "AVOIR-É1".encode("utf-8") in dummy.output  # QR carries it
    assert dummy.output.endswith(FULL_CUT)


def test_settings_problems_for_the_configuration_checks():
    from devices.settings import MUST_BE_HEX, MUST_BE_ONE_OF, NEEDS_VALUE, DrawerSettings, problems

    assert problems(PrinterSettings()) == [] and problems(DrawerSettings()) == []
    found = problems(PrinterSettings(driver="escpos_network", width=40, status_query="sometimes"))
    assert [(key, message) for key, message, _ in found] == [
        ("status_query", MUST_BE_ONE_OF), ("width", MUST_BE_ONE_OF), ("host", NEEDS_VALUE)]
    assert found[1][2] == {"choices": "32, 42, 48"}
    drawer = problems(DrawerSettings(kind="serial", pin=3, open_bytes="BEL"))
    assert [key for key, _, _ in drawer] == ["pin", "open_bytes", "path"] and drawer[1][1] == MUST_BE_HEX
