"""The credit note code: its format, its check character, and how a typed or scanned one is read.

``AV`` + 16 random Crockford base-32 characters (80 bits from ``secrets``) + a check character,
printed ``AV-XXXX-XXXX-XXXX-XXXX-C``. A kernel module of its own, below both the scanner (which
must recognise a code) and the credit-note ledger (which issues and finds them), so neither
imports the other.
"""

from __future__ import annotations

import re
import secrets

from till.errors import ScanError
from till.i18n import N_

PREFIX = "AV"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford base32: digits and letters without I, L, O, U (easily misread)."""
_VALUE = {char: value for value, char in enumerate(CROCKFORD)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
RANDOM_BITS = 80
BODY_LENGTH = RANDOM_BITS // 5  # 16 characters
GROUP = 4

# --- Messages (marked N_ for the catalogues, till/locales) ------------------------------

INVALID_CODE = N_("{code} is not a valid credit note code")
QUANTITY_ON_CREDIT_NOTE = N_("A quantity cannot be given for a credit note: {code}")


class InvalidCreditNoteCode(ScanError):
    """Text shaped like a credit note code whose characters or check character are wrong."""

    def __init__(self, code: str) -> None:
        super().__init__(INVALID_CODE, code=code)
        self.code = code


class QuantityOnCreditNote(ScanError):
    """A quantity typed before a credit note code (``2*AV-...``)."""

    def __init__(self, code: str) -> None:
        super().__init__(QUANTITY_ON_CREDIT_NOTE, code=code)




_POLY = 0b100101  # x^5 + x^2 + 1, primitive: x generates the 31 non-zero elements of GF(32)


def _times_x(value: int) -> int:
    value <<= 1
    return value ^ _POLY if value & 0b100000 else value


def _gf_mul(a: int, b: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        a, b = _times_x(a), b >> 1
    return product


def check_character(text: str) -> str:
    """The check character of ``text`` (at most 30 Crockford characters, upper case).

    Character i (from 0) weighs x^(i+1) in GF(32), the check weighs 1, and the whole sums to 0.
    All weights differ and none is 0, so a wrong character changes the sum by a non-zero
    product, and two different characters swapped by (a - b)(w_i - w_j), never 0 either.
    """
    if len(text) > 30:
        raise ValueError("the check covers at most 30 characters")
    total, weight = 0, 1
    for char in text:
        weight = _times_x(weight)
        total ^= _gf_mul(_VALUE[char], weight)  # KeyError for a character codes never use
    return CROCKFORD[total]


def _printed(compact: str) -> str:
    """``AV`` + body + check, compact -> the printed form ``AV-XXXX-XXXX-XXXX-XXXX-C``."""
    body = compact[len(PREFIX):-1]
    groups = [body[i:i + GROUP] for i in range(0, len(body), GROUP)]
    return "-".join([PREFIX, *groups, compact[-1]])


def make_code() -> str:
    """A new, unguessable code (80 random bits from ``secrets``), in its printed form."""
    number = secrets.randbits(RANDOM_BITS)
    body = "".join(CROCKFORD[(number >> shift) & 31] for shift in range(RANDOM_BITS - 5, -1, -5))
    return _printed(PREFIX + body + check_character(PREFIX + body))


_SEPARATORS = re.compile(r"[\s\-_.]+")
_SHAPE = re.compile(rf"{PREFIX}[0-9A-Z]{{{BODY_LENGTH + 1}}}")


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text).upper()


def looks_like_code(text: str) -> bool:
    """Whether ``text`` has the shape of a credit note code (right or wrong): AV + 17 characters."""
    return isinstance(text, str) and _SHAPE.fullmatch(_compact(text)) is not None


def parse_code(text: str) -> str:
    """The printed form of the code in ``text`` (any case, dashes and spaces optional).

    Raises ``InvalidCreditNoteCode`` when a character is not one a code uses or the check
    character does not match: a typo or a forged code never reaches the database.
    """
    if not isinstance(text, str):
        raise InvalidCreditNoteCode(str(text))
    compact = _compact(text)
    if _SHAPE.fullmatch(compact) is not None:
        compact = PREFIX + compact[len(PREFIX):].translate(_ALIASES)
    if (_SHAPE.fullmatch(compact) is None
            or any(char not in _VALUE for char in compact[len(PREFIX):])
            or check_character(compact[:-1]) != compact[-1]):
        raise InvalidCreditNoteCode(text.strip())
    return _printed(compact)
