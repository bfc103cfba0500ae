"""Open a python-escpos printer on the configured transport, with timeouts on every read and
write, and explain failures in the technician's terms.

Transports (devices.md §1): ``Usb`` (pyusb), ``Serial`` (pyserial), ``Network`` (raw TCP, port
9100), and ``File`` on /dev/usb/lp0 (no libusb, group lp), which we open read-write so the printer
can answer status queries. Nothing here is imported until an ESC/POS driver is used.
"""

from __future__ import annotations

import os
import select
import socket
from functools import lru_cache

from devices import paths
from devices.errors import PrinterError
from devices.escpos_loader import escpos
from devices.settings import PrinterSettings
from till.i18n import N_

UNREACHABLE = N_("Printer {host}:{port} cannot be reached: {reason}")
USB_MISSING = N_("USB printer {vendor}:{product} not found: is it plugged in and switched on?")
USB_BUSY = N_("USB printer {vendor}:{product} is used by another program (usblp, ipp-usb or CUPS)")
USB_FORBIDDEN = N_("No permission to use USB printer {vendor}:{product}: add a udev rule giving it to group lp, "
                   "and the till's user to group lp")
NO_LIBUSB = N_("No USB library (libusb) on this machine: install libusb-1.0-0, or use the escpos_file driver")


@lru_cache(maxsize=None)
def _readable_file_class():
    """escpos's ``File`` opened read-write without creating anything, with a bounded ``_read``:
    /dev/usb/lp0 answers status queries, and a missing device must not become a regular file."""
    base = escpos().File

    class ReadableFile(base):  # type: ignore[misc, valid-type]
        read_timeout = 0.5

        write_only = False

        def open(self, raise_not_found: bool = True) -> None:
            try:
                fd = os.open(self.devfile, os.O_RDWR | os.O_NOCTTY)
            except PermissionError:  # allowed to write only: print without status
                fd = os.open(self.devfile, os.O_WRONLY | os.O_NOCTTY)
                self.write_only = True
            self.device = os.fdopen(fd, "r+b" if not self.write_only else "wb", buffering=0)

        def _raw(self, msg: bytes) -> None:
            view = memoryview(msg)
            while view:  # a device may take part of a write
                view = view[os.write(self.device.fileno(), view):]

        def _read(self) -> bytes:
            if self.write_only:
                return b""
            try:
                ready, _, _ = select.select([self.device], [], [], self.read_timeout)
                return os.read(self.device.fileno(), 16) if ready else b""
            except OSError:  # a one-way (unidirectional) printer: no status, but it prints
                return b""

    return ReadableFile


def connect(settings: PrinterSettings):
    """An open ``escpos`` printer for ``settings``; ``PrinterError`` saying why when it cannot."""
    module = escpos()
    driver = settings.driver
    try:
        if driver == "escpos_network":
            printer = module.Network(settings.host, settings.port, timeout=settings.timeout_s, profile=settings.profile)
        elif driver == "escpos_serial":
            printer = module.Serial(settings.path, baudrate=settings.baud, timeout=settings.status_timeout_ms / 1000,
                                    dsrdtr=settings.flow_control == "dsrdtr",
                                    xonxoff=settings.flow_control == "xonxoff", profile=settings.profile)
        elif driver == "escpos_file":
            printer = _readable_file_class()(settings.path, profile=settings.profile)
        elif driver == "escpos_usb":
            printer = module.Usb(settings.usb_vendor_id, settings.usb_product_id, timeout=settings.timeout_s * 1000,
                                 in_ep=settings.usb_in_ep, out_ep=settings.usb_out_ep, profile=settings.profile)
        else:
            raise ValueError(driver)
        printer.open()
    except PrinterError:
        raise
    except Exception as error:
        raise explain(error, settings) from None
    if driver == "escpos_serial":
        printer.device.write_timeout = settings.timeout_s
        printer.device.rtscts = settings.flow_control == "rtscts"
    return printer


def still_open(printer) -> bool:
    """False when a kept network connection was closed by the printer (switched off, or its
    idle timeout): a receipt sent into it would be lost. Bytes waiting there (a late answer to
    an earlier status query) are read and dropped, so they are not taken for the next answer.
    Other links cannot tell before they are used; a failure then drops them (``EscposPrinter``)."""
    device = getattr(printer, "_device", None)
    if not isinstance(device, socket.socket):
        return True
    try:
        while select.select([device], [], [], 0)[0]:
            if not device.recv(4096, socket.MSG_DONTWAIT):
                return False  # end of stream: the printer closed it
    except OSError:  # reset, or not connected any more
        return False
    return True


def set_read_timeout(printer, seconds: float) -> None:
    """Bound the wait for a status answer (shorter than the printing timeout)."""
    device = getattr(printer, "_device", None)
    if isinstance(device, socket.socket):
        device.settimeout(seconds)
    elif hasattr(device, "write_timeout"):  # pyserial
        device.timeout = seconds
    elif hasattr(device, "default_timeout"):  # pyusb
        device.default_timeout = int(seconds * 1000)
    elif hasattr(printer, "read_timeout"):
        printer.read_timeout = seconds


def restore_timeout(printer, settings: PrinterSettings) -> None:
    device = getattr(printer, "_device", None)
    if isinstance(device, socket.socket):
        device.settimeout(settings.timeout_s)
    elif hasattr(device, "default_timeout") and not hasattr(device, "write_timeout"):
        device.default_timeout = settings.timeout_s * 1000


def explain(error: BaseException, settings: PrinterSettings) -> PrinterError:
    """A transport failure as a ``PrinterError`` naming the printer and what to do."""
    if isinstance(error, PrinterError):
        return error
    driver = settings.driver
    if driver == "escpos_network":
        return PrinterError(UNREACHABLE, host=settings.host, port=settings.port, reason=_reason(error))
    if driver == "escpos_usb":
        ids = {"vendor": f"{settings.usb_vendor_id:04x}", "product": f"{settings.usb_product_id:04x}"}
        text = f"{type(error).__name__} {error}"
        if "NoBackendError" in text:
            return PrinterError(NO_LIBUSB)
        if "Errno 16" in text or "Resource busy" in text:
            return PrinterError(USB_BUSY, **ids)
        if "Errno 13" in text or "Access denied" in text or "Permission" in text:
            return PrinterError(USB_FORBIDDEN, **ids)
        return PrinterError(USB_MISSING, **ids)
    return paths.explain(error, settings.path, PrinterError)  # type: ignore[return-value]


def _reason(error: BaseException) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(error).__name__
