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
    """The terminal could not be reached or gave no usable answer (timeout, garbage, unplugged).

    ``message`` is an English message id with ``{name}`` placeholders filled from ``params``
    (translated by the domain: devices never import the till's catalogues). ``maybe_charged``
    says whether the request may have reached the terminal: ``False`` only when it certainly
    did not (port missing, no ACK to the request), so the card journal can tell "nothing
    happened" from "ask the terminal's own journal". It defaults to ``True``, the safe side.
    """

    def __init__(self, message: str = "", maybe_charged: bool = True, **params: object) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params
        self.maybe_charged = maybe_charged


class PaymentTerminal(Protocol):
    """What the till asks of a card terminal."""

    name: str

    def sale(self, amount_cents: int, reference: str) -> TerminalResult:
        """Charge ``amount_cents``; blocks until the customer has paid, declined or it timed out."""

    def refund(self, amount_cents: int, reference: str) -> TerminalResult:
        """Give ``amount_cents`` back to the card."""

    def health(self) -> str:
        """A short status for technicians ("ready", "offline: ...")."""
