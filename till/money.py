"""Money as integer cents, VAT per rate, and how amounts are read and shown.

Every amount in till is an ``int`` of cents. Prices are VAT-inclusive (TTC), as a French shop
labels them. VAT rates are integer basis points (2000 = 20 %, 550 = 5.5 %), so no float ever
comes near money. Rounding is half-up (away from zero on a tie), done once per VAT rate on a
ticket, as design.md section 2 says:

    line TTC   = round(unit TTC x quantity) - discount
    rate TTC   = sum of the rate's line TTC
    rate HT    = round(rate TTC / (1 + rate))
    rate VAT   = rate TTC - rate HT
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from till.i18n import language  # i18n knows nothing of money: this is the one bridge

BASIS_POINTS = 10_000
"""A VAT rate of 1 (100 %) in basis points."""

GRAMS_PER_KG = 1000
"""Weighed goods are priced per kilogram and sold by the gram."""


class MoneyError(ValueError):
    """An amount that cannot be read, or that makes no sense for money."""


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, ties away from zero.

    Pure integer arithmetic: no float, no Decimal context to forget.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if isinstance(numerator, bool) or not isinstance(numerator, int):
        raise TypeError("money arithmetic takes integers only")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return sign * quotient


def line_total(unit_cents: int, quantity: int, discount_cents: int = 0, *, per: int = 1) -> int:
    """TTC of a line: ``round(unit x quantity / per) - discount``.

    ``per`` is 1 for items sold by the piece and ``GRAMS_PER_KG`` for weighed goods, whose
    ``unit_cents`` is the price of a kilogram and ``quantity`` is in grams.
    """
    _require_int(unit_cents, quantity, discount_cents, per)
    return round_half_up(unit_cents * quantity, per) - discount_cents


@dataclass(frozen=True)
class VatAmounts:
    """The VAT-inclusive total of one rate on a ticket, split into net and VAT."""

    rate_bp: int
    ttc: int
    ht: int
    vat: int


def split_vat(ttc: int, rate_bp: int) -> VatAmounts:
    """Split a VAT-inclusive amount at ``rate_bp`` into HT (rounded half-up) and VAT (the rest)."""
    _require_int(ttc, rate_bp)
    if rate_bp < 0:
        raise MoneyError("a VAT rate cannot be negative")
    ht = round_half_up(ttc * BASIS_POINTS, BASIS_POINTS + rate_bp)
    return VatAmounts(rate_bp=rate_bp, ttc=ttc, ht=ht, vat=ttc - ht)


def vat_breakdown(lines: Iterable[tuple[int, int]]) -> list[VatAmounts]:
    """Per-rate totals of ``(rate_bp, line_ttc)`` pairs, highest rate first.

    The split is done once per rate on the summed TTC, never per line, so the ticket, the
    closure and the accounting journal agree to the cent.
    """
    per_rate: dict[int, int] = {}
    for rate_bp, ttc in lines:
        _require_int(rate_bp, ttc)
        per_rate[rate_bp] = per_rate.get(rate_bp, 0) + ttc
    return [split_vat(per_rate[rate], rate) for rate in sorted(per_rate, reverse=True)]


def allocate(total: int, weights: list[int]) -> list[int]:
    """Share ``total`` cents over ``weights`` pro rata, by largest remainder, summing exactly.

    Used to spread a ticket discount over its lines before VAT is grouped per rate.
    """
    _require_int(total, *weights)
    weight_sum = sum(weights)
    if not weights:
        return []
    if weight_sum == 0:
        shares = [0] * len(weights)
        shares[0] = total
        return shares
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    floors = [magnitude * w // weight_sum for w in weights]
    remainders = [magnitude * w % weight_sum for w in weights]
    left = magnitude - sum(floors)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        floors[index] += 1
    return [sign * share for share in floors]


def percent_of(amount: int, percent_bp: int) -> int:
    """``percent_bp`` basis points of ``amount``, rounded half-up (a 10 % discount is 1000)."""
    return round_half_up(amount * percent_bp, BASIS_POINTS)


_AMOUNT = re.compile(
    r"^\s*(-)?\s*(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d{1,9})(?:[.,](\d{1,2}))?\s*(?:€|EUR)?\s*$", re.IGNORECASE
)


def parse_amount(text: str) -> int:
    """Read what a cashier types ("12", "12,5", "12.50", "12,50 €") as cents.

    Spaces may group thousands, as French writes them ("1 234,50"); more than two decimals,
    a comma or dot grouping thousands, and anything else that could be misread are refused
    rather than guessed.
    """
    match = _AMOUNT.match(text or "")
    if not match:
        raise MoneyError(f"not an amount: {text!r}")
    sign, units, decimals = match.groups()
    cents = int(re.sub(r"\D", "", units)) * 100 + int((decimals or "0").ljust(2, "0"))
    return -cents if sign else cents


def parse_rate(text: str) -> int:
    """Read a VAT or discount percentage ("20", "5.5", "5,5 %") as basis points."""
    match = re.match(r"^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*%?\s*$", text or "")
    if not match:
        raise MoneyError(f"not a percentage: {text!r}")
    whole, decimals = match.groups()
    return int(whole) * 100 + int((decimals or "0").ljust(2, "0"))


def format_cents(cents: int, locale: str = "fr", symbol: bool = True) -> str:
    """Show cents the way the shop's locale writes money: ``1 234,50 €`` or ``€1,234.50``."""
    _require_int(cents)
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    if locale.startswith("fr"):
        # A plain space groups thousands: every console font has it, and parse_amount reads it.
        grouped = f"{units:,}".replace(",", " ")
        text = f"{sign}{grouped},{rest:02d}"
        return f"{text} €" if symbol else text
    text = f"{units:,}.{rest:02d}"
    return f"{sign}€{text}" if symbol else f"{sign}{text}"


def shown(cents: int) -> str:
    """``cents`` as the person at the till reads money now (the till's current language)."""
    return format_cents(cents, language())


def format_rate(rate_bp: int, locale: str = "en") -> str:
    """A rate in basis points as a short percentage: 2000 -> "20", 550 -> "5.5" ("5,5" in French)."""
    whole, rest = divmod(rate_bp, 100)
    text = str(whole) if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")
    return text.replace(".", ",") if locale.startswith("fr") else text


def _require_int(*values: object) -> None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"money arithmetic takes integers only, got {type(value).__name__}")
