"""GS1 element strings: what a GS1-128, GS1 DataBar or GS1 DataMatrix code says, field by field.

Fresh food increasingly comes with a GS1 DataBar (Expanded) or GS1-128 label instead of an
in-store 2x EAN-13: the product's GTIN (application identifier 01), its net weight in kilograms
(310n, n decimals), the price to pay (392n, n decimals; 393n with an ISO currency first), an
expiry date (17, YYMMDD) and a lot (10). A scanner sends them one after the other, ``01`` +
14 digits + ``3103`` + 6 digits + ..., each variable-length field (lot, price) ended by FNC1,
which arrives as GS (0x1D), or by the end of the code. Fixed-length fields need no separator,
so a keyboard wedge that swallows GS still reads ``01...3103001250`` right. A person may type
the printed form, ``(01)03012345678902(3103)001250``.

Only the reading is here, with integer arithmetic (grams, cents); what the fields mean for a
sale (the product, the weight or price rules of in-store labels) is ``till.scanning``'s.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from till.errors import ScanError
from till.i18n import N_
from till.money import GRAMS_PER_KG, round_half_up

GS = "\x1d"
"""FNC1 as a scanner transmits it inside a code: ends a variable-length field."""

# --- Messages -------------------------------------------------------------------------------

GS1_UNKNOWN_FIELD = N_("{code}: unreadable GS1 code from \"{rest}\" (unknown application identifier)")
GS1_BAD_FIELD = N_("{code}: the GS1 field ({ai}) \"{value}\" is not valid")
GS1_FIELD_TWICE = N_("{code}: the GS1 field ({ai}) is given twice")
GS1_NO_PRODUCT = N_("{code}: this GS1 code names no product (no (01) field)")
GS1_NOT_EUROS = N_("{code}: the price is in currency {currency}, not in euros (978)")

MESSAGES = (GS1_UNKNOWN_FIELD, GS1_BAD_FIELD, GS1_FIELD_TWICE, GS1_NO_PRODUCT, GS1_NOT_EUROS)

EUROS = "978"


@dataclass(frozen=True)
class Field:
    """How one application identifier reads: its digits, and its value's length."""

    ai: re.Pattern[str]
    """The identifier: 2 digits, or 3-4 with the last one a decimal count (``310n``)."""
    length: int
    """Value length: exact when ``fixed``, the most it may hold otherwise."""
    fixed: bool
    charset: re.Pattern[str]


_NUMERIC = re.compile(r"[0-9]+")
_ALPHANUMERIC = re.compile(r"[!-~]+")  # GS1's character set 82 is a subset of printable ASCII

FIELDS: tuple[Field, ...] = (
    Field(re.compile(r"01"), 14, True, _NUMERIC),        # GTIN
    Field(re.compile(r"02"), 14, True, _NUMERIC),        # GTIN of the contained trade items
    Field(re.compile(r"1[13567]"), 6, True, _NUMERIC),   # production, packaging, best before, sell by, expiry
    Field(re.compile(r"10"), 20, False, _ALPHANUMERIC),  # lot
    Field(re.compile(r"21"), 20, False, _ALPHANUMERIC),  # serial number
    Field(re.compile(r"30"), 8, False, _NUMERIC),        # variable count
    Field(re.compile(r"37"), 8, False, _NUMERIC),        # count of trade items
    Field(re.compile(r"310[0-5]"), 6, True, _NUMERIC),   # net weight, kg
    Field(re.compile(r"392[0-9]"), 15, False, _NUMERIC),  # price to pay, local currency
    Field(re.compile(r"393[0-9]"), 18, False, _NUMERIC),  # price to pay, ISO currency + amount
)
"""The identifiers a till meets on goods; any other is refused rather than guessed past."""

_DATES = ("11", "13", "15", "16", "17")


@dataclass(frozen=True)
class ElementString:
    """The fields of one GS1 code, read and checked; ``fields`` keeps each as it was sent."""

    fields: dict[str, str]
    gtin: str | None = None
    grams: int | None = None
    price_cents: int | None = None
    expiry: dt.date | None = None
    lot: str | None = None


def looks_like_gs1(text: str) -> bool:
    """Whether ``text`` is meant as a GS1 element string rather than a plain barcode or SKU:
    it holds a GS, is in the printed form ``(01)...``, or starts with ``01`` and a GTIN-14 and
    goes on (a bare GTIN-14 is read as a barcode)."""
    return (GS in text or text.startswith("(01)")
            or (len(text) >= 16 and text.startswith("01") and _NUMERIC.fullmatch(text[2:16]) is not None))


def _field_at(text: str, start: int) -> tuple[str, Field] | None:
    for field in FIELDS:
        for size in (4, 3, 2):
            ai = text[start:start + size]
            if len(ai) == size and field.ai.fullmatch(ai):
                return ai, field
    return None


def split(code: str) -> list[tuple[str, str]]:
    """``(ai, value)`` of each field, in the order sent; ``ScanError`` names what cannot be read."""
    if code.startswith("("):
        return _split_printed(code)
    pairs: list[tuple[str, str]] = []
    start = 0
    while start < len(code):
        if code[start] == GS:
            start += 1
            continue
        found = _field_at(code, start)
        if found is None:
            raise ScanError(GS1_UNKNOWN_FIELD, code=_shown(code), rest=_shown(code[start:start + 12]))
        ai, field = found
        begin = start + len(ai)
        if field.fixed:
            end = begin + field.length
        else:
            separator = code.find(GS, begin)
            end = len(code) if separator < 0 else separator
        pairs.append((ai, code[begin:end]))
        start = end
    return pairs


_PRINTED = re.compile(r"\(([0-9]{2,4})\)([^()]*)")


def _split_printed(code: str) -> list[tuple[str, str]]:
    """The human-readable form under the bars: each identifier in brackets."""
    pairs, start = [], 0
    for match in _PRINTED.finditer(code):
        if match.start() != start:
            break
        ai = match.group(1)
        found = _field_at(ai, 0)
        if found is None or found[0] != ai:
            raise ScanError(GS1_UNKNOWN_FIELD, code=code, rest=code[match.start():match.start() + 12])
        pairs.append((ai, match.group(2).replace(" ", "")))
        start = match.end()
    if start != len(code) or not pairs:
        raise ScanError(GS1_UNKNOWN_FIELD, code=code, rest=code[start:start + 12])
    return pairs


def _shown(text: str) -> str:
    """``text`` for a message: GS shown as the FNC1 it stands for."""
    return text.replace(GS, "<FNC1>")


def _date(code: str, ai: str, value: str) -> dt.date:
    """A GS1 date YYMMDD; day 00 means the last day of the month. Years 2000-2099: a till
    meets no goods expiring in the last century, nor in the next."""
    year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    if not 1 <= month <= 12:
        raise ScanError(GS1_BAD_FIELD, code=_shown(code), ai=ai, value=value)
    last = calendar.monthrange(year, month)[1]
    if day == 0:
        day = last
    if day > last:
        raise ScanError(GS1_BAD_FIELD, code=_shown(code), ai=ai, value=value)
    return dt.date(year, month, day)


def read(code: str) -> ElementString:
    """Read and check every field of ``code`` (its AIM identifier already removed).

    Raises ``ScanError`` for an unknown identifier, a value of the wrong length or characters,
    a field given twice, an impossible date, a price in another currency, or no GTIN. The GTIN's
    check digit is ``till.scanning``'s to check, with the other barcodes'.
    """
    fields: dict[str, str] = {}
    for ai, value in split(code):
        field = _field_at(ai, 0)
        assert field is not None
        spec = field[1]
        too_long = len(value) > spec.length
        wrong_length = len(value) != spec.length if spec.fixed else (too_long or not value)
        if wrong_length or not spec.charset.fullmatch(value):
            raise ScanError(GS1_BAD_FIELD, code=_shown(code), ai=ai, value=_shown(value))
        family = ai[:3] if len(ai) == 4 else ai
        if any((known[:3] if len(known) == 4 else known) == family for known in fields):
            raise ScanError(GS1_FIELD_TWICE, code=_shown(code), ai=ai)
        fields[ai] = value
    if "01" not in fields:
        raise ScanError(GS1_NO_PRODUCT, code=_shown(code))
    grams = price = expiry = None
    for ai, value in fields.items():
        if ai.startswith("310"):
            grams = round_half_up(int(value) * GRAMS_PER_KG, 10 ** int(ai[3]))
        elif ai.startswith("392"):
            price = round_half_up(int(value) * 100, 10 ** int(ai[3]))
        elif ai.startswith("393"):
            if len(value) < 4:
                raise ScanError(GS1_BAD_FIELD, code=_shown(code), ai=ai, value=value)
            if value[:3] != EUROS:
                raise ScanError(GS1_NOT_EUROS, code=_shown(code), currency=value[:3])
            price = round_half_up(int(value[3:]) * 100, 10 ** int(ai[3]))
        elif ai in _DATES:
            when = _date(code, ai, value)
            if ai == "17":
                expiry = when
    return ElementString(fields, gtin=fields["01"], grams=grams, price_cents=price, expiry=expiry,
                         lot=fields.get("10"))
