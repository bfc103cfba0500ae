"""What the printer and drawer drivers need to know, as plain frozen data.

``till.config.loader`` owns the TOML file and builds these as it builds every section (a key the
file does not have keeps its default, a wrong one is reported with its line); they live here so
that ``devices`` stays free of ``till.config``, and tests build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from till.i18n import N_

PRINTER_DRIVERS = ("file", "escpos_usb", "escpos_serial", "escpos_network", "escpos_file", "none")
DRAWER_KINDS = ("log", "printer", "serial", "none")
STATUS_LINES = ("none", "cts", "dsr", "ri", "cd")


@dataclass(frozen=True)
class PrinterSettings:
    """The receipt printer: which driver, where it is, and how it prints."""

    driver: str = "file"
    path: str = "receipts.txt"
    """``file``: the text file; ``escpos_file``: the device (/dev/usb/lp0); ``escpos_serial``: the port."""
    width: int = 42
    """Characters per line: 32 for 58 mm paper, 42 or 48 for 80 mm."""
    usb_vendor_id: int = 0
    usb_product_id: int = 0
    usb_in_ep: int = 0x82
    usb_out_ep: int = 0x01
    host: str = ""
    port: int = 9100
    baud: int = 9600
    flow_control: str = "none"
    """Serial flow control: ``none``, ``dsrdtr``, ``rtscts`` or ``xonxoff``."""
    profile: str = "default"
    """A python-escpos printer profile (``TM-T20II``, ``POS-5890``...): cutter, QR, code pages."""
    code_page: str = "CP858"
    """Pinned, so the euro sign prints the same on every printer (CP858 has it at 0xD5)."""
    cut: str = "full"
    """``full``, ``partial`` or ``none`` (printers without a cutter)."""
    barcode: bool = True
    """Print the ticket code as CODE128, so a return starts with a scan."""
    qr: bool = True
    """Print the ticket code as a QR code too (native when the profile can)."""
    status_query: str = "auto"
    """``auto``: ask the printer its state before printing, print anyway when it does not answer;
    ``required``: a printer that does not answer is offline; ``off``: never ask."""
    status_timeout_ms: int = 500
    timeout_s: int = 10
    """The longest any printer call may take before it is reported as hung."""


@dataclass(frozen=True)
class DrawerSettings:
    """The cash drawer: kicked by the printer, on its own serial port, or only logged."""

    kind: str = "log"
    pin: int = 2
    """Printer kick connector pin: 2 (drawer 1) or 5 (drawer 2)."""
    path: str = ""
    """Serial drawer port (/dev/ttyUSB0 ...)."""
    baud: int = 9600
    open_bytes: str = "07"
    """Hex bytes that open a serial drawer (BEL by default; many drawers open on any byte)."""
    status_line: str = "none"
    """Where a serial drawer reports its state: ``cts``, ``dsr``, ``ri``, ``cd`` or ``none``."""
    open_level: str = "high"
    """Level of the sensor (modem line, or printer connector pin 3) when the drawer is open."""
    sensor: bool = False
    """``printer`` drawers: the drawer's switch is wired to the printer (pin 3), so it is read
    every second for the "left open" warning. Off by default: many drawers have no switch, and
    reading one that is not there only keeps the printer busy. (A serial drawer's sensor is
    ``status_line``.)"""
    warn_open_after_s: int = 60
    """A drawer open longer than this is reported as left open."""
    timeout_s: int = 5
    give_up_s: int = 5
    """A drawer that has not opened this long after the sale is given up on, never kicked later:
    the customer has left, and a drawer popping open then is an invitation to a thief."""
    log_path: str = "drawer.log"

    @property
    def has_sensor(self) -> bool:
        """True when there is a sensor to poll (a printer drawer's pin 3, a serial modem line)."""
        if self.kind == "printer":
            return self.sensor
        return self.kind == "serial" and self.status_line != "none"


MUST_BE_ONE_OF = N_("{file}, line {line}: {key} must be one of {choices}")
MUST_BE_HEX = N_("{file}, line {line}: {key} must be hexadecimal bytes, such as \"07\"")
MUST_BE_POSITIVE = N_("{file}, line {line}: {key} must be above 0")
NEEDS_VALUE = N_("{file}, line {line}: {key} is needed by this driver")

_CHOICES = {
    "driver": PRINTER_DRIVERS, "flow_control": ("none", "dsrdtr", "rtscts", "xonxoff"),
    "cut": ("full", "partial", "none"), "status_query": ("auto", "required", "off"), "width": (32, 42, 48),
    "kind": DRAWER_KINDS, "pin": (2, 5), "status_line": STATUS_LINES, "open_level": ("high", "low"),
}


def problems(settings: PrinterSettings | DrawerSettings) -> list[tuple[str, str, dict]]:
    """What is wrong in ``settings``, for ``till.config.loader``'s checks: ``(key, message, params)``
    with the configuration's "{file}, line {line}: {key} ..." messages (key without section)."""
    found: list[tuple[str, str, dict]] = []
    for name, allowed in _CHOICES.items():
        if hasattr(settings, name) and getattr(settings, name) not in allowed:
            found.append((name, MUST_BE_ONE_OF, {"choices": ", ".join(str(c) for c in allowed)}))
    for name in ("timeout_s", "status_timeout_ms", "baud", "port", "warn_open_after_s", "give_up_s"):
        if hasattr(settings, name) and getattr(settings, name) <= 0:
            found.append((name, MUST_BE_POSITIVE, {}))
    if isinstance(settings, DrawerSettings):
        try:
            if not bytes.fromhex(settings.open_bytes):
                raise ValueError
        except ValueError:
            found.append(("open_bytes", MUST_BE_HEX, {}))
        if settings.kind == "serial" and not settings.path:
            found.append(("path", NEEDS_VALUE, {}))
    else:
        needed = {"escpos_network": "host", "escpos_serial": "path", "escpos_file": "path",
                  "escpos_usb": "usb_vendor_id"}.get(settings.driver)
        if needed and not getattr(settings, needed):
            found.append((needed, NEEDS_VALUE, {}))
    return found
