"""What a return or an exchange just written moved, in money: the line the sale screen says.

The cashier hands money back or takes it, so once the ticket is written the screen repeats
how much went where. The ticket's payments are read here (a query), and the screen is given
plain figures to word in the cashier's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.models import EXCHANGE, Ticket
from till.means import CASH, CHANGE



@dataclass(frozen=True)
class WrittenReturn:
    """A written return or exchange: its code, and (means, cents) handed back or paid."""

    code: str
    exchange: bool
    refunds: tuple[tuple[str, int], ...]
    """What the customer got back, by means, positive; the change is not among them."""
    paid: tuple[tuple[str, int], ...]
    """What the customer paid (an exchange's difference), by means."""
    change_cents: int
    """Cash given back on what was paid."""

    @property
    def cash_refund_cents(self) -> int:
        """Cash the drawer gives back as a refund (the change apart)."""
        return sum(cents for means, cents in self.refunds if means == CASH)


def written_return(ticket: Ticket | int) -> WrittenReturn:
    """The money of return or exchange ``ticket``, in the order it was tendered."""
    ticket = ticket if isinstance(ticket, Ticket) else Ticket.get_by_id(ticket)
    payments = list(ticket.payments)
    refunds = tuple((p.means, -p.amount_cents) for p in payments if p.amount_cents < 0 and p.reference != CHANGE)
    paid = tuple((p.means, p.amount_cents) for p in payments if p.amount_cents > 0)
    change = -sum(p.amount_cents for p in payments if p.reference == CHANGE)
    return WrittenReturn(ticket.code, ticket.kind == EXCHANGE, refunds, paid, change)
