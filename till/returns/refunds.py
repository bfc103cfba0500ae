"""The refund planner: how much of a refund each original means of payment may take back.

A refund goes back to the means the customer paid with (French L217-17 practice), each capped
at what was paid with it on the original ticket, net of change handed back and of refunds
already made by earlier returns of that ticket.

Order of the default plan (a partial return does not reach every means):

1. **card**: up to what the card(s) paid, card payment by card payment, so each terminal refund
   names the authorisation it reverses; the money goes back where it came from, and the drawer
   is not emptied for a customer who paid by card;
2. **cash**: up to the cash kept (cash given minus change);
3. **credit note**: what was paid with store credit comes back as store credit, last, so an
   avoir is never turned into cash by a return.

The cashier may choose another mix within the caps (see ``check_choice``): cash or store credit
instead of card (the card is not there, the terminal declines), but never more to a card than
the card paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from store.models import Payment, Ticket
from till.errors import TillError
from till.means import CARD, CODES, REFUND_ORDER, is_known, means
from till.money import shown

ORDER = REFUND_ORDER
"""The default order in which the original means are refunded (``till.means``: ``refund_rank``)."""


class RefundError(TillError):
    """A refund plan or choice was refused; nothing was refunded."""


@dataclass(frozen=True)
class RefundPart:
    """One refund: ``amount_cents`` (> 0) back to ``means``; ``reference`` is the original card
    payment's authorisation, for the terminal."""

    means: str
    amount_cents: int
    reference: str | None = None


@dataclass(frozen=True)
class Cap:
    """What may still be refunded to one original payment (cards) or one means (cash, credit)."""

    means: str
    paid_cents: int
    refunded_cents: int
    reference: str | None = None

    @property
    def available_cents(self) -> int:
        return max(0, self.paid_cents - self.refunded_cents)


def _pair(payment: Any) -> tuple[str, int, str | None]:
    if isinstance(payment, tuple):
        means, amount, *rest = payment
        return means, int(amount), (rest[0] if rest else None)
    return payment.means, int(payment.amount_cents), getattr(payment, "reference", None)


def caps(original_payments: Iterable[Any], earlier_refunds: Iterable[Any] = ()) -> list[Cap]:
    """The caps of each means, in ``ORDER`` (means the till does not know last, as cash-like).

    ``original_payments``: the original ticket's payments, ``Payment`` rows or
    ``(means, amount_cents[, reference])``; change is a negative cash payment and nets out.
    ``earlier_refunds``: the payments of earlier returns/exchanges of that ticket (negative =
    money given back); they reduce the cap of their means (cards: the first card payments first).
    """
    cards: list[list] = []
    other: dict[str, int] = {}
    for payment in original_payments:
        code, amount, reference = _pair(payment)
        if code == CARD and amount > 0:
            cards.append([reference, amount])
        elif code == CARD:
            other[CARD] = other.get(CARD, 0) + amount  # a card refund on the original itself
        else:
            other[code] = other.get(code, 0) + amount
    refunded: dict[str, int] = {}
    for payment in earlier_refunds:
        code, amount, _reference = _pair(payment)
        refunded[code] = refunded.get(code, 0) - amount
    result: list[Cap] = []
    card_refunded = max(0, refunded.pop(CARD, 0) - other.pop(CARD, 0))
    for reference, paid in cards:
        taken = min(paid, card_refunded)
        card_refunded -= taken
        result.append(Cap(CARD, paid, taken, reference))
    for code in sorted(set(other) | set(refunded), key=lambda m: (means(m).refund_rank, m)):
        paid = other.get(code, 0)
        if paid <= 0 and not is_known(code):
            continue
        result.append(Cap(code, max(0, paid), max(0, refunded.get(code, 0))))
    return result


def plan_refund(original_payments: Iterable[Any], amount_cents: int,
                earlier_refunds: Iterable[Any] = ()) -> list[RefundPart]:
    """Spread a refund of ``amount_cents`` over the original means (see the module's order).

    Raises ``RefundError`` when the original payments, net of earlier refunds, cannot cover it.
    """
    if amount_cents < 0:
        raise RefundError("A refund cannot be negative")
    left = amount_cents
    parts: list[RefundPart] = []
    for cap in caps(original_payments, earlier_refunds):
        if left == 0:
            break
        take = min(left, cap.available_cents)
        if take > 0:
            parts.append(RefundPart(means(cap.means).refunded_as, take, cap.reference))
            left -= take
    if left:
        raise RefundError("The refund ({amount}) is more than was paid on the ticket", amount=shown(amount_cents))
    return _merge(parts)


def check_choice(original_payments: Iterable[Any], parts: Iterable[RefundPart], amount_cents: int,
                 earlier_refunds: Iterable[Any] = (), allowed: Iterable[str] = CODES
                 ) -> list[RefundPart]:
    """The cashier's mix, checked: sums to ``amount_cents``, only ``allowed`` means, and no more to
    a card than the card paid (card parts without a reference are given the original ones)."""
    parts = [part for part in parts if part.amount_cents]
    allowed = tuple(allowed)
    if any(part.amount_cents < 0 for part in parts):
        raise RefundError("A refund cannot be negative")
    for part in parts:
        if part.means not in allowed:
            raise RefundError("A refund by {means} is not allowed here", means=part.means)
    if sum(part.amount_cents for part in parts) != amount_cents:
        raise RefundError("The refunds must add up to {amount}", amount=shown(amount_cents))
    card_wanted = sum(part.amount_cents for part in parts if part.means == CARD)
    card_caps = [cap for cap in caps(original_payments, earlier_refunds) if cap.means == CARD]
    if card_wanted > sum(cap.available_cents for cap in card_caps):
        raise RefundError("At most {amount} can go back to the card",
                          amount=shown(sum(cap.available_cents for cap in card_caps)))
    out = [part for part in parts if part.means != CARD]
    for cap in card_caps:
        take = min(card_wanted, cap.available_cents)
        if take:
            out.insert(0, RefundPart(CARD, take, cap.reference))
            card_wanted -= take
    return _merge(sorted(out, key=lambda p: means(p.means).refund_rank))


def _merge(parts: list[RefundPart]) -> list[RefundPart]:
    """One part per (means, reference)."""
    merged: dict[tuple[str, str | None], int] = {}
    for part in parts:
        merged[(part.means, part.reference)] = merged.get((part.means, part.reference), 0) + part.amount_cents
    return [RefundPart(means, amount, reference) for (means, reference), amount in merged.items() if amount]


def paid_with(sale) -> list[tuple[str, int, str | None]]:
    """What ``sale`` was paid with, in order, as (means, cents, reference): what its refunds are
    capped by, means by means."""
    return list(Payment.select(Payment.means, Payment.amount_cents, Payment.reference)
                .where(Payment.ticket == sale).order_by(Payment.position).tuples())


def refunded_before(sale=None, order=None) -> list[tuple[str, int]]:
    """What the earlier returns of ``sale`` (or of online ``order``) paid back, as (means, cents)."""
    origin = Ticket.origin_order == order if order is not None else Ticket.origin_ticket == sale
    return list(Payment.select(Payment.means, Payment.amount_cents).join(Ticket).where(origin).tuples())
