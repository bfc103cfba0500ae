"""The arithmetic of a barcode's digits (GTIN-8/12/13/14, UPC-E): check digits, lengths,
expansion. Pure and without messages, so that ``till.scanning`` (which reads what a scan is and
says why it is refused) and anything that makes barcodes (the demo, the benchmarks) share it.
"""

from __future__ import annotations

import re

__all__ = ["GTIN_LENGTHS", "UPC_E_LENGTH", "gtin_check_digit", "is_valid_gtin", "make_ean13", "expand_upc_e"]

GTIN_LENGTHS = (8, 12, 13, 14)
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also accepts "²" and "３"


def gtin_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit of ``body`` (a GTIN without its last digit).

    Weights 3, 1, 3, ... from the right, so one function serves EAN-8 to GTIN-14 and leading
    zeros never change the result (which is what makes UPC-A -> EAN-13 padding safe).
    """
    if not isinstance(body, str) or not _DIGITS.fullmatch(body):
        raise ValueError(f"a GTIN body is digits only, got {body!r}")
    total = sum(
        int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body))
    )
    return str(-total % 10)


def is_valid_gtin(code: object) -> bool:
    """Whether ``code`` is an 8, 12, 13 or 14-digit GTIN with the right check digit."""
    return (
        isinstance(code, str)
        and len(code) in GTIN_LENGTHS
        and _DIGITS.fullmatch(code) is not None
        and code[-1] == gtin_check_digit(code[:-1])
    )


def make_ean13(body12: str) -> str:
    """The EAN-13 made of these 12 digits and their check digit (for in-store codes)."""
    if not isinstance(body12, str) or len(body12) != 12 or not _DIGITS.fullmatch(body12):
        raise ValueError(f"an EAN-13 body is 12 digits, got {body12!r}")
    return body12 + gtin_check_digit(body12)


UPC_E_LENGTH = 8


def expand_upc_e(code: str) -> str | None:
    """The UPC-A (12 digits) that the UPC-E ``code`` (8 digits, number system 0 or 1) is the
    zero-suppressed form of, or None when ``code`` is not shaped like one.

    The check digit of a UPC-E is that of its UPC-A, so it fails the EAN-8 test that an 8-digit
    code gets first: without this a UPC-E (small US and imported items) was refused as a bad
    check digit. The sixth digit says where the zeros were taken out.
    """
    if len(code) != UPC_E_LENGTH or not _DIGITS.fullmatch(code) or code[0] not in "01":
        return None
    system, digits, check = code[0], code[1:7], code[7]
    last = digits[5]
    if last in "012":
        body = digits[:2] + last + "0000" + digits[2:5]
    elif last == "3":
        body = digits[:3] + "00000" + digits[3:5]
    elif last == "4":
        body = digits[:4] + "00000" + digits[4]
    else:
        body = digits[:5] + "0000" + last
    return system + body + check
