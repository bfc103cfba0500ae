"""How the codes of a return's lines were entered: scanned, or keyed by hand.

Why it is recorded: an item that is really on the counter is scanned; one that is not (a refund
on a found receipt, an item that never came back) has its code typed. The till did not keep
the difference, so the cashier signal ``cashier_keyed_returns`` had nothing to count.

Why a chain L event (``RETURN_ENTRY``) rather than a key in the return line's payload: the
ticket payloads are signed, archived, verified and synced in a fixed shape; adding a key there
means a column, payload builders that rebuild it, and every verifier reading it. An event of the
technical journal is the lighter path: its details are free, it is signed and synced like every
other record, and it is sealed in the return's own transaction (``ReturnSession.complete``), so
a return and its entry commit or roll back together. A card refund is written later, from the
card journal's row, with the events the row holds: the tally goes there (``event``), so it too
is sealed in the return's transaction. One event per return, with its ticket code
and how many lines were keyed and scanned; nothing when no line's entry is known (a return made
without the screen, by a command or a test that does not say).
"""

from __future__ import annotations

from dataclasses import dataclass

from till.fiscal.events import record_event
from till.loss.cashier_facts import RETURN_ENTRY

__all__ = ["RETURN_ENTRY", "ReturnEntry"]


@dataclass
class ReturnEntry:
    """The tally of one return being prepared: lines whose code was scanned, lines keyed."""

    scanned: int = 0
    keyed: int = 0

    def note(self, keyed: bool) -> None:
        """One more returned line, its code typed by hand (``keyed``) or read by the scanner."""
        if keyed:
            self.keyed += 1
        else:
            self.scanned += 1

    def clear(self) -> None:
        self.scanned = self.keyed = 0

    def event(self, user, origin: str | None) -> tuple[str, str, int, dict] | None:
        """The tally as an event to seal before the return's ticket is written (a card refund's
        intent holds its events: ``till.returns.card``): the original's reference, no return
        code yet. ``None`` if nothing was noted."""
        if not (self.scanned or self.keyed):
            return None
        return (RETURN_ENTRY, "return lines entered", user.id,
                {"origin": origin, "keyed": self.keyed, "scanned": self.scanned})

    def seal(self, sealer, ticket, user) -> None:
        """Seal the tally with ``ticket`` (inside its transaction); nothing if nothing was noted."""
        if not (self.scanned or self.keyed):
            return
        record_event(sealer, RETURN_ENTRY, "return lines entered", user_id=user.id,
                     details={"return": ticket.code, "keyed": self.keyed, "scanned": self.scanned})
