"""The threaded scanner readers a configuration names (evdev, serial): built here, apart from
``devices.scanner``, because the readers use the scanner's messages and errors while the hub
only needs what they all offer (``devices.scanner.Reader``)."""

from __future__ import annotations

from devices.evdev_reader import EvdevReader
from devices.scanner import Reader, ScannerSettings
from devices.serial_reader import SerialReader


def make_readers(settings: ScannerSettings) -> list[Reader]:
    """The threaded readers of ``settings`` (the wedge is read by the UI itself, not here)."""
    settings.validate()
    readers: list[Reader] = []
    if "evdev" in settings.sources:
        readers.append(EvdevReader(settings.evdev_path, grab=settings.evdev_grab,
                                   partial_timeout_s=settings.partial_timeout_ms / 1000))
    if "serial" in settings.sources:
        readers.append(SerialReader(settings.serial_path, baud=settings.serial_baud,
                                    partial_timeout_s=settings.partial_timeout_ms / 1000,
                                    prefix=settings.prefix, end_chars=settings.end_chars))
    return readers
