"""Helpers shared by the device tests: input_event records, and a config that has the device
sections even before ``till.config.loader`` lists them.

``with_device_sections`` adds ``scanner`` and ``display`` to ``till.config.loader`` exactly as the
integration does (a ``Config`` with two more fields, two more ``_SECTIONS`` entries), so the
tests read real TOML files through ``till.config.loader.load``; once ``till.config.loader`` has them, it
changes nothing.
"""

from __future__ import annotations

import dataclasses
import os
import time

from devices.display import DisplaySettings
from devices.evdev_reader import EVENT, EV_KEY, EV_SYN
from devices.scanner import ScannerSettings

LEFTSHIFT, LEFTCTRL, ENTER = 42, 29, 28
US_DIGITS = {"1": 2, "2": 3, "3": 4, "4": 5, "5": 6, "6": 7, "7": 8, "8": 9, "9": 10, "0": 11}
US_LETTERS = {ch: code for code, ch in zip(range(16, 26), "qwertyuiop")}
US_LETTERS.update({ch: code for code, ch in zip(range(30, 39), "asdfghjkl")})
US_LETTERS.update({ch: code for code, ch in zip(range(44, 51), "zxcvbnm")})


def event(kind: int, code: int, value: int) -> bytes:
    """One ``struct input_event`` as the kernel writes it (time, type, code, value)."""
    now = time.time()
    return EVENT.pack(int(now), int(now % 1 * 1_000_000), kind, code, value)


def key(code: int, shift: bool = False, ctrl: bool = False) -> bytes:
    """A key press and release with its SYN reports, as a USB scanner in keyboard mode sends."""
    out = b""
    if shift:
        out += event(EV_KEY, LEFTSHIFT, 1) + event(EV_SYN, 0, 0)
    if ctrl:
        out += event(EV_KEY, LEFTCTRL, 1) + event(EV_SYN, 0, 0)
    out += event(4, 4, 0x7001E) + event(EV_KEY, code, 1) + event(EV_SYN, 0, 0)  # EV_MSC scan code first
    out += event(EV_KEY, code, 0) + event(EV_SYN, 0, 0)
    if ctrl:
        out += event(EV_KEY, LEFTCTRL, 0) + event(EV_SYN, 0, 0)
    if shift:
        out += event(EV_KEY, LEFTSHIFT, 0) + event(EV_SYN, 0, 0)
    return out


def typed(text: str, enter: bool = True) -> bytes:
    """The events of a US-layout scanner typing ``text`` (digits, letters, '-') and Enter."""
    out = b""
    for ch in text:
        if ch in US_DIGITS:
            out += key(US_DIGITS[ch])
        elif ch.lower() in US_LETTERS:
            out += key(US_LETTERS[ch.lower()], shift=ch.isupper())
        elif ch == "-":
            out += key(12)
        elif ch == "\x1d":
            out += key(27, ctrl=True)
        else:
            raise ValueError(ch)
    return out + (key(ENTER) if enter else b"")


def wait_until(predicate, timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def with_device_sections(monkeypatch) -> None:
    import till.config.loader as config_module

    if any(f.name == "scanner" for f in dataclasses.fields(config_module.Config)):
        return
    extended = dataclasses.make_dataclass(
        "Config",
        [("scanner", ScannerSettings, dataclasses.field(default_factory=ScannerSettings)),
         ("display", DisplaySettings, dataclasses.field(default_factory=DisplaySettings))],
        bases=(config_module.Config,), frozen=True)
    monkeypatch.setattr(config_module, "Config", extended)
    monkeypatch.setitem(config_module._SECTIONS, "scanner", ScannerSettings)
    monkeypatch.setitem(config_module._SECTIONS, "display", DisplaySettings)


def close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def mangle(code: str, table: dict[str, str]) -> str:
    """``code`` as a scanner set for another keyboard layout types it (``table``: what the console
    shows -> what the scanner meant; a character both layouts agree on is typed as it is)."""
    back = {meant: shown for shown, meant in table.items()}
    return "".join(back.get(char, char) for char in code)
