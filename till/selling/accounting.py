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
from till.fiscal.cash_moves import MEANS_CORRECTION, MOVE_KINDS, PETTY_EXPENSE
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


def _pair(debit: str, credit: str, label: str, amount: int) -> list[Posting]:
    return [Posting(debit, label, amount, 0), Posting(credit, label, 0, amount)]


def cash_move_postings(accounts: AccountsConfig, code: str, kind: str, amount_cents: int, means: str,
                       to_means: str | None = None) -> list[Posting]:
    """The balanced postings of a chain P document (fiscal-fr.md 4.5): money into the drawer from
    the safe or the bank, Dr drawer / Cr internal transfer (580); to the safe or the bank, the
    reverse; a petty expense, Dr the expense account / Cr drawer (its VAT, on the supplier's
    receipt, is the accountant's); a means correction, Dr the account of the means the money
    really came by / Cr the one recorded by mistake. No VAT: none of them is a sale."""
    if amount_cents <= 0:
        raise ValueError(f"a chain P document moves a positive amount, not {amount_cents}")
    label = f"{code} {kind}"
    drawer = means_account(accounts, means)
    if kind == MEANS_CORRECTION:
        return _pair(means_account(accounts, to_means or means), drawer, label, amount_cents)
    if kind == PETTY_EXPENSE:
        return _pair(accounts.petty_expense, drawer, label, amount_cents)
    if MOVE_KINDS[kind] > 0:
        return _pair(drawer, accounts.transfer, label, amount_cents)
    return _pair(accounts.transfer, drawer, label, amount_cents)
