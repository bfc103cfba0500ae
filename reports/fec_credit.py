"""The auxiliary account of each credit note on 4197, for the FEC.

Store credit is a debt to one holder per note, so the FEC follows it note by note
(fiscal-fr.md 4.4: 4197 "nominative, with CompAuxNum"): every line on the credit-note account
names its note in ``CompAuxNum`` and ``CompAuxLib`` (both filled: the pair rule), every other
line leaves both empty.

The ticket's stored postings put all its credit-note payments on one 4197 line (one per means,
``till.selling.accounting``); which notes make it up is read from the ticket's own records,
never guessed: its ``credit_note`` payments (a positive one spends the note of its reference, a
negative one issued the note of its reference) and the notes it issued otherwise (a loyalty
reward). The export checks that these add up to the stored 4197 lines of the entry before it
writes them note by note, so the file's lines still sum to the books.

A code is a bearer voucher: whoever reads it can spend what is left on it. The FEC goes to the
accountant and the tax auditor, so it never holds a code whole: ``CompAuxNum`` is ``AV`` and the
first 12 hexadecimal digits of the SHA-256 of the code (one per note, not reversible),
``CompAuxLib`` "Avoir" and the code masked as in the logs (``AV-****-****-****-*8RT-W``), which
anyone holding the voucher or the till can match.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from store.models import CreditNote, Payment, Ticket
from till.logmask import mask_code
from till.means import CREDIT_NOTE

__all__ = ["aux_number", "aux_label", "note_movements"]

DIGITS = 12
"""Hexadecimal digits of the code's digest kept in ``CompAuxNum``: 48 bits, so two notes of
one file share a number with a chance of about one in ten thousand at a million notes."""


def _compact(code: str) -> str:
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


def aux_number(code: str) -> str:
    """``CompAuxNum`` of the note of ``code``: the same whatever the separators or case typed."""
    return "AV" + hashlib.sha256(_compact(code).encode("ascii")).hexdigest()[:DIGITS].upper()


def aux_label(code: str) -> str:
    """``CompAuxLib`` of the note of ``code``: "Avoir" and the masked code."""
    return f"Avoir {mask_code(code)}"


def note_movements(start: dt.datetime, end: dt.datetime) -> dict[int, list[tuple[str, int]]]:
    """For each counted ticket made in ``[start, end)`` that moved store credit: its notes in
    order, each as ``(code, cents)``, positive when the ticket debits 4197 (a note spent),
    negative when it credits it (a note issued). A note moved twice by a ticket is summed."""
    moves: dict[int, dict[str, int]] = defaultdict(dict)
    in_period = (Ticket.training == False) & (Ticket.created_at >= start) & (Ticket.created_at < end)  # noqa: E712
    for ticket_id, code, amount in (Payment.select(Payment.ticket, Payment.reference, Payment.amount_cents)
                                    .join(Ticket).where(in_period & (Payment.means == CREDIT_NOTE))
                                    .order_by(Payment.ticket, Payment.position).tuples()):
        notes = moves[ticket_id]
        notes[code or ""] = notes.get(code or "", 0) + int(amount)
    for ticket_id, code, amount in (CreditNote.select(CreditNote.issued_ticket, CreditNote.code,
                                                      CreditNote.amount_cents)
                                    .join(Ticket, on=CreditNote.issued_ticket == Ticket.id).where(in_period)
                                    .order_by(CreditNote.id).tuples()):
        notes = moves[ticket_id]
        if code not in notes:  # issued by no payment of its ticket: a loyalty reward
            notes[code] = -int(amount)
    return {ticket_id: [(code, cents) for code, cents in notes.items() if cents]
            for ticket_id, notes in moves.items()}
