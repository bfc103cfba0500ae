"""``till devices list`` and ``till devices test printer|drawer|scanner|terminal|display``.

Why: at the counter, a technician (often over SSH) must see in seconds which device is missing
or refused, and what to do: the list names each configured device, its path, whether it is
there and, when access is denied, the group the till's user must join. ``test`` drives each
device once through the same objects the till uses (``till.aftersale.jobs.make_printer``,
``till.shop.context.make_terminal``, ``devices.display``, the scanner hub), each call in a thread
with a timeout, so a hung device ends the command with a message instead of hanging the shell.
Exit codes as in ``till.cli.main``: 0 done, 1 a device failed, 2 usage or configuration.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices.access import check_path
from devices.display import DisplaySettings
from devices.scanner import ScannerSettings
from till.errors import TillError
from till.cli.common import find_config, setup_logging

OK, FAILED, USAGE = 0, 1, 2
DEFAULT_TIMEOUT_S = 15.0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``till devices list`` and ``till devices test KIND`` to ``commands``."""
    devices = commands.add_parser("devices", help="check and test the till's devices").add_subparsers(
        dest="devices_command", required=True)
    listing = devices.add_parser("list", help="configured devices, their paths and whether they can be opened")
    listing.set_defaults(func=cmd_devices_list)
    test = devices.add_parser("test", help="drive one device once (usable over SSH)")
    test.add_argument("kind", choices=["printer", "drawer", "scanner", "terminal", "display"])
    test.add_argument("--count", type=int, default=0, help="scanner: stop after this many codes")
    test.add_argument("--seconds", type=float, default=0,
                      help="scanner: stop after this long; other devices: the timeout (default 15 s)")
    test.set_defaults(func=cmd_devices_test)


# --- settings -------------------------------------------------------------------------------

def _config(args: argparse.Namespace):
    from till.config.loader import load  # deferred: per command (fast start)

    config = load(find_config(getattr(args, "config", None)))
    setup_logging(config)
    return config


def device_settings(config: Any) -> tuple[ScannerSettings, DisplaySettings]:
    """The scanner and display settings of ``config``, checked (unknown driver: refused)."""
    scanner = ScannerSettings.from_config(config)
    display = DisplaySettings.from_config(config)
    scanner.validate()
    display.validate()
    return scanner, display


# --- list -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceRow:
    kind: str
    driver: str
    where: str
    state: str
    ok: bool


PATH_KEYS = ("device", "path", "serial_path", "port_path", "tty")
NETWORK_DRIVERS = frozenset({"escpos_network", "caisse_ap"})


def _device_path(section: Any) -> str | None:
    """The ``/dev/...`` path a section names, whatever its key is called."""
    for key in PATH_KEYS:
        value = getattr(section, key, None)
        if isinstance(value, str) and value.startswith("/dev/"):
            return value
    return None


def _path_row(kind: str, driver: str, path: str, write: bool = True) -> DeviceRow:
    check = check_path(path, write=write)
    if check.ok:
        group = f" (group {check.group})" if check.group and path.startswith("/dev/") else ""
        return DeviceRow(kind, driver, path, "ok" + group, True)
    return DeviceRow(kind, driver, path, check.problem.text() if check.problem else "not usable", False)


def _network_row(kind: str, driver: str, host: str, port: int) -> DeviceRow:
    where = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return DeviceRow(kind, driver, where, "ok (answers)", True)
    except OSError as error:
        return DeviceRow(kind, driver, where, f"no answer: {error.strerror or error}", False)


def _section_row(kind: str, section: Any, driver: str) -> DeviceRow:
    if driver in ("none", ""):
        return DeviceRow(kind, "none", "-", "not used", True)
    if getattr(section, "simulate", False) is True:
        return DeviceRow(kind, driver, "-", "its protocol simulator, built in", True)
    host = getattr(section, "host", None)
    path = None if driver in NETWORK_DRIVERS else _device_path(section)
    if path:
        return _path_row(kind, driver, path)
    if isinstance(host, str) and host:
        return _network_row(kind, driver, host, int(getattr(section, "port", 9100) or 9100))
    vendor = getattr(section, "usb_vendor_id", None) or getattr(section, "vendor_id", None)
    if vendor:
        product = getattr(section, "usb_product_id", None) or getattr(section, "product_id", 0)
        where = f"usb {vendor:04x}:{product:04x}" if isinstance(vendor, int) else f"usb {vendor}:{product}"
        return DeviceRow(kind, driver, where, "USB: see `till devices test printer`", True)
    return DeviceRow(kind, driver, "-", "built in", True)


def device_rows(config: Any, scanner: ScannerSettings, display: DisplaySettings) -> list[DeviceRow]:
    """One row per configured device, with whether this user can open it now."""
    rows: list[DeviceRow] = []
    printer = config.printer
    if printer.driver == "file":
        target = config.resolve(printer.path)
        row = _path_row("printer", "file", str(target if target.exists() else target.parent))
        state = row.state if target.exists() or not row.ok else "ok (created at the first receipt)"
        rows.append(DeviceRow("printer", "file", str(target), state, row.ok))
    else:
        rows.append(_section_row("printer", printer, printer.driver))
    drawer = getattr(config, "drawer", None)
    kind = getattr(drawer, "kind", "log") if drawer is not None else "log"
    if kind == "log":
        rows.append(DeviceRow("drawer", "log", str(config.resolve(getattr(drawer, "log_path", "drawer.log"))),
                              "openings written to a file", True))
    elif kind == "printer":
        rows.append(DeviceRow("drawer", "printer", "-", "kicked through the printer", True))
    else:
        rows.append(_section_row("drawer", drawer, kind))
    payment = config.payment
    if payment.terminal == "simulator":
        rows.append(DeviceRow("terminal", "simulator", "-", "built in", True))
    else:
        rows.append(_section_row("terminal", payment, payment.terminal))
    for source in scanner.sources:
        if source == "wedge":
            rows.append(DeviceRow("scanner", "wedge", "keyboard", "types into the till's console", True))
        elif source == "evdev":
            rows.append(_path_row("scanner", "evdev", scanner.evdev_path, write=False))
        elif source == "serial":
            rows.append(_path_row("scanner", "serial", scanner.serial_path))
    if display.driver == "none":
        rows.append(DeviceRow("display", "none", "-", "not used", True))
    else:
        rows.append(_path_row("display", display.driver, display.path))
    return rows


def cmd_devices_list(args: argparse.Namespace) -> int:
    config = _config(args)
    scanner, display = device_settings(config)
    rows = device_rows(config, scanner, display)
    for row in rows:
        print(f"{row.kind:9} {row.driver:15} {row.where:40} {row.state}")
    return OK if all(row.ok for row in rows) else FAILED


# --- test -------------------------------------------------------------------------------------

class DeviceTimeout(Exception):
    """A device call did not return in time (its thread is left behind, as a daemon)."""


def with_timeout(call: Callable[[], Any], seconds: float) -> Any:
    """``call()`` in a daemon thread; its result, its exception, or ``DeviceTimeout``."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001 - handed back to the caller
            outcome["error"] = error

    thread = threading.Thread(target=target, name="device-test", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise DeviceTimeout(f"no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


FRENCH_LINE = "Bœuf … l’été – « 1,00 € »"
"""What French labels hold and CP858 lacks (œ … ’ –): printed spelled, or as it is on CP1252."""


def sample_receipt(config: Any, code_page: tuple[str, int] | None = None) -> list[str]:
    """A short receipt showing the shop, the time, accents, the euro sign, French punctuation and
    the code page sent (name and ``ESC t`` number) to compare with the printer's self-test page."""
    width = config.printer.width
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    page = [f"code page {code_page[0]} (ESC t {code_page[1]})"] if code_page else []
    return [config.shop.name.center(width), "TEST - till devices test".center(width), now.center(width),
            "-" * width, "Accents: àâçéèêëîïôùûü ÀÉÇ", "Euro: 0,01 €", FRENCH_LINE, *page, "-" * width,
            "OK".center(width)]


def _make_drawer(config: Any) -> Any:
    """The configured drawer, built as the outbox builds it (a printer drawer needs the printer)."""
    from till.aftersale import jobs  # deferred: per command (fast start)

    factory = getattr(jobs, "make_drawer", None)
    if factory is None:  # before the drawer drivers: the logging drawer the outbox used
        from devices.drawer import LoggingDrawer  # deferred: per command (fast start)

        return LoggingDrawer(config.resolve("drawer.log"))
    return factory(config, jobs.make_printer(config))


def _fail(kind: str, error: BaseException) -> int:
    text = error.text() if isinstance(error, TillError) else str(error) or type(error).__name__
    print(f"{kind}: FAILED: {text}", file=sys.stderr)
    return FAILED


def try_printer(config: Any, timeout_s: float) -> int:
    from till.aftersale.jobs import make_printer  # deferred: per command (fast start)

    printer = make_printer(config)
    if printer is None:
        print("printer: none configured (printer.driver = \"none\")", file=sys.stderr)
        return FAILED
    code_page = getattr(printer, "code_page", None)  # ESC/POS printers: (name, ESC t number)
    with_timeout(lambda: printer.print_lines(sample_receipt(config, code_page)), timeout_s)
    print(f"printer: test receipt sent to {getattr(printer, 'name', 'printer')}")
    if code_page:
        print(f"printer: code page {code_page[0]} (ESC t {code_page[1]}): the line \"{FRENCH_LINE}\" is printed "
              "with what this page has (œ as oe where it lacks it); compare its accents and the euro sign with "
              f"table {code_page[1]} of the printer's self-test page (switch it on holding FEED)")
    return OK


def try_drawer(config: Any, timeout_s: float) -> int:
    drawer = _make_drawer(config)
    if drawer is None:
        print("drawer: none configured", file=sys.stderr)
        return FAILED
    with_timeout(lambda: drawer.open("till devices test"), timeout_s)
    print(f"drawer: pulse sent ({getattr(drawer, 'name', 'drawer')})")
    is_open = getattr(drawer, "is_open", None)
    if callable(is_open):
        time.sleep(0.3)  # the solenoid has moved; a sensor, if any, now says so
        state = with_timeout(is_open, timeout_s)
        print("drawer: sensor says " + {True: "open", False: "closed", None: "nothing (no sensor)"}[state])
    return OK


def try_terminal(config: Any, timeout_s: float) -> int:
    """A sale of one cent, then its refund: each journaled before it is sent, like any card
    request (a test that charged a card and stopped before the refund is found at the next start)."""
    from till.selling.card_journal import close_without_ticket  # deferred: per command (fast start)
    from till.shop.context import TillContext  # deferred: per command (fast start)
    from till.fiscal.chain import current_database  # deferred: per command (fast start)

    ctx = TillContext.open(config)
    terminal = ctx.terminal
    if terminal is None:
        print("terminal: none configured (payment.terminal = \"none\")", file=sys.stderr)
        return FAILED
    reference = f"TEST{dt.datetime.now():%H%M%S}"
    wait = max(timeout_s, float(getattr(config.payment, "timeout_s", 0)) + 5)
    print("terminal: sale of 0,01 EUR: present a card on the terminal ...", flush=True)
    sale = with_timeout(lambda: terminal.sale(1, reference), wait)
    print(f"terminal: sale {'approved' if sale.approved else 'REFUSED'} {sale.reference} {sale.message}".rstrip())
    if not sale.approved:
        return FAILED
    sale_row = terminal.last_journal_id
    refund = with_timeout(lambda: terminal.refund(1, reference), wait)
    print(f"terminal: refund {'approved' if refund.approved else 'REFUSED'} {refund.reference} "
          f"{refund.message}".rstrip())
    if not refund.approved:
        return FAILED
    with current_database().atomic():
        close_without_ticket([sale_row, terminal.last_journal_id], "terminal test: one cent charged, then refunded")
    return OK


def try_display(display_settings: DisplaySettings, timeout_s: float) -> int:
    from devices.display import make_display  # deferred: per command (fast start)

    display = make_display(display_settings)
    if display is None:
        print("display: none configured (display.driver = \"none\")", file=sys.stderr)
        return FAILED

    def show() -> None:
        try:
            display.open()
            display.show("till: display test", dt.datetime.now().strftime("%H:%M:%S"))
            time.sleep(0.5)
            display.show_columns("Crème brûlée", "1 x", "0,01 €")
        finally:
            display.close()

    with_timeout(show, timeout_s)
    print(f"display: test message sent to {display_settings.path}")
    return OK


def try_scanner(settings: ScannerSettings, count: int, seconds: float,
                 out: Callable[[str], None] = print, stdin: Any = None) -> int:
    """Show every code live, from every configured source, until Ctrl-C, ``count`` or ``seconds``."""
    from devices.scanner import ScannerHub  # deferred: per command (fast start)
    from devices.scanner_readers import make_readers  # deferred: per command (fast start)

    seen: list[str] = []
    failed: list[str] = []
    done = threading.Event()

    from devices.keyboard_layout import layout_verdict  # deferred: per command (fast start)

    def on_scan(event) -> None:
        seen.append(event.code)
        out(f"scan: {event.code}  ({event.source})")
        verdict = (None if event.source.startswith("serial:")
                   else layout_verdict(event.code, event.notice, console=event.source == "wedge"))
        if verdict:  # a keyboard scanner: which layout it types with, and the fix if it is not ours
            out(f"  layout: {verdict}")
        if count and len(seen) >= count:
            done.set()

    def on_status(status) -> None:
        text = status.error.text() if status.error else ""
        out(f"{status.source}: {status.state}{': ' + text if text else ''}")
        if status.state == "error":
            failed.append(status.source)

    hub = ScannerHub(make_readers(settings), on_scan, on_status)
    stdin = stdin if stdin is not None else sys.stdin
    wedge = "wedge" in settings.sources and stdin.isatty()
    out("Scan codes now" + (" (Ctrl-C to stop)" if not count else f" ({count} to go)"))
    deadline = time.monotonic() + seconds if seconds else None
    with hub:
        try:
            if wedge:
                _read_wedge(settings, stdin, on_scan, done, deadline, out)
            while not done.is_set() and (deadline is None or time.monotonic() < deadline):
                done.wait(0.1)
        except KeyboardInterrupt:
            pass
    out(f"{len(seen)} code(s) read")
    if count:
        return OK if len(seen) >= count else FAILED
    return FAILED if failed and not seen else OK


def _read_wedge(settings: ScannerSettings, stdin: Any, on_scan: Callable, done: threading.Event,
                deadline: float | None, out: Callable[[str], None]) -> None:
    """Keys from this terminal in raw mode through the burst detector (a scanner plugged into
    the machine whose terminal this is)."""
    import select  # deferred: per command (fast start)
    import termios  # deferred: per command (fast start)
    import tty  # deferred: per command (fast start)

    from devices.scanner import BurstDetector, Partial, Scan, Typed, to_event  # deferred: per command (fast start)

    detector = BurstDetector.from_settings(settings)
    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    typed: list[str] = []

    def handle(outcomes) -> None:
        for outcome in outcomes:
            if isinstance(outcome, Scan):
                event = to_event(outcome.code, "wedge", settings.strip_aim_id)
                if event is not None:
                    on_scan(event)
            elif isinstance(outcome, Partial):
                out(f"wedge: {outcome.error().text()}")
            elif isinstance(outcome, Typed):
                typed.append(outcome.text)
                if outcome.ended and "".join(typed):
                    out(f"typed, not scanned: {''.join(typed)}")
                    typed.clear()

    try:
        while not done.is_set() and (deadline is None or time.monotonic() < deadline):
            ready, _, _ = select.select([fd], [], [], 0.01)
            now = time.monotonic()
            if ready:
                for char in os.read(fd, 256).decode("utf-8", errors="replace"):
                    if char == "\x03":
                        raise KeyboardInterrupt
                    handle(detector.feed(char, time.monotonic()))
            handle(detector.poll(now))
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def cmd_devices_test(args: argparse.Namespace) -> int:
    config = _config(args)
    scanner, display = device_settings(config)
    timeout_s = args.seconds or DEFAULT_TIMEOUT_S
    try:
        if args.kind == "printer":
            return try_printer(config, timeout_s)
        if args.kind == "drawer":
            return try_drawer(config, timeout_s)
        if args.kind == "terminal":
            return try_terminal(config, timeout_s)
        if args.kind == "display":
            return try_display(display, timeout_s)
        return try_scanner(scanner, args.count, args.seconds)
    except (TillError, DeviceTimeout, OSError) as error:
        return _fail(args.kind, error)
    except Exception as error:  # noqa: BLE001 - a driver's own exception type (PrinterError, ...)
        return _fail(args.kind, error)
