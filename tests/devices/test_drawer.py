"""Cash drawers: the kick through the printer (its bytes, the sensor read by DLE EOT 1), serial
drawers on a pseudo-terminal (configurable bytes and speed), modem-line polarity, the "left
open" warning, and the messages for a missing or forbidden port."""

from __future__ import annotations

import errno
import time

import pytest

from devices import paths
from devices.drawer import LeftOpenWatch, LoggingDrawer, PrinterDrawer, SerialDrawer, check_left_open, make_drawer
from devices.errors import DeviceConfigError, DrawerError, PrinterError
from devices.escpos_printer import EscposPrinter
from devices.printer import make_printer
from devices.settings import DrawerSettings, PrinterSettings
from devices.simulators.escpos_printer_sim import NetworkPrinterSimulator
from devices.simulators.serial_drawer_sim import Rfc2217DrawerSimulator, SerialDrawerSimulator
from tests.support.devices import wait_until


@pytest.mark.parametrize("pin, command", [(2, b"\x1bp\x00\x32\x32"), (5, b"\x1bp\x01\x32\x32")])
def test_printer_kicks_the_drawer_and_reads_its_sensor(pin, command):
    with NetworkPrinterSimulator() as sim:
        printer = make_printer(PrinterSettings(driver="escpos_network", host=sim.host, port=sim.port, timeout_s=3))
        drawer = make_drawer(DrawerSettings(kind="printer", pin=pin, sensor=True), printer)
        assert isinstance(drawer, PrinterDrawer)
        assert drawer.is_open() is False
        drawer.open("no sale")
        assert wait_until(lambda: command in bytes(sim.state.received))
        assert sim.state.kicks == [pin] and drawer.is_open() is True
        reversed_switch = PrinterDrawer(printer, pin, open_level="low")
        assert reversed_switch.is_open() is False


def test_printer_drawer_opens_without_paper_and_reports_an_unplugged_printer():
    with NetworkPrinterSimulator() as sim:
        sim.state.paper_out = True
        printer = make_printer(PrinterSettings(driver="escpos_network", host=sim.host, port=sim.port, timeout_s=3))
        drawer = make_drawer(DrawerSettings(kind="printer"), printer)
        drawer.open("sale")
        assert wait_until(lambda: sim.state.kicks == [2])
    with pytest.raises(DrawerError, match="cannot be reached"):
        drawer.open("sale")


def test_serial_drawer_on_a_pty_gets_its_opening_bytes():
    with SerialDrawerSimulator() as sim:
        drawer = make_drawer(DrawerSettings(kind="serial", path=sim.path, baud=300))
        drawer.open("sale")
        assert wait_until(lambda: sim.openings == 1) and bytes(sim.received) == b"\x07"
        assert drawer.is_open() is None  # no status line configured: unknown
        drawer.close()
    with SerialDrawerSimulator(open_bytes=b"\x1bp\x00\x19\xfa") as sim:
        drawer = SerialDrawer(DrawerSettings(kind="serial", path=sim.path, baud=9600, open_bytes="1b700019fa",
                                             status_line="cts"))
        drawer.open("sale")
        assert wait_until(lambda: sim.openings == 1)
        assert drawer.is_open() is None  # a pty has no modem lines: unknown, not an error
        drawer.close()


def test_serial_drawer_replugged_is_reopened():
    with SerialDrawerSimulator() as sim:
        drawer = SerialDrawer(DrawerSettings(kind="serial", path=sim.path))
        drawer.open("sale")
        assert wait_until(lambda: sim.openings == 1)
        kept = drawer._open_port
        kept.close()  # the adapter went away under the kept port
        drawer.open("sale")
        assert wait_until(lambda: sim.openings == 2) and drawer._open_port is not kept
        drawer.close()


@pytest.mark.parametrize("line, level, expected", [("cd", "high", True), ("cd", "low", False),
                                                    ("ri", "high", False), ("ri", "low", True)])
def test_serial_drawer_status_line_and_polarity(line, level, expected):
    """pyserial's loop:// port holds CD high and RI low, like a loopback plug."""
    drawer = SerialDrawer(DrawerSettings(kind="serial", path="loop://", status_line=line, open_level=level))
    assert drawer.is_open() is expected


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pyserial's rfc2217 client uses setDaemon()
@pytest.mark.parametrize("line, level", [("cts", "high"), ("dsr", "low")])
def test_serial_drawer_sensor_on_a_modem_line_through_rfc2217(line, level):
    """The drawer behind a serial device server: its switch drives CTS or DSR, either polarity."""
    with Rfc2217DrawerSimulator(line=line, open_level=level, open_bytes=b"\x1bp\x00") as sim:
        drawer = make_drawer(DrawerSettings(kind="serial", path=sim.url, open_bytes="1b7000", status_line=line,
                                            open_level=level, timeout_s=3))
        watch = LeftOpenWatch(0.5)
        assert drawer.is_open() is False and check_left_open(drawer, watch) is False
        drawer.open("sale")
        assert wait_until(lambda: sim.openings == 1) and bytes(sim.received) == b"\x1bp\x00"
        assert wait_until(lambda: drawer.is_open() is True)  # the server notifies the line change
        check_left_open(drawer, watch)
        time.sleep(0.5)
        assert check_left_open(drawer, watch) is True  # left open: one warning
        sim.close_drawer()
        assert wait_until(lambda: drawer.is_open() is False) and check_left_open(drawer, watch) is False
        drawer.close()


def test_missing_and_forbidden_serial_ports(tmp_path):
    drawer = make_drawer(DrawerSettings(kind="serial", path=str(tmp_path / "ttyUSB3")))
    with pytest.raises(DrawerError, match="ttyUSB3 does not exist: check the cable"):
        drawer.open("sale")
    forbidden = paths.explain(PermissionError(errno.EACCES, "Permission denied"), "/dev/ttyUSB7", DrawerError)
    assert "to group dialout" in str(forbidden) and "dialout" in forbidden.text("fr")
    printer = paths.explain(PermissionError(errno.EACCES, "Permission denied"), "/dev/usb/lp9", PrinterError)
    assert "to group lp" in str(printer) and isinstance(printer, PrinterError)


def test_a_real_permission_refusal_names_the_group(tmp_path):
    import os
    import subprocess
    import sys
    import tempfile

    if os.geteuid() != 0:  # an ordinary user is refused a port it has no rights on
        port = tmp_path / "ttyS9"
        port.write_bytes(b"")
        port.chmod(0)
        with pytest.raises(DrawerError, match="Permission denied on .*ttyS9: add user .* to group"):
            make_drawer(DrawerSettings(kind="serial", path=str(port))).open("x")
        return
    folder = tempfile.mkdtemp(prefix="till-perm-")
    os.chmod(folder, 0o755)
    port = os.path.join(folder, "ttyS9")
    with open(port, "wb"):
        pass
    os.chmod(port, 0o600)
    code = ("from devices.drawer import make_drawer; from devices.settings import DrawerSettings\n"
            f"d = make_drawer(DrawerSettings(kind='serial', path={port!r}))\n"
            "try:\n    d.open('x')\nexcept Exception as e:\n    print(type(e).__name__, e)\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=30,
                                user=65534, env={**os.environ, "HOME": folder})
    except PermissionError:
        pytest.skip("the virtual environment cannot be run by user nobody")
    if "Error" in result.stderr and "DrawerError" not in result.stdout:
        pytest.skip(f"the check cannot run as user nobody: {result.stderr.strip().splitlines()[-1]}")
    assert "DrawerError Permission denied on" in result.stdout and "to group" in result.stdout


def test_left_open_warning_once_per_opening():
    now = [0.0]
    watch = LeftOpenWatch(60, clock=lambda: now[0])
    assert watch.observe(True) is False
    now[0] = 59
    assert watch.observe(True) is False
    now[0] = 61
    assert watch.observe(True) is True and watch.open_for_s == 61
    now[0] = 120
    assert watch.observe(True) is False  # warned once
    assert watch.observe(False) is False and watch.open_for_s == 0
    now[0] = 200
    assert watch.observe(True) is False and watch.observe(None) is False  # no sensor: never a warning


def test_left_open_check_survives_an_unplugged_sensor():
    class Broken:
        def is_open(self):
            raise DrawerError("The cash drawer did not answer within {seconds} s", seconds=5)

    assert check_left_open(Broken(), LeftOpenWatch(0)) is False


def test_drawer_configuration_mistakes(tmp_path):
    with pytest.raises(DeviceConfigError, match="Unknown drawer kind cashbox"):
        make_drawer(DrawerSettings(kind="cashbox"))
    with pytest.raises(DeviceConfigError, match="needs an ESC/POS printer"):
        make_drawer(DrawerSettings(kind="printer"), make_printer(PrinterSettings(driver="file")))
    with pytest.raises(DeviceConfigError, match="must be hexadecimal"):
        make_drawer(DrawerSettings(kind="serial", open_bytes="BEL"))
    with pytest.raises(DeviceConfigError, match="status line dcd"):
        make_drawer(DrawerSettings(kind="serial", status_line="dcd"))
    assert make_drawer(DrawerSettings(kind="none")) is None
    logged = make_drawer(DrawerSettings(), resolve=lambda p: tmp_path / p)
    assert isinstance(logged, LoggingDrawer) and logged.is_open() is None


def test_one_printer_connection_serves_sensor_reads_and_jobs_until_it_breaks():
    """A sensor read every second must not open a connection each time (on USB each opening
    resets the printer): one connection for the reads, the kick and the receipt; a new one only
    when the printer closed it."""
    with NetworkPrinterSimulator() as sim:
        printer = EscposPrinter(PrinterSettings(driver="escpos_network", host=sim.host, port=sim.port, timeout_s=3,
                                                status_timeout_ms=300))
        drawer = make_drawer(DrawerSettings(kind="printer", sensor=True), printer)
        assert [drawer.is_open() for _ in range(10)] == [False] * 10
        drawer.open("sale")
        printer.print_lines(["Merci"])
        assert [drawer.is_open() for _ in range(5)] == [True] * 5
        assert sim.state.kicks == [2] and sim.state.connections == 1
        sim.state.hang_up = True  # the printer's idle timeout closes it
        assert wait_until(lambda: not sim.state.hang_up)
        printer.print_lines(["Encore merci"])  # noticed before sending: printed on a new connection
        assert wait_until(lambda: b"Encore merci" in bytes(sim.state.received))
        assert sim.state.connections == 2 and printer.last_error is None
        printer.close()


def test_without_a_sensor_the_printer_is_never_asked_about_the_drawer():
    with NetworkPrinterSimulator() as sim:
        printer = EscposPrinter(PrinterSettings(driver="escpos_network", host=sim.host, port=sim.port, timeout_s=3))
        settings = DrawerSettings(kind="printer")
        assert not settings.has_sensor and DrawerSettings(kind="printer", sensor=True).has_sensor
        assert not DrawerSettings(kind="serial").has_sensor and DrawerSettings(kind="serial", status_line="cts").has_sensor
        assert make_drawer(settings, printer).is_open() is None
        assert sim.state.connections == 0


def test_a_kick_past_its_deadline_is_never_sent_even_by_a_call_that_hung():
    """The printer took longer to open than the sale's deadline: the caller is answered at the
    deadline, and the call, when the printer finally answers, does not kick (the customer left)."""
    import threading

    from devices.escpos_loader import escpos

    dummy = escpos().Dummy()
    opened = threading.Event()

    def slow_to_open():
        opened.wait(2)  # the printer answers only once the caller has given up
        return dummy

    printer = EscposPrinter(PrinterSettings(driver="escpos_network", host="printer", timeout_s=3),
                            connect=slow_to_open)
    with pytest.raises(PrinterError):
        printer.kick(2, deadline=time.monotonic() + 0.2)
    opened.set()
    printer.status()  # waits for the hung call to finish: the device is free again
    assert dummy.output == b""
    printer.kick(2)
    assert dummy.output == b"\x1bp\x00\x32\x32"


def test_a_serial_drawer_past_its_deadline_gets_no_bytes():
    with SerialDrawerSimulator() as sim:
        drawer = SerialDrawer(DrawerSettings(kind="serial", path=sim.path))
        with pytest.raises(DrawerError, match="not opened in time"):
            drawer.open("sale", deadline=time.monotonic() - 1)
        drawer.open("sale", deadline=time.monotonic() + 3)
        assert wait_until(lambda: sim.openings == 1) and bytes(sim.received) == b"\x07"
        drawer.close()
