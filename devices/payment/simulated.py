"""A card terminal that lives inside the till, for the demo and the tests of the sale flow.

It approves every amount except ``decline_cents`` (so a demo can show a refusal) and can be
told to time out. The real protocol drivers (Concert, Caisse-AP) and their byte-level
simulators come with the devices work; this one stands in for the hardware only.
"""

from __future__ import annotations

import itertools
import time

from devices.payment import REASON_AMOUNT, REASON_ISSUER, TerminalError, TerminalResult


class SimulatedTerminal:
    """An always-ready terminal with scripted refusals."""

    name = "simulator"

    def __init__(self, decline_cents: int = -1, delay_s: float = 0.0) -> None:
        self.decline_cents = decline_cents
        self.delay_s = delay_s
        self.fail_next: str | None = None
        """Set to "timeout" or "decline" to make the next request fail that way."""
        self.requests: list[tuple[str, int, str]] = []
        self._authorisations = itertools.count(100001)

    def _answer(self, operation: str, amount_cents: int, reference: str) -> TerminalResult:
        self.requests.append((operation, amount_cents, reference))
        if self.delay_s:
            time.sleep(self.delay_s)
        failure, self.fail_next = self.fail_next, None
        if failure == "timeout":  # it never reached a card: the till may say nothing was charged
            raise TerminalError("no answer from the terminal", maybe_charged=False)
        if amount_cents <= 0:
            return TerminalResult(False, amount_cents, message=REASON_AMOUNT)
        if failure == "decline" or amount_cents == self.decline_cents:
            return TerminalResult(False, amount_cents, message=REASON_ISSUER)
        return TerminalResult(True, amount_cents, reference=f"SIM{next(self._authorisations)}")

    def sale(self, amount_cents: int, reference: str) -> TerminalResult:
        return self._answer("sale", amount_cents, reference)

    def refund(self, amount_cents: int, reference: str) -> TerminalResult:
        return self._answer("refund", amount_cents, reference)

    def health(self) -> str:
        return "ready (simulator)"
