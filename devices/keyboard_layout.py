"""A keyboard-wedge scanner set for another keyboard layout than the console it types into.

A wedge scanner sends key *positions* (USB key codes) for the layout it is set to, and the
console turns them into characters with its own keymap. A scanner left in US layout on a French
AZERTY console sends the key of "1" unshifted, which AZERTY reads as ``&``; its "-" key is
AZERTY's ``)``; its A, Q, W, Z and M keys are AZERTY's Q, A, Z, W and "?" (the letters those
layouts swap). So ``T01-0028837``, a receipt code, arrives as ``Tà&)ààé__"è``, and the return
cannot start. The reverse (an AZERTY scanner on a US console) types ``!@#$%^&*()`` for digits
and ``6`` for the dash.

Both are undone here, for every character a code of ours can hold (digits, letters, dash):
product codes, receipt codes and credit-note codes. A text is read as mangled only when it holds
a character of the mangled digit row, and, once it holds letters, only when what it decodes to
is a code the till recognises (``till.scanning.parse``: a valid receipt, credit note or
barcode); so a SKU such as ``T-SHIRT`` typed by a person is never "decoded". A text of the digit
row alone is decoded as before, even with a wrong check digit, so that the cashier is told about
the check digit rather than about an unknown code.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from till.errors import ScanError
from till.i18n import N_, translate
from till.scanning import SkuCode, parse

LAYOUT_US_ON_AZERTY = (
    N_("The scanner types with a US (QWERTY) layout on a French (AZERTY) keyboard: read as {code}."
       " Set the scanner to French (AZERTY) with its programming code, or use the evdev source")
)
LAYOUT_AZERTY_ON_US = (
    N_("The scanner types with a French (AZERTY) layout on a US (QWERTY) keyboard: read as {code}."
       " Set the scanner to US (QWERTY) with its programming code, or use the evdev source")
)
LAYOUT_MATCHES = N_("The scanner types with the same keyboard layout as this console: codes arrive as printed")
"""Said by ``till devices test scanner`` for a code whose characters would show a mismatch."""

MESSAGES = (LAYOUT_US_ON_AZERTY, LAYOUT_AZERTY_ON_US, LAYOUT_MATCHES)

_SWAPPED = dict(zip("AQZWaqzw", "QAWZqazw"))
"""Letters AZERTY and QWERTY keep on each other's key (the same both ways)."""

US_DIGITS_ON_AZERTY = dict(zip("&é\"'(-è_çà", "1234567890"))
"""What a French AZERTY console makes of the unshifted digit-row keys of a US-layout scanner."""
US_ON_AZERTY = {**US_DIGITS_ON_AZERTY, ")": "-", **_SWAPPED, "?": "M", ",": "m"}
"""Console character -> what a US-layout scanner meant, on an AZERTY console (dash and letters
too; a letter missing here is the same in both layouts)."""
AZERTY_DIGITS_ON_US = dict(zip("!@#$%^&*()", "1234567890"))
"""What a US console makes of an AZERTY scanner's digits (Shift + digit-row key on AZERTY)."""
AZERTY_ON_US = {**AZERTY_DIGITS_ON_US, "6": "-", **_SWAPPED, ":": "M", ";": "m"}
"""Console character -> what an AZERTY scanner meant, on a US console."""

_SAME_LETTERS = frozenset(string.ascii_letters) - set(_SWAPPED) - set("Mm") | {"\x1d"}
"""Letters both layouts type alike, and GS (GS1's FNC1, Ctrl + ]). M is not among them: on the
other layout its key types "?" or ":", so an M seen on the console was typed as an M, by a
scanner of the right layout."""
_TELLING = frozenset(string.digits) | set(_SWAPPED) | set("Mm-")
"""The characters of a code that a layout mismatch would have changed."""

_TABLES = ((US_ON_AZERTY, US_DIGITS_ON_AZERTY, LAYOUT_US_ON_AZERTY),
           (AZERTY_ON_US, AZERTY_DIGITS_ON_US, LAYOUT_AZERTY_ON_US))


@dataclass(frozen=True)
class LayoutMismatch:
    """A code typed through the wrong keyboard layout, decoded, and why."""

    seen: str
    code: str
    message: str

    def text(self, lang: str | None = None) -> str:
        return translate(self.message, lang, code=self.code)


def _recognised(code: str) -> bool:
    """A code the till reads as one of its own kinds (not a SKU, not an error)."""
    try:
        return not isinstance(parse(code), SkuCode)
    except ScanError:
        return False


def check_layout(code: str) -> LayoutMismatch | None:
    """Recognise a code mangled by a keyboard layout mismatch, and decode it.

    ``&`` and ``(`` are in both digit rows (1 and 5 on one side, 7 and 9 on the other), so when
    both layouts could have typed ``code``, the one that decodes to a recognised code (a right
    check digit) wins, US-on-AZERTY by default (the common case in a French shop).
    """
    if len(code) < 6 or code.isdigit():
        return None  # short entries are typing, not a mangled barcode
    candidates: list[tuple[LayoutMismatch, bool]] = []
    for table, digit_row, message in _TABLES:
        if not any(ch in digit_row for ch in code):
            continue  # no mangled digit: this layout did not type it
        if not all(ch in table or ch in _SAME_LETTERS for ch in code):
            continue
        decoded = "".join(table.get(ch, ch) for ch in code)
        only_digits = all(ch in digit_row for ch in code)
        valid = _recognised(decoded)
        if valid or only_digits:
            candidates.append((LayoutMismatch(code, decoded, message), valid))
    for candidate, valid in candidates:
        if valid:
            return candidate
    return candidates[0][0] if candidates else None


def layout_verdict(code: str, notice: LayoutMismatch | None, console: bool = True,
                   lang: str | None = None) -> str | None:
    """What a code from a keyboard scanner says about its layout, for ``till devices test scanner``:
    the mismatch and its fix, that the layouts agree, or None when nothing in ``code`` could tell
    (no digit, dash or letter that moves between AZERTY and QWERTY). ``console``: the code came
    through the console's keymap (the wedge); evdev reads key codes as a US keyboard's, so only
    a mismatch is worth saying there."""
    if notice is not None:
        return notice.text(lang)
    if console and any(ch in _TELLING for ch in code):
        return translate(LAYOUT_MATCHES, lang)
    return None
