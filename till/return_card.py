"""The card side of a return or exchange: the terminal's refund or charge, and what to do when
the return's transaction rolls back after the terminal has moved money.

A mixin of ``till.returns.ReturnSession`` (it uses the session's ``terminal``, ``sealer`` and
``user``), kept apart so that each module holds one concept.
"""

from __future__ import annotations

from till.fiscal.events import CARD_REFUND_UNRECORDED, record_event
from till.return_lines import ReturnError


class ReturnCardMoves:
    """Ask the terminal for a refund or a charge; undo or record it if the return is not written."""

    def _terminal(self, operation: str, amount: int, reference: str) -> str | None:
        from devices.payment import TerminalError

        if self.terminal is None:
            raise ReturnError("No card terminal is configured on this till")
        try:
            result = getattr(self.terminal, operation)(amount, reference=reference)
        except TerminalError as error:
            from till.card_journal import terminal_reason

            raise ReturnError("The card terminal did not answer ({reason}): nothing was recorded; refund in "
                              "cash or as a credit note instead", reason=terminal_reason(error)) from None
        if not result.approved and operation == "sale":
            raise ReturnError("The terminal declined the card payment ({reason}): nothing was recorded",
                              reason=result.message or "refused")
        if not result.approved:
            raise ReturnError("The terminal declined the card refund ({reason}): nothing was recorded; refund "
                              "in cash or as a credit note instead", reason=result.message or "refused")
        return result.reference

    def _after_failure(self, card_done: list, why: str) -> None:
        """The transaction rolled back after the terminal moved money: undo or record it (chain L)."""
        for operation, amount, reference in card_done:
            if operation == "sale" and self.terminal is not None:
                try:
                    self.terminal.refund(amount, reference=reference or "")
                    continue
                except Exception:  # noqa: BLE001 - recorded below
                    pass
            record_event(self.sealer, CARD_REFUND_UNRECORDED,
                         "card moved by the terminal but the return was not written",
                         user_id=self.user.id, details={"operation": operation, "amount_cents": amount,
                                                        "reference": reference, "why": why[:120]})
