"""A wedge scanner set for another keyboard layout than the console's: receipt and credit-note
codes (letters, dash, digits) are decoded as product codes are, and never a code that was
typed right."""

from __future__ import annotations

import pytest

from tests.support.devices import mangle
from devices.keyboard_layout import (
    AZERTY_ON_US, LAYOUT_AZERTY_ON_US, LAYOUT_US_ON_AZERTY, US_ON_AZERTY, check_layout,
)
from till.note_codes import make_code
from till.scanning import ticket_code

RECEIPT = "T01-0028837"


def test_a_us_scanner_on_an_azerty_console_types_a_receipt_code_that_is_decoded():
    seen = mangle(RECEIPT, US_ON_AZERTY)
    assert seen == "Tà&)ààé__\"è"
    found = check_layout(seen)
    assert found is not None and found.code == RECEIPT and found.message == LAYOUT_US_ON_AZERTY


@pytest.mark.parametrize("till_id", ["A1", "QZ", "W7", "MAG"])
def test_letters_that_move_between_qwerty_and_azerty_are_put_back(till_id):
    code = ticket_code(till_id, 426)
    for table, message in ((US_ON_AZERTY, LAYOUT_US_ON_AZERTY), (AZERTY_ON_US, LAYOUT_AZERTY_ON_US)):
        seen = mangle(code, table)
        assert seen != code
        found = check_layout(seen)
        assert found is not None and (found.code, found.message) == (code, message)


def test_a_credit_note_code_is_decoded_too():
    code = make_code()
    for table in (US_ON_AZERTY, AZERTY_ON_US):
        found = check_layout(mangle(code, table))
        assert found is not None and found.code == code


@pytest.mark.parametrize("text", [
    RECEIPT,                # typed right
    "T-SHIRT",              # a SKU made of letters and a dash: no code once "decoded"
    "T(SHIRT)L",
    "Tà&)ààé__\"à",         # a receipt code with a wrong check digit: left as it came
    "AB-123-X",
])
def test_what_decodes_to_no_code_is_no_mismatch(text):
    assert check_layout(text) is None


# --- till devices test scanner --------------------------------------------------------------------

def scanner_test_on_a_console(*typed: str) -> list[str]:
    """``till devices test scanner`` with the wedge source, its terminal a pty into which a
    scanner types ``typed`` (each a code and its Enter), as on the till's console."""
    import os
    import threading
    import time

    from devices.scanner import ScannerSettings
    from till.cli.devices import try_scanner
    from till.i18n import set_language

    master, slave = os.openpty()
    lines: list[str] = []

    def scanner() -> None:
        for text in typed:
            time.sleep(0.3)  # the command has put its terminal in cbreak mode
            os.write(master, (text + "\r").encode("utf-8"))

    set_language("en")
    try:
        with os.fdopen(slave, "r", closefd=True) as console:
            threading.Thread(target=scanner, daemon=True).start()
            assert try_scanner(ScannerSettings(), count=len(typed), seconds=5, out=lines.append,
                               stdin=console) == 0
    finally:
        set_language("fr")
        os.close(master)
    return lines


def test_the_scanner_test_says_which_layout_the_scanner_types_with():
    lines = scanner_test_on_a_console(mangle(RECEIPT, US_ON_AZERTY), RECEIPT)
    scans = [index for index, line in enumerate(lines) if line.startswith("scan:")]
    assert [lines[index] for index in scans] == [f"scan: {RECEIPT}  (wedge)"] * 2
    first, second = (lines[index + 1] for index in scans)
    assert "layout: The scanner types with a US (QWERTY) layout on a French (AZERTY) keyboard" in first
    assert "Set the scanner to French (AZERTY)" in first
    assert "layout: The scanner types with the same keyboard layout as this console" in second


def test_a_gs1_code_with_its_fnc1_is_decoded_too():
    code = "0103012345678902" + "10L42" + "\x1d" + "3922000499"
    found = check_layout(mangle(code, US_ON_AZERTY))
    assert found is not None and found.code == code


def test_only_the_console_says_that_layouts_agree():
    from devices.keyboard_layout import layout_verdict

    assert layout_verdict(RECEIPT, None, console=True, lang="en").startswith("The scanner types with the same")
    assert layout_verdict(RECEIPT, None, console=False) is None   # evdev: no console keymap involved
    assert layout_verdict("TTTTTT", None) is None                  # nothing in it could tell
