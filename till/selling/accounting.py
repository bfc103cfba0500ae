"""Double-entry postings of a ticket, from the figures stored on it.

Payments are debited to their means' account (cash 531, card 5115, store credit 4197), sales
are credited per VAT rate (HT to 7071xx, VAT to 44571xx). A return has negative figures, so
its postings land on the opposite sides. Every ticket's postings balance to the cent because
they reuse the ticket's own per-rate split, never recomputing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from till.config.loader import AccountsConfig
from till.means import means as means_of
from till.money import VatAmounts


@dataclass(frozen=True)
class Posting:
    """One line of an accounting entry."""

    account: str
    label: str
    debit_cents: int
    credit_cents: int


def rate_suffix(rate_bp: int) -> str:
    """The sub-account suffix of a VAT rate: 2000 -> "20", 550 -> "55", 210 -> "21", 0 -> "00"."""
    whole, rest = divmod(rate_bp, 100)
    return f"{whole:02d}" if rest == 0 else f"{whole}{rest // 10}"


def means_account(accounts: AccountsConfig, means: str) -> str:
    """The account a payment means is debited to: the setting its means names (cash's for a
    means the till does not know)."""
    return getattr(accounts, means_of(means).account)


def _side(account: str, label: str, amount: int, debit: bool) -> Posting:
    """A posting of ``amount`` on its natural side, flipped when the amount is negative."""
    if (amount >= 0) == debit:
        return Posting(account, label, abs(amount), 0)
    return Posting(account, label, 0, abs(amount))


def ticket_postings(
    accounts: AccountsConfig,
    label: str,
    vat: Iterable[VatAmounts],
    payments: Iterable[tuple[str, int]],
) -> list[Posting]:
    """The balanced postings of a ticket: ``payments`` are ``(means, amount_cents)`` pairs."""
    postings: list[Posting] = []
    per_means: dict[str, int] = {}
    for means, amount in payments:
        per_means[means] = per_means.get(means, 0) + amount
    for means, amount in per_means.items():
        if amount:
            postings.append(_side(means_account(accounts, means), f"{label} {means}", amount, debit=True))
    for amounts in vat:
        suffix = rate_suffix(amounts.rate_bp)
        if amounts.ht:
            postings.append(_side(accounts.sales_prefix + suffix, f"{label} HT", amounts.ht, debit=False))
        if amounts.vat:
            postings.append(_side(accounts.vat_prefix + suffix, f"{label} TVA", amounts.vat, debit=False))
    debit = sum(p.debit_cents for p in postings)
    credit = sum(p.credit_cents for p in postings)
    if debit != credit:
        raise ValueError(f"unbalanced postings for {label}: debit {debit} != credit {credit}")
    return postings
