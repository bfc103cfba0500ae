"""Payment terminals: the interface every driver offers, whatever its protocol.

A card payment counts only once the terminal has answered "approved". Drivers block (they talk
to hardware), so the UI calls them from a worker thread, never from its event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from till.i18n import N_, Phrase

# Why a terminal declined, in the words our drivers give for their protocols' reason codes
# (caisse_ap.FAILURES, concert's statuses, the simulator): the till shows them translated.
REASON_REFUSED = N_("refused")
REASON_FORBIDDEN = N_("forbidden")
REASON_ABANDONED = N_("abandoned")
REASON_NO_INPUT = N_("no input in time")
REASON_FORMAT = N_("format error")
REASON_CURRENCY = N_("currency not supported")
REASON_NOT_VERIFIED = N_("not verified by the terminal")
REASON_ISSUER = N_("declined by the card issuer")
REASON_AMOUNT = N_("invalid amount")
DECLINE_REASONS = frozenset({REASON_REFUSED, REASON_FORBIDDEN, REASON_ABANDONED, REASON_NO_INPUT, REASON_FORMAT,
                             REASON_CURRENCY, REASON_NOT_VERIFIED, REASON_ISSUER, REASON_AMOUNT})
# Translators: a card terminal's own words for a decline the till does not know, shown as it said them
AS_THE_TERMINAL_SAID = N_('"{reason}"')


@dataclass(frozen=True)
class TerminalResult:
    """The terminal's answer to one request."""

    approved: bool
    amount_cents: int
    reference: str = ""
    message: str = ""

    def decline_reason(self) -> Phrase:
        """Why the terminal declined, as the cashier reads it: one of our protocols' known reasons,
        translated; anything else quoted as the terminal said it (a translation would be a guess)."""
        said = self.message or REASON_REFUSED
        if said in DECLINE_REASONS:
            return Phrase(said)
        return Phrase(AS_THE_TERMINAL_SAID, (("reason", said),))


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
