"""Customers: the folded search key and the prefix search used at the counter.

A cashier types "helene", "lefe", "06 39" or a card number; the till finds "Hélène Lefèvre".
``search_key`` holds each customer's names, e-mail, phone (as written and as digits) and card,
folded to lower-case ASCII, so that the same plain LIKE prefix search works on SQLite and on
PostgreSQL, and reads at most ``limit`` rows however large the customer file.
"""

from __future__ import annotations

import unicodedata

from store.models import Customer

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
    return Customer.create(
        first_name=first_name, last_name=last_name, email=email, phone=phone, loyalty_card=loyalty_card,
        consent_email=consent_email, consent_sms=consent_sms,
        search_key=search_key(first_name, last_name, email, phone, loyalty_card),
    )


def search_customers(text: str, limit: int = 20) -> list[Customer]:
    """Customers one of whose words starts with ``text`` (folded), by name."""
    folded = fold(text).replace("%", "").replace("_", "")
    if not folded:
        return []
    query = Customer.select().where(
        Customer.search_key.startswith(folded) | Customer.search_key.contains(" " + folded)
    )
    return list(query.order_by(Customer.last_name, Customer.first_name).limit(limit))
