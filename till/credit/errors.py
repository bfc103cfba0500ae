"""The refusal every credit-note workflow shares, apart from ``till.credit.notes``: the holds
kept at head office derive from it, and the till's start reads those holds without loading
the notes' ledger, receipts and totals."""

from __future__ import annotations

from till.errors import TillError


class CreditNoteError(TillError):
    """A credit note cannot be used as asked; nothing was written."""
