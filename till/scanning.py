"""What a scanned or typed code is: a product barcode, a weighed or priced label, a ticket, a SKU.

The scanner is a keyboard as far as the till knows: everything arrives as text, and the same
entry field takes what a cashier types. This module only *reads* that text; looking the result
up in the catalogue or the ticket journal is the sale workflow's job, so nothing here touches
the database or the UI.

What it recognises, in order (see ``RECOGNISERS``):

* receipt proofs (``RQ1`` + digits), the QR code of a sale's receipt in any shop of the chain,
  for returns (``till.fiscal.receipt_proof`` reads and checks them);
* ticket codes printed on our own receipts (``TA1-0000426``), for returns;
* credit note codes (``AV-7K3M-Q9XP-2D4F-H8RT-W``), checked by ``till.credit.notes``;
* GS1 element strings (GS1-128, GS1 DataBar, GS1 DataMatrix: ``01`` GTIN, ``310n`` weight,
  ``392n``/``393n`` price, ``17`` expiry, ``10`` lot; read by ``till.gs1``), which give the same
  results as the in-store labels below;
* GTINs with a valid GS1 check digit: EAN-8, UPC-E (expanded to UPC-A), UPC-A, EAN-13, GTIN-14,
  normalised to one lookup key per product, and in-store labels (prefixes 20-29) that carry a
  weight or a price;
* anything else is a SKU for the workflow to look up.

A cashier may type a quantity first: ``3*3017620422003`` or ``3x...``.

Money is integer cents and weight integer grams; the label value is scaled with integer
arithmetic only.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

from till import gs1
from till.errors import ScanError
from till.i18n import N_
from till.money import GRAMS_PER_KG, round_half_up
from till.note_codes import QuantityOnCreditNote, looks_like_code, parse_code
from till.gtin import (  # noqa: F401 - part of this module's API: the digits of a barcode
    _DIGITS, GTIN_LENGTHS, UPC_E_LENGTH, expand_upc_e, gtin_check_digit, is_valid_gtin, make_ean13,
)

# --- Messages -------------------------------------------------------------------------------
# Every message this module raises, so tests can check that the French catalogue
# (till/locales/fr/LC_MESSAGES/till.po) translates each of them.

NOTHING_SCANNED = N_("Nothing was scanned")
INVALID_CHECK_DIGIT = N_("Invalid check digit in {code}: this is not a valid barcode")
INVALID_TICKET_CHECK_DIGIT = (
    N_("Invalid check digit in ticket code {code}: scan it again or type the ticket number")
)
QUANTITY_OUT_OF_RANGE = N_("The quantity must be from 1 to 999, not {quantity}")
QUANTITY_WITHOUT_CODE = N_("Scan or type a code after the quantity {quantity}")
QUANTITY_TWICE = N_("Only one quantity can be given: {text}")
QUANTITY_ON_TICKET = N_("A quantity cannot be given for a ticket: {code}")
LABEL_WITHOUT_WEIGHT = N_("The label {code} shows no weight")
LABEL_WITHOUT_PRICE = N_("The label {code} shows no price")
NOT_A_GTIN = N_("{code} is not a barcode: it must be 8, 12, 13 or 14 digits")
INVALID_TILL_ID = N_("Invalid till id {till_id}: it must be 1 to 8 letters or digits")
RULES_NOT_A_LIST = N_("The price code rules must be a list of rules")
RULE_NOT_A_TABLE = N_("Price code rule number {position} is not a set of settings")
RULE_UNKNOWN_SETTING = N_("Price code rule number {position}: unknown setting {setting}")
RULE_MISSING_SETTING = N_("Price code rule number {position}: the setting {setting} is missing")
RULE_BAD_PREFIX = N_("Invalid price code rule prefix {prefix}: it must be two digits from 20 to 29")
RULE_BAD_KIND = N_("Price code rule {prefix}: the kind must be weight or price, not {kind}")
RULE_NOT_A_NUMBER = N_("Price code rule {prefix}: {setting} must be a whole number, not {value}")
RULE_BAD_DIGITS = (
    N_("Price code rule {prefix}: item_digits and value_digits must each be at least 1 and add up"
       " to 10, so that with the prefix and the check digit the code has 13 digits"
       " (not {item_digits} + {value_digits})")
)
RULE_BAD_DECIMALS = N_("Price code rule {prefix}: decimals must be from 0 to 3, not {decimals}")
RULE_DUPLICATE = N_("Price code rule {prefix} is defined twice")

MESSAGES = (
    NOTHING_SCANNED,
    INVALID_CHECK_DIGIT,
    INVALID_TICKET_CHECK_DIGIT,
    QUANTITY_OUT_OF_RANGE,
    QUANTITY_WITHOUT_CODE,
    QUANTITY_TWICE,
    QUANTITY_ON_TICKET,
    LABEL_WITHOUT_WEIGHT,
    LABEL_WITHOUT_PRICE,
    NOT_A_GTIN,
    INVALID_TILL_ID,
    RULES_NOT_A_LIST,
    RULE_NOT_A_TABLE,
    RULE_UNKNOWN_SETTING,
    RULE_MISSING_SETTING,
    RULE_BAD_PREFIX,
    RULE_BAD_KIND,
    RULE_NOT_A_NUMBER,
    RULE_BAD_DIGITS,
    RULE_BAD_DECIMALS,
    RULE_DUPLICATE,
)


class InvalidCheckDigit(ScanError):
    """A number shaped like a barcode whose check digit is wrong.

    Usually a misread or a mistyped digit, but a shop may also have numeric SKUs of barcode
    length, so the raw text is kept in ``code`` for the workflow to try as a SKU before it shows
    this error.
    """

    def __init__(self, code: str, message: str = INVALID_CHECK_DIGIT) -> None:
        super().__init__(message, code=code)
        self.code = code


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductCode:
    """A product barcode; ``key`` is its normalised GTIN, as stored in the catalogue.

    ``expiry`` and ``lot``, here and in the two label kinds below, are what a GS1 code adds
    (fields 17 and 10), checked; None for a plain barcode.
    """

    key: str
    quantity: int = 1
    expiry: dt.date | None = field(default=None, kw_only=True)
    lot: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class WeighedCode:
    """A label carrying a weight; ``key`` is the label with its value zeroed (in-store) or the
    GTIN of a GS1 code."""

    key: str
    grams: int
    quantity: int = 1
    expiry: dt.date | None = field(default=None, kw_only=True)
    lot: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class PricedCode:
    """A label carrying the price to charge; ``key`` is the label, value zeroed (in-store), or
    the GTIN of a GS1 code."""

    key: str
    price_cents: int
    quantity: int = 1
    expiry: dt.date | None = field(default=None, kw_only=True)
    lot: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class TicketCode:
    """A ticket printed by one of our tills (for a return or a reprint)."""

    till_id: str
    number: int


@dataclass(frozen=True)
class ReceiptProofCode:
    """A sale's receipt proof, the QR code of a receipt of any shop of the chain
    (``till.fiscal.receipt_proof``); ``text`` as scanned, for the return to check."""

    text: str


@dataclass(frozen=True)
class CreditNoteCode:
    """A credit note (avoir) printed by one of our tills; ``code`` is its printed form."""

    code: str


@dataclass(frozen=True)
class SkuCode:
    """Anything else: the shop's own reference, for the workflow to look up."""

    text: str
    quantity: int = 1


Scan: TypeAlias = ProductCode | WeighedCode | PricedCode | TicketCode | ReceiptProofCode | CreditNoteCode | SkuCode

# --- GS1 check digits -------------------------------------------------------------------------

def normalise_gtin(code: str) -> str:
    """The one lookup key of a valid GTIN, however the scanner sent it.

    The same product may arrive as UPC-A (12 digits) or EAN-13 with a leading 0, or as a
    GTIN-14 with indicator 0; GS1 says these are one number padded with zeros. So: UPC-A gets
    its leading 0 (EAN-13 form), a GTIN-14 starting with 0 loses it, and an EAN-8 padded to 13
    digits ("00000" + 8, a range GS1 keeps free for that) is given back as the EAN-8. A GTIN-14
    with another indicator is a different trade item (a case, a pack) and stays 14 digits.
    Catalogue imports should store barcodes through this function too.
    """
    if not isinstance(code, str) or len(code) not in GTIN_LENGTHS or not _DIGITS.fullmatch(code):
        raise ScanError(NOT_A_GTIN, code=code)
    if not is_valid_gtin(code):
        raise InvalidCheckDigit(code)
    if len(code) == 12:
        code = "0" + code
    elif len(code) == 14 and code[0] == "0":
        code = code[1:]
    if len(code) == 13 and code.startswith("00000"):
        code = code[5:]
    return code


# --- In-store variable-measure labels ---------------------------------------------------------

WEIGHT = "weight"
PRICE = "price"
KINDS = (WEIGHT, PRICE)


@dataclass(frozen=True)
class PriceCodeRule:
    """How a shop's scales lay out one in-store prefix: prefix + item + value + check = 13.

    ``decimals`` says how the value reads: 3 for a weight in kilograms (``01500`` = 1.500 kg),
    2 for a price in euros (``01250`` = 12.50 €). Layouts differ between scale makers and
    shops, so they are data, checked when built.
    """

    prefix: str
    kind: Literal["weight", "price"]
    item_digits: int = 5
    value_digits: int = 5
    decimals: int = field(kw_only=True)

    def __post_init__(self) -> None:
        _check_rule(self)


def _check_rule(rule: PriceCodeRule) -> None:
    prefix = rule.prefix
    if not isinstance(prefix, str) or not re.fullmatch(r"2[0-9]", prefix):
        raise ScanError(RULE_BAD_PREFIX, prefix=prefix)
    if rule.kind not in KINDS:
        raise ScanError(RULE_BAD_KIND, prefix=prefix, kind=rule.kind)
    for setting in ("item_digits", "value_digits", "decimals"):
        value = getattr(rule, setting)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScanError(RULE_NOT_A_NUMBER, prefix=prefix, setting=setting, value=value)
    if rule.item_digits < 1 or rule.value_digits < 1 or rule.item_digits + rule.value_digits != 10:
        raise ScanError(
            RULE_BAD_DIGITS,
            prefix=prefix,
            item_digits=rule.item_digits,
            value_digits=rule.value_digits,
        )
    if not 0 <= rule.decimals <= 3:
        raise ScanError(RULE_BAD_DECIMALS, prefix=prefix, decimals=rule.decimals)


DEFAULT_RULES: tuple[PriceCodeRule, ...] = (
    PriceCodeRule("21", WEIGHT, decimals=3),
    PriceCodeRule("22", WEIGHT, decimals=3),
    PriceCodeRule("23", PRICE, decimals=2),
    PriceCodeRule("24", PRICE, decimals=2),
)
"""Common French layouts: 2 prefix digits, 5 item digits, 5 value digits, 1 check digit."""

_RULE_SETTINGS = ("prefix", "kind", "item_digits", "value_digits", "decimals")
_REQUIRED_SETTINGS = ("prefix", "kind", "decimals")


def rules_from_config(config: Sequence[Mapping[str, object]]) -> tuple[PriceCodeRule, ...]:
    """Build the shop's rules from its configuration, refusing any rule the scales can't mean.

    Each rule is a table with ``prefix``, ``kind`` and ``decimals`` (``item_digits`` and
    ``value_digits`` default to 5). A mistake is reported with the rule it is in, since a
    wrong rule silently misprices every label of that prefix.
    """
    if isinstance(config, (str, bytes, Mapping)) or not isinstance(config, Sequence):
        raise ScanError(RULES_NOT_A_LIST)
    rules: list[PriceCodeRule] = []
    for position, entry in enumerate(config, start=1):
        if not isinstance(entry, Mapping):
            raise ScanError(RULE_NOT_A_TABLE, position=position)
        for setting in entry:
            if setting not in _RULE_SETTINGS:
                raise ScanError(RULE_UNKNOWN_SETTING, position=position, setting=setting)
        for setting in _REQUIRED_SETTINGS:
            if setting not in entry:
                raise ScanError(RULE_MISSING_SETTING, position=position, setting=setting)
        settings = dict(entry)
        if isinstance(settings["prefix"], int) and not isinstance(settings["prefix"], bool):
            settings["prefix"] = str(settings["prefix"])  # TOML/JSON may give prefix = 21
        rule = PriceCodeRule(**settings)  # type: ignore[arg-type]
        if any(known.prefix == rule.prefix for known in rules):
            raise ScanError(RULE_DUPLICATE, prefix=rule.prefix)
        rules.append(rule)
    return tuple(rules)


def _read_label(key: str, rule: PriceCodeRule) -> WeighedCode | PricedCode:
    """Split a valid 13-digit in-store code into its lookup key and its value."""
    start = len(rule.prefix) + rule.item_digits
    value = int(key[start : start + rule.value_digits])
    lookup = make_ean13(key[:start] + "0" * rule.value_digits)
    scale = 10**rule.decimals
    if rule.kind == WEIGHT:
        if value == 0:
            raise ScanError(LABEL_WITHOUT_WEIGHT, code=key)
        return WeighedCode(lookup, grams=round_half_up(value * GRAMS_PER_KG, scale))
    if value == 0:
        raise ScanError(LABEL_WITHOUT_PRICE, code=key)
    return PricedCode(lookup, price_cents=round_half_up(value * 100, scale))


# --- Ticket codes -----------------------------------------------------------------------------

_TILL_ID = re.compile(r"[A-Za-z0-9]{1,8}")
_TICKET = re.compile(r"[Tt]([A-Za-z0-9]{1,8})-([0-9]{7,19})")


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit of ``digits``: it catches any single wrong digit in a ticket number."""
    if not _DIGITS.fullmatch(digits):
        raise ValueError(f"Luhn takes digits only, got {digits!r}")
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str(-total % 10)


def ticket_code(till_id: str, number: int) -> str:
    """The code printed (barcode and QR) on ticket ``number`` of till ``till_id``.

    ``T`` + till id + ``-`` + the number on at least 6 digits + a Luhn check digit. The letter
    and the hyphen keep it apart from any GTIN or numeric SKU; the check digit stops a misread
    or mistyped number from opening somebody else's ticket for a return. Upper-case till ids
    are best: Code 39 and the compact QR mode have no lower case, and a keyboard-wedge scanner
    with Caps Lock on swaps case.
    """
    if not isinstance(till_id, str) or not _TILL_ID.fullmatch(till_id):
        raise ScanError(INVALID_TILL_ID, till_id=till_id)
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"a ticket number is an int, got {type(number).__name__}")
    if number < 0:
        raise ValueError(f"a ticket number cannot be negative, got {number}")
    digits = f"{number:06d}"
    return f"T{till_id}-{digits}{luhn_check_digit(digits)}"


def training_code(till_id: str, number: int) -> str:
    """The code of training ticket ``number``: ``X`` instead of ``T``, so it never opens a return
    (no recogniser takes it as a receipt) and is never mistaken for a real ticket's code."""
    return "X" + ticket_code(till_id, number)[1:]


# --- Recognisers ------------------------------------------------------------------------------

Recogniser: TypeAlias = Callable[[str, Sequence[PriceCodeRule]], Scan | None]
"""Reads one kind of code from cleaned text, or returns None to let the next one try."""


def recognise_ticket(code: str, rules: Sequence[PriceCodeRule]) -> TicketCode | None:
    """A ticket code from ``ticket_code``; the ``T`` may come in lower case (Caps Lock)."""
    match = _TICKET.fullmatch(code)
    if match is None:
        return None
    till_id, digits = match.groups()
    if luhn_check_digit(digits[:-1]) != digits[-1]:
        raise InvalidCheckDigit(code, INVALID_TICKET_CHECK_DIGIT)
    return TicketCode(till_id, int(digits[:-1]))


RECEIPT_PROOF_PREFIX = "RQ1"
"""What a receipt proof's text starts with (``till.fiscal.receipt_proof`` writes and reads it)."""


def looks_like_proof(text: str) -> bool:
    """Is ``text`` a receipt proof's text, by its shape: ``RQ1`` (any case: Caps Lock) and more
    than 40 ASCII digits (``till.fiscal.receipt_proof.decode`` says whether it reads)."""
    text = (text or "").strip()
    digits = text[len(RECEIPT_PROOF_PREFIX):]
    return (len(digits) > 40 and text[:len(RECEIPT_PROOF_PREFIX)].upper() == RECEIPT_PROOF_PREFIX
            and _DIGITS.fullmatch(digits) is not None)


def recognise_receipt_proof(code: str, rules: Sequence[PriceCodeRule]) -> ReceiptProofCode | None:
    """A receipt proof, by its shape (read and checked by the return, not here): first of all,
    as its digits would otherwise pass for a SKU."""
    return ReceiptProofCode(code) if looks_like_proof(code) else None


def recognise_gtin(
    code: str, rules: Sequence[PriceCodeRule]
) -> ProductCode | WeighedCode | PricedCode | None:
    """A GS1 barcode, including in-store labels whose prefix has a rule."""
    if len(code) not in GTIN_LENGTHS or not _DIGITS.fullmatch(code):
        return None
    upc_a = expand_upc_e(code)
    if upc_a is not None and not is_valid_gtin(code) and is_valid_gtin(upc_a):
        return ProductCode(normalise_gtin(upc_a))  # an 8-digit code valid both ways stays an EAN-8
    key = normalise_gtin(code)  # raises InvalidCheckDigit
    if len(key) == 13:
        for rule in rules:
            if key.startswith(rule.prefix):
                return _read_label(key, rule)
    return ProductCode(key)


def recognise_gs1(code: str, rules: Sequence[PriceCodeRule]) -> ProductCode | WeighedCode | PricedCode | None:
    """A GS1 element string: its GTIN is looked up as any barcode (check digit tested, never an
    in-store rule: a GS1 code says its weight or price in its own fields); a price (392n/393n)
    is the price to charge, as on an in-store price label, else a weight (310n) makes a weighed
    line, as an in-store weight label does."""
    if not gs1.looks_like_gs1(code):
        return None
    element = gs1.read(code)
    gtin = element.gtin or ""
    if not is_valid_gtin(gtin):
        raise InvalidCheckDigit(code)
    key = normalise_gtin(gtin)
    extras = {"expiry": element.expiry, "lot": element.lot}
    if element.price_cents is not None:
        if element.price_cents == 0:
            raise ScanError(LABEL_WITHOUT_PRICE, code=code)
        return PricedCode(key, price_cents=element.price_cents, **extras)
    if element.grams is not None:
        if element.grams == 0:
            raise ScanError(LABEL_WITHOUT_WEIGHT, code=code)
        return WeighedCode(key, grams=element.grams, **extras)
    return ProductCode(key, **extras)


def recognise_credit_note(code: str, rules: Sequence[PriceCodeRule]) -> CreditNoteCode | None:
    """A credit note code (``AV`` + 17 characters, dashes optional, any case).

    The code format and its check character are ``till.note_codes``', whose
    ``InvalidCreditNoteCode`` (a ``ScanError``) refuses a code of the right shape with a wrong
    character or check character.
    """
    if not looks_like_code(code):
        return None
    return CreditNoteCode(parse_code(code))


def recognise_sku(code: str, rules: Sequence[PriceCodeRule]) -> SkuCode:
    """The fallback: whatever is left is the shop's own reference."""
    return SkuCode(code)


RECOGNISERS: tuple[Recogniser, ...] = (
    recognise_receipt_proof,  # "RQ1" + digits: before any reader of digits
    recognise_ticket,
    recognise_credit_note,  # letters first (AV...), so never a GTIN; before the SKU fallback
    recognise_gs1,  # 16 characters or more, or a GS, or "(01)": never a plain GTIN
    recognise_gtin,
    recognise_sku,
)
"""Tried in order; the first that returns something wins."""


# --- Entry point ------------------------------------------------------------------------------

_EDGES = string.whitespace + "".join(map(chr, range(32))) + "\x7f"
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_QUANTITY = re.compile(r"(-?[0-9]+)\s*[*xX×]\s*(.*)", re.DOTALL)
MAX_QUANTITY = 999


def _clean(text: str) -> str:
    """Drop what scanners add around a code: CR/LF, control characters, an AIM prefix (``]E0``)."""
    text = text.strip(_EDGES)
    aim = _AIM.match(text)
    if aim:
        text = text[aim.end() :].strip(_EDGES)
    return text


def _split_quantity(text: str) -> tuple[int, str]:
    """``3*code`` -> (3, "code"); text without a quantity -> (1, text)."""
    match = _QUANTITY.fullmatch(text)
    if match is None:
        return 1, text
    typed, rest = match.groups()
    # Length first: int() of a 5000-digit typo would raise ValueError, not a ScanError.
    too_long = len(typed.lstrip("-0")) > len(str(MAX_QUANTITY))
    quantity = 0 if too_long else int(typed)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ScanError(QUANTITY_OUT_OF_RANGE, quantity=typed)
    rest = _clean(rest)
    if not rest:
        raise ScanError(QUANTITY_WITHOUT_CODE, quantity=quantity)
    if _QUANTITY.fullmatch(rest):
        raise ScanError(QUANTITY_TWICE, text=text)
    return quantity, rest


UPC_E_SYMBOLOGY = "]E0"
"""The AIM identifier of the EAN-13/UPC-A/UPC-E family; an EAN-8 is ``]E4``."""


def read_symbology(aim: str, code: str) -> str:
    """``code`` as its AIM symbology identifier ``aim`` says to read it: an 8-digit code that is
    valid both as EAN-8 and as UPC-E is read as an EAN-8, unless ``aim`` is ``]E0``: then it is
    the UPC-A of that UPC-E. The scanner readers drop the identifier unless
    ``scanner.strip_aim_id`` is false: a scanner that sends ``]E0`` before every code, EAN-8
    included, would otherwise turn EAN-8s into UPC-As."""
    upc_a = expand_upc_e(code) if aim == UPC_E_SYMBOLOGY else None
    return upc_a if upc_a is not None and is_valid_gtin(upc_a) else code


def _upc_e_by_symbology(text: str, code: str) -> str:
    """``code`` read as the AIM identifier at the start of ``text`` (if any) says."""
    aim = _AIM.match(text.strip(_EDGES))
    return read_symbology(aim.group(), code) if aim is not None else code


def parse(text: str, rules: Sequence[PriceCodeRule] = DEFAULT_RULES) -> Scan:
    """What ``text`` (from the scanner or the keyboard) is.

    Raises ``ScanError`` for empty input, an impossible quantity or a zero label, and
    ``InvalidCheckDigit`` for a barcode-shaped number or ticket code that fails its check.
    """
    code = _clean(text)
    if not code:
        raise ScanError(NOTHING_SCANNED)
    if code.startswith(("01", "(01)")) and gs1.looks_like_gs1(code):
        quantity = 1  # a GS1 lot may hold an "x" after digits: no quantity is typed before "01"
    else:
        quantity, code = _split_quantity(code)
    code = _upc_e_by_symbology(text, code)
    for recognise in RECOGNISERS:
        scan = recognise(code, rules)
        if scan is not None:
            break
    else:  # pragma: no cover - recognise_sku accepts everything
        raise AssertionError("no recogniser accepted the code")
    if quantity == 1:
        return scan
    if isinstance(scan, (TicketCode, ReceiptProofCode)):
        raise ScanError(QUANTITY_ON_TICKET, code=code)
    if isinstance(scan, CreditNoteCode):
        raise QuantityOnCreditNote(code)
    return replace(scan, quantity=quantity)
