"""The means of payment, declared once: what each one is called, how it is refunded, whether it
opens the drawer or goes through the card terminal, and which account it is booked to.

Payments are stored by ``code`` (``Payment.means``), so the code of a means never changes. Code
that must decide something about a payment asks its means for the property that decides it
(``means(code).opens_drawer``) rather than comparing codes, so a new means is one entry here.
A comparison that really asks "is this cash?" (change is given in cash; a credit note is
redeemed) uses the constants ``CASH``, ``CARD`` and ``CREDIT_NOTE``.

A code this till does not know (a payment written by another version, or imported) is shown as
its code, refunded last and as cash, booked to the cash account, and opens neither the drawer
nor the terminal: what the till did with such a payment before the means had one home.
"""

from __future__ import annotations

from dataclasses import dataclass

from till.i18n import translate

CASH = "cash"
CARD = "card"
CREDIT_NOTE = "credit_note"

CHANGE = "change"
"""The reference of the negative cash payment that is the change handed back on a sale or an
exchange: money given back on money just received, never a refund."""


@dataclass(frozen=True)
class Means:
    """One means of payment and everything the till decides from it."""

    code: str
    """As stored on each payment (``Payment.means``, at most 16 characters)."""
    label: str
    """English message id, translated where it is shown (receipt, X/Z, screens)."""
    refund_rank: int
    """Position in the default refund plan (1 first): the money goes back where it came from,
    card first so the drawer is not emptied for a customer who paid by card, store credit last
    so a credit note is never turned into cash by a return (``till.returns.refunds``)."""
    opens_drawer: bool
    """Notes and coins change hands: a ticket with such a payment opens the cash drawer."""
    account: str
    """The ``[accounts]`` setting (``AccountsConfig`` attribute) whose account it is debited to;
    the number itself is the shop's to choose."""
    uses_terminal: bool
    """Taken or given back by the card terminal, journaled before it is asked."""
    refund_needs_original: bool
    """A refund to it only reverses what the original ticket paid by it, payment by payment (the
    terminal names the authorisation): never offered without a receipt nor for a web order."""
    reference_shown: bool
    """Its reference is the customer's own code (a credit note's), printed beside the amount."""
    refunded_as: str
    """The code a refund of it goes back to: itself, or cash for a code the till does not know."""
    known: bool = True
    """Declared here; ``False`` for the stand-in of a code the till does not know."""

    def text(self, lang: str | None = None) -> str:
        """The label in ``lang`` (default: the current language); an unknown code as it is."""
        return translate(self.label, lang) if self.known else self.code


ALL: tuple[Means, ...] = (
    Means(CASH, "Cash", refund_rank=2, opens_drawer=True, account="cash", uses_terminal=False,
          refund_needs_original=False, reference_shown=False, refunded_as=CASH),
    Means(CARD, "Card", refund_rank=1, opens_drawer=False, account="card", uses_terminal=True,
          refund_needs_original=True, reference_shown=False, refunded_as=CARD),
    Means(CREDIT_NOTE, "Credit note", refund_rank=3, opens_drawer=False, account="credit_note",
          uses_terminal=False, refund_needs_original=False, reference_shown=True, refunded_as=CREDIT_NOTE),
)
"""Every means, in the order the payment keys offer them (F1 cash, F2 card, F4 credit note)."""

_BY_CODE = {m.code: m for m in ALL}

REFUND_ORDER: tuple[str, ...] = tuple(m.code for m in sorted(ALL, key=lambda m: m.refund_rank))
"""The codes in the order a default refund reaches them."""

CODES: tuple[str, ...] = tuple(m.code for m in ALL)


def means(code: str) -> Means:
    """The means of ``code``; for a code this till does not know, a stand-in treated as the
    module says (shown as is, refunded last and as cash, booked as cash, no drawer, no terminal)."""
    found = _BY_CODE.get(code)
    if found is not None:
        return found
    return Means(code, code, refund_rank=len(ALL) + 1, opens_drawer=False, account=_BY_CODE[CASH].account,
                 uses_terminal=False, refund_needs_original=False, reference_shown=False, refunded_as=CASH,
                 known=False)


def codes_where(**wanted: bool) -> tuple[str, ...]:
    """The codes of the means whose properties have the values given, in ``ALL``'s order: e.g.
    ``codes_where(uses_terminal=True)``, the payments the card terminal took."""
    return tuple(m.code for m in ALL if all(getattr(m, name) == value for name, value in wanted.items()))


def is_known(code: str) -> bool:
    """Whether ``code`` is one of the means declared here."""
    return code in _BY_CODE
