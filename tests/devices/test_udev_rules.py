"""The udev rules of ``config/udev``: a scanner that shows the system several input devices (its
keyboard, a consumer-control device, a second HID interface) gives ``/dev/till-scanner`` to its
keyboard alone; otherwise the devices fight over the link and the last one plugged wins, often
one that never sends a code.

Rules are read as udev reads them (``KEY{attr}=="glob"`` matches, ``SYMLINK+=`` assignments)
and matched against the properties ``udevadm info`` shows for each device of such a scanner.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "config" / "udev" / "99-till.rules"
_PAIR = re.compile(r'\s*([A-Z_]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|=|:=)\s*"([^"]*)"\s*,?')


def rules(text: str) -> list[list[tuple[str, str | None, str, str]]]:
    """Each rule of ``text`` as its (key, attribute, operator, value) in order."""
    parsed = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pairs, position = [], 0
        while position < len(line):
            match = _PAIR.match(line, position)
            assert match is not None, f"unreadable udev rule: {line[position:]}"
            pairs.append(match.groups())
            position = match.end()
        parsed.append(pairs)
    return parsed


def matches(rule, device: dict) -> bool:
    """Whether every match key of ``rule`` holds for ``device`` (``ATTRS`` of the USB parent)."""
    for key, attribute, operator, value in rule:
        if operator not in ("==", "!="):
            continue
        if key in ("ENV", "ATTRS", "ATTR"):
            actual = device.get(key, {}).get(attribute)
        else:
            actual = device.get(key)
        found = actual is not None and any(fnmatch.fnmatchcase(actual, glob) for glob in value.split("|"))
        if found != (operator == "=="):
            return False
    return True


def links(rule_set, device: dict) -> list[str]:
    return [value for rule in rule_set if matches(rule, device)
            for key, _attribute, operator, value in rule if key == "SYMLINK" and operator == "+="]


def scanner_devices(vendor: str, product: str) -> list[dict]:
    """The input devices of one composite USB scanner in keyboard mode, as udev sees them."""
    usb = {"idVendor": vendor, "idProduct": product}

    def event(number: int, interface: str, **env: str) -> dict:
        return {"SUBSYSTEM": "input", "KERNEL": f"event{number}", "ATTRS": usb,
                "ENV": {"ID_INPUT": "1", "ID_USB_INTERFACE_NUM": interface, **env}}

    return [
        event(3, "00", ID_INPUT_KEY="1", ID_INPUT_KEYBOARD="1"),   # the keyboard that types the codes
        event(4, "00", ID_INPUT_KEY="1"),                          # its consumer-control device
        event(5, "01", ID_INPUT_KEY="1", ID_INPUT_KEYBOARD="1"),   # a second HID interface (HID POS)
        {"SUBSYSTEM": "input", "KERNEL": "input9", "ATTRS": usb, "ENV": {"ID_INPUT": "1"}},  # the parent
    ]


def test_only_the_scanners_keyboard_gets_the_till_scanner_link():
    rule_set = rules(RULES.read_text(encoding="utf-8"))
    [scanner_rule] = [rule for rule in rule_set if ("SYMLINK", None, "+=", "till-scanner") in rule]
    vendor = next(value for key, attribute, _op, value in scanner_rule if attribute == "idVendor")
    product = next(value for key, attribute, _op, value in scanner_rule if attribute == "idProduct")
    linked = [device["KERNEL"] for device in scanner_devices(vendor, product)
              if "till-scanner" in links(rule_set, device)]
    assert linked == ["event3"]


def test_every_link_names_one_kind_of_device():
    rule_set = rules(RULES.read_text(encoding="utf-8"))
    names = [value for rule in rule_set for key, _a, operator, value in rule if key == "SYMLINK" and operator == "+="]
    assert len(names) == len(set(names))
    assert all(name.startswith("till-") for name in names)
