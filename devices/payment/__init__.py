"""Payment terminals: the interface every driver offers, whatever its protocol.

A card payment counts only once the terminal has answered "approved". Drivers block (they talk
to hardware), so the UI calls them from a worker thread, never from its event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TerminalResult:
    """The terminal's answer to one request."""

    approved: bool
    amount_cents: int
    reference: str = ""
    message: str = ""


class TerminalError(Exception):
    """The terminal could not be reached or gave no usable answer (timeout, garbage, unplugged)."""


class PaymentTerminal(Protocol):
    """What the till asks of a card terminal."""

    name: str

    def sale(self, amount_cents: int, reference: str) -> TerminalResult:
        """Charge ``amount_cents``; blocks until the customer has paid, declined or it timed out."""

    def refund(self, amount_cents: int, reference: str) -> TerminalResult:
        """Give ``amount_cents`` back to the card."""

    def health(self) -> str:
        """A short status for technicians ("ready", "offline: ...")."""
