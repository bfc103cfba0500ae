"""Each configured device, as a technician checks it at the counter: the device file is there,
this user may open it (else the group to join), and the device answers.

The sentences for a missing path, a group to join, a busy or vanished device are
``devices.access``'s, the ones ``till devices list`` and every driver use. "Answers" asks what is
cheap and harmless: the printer's DLE EOT status, a serial drawer's sensor line, the card
terminal's own health check (Concert's ENQ/ACK/EOT handshake, a Caisse-AP connection), never
while the till's program runs (a payment may be in progress); nothing prints, opens or charges. Each call is bounded by a short timeout
(the drivers' guards), so a hung device makes one FAIL line, never a hung doctor. Simulated and
logged devices (the demo's) are OK and say so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from devices import drawer as drawers
from devices import printer as printers
from devices.access import check_path
from devices.display import DisplaySettings
from devices.escpos_status import OFFLINE
from devices.payment.factory import TerminalSettings, make_terminal
from devices.scanner import ScannerSettings
from till.errors import TillError
from till.i18n import N_, Phrase
from till.shop.doctor.findings import FAIL, OK, WARN, Finding
from till.shop.running import AlreadyRunning, running_till

__all__ = ["devices", "path_finding", "MESSAGES", "PROBE_TIMEOUT_S"]

PRINTER, DRAWER, TERMINAL, SCANNER, DISPLAY = (
    N_("printer"), N_("cash drawer"), N_("card terminal"), N_("scanner"), N_("customer display"))
DEVICE_NOT_USED = N_("{device}: none configured")
DEVICE_SIMULATED = N_("{device}: simulated ({where})")
DEVICE_PRESENT = N_("{device} {where}: present, this user may open it")
DEVICE_ANSWERS = N_("{device} {where}: answers ({state})")
DEVICE_STATE = N_("{device} {where}: {state}")
DEVICE_PROBLEM = N_("{device} ({driver}): {problem}")
DEVICE_SILENT = N_("{device} {where}: no answer: {reason} (check the cable, the power and the address)")
KICKED_BY_PRINTER = N_("{device}: kicked by the printer (pin {pin})")
DEVICE_IN_USE = N_("{device} {where}: in use by the running till, not asked (till devices test {test} once "
                   "the till is stopped)")
KEYBOARD = N_("{device}: keyboard wedge (types into the till's console)")
SENSOR = {True: N_("drawer open"), False: N_("drawer closed"), None: N_("no sensor")}
MESSAGES = (PRINTER, DRAWER, TERMINAL, SCANNER, DISPLAY, DEVICE_NOT_USED, DEVICE_SIMULATED, DEVICE_PRESENT,
            DEVICE_ANSWERS, DEVICE_STATE, DEVICE_PROBLEM, DEVICE_SILENT, KICKED_BY_PRINTER, DEVICE_IN_USE, KEYBOARD,
            *SENSOR.values())

PROBE_TIMEOUT_S = 3
"""The longest one device may take to answer the doctor."""


def path_finding(device: str, driver: str, path: str, write: bool = True) -> Finding:
    """Present and openable, or the fix (missing: cable and name; refused: the group to join).
    A pyserial URL (``rfc2217://`` serial device server) has no file: the probe that follows
    is its check."""
    if "://" in path:
        return Finding(OK, DEVICE_PRESENT, {"device": Phrase(device), "where": path})
    checked = check_path(path, write=write)
    if checked.problem is not None:
        return Finding(FAIL, DEVICE_PROBLEM, {"device": Phrase(device), "driver": driver,
                                              "problem": checked.problem})
    return Finding(OK, DEVICE_PRESENT, {"device": Phrase(device), "where": path})


def printer(config: Any) -> Iterable[Finding]:
    settings = config.printer
    device = Phrase(PRINTER)
    if settings.driver == "none":
        yield Finding(OK, DEVICE_NOT_USED, {"device": device})
        return
    if settings.driver == "file":
        yield Finding(OK, DEVICE_SIMULATED, {"device": device, "where": str(config.resolve(settings.path))})
        return
    where = {"escpos_network": f"{settings.host}:{settings.port}",
             "escpos_usb": f"usb {settings.usb_vendor_id:04x}:{settings.usb_product_id:04x}"}.get(
        settings.driver, settings.path)
    if settings.driver in ("escpos_serial", "escpos_file"):
        found = path_finding(PRINTER, settings.driver, settings.path)
        if found.status != OK:
            yield found
            return
    try:
        with running_till(config):  # the running till keeps the printer's one connection: not ours to take
            status, reason = _printer_status(config, settings)
    except AlreadyRunning:
        yield Finding(OK, DEVICE_IN_USE, {"device": device, "where": where, "test": "printer"})
        return
    if status.state == OFFLINE:
        yield Finding(FAIL, DEVICE_SILENT, {"device": device, "where": where, "reason": reason})
    elif status.printable:
        yield Finding(OK, DEVICE_ANSWERS, {"device": device, "where": where, "state": Phrase(status.message)})
    else:  # paper out, cover open: it answered, and receipts wait in the outbox
        yield Finding(WARN, DEVICE_STATE, {"device": device, "where": where, "state": Phrase(status.message)})


def _printer_status(config: Any, settings: Any):
    """The printer's state asked once with the doctor's timeout, and why it did not answer; the
    connection is closed after, as the till would find it."""
    probe = printers.make_printer(dataclasses.replace(settings, timeout_s=PROBE_TIMEOUT_S), config.resolve)
    try:
        status = probe.status()
        return status, probe.last_error or Phrase(status.message)
    finally:
        getattr(probe, "close", lambda: None)()


def drawer(config: Any) -> Iterable[Finding]:
    settings = config.drawer
    device = Phrase(DRAWER)
    if settings.kind == "none":
        yield Finding(OK, DEVICE_NOT_USED, {"device": device})
    elif settings.kind == "log":
        yield Finding(OK, DEVICE_SIMULATED, {"device": device, "where": str(config.resolve(settings.log_path))})
    elif settings.kind == "printer":
        yield Finding(OK, KICKED_BY_PRINTER, {"device": device, "pin": settings.pin})
    else:
        found = path_finding(DRAWER, settings.kind, settings.path)
        if found.status != OK or settings.status_line == "none":
            yield found
            return
        probe = drawers.SerialDrawer(dataclasses.replace(settings, timeout_s=PROBE_TIMEOUT_S))
        try:
            state = probe.is_open()
        except TillError as error:
            yield Finding(FAIL, DEVICE_PROBLEM, {"device": device, "driver": settings.kind, "problem": error})
            return
        finally:
            _quietly(probe.close)
        yield Finding(OK, DEVICE_ANSWERS, {"device": device, "where": settings.path, "state": Phrase(SENSOR[state])})


def terminal(config: Any) -> Iterable[Finding]:
    settings = config.payment
    device = Phrase(TERMINAL)
    if settings.terminal == "none":
        yield Finding(OK, DEVICE_NOT_USED, {"device": device})
        return
    if settings.terminal == "simulator" or settings.simulate is True:
        yield Finding(OK, DEVICE_SIMULATED, {"device": device, "where": settings.terminal})
        return
    if settings.terminal == "caisse_ap":
        where = f"{settings.host}:{settings.port}"
    else:
        where = settings.device
        found = path_finding(TERMINAL, settings.terminal, settings.device)
        if found.status != OK:
            yield found
            return
    try:
        with running_till(config):  # held while asking, so the till cannot start a payment meanwhile
            health = _terminal_health(settings)
    except AlreadyRunning:
        yield Finding(OK, DEVICE_IN_USE, {"device": device, "where": where, "test": "terminal"})
        return
    if health == "ready":
        yield Finding(OK, DEVICE_ANSWERS, {"device": device, "where": where, "state": health})
    else:
        yield Finding(FAIL, DEVICE_SILENT, {"device": device, "where": where,
                                            "reason": health.removeprefix("offline: ")})


def _terminal_health(settings: Any) -> str:
    """The driver's own health check with the doctor's timeouts: Concert's ENQ/ACK/EOT handshake
    (no request is sent), Caisse-AP's connection (nothing sent: one request per connection)."""
    step_ms = min(settings.step_timeout_ms, PROBE_TIMEOUT_S * 1000)
    probe = make_terminal(TerminalSettings(
        driver=settings.terminal, device=settings.device, baudrate=settings.baudrate, host=settings.host,
        port=settings.port, step_timeout_ms=step_ms, answer_timeout_s=PROBE_TIMEOUT_S, retries=1,
        pos_number=settings.pos_number, terminal_id=settings.terminal_id))
    return probe.health() if probe is not None else "ready"


def scanners(config: Any) -> Iterable[Finding]:
    settings = ScannerSettings.from_config(config)
    for source in settings.sources:
        if source == "wedge":
            yield Finding(OK, KEYBOARD, {"device": Phrase(SCANNER)})
        elif source == "evdev":
            yield path_finding(SCANNER, source, settings.evdev_path, write=False)
        elif source == "serial":
            yield path_finding(SCANNER, source, settings.serial_path)


def display(config: Any) -> Iterable[Finding]:
    settings = DisplaySettings.from_config(config)
    if settings.driver == "none":
        yield Finding(OK, DEVICE_NOT_USED, {"device": Phrase(DISPLAY)})
    else:
        yield path_finding(DISPLAY, settings.driver, settings.path)


def devices(config: Any) -> Iterable[Finding]:
    """Every configured device, one line each (one kind that breaks is its own FAIL line)."""
    for check in (printer, drawer, terminal, scanners, display):
        try:
            yield from check(config)
        except Exception as error:  # noqa: BLE001 - one device's surprise must not hide the others
            reason = error if isinstance(error, TillError) else str(error) or type(error).__name__
            yield Finding(FAIL, DEVICE_PROBLEM, {"device": Phrase(check.__name__.rstrip("s")), "driver": "?",
                                                 "problem": reason})


def _quietly(call) -> None:
    try:
        call()
    except Exception:  # noqa: BLE001 - closing a port that failed: it is gone anyway
        pass
