"""Means signals: several refunds to one card in the period.

Why: a refund to a card is money leaving the shop to an account nobody at the till sees; the
same card refunded again and again, whoever the customer says they are, is the pattern of
receipts collected to be cashed. A card refund's payment row carries the terminal's reference
for the card (``till.returns.card``), so the refunds are grouped by it in one statement.
"""

from __future__ import annotations

import re
from collections import defaultdict

from store.models import Payment, Ticket
from till.fiscal.closure_totals import business_day
from till.i18n import N_
from till.loss.signal import MEANS, Period, Signal, Thresholds
from till.means import CARD
from till.money import format_cents

__all__ = ["RULES", "card_refunds", "card_of"]

_MASKED = re.compile(r"(?:\*|X|x){2,}\s?(\d{4})\b")
"""Masked card digits as terminals print them: ``****4242``, ``XXXX 4242``."""

CARD_REFUNDS = N_("{count} refunds to this card in the period, {total} in all (limit {limit})")


def card_of(reference: str) -> str:
    """The card a refund went to, as its payment reference shows it: the masked last digits when
    the terminal gives them (one card across many sales), else the reference itself (a terminal
    that gives only an authorisation number links only the refunds of one payment)."""
    found = _MASKED.search(reference)
    return f"****{found.group(1)}" if found else reference


def card_refunds(period: Period, thresholds: Thresholds) -> list[Signal]:
    """More than ``card_max_refunds`` card refunds to one card (``card_of``) in the period."""
    limit = thresholds.get("card_max_refunds", 2)
    rows = (Payment.select(Payment.reference, Payment.amount_cents, Ticket.code, Ticket.created_at)
            .join(Ticket)
            .where((Payment.means == CARD) & (Payment.amount_cents < 0) & (Payment.reference.is_null(False))
                   & (Payment.reference != "") & (Ticket.training == False)  # noqa: E712 - SQL
                   & (Ticket.created_at >= period.since) & (Ticket.created_at < period.until))
            .order_by(Ticket.created_at, Ticket.id).tuples())
    by_card: dict[str, list[tuple[int, str, object]]] = defaultdict(list)
    for reference, amount, code, created_at in rows:
        by_card[card_of(reference)].append((-amount, code, created_at))
    out = []
    for reference, refunds in sorted(by_card.items()):
        if len(refunds) > limit:
            total = sum(amount for amount, _, _ in refunds)
            out.append(Signal("means_card_refunds", MEANS, reference, reference,
                              business_day(refunds[-1][2], period.zone), len(refunds), limit, CARD_REFUNDS,
                              {"count": len(refunds), "total": format_cents(total), "total_cents": total,
                               "limit": limit}, tuple(code for _, code, _ in refunds)))
    return out


RULES = [card_refunds]
