"""Customers: the folded search key, the prefix search used at the counter, and the figures
(customer 360) the return screen shows so the cashier can propose an exchange.

A cashier types "helene", "lefe", "06 39" or a card number; the till finds "Hélène Lefèvre".
``search_key`` holds each customer's names, e-mail, phone (as written and as digits) and card,
folded to lower-case ASCII, so that the same plain LIKE prefix search works on SQLite and on
PostgreSQL, and reads at most ``limit`` rows however large the customer file.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import peewee

from store.models import EXCHANGE, SALE, Customer, CustomerWord, Ticket, TicketLine, utcnow
from store.models.credit import CreditNote
from till.credit import notes as credit_notes
from till.credit.loyalty import points_balance

_FOLD_EXTRA = str.maketrans({
    "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "đ": "d", "ł": "l",
    "’": "'", "‘": "'", "\u00a0": " ", "\u202f": " ",
})


def fold(text: str | None) -> str:
    """``text`` in lower-case ASCII for searching: "Hélène Lefèvre" -> "helene lefevre".

    Accents are dropped (NFKD, combining marks removed), ligatures spelt out (œ, æ, ß), spaces
    collapsed. What the cashier types is folded the same way as what is stored.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_only = ascii_only.encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(ascii_only.split())


def search_key(first_name: str, last_name: str, email: str | None, phone: str | None, card: str | None) -> str:
    """The folded words a customer is found by; every field starts a word."""
    phone_digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    phone_words = fold(phone)
    parts = [fold(first_name), fold(last_name), fold(email), phone_words,
             phone_digits if phone_digits != phone_words else "", fold(card)]
    return " ".join(part for part in parts if part)[:400]


def create_customer(first_name: str = "", last_name: str = "", email: str | None = None,
                    phone: str | None = None, loyalty_card: str | None = None, consent_email: bool = False,
                    consent_sms: bool = False) -> Customer:
    """Add a customer with its search key filled in (the one way customers are created)."""
    customer = Customer.create(
        first_name=first_name, last_name=last_name, email=email, phone=phone, loyalty_card=loyalty_card,
        consent_email=consent_email, consent_sms=consent_sms,
        search_key=search_key(first_name, last_name, email, phone, loyalty_card),
    )
    index_words([(customer.id, customer.search_key)])
    return customer


def words_of(key: str) -> list[str]:
    """The distinct words of a search key, as ``CustomerWord`` stores them."""
    return sorted({word[:64] for word in key.split()})


def index_words(keys: list[tuple[int, str]]) -> None:
    """(Re)write the search words of customers given as ``(id, search_key)``; call after a
    customer is added or its key changes (bulk imports pass many at once)."""
    ids = [customer_id for customer_id, _ in keys]
    for start in range(0, len(ids), 500):
        CustomerWord.delete().where(CustomerWord.customer.in_(ids[start:start + 500])).execute()
    rows = [{"word": word, "customer": customer_id} for customer_id, key in keys for word in words_of(key)]
    for start in range(0, len(rows), 400):
        CustomerWord.insert_many(rows[start:start + 400]).execute()


def _after(prefix: str) -> str:
    """The first string after every string that starts with ``prefix`` (for a range scan)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def search_customers(text: str, limit: int = 20) -> list[Customer]:
    """Customers one of whose words starts with ``text`` (folded), by name.

    The first typed word is looked up as a range of the word index, in index order and bounded,
    so it costs the same with 60 customers or 200,000; further typed words narrow the result.
    """
    folded = fold(text)
    if not folded:
        return []
    first, *others = folded.split()
    candidates = (
        CustomerWord.select(CustomerWord.customer)
        .where((CustomerWord.word >= first) & (CustomerWord.word < _after(first)))
        .order_by(CustomerWord.word, CustomerWord.customer)
        .limit(limit * 10)
    )
    ids = list(dict.fromkeys(row.customer_id for row in candidates))
    if not ids:
        return []
    found = [
        customer for customer in Customer.select().where(Customer.id.in_(ids))
        if all(f" {word}" in f" {customer.search_key}" for word in others)
    ]
    found.sort(key=lambda customer: (customer.last_name, customer.first_name, customer.id))
    return found[:limit]


@dataclass(frozen=True)
class CustomerSummary:
    """Figures shown next to a customer on the return screen."""

    visits: int
    average_basket_cents: int
    lifetime_value_cents: int
    returned_cents: int
    sold_cents: int
    """What the customer's lines sold came to (the return rate's denominator)."""
    open_credit_notes: list
    """(CreditNote, balance in cents) of the customer's unexpired, unspent notes."""
    loyalty_points: int = 0

    @property
    def return_rate_bp(self) -> int:
        """Returned amount / sold amount, in basis points (1000 = 10 %)."""
        return self.return_rate_bp_with()

    def return_rate_bp_with(self, returning_cents: int = 0, selling_cents: int = 0) -> int:
        """The return rate once a return being made is written: ``returning_cents`` more back,
        and an exchange's new items, ``selling_cents``, more sold. The return screen shows this
        one, so the figure the cashier weighs counts the return at the counter."""
        sold = self.sold_cents + selling_cents
        return (self.returned_cents + returning_cents) * 10_000 // sold if sold else 0


def customer_summary(customer: Customer | int) -> CustomerSummary:
    """Visits (sales and exchanges), average basket, lifetime value (net of returns), return rate."""
    rows = list(Ticket.select(Ticket.kind, peewee.fn.COUNT(Ticket.id), peewee.fn.SUM(Ticket.total_cents))
                .where((Ticket.customer == customer) & (Ticket.training == False))  # noqa: E712
                .group_by(Ticket.kind).tuples())
    count = {kind: int(n) for kind, n, _ in rows}
    total = {kind: int(s or 0) for kind, _, s in rows}
    visits = count.get(SALE, 0) + count.get(EXCHANGE, 0)
    sold = (TicketLine.select(peewee.fn.SUM(TicketLine.total_cents)).join(Ticket)
            .where((Ticket.customer == customer) & (TicketLine.quantity > 0)
                   & (Ticket.training == False)).scalar() or 0)  # noqa: E712
    returned = -(TicketLine.select(peewee.fn.SUM(TicketLine.total_cents)).join(Ticket)
                 .where((Ticket.customer == customer) & (TicketLine.quantity < 0)
                        & (Ticket.training == False)).scalar() or 0)  # noqa: E712

    today = utcnow().date()
    open_notes = [(note, left) for note in CreditNote.select().where(CreditNote.customer == customer)
                  .order_by(CreditNote.expires_on)
                  if not credit_notes.is_expired(note, today) and (left := credit_notes.balance(note)) > 0]
    return CustomerSummary(
        visits=visits,
        average_basket_cents=(total.get(SALE, 0) // count[SALE]) if count.get(SALE) else 0,
        lifetime_value_cents=sum(total.values()),
        returned_cents=int(returned),
        sold_cents=int(sold),
        open_credit_notes=open_notes,
        loyalty_points=points_balance(customer),
    )
