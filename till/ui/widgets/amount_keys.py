"""Money screens (payment, refund): the cashier just types the amount handed over.

The payment, exchange payment and refund screens share both halves: a digit typed anywhere
starts the amount, and the amount typed is read the same way (empty: all that is due), so a
cashier meets one rule and one refusal on every money screen.
"""

from __future__ import annotations

from textual import events

from till.i18n import _
from till.money import parse_amount
from till.ui.feedback import Refused

AMOUNT_CHARACTERS = "0123456789,."


def typed_amount(text: str) -> int | None:
    """``text`` as cents, or ``None`` when nothing was typed (the screen reads: all that is due);
    refused, in the cashier's words, when it is not an amount."""
    text = text.strip()
    if not text:
        return None
    try:
        return parse_amount(text)
    except ValueError:
        raise Refused(_("Type an amount such as 20 or 12,50")) from None


class DigitsStartAmount:
    """Mixed into a screen with an ``amount_input`` and a ``waiting`` flag: a digit typed while
    the field has no focus goes into it, instead of needing a key to reach the field first."""

    def on_key(self, event: events.Key) -> None:
        field = self.amount_input  # type: ignore[attr-defined]
        if self.waiting or field.has_focus or not event.character:  # type: ignore[attr-defined]
            return
        if event.character in AMOUNT_CHARACTERS:
            event.stop()
            event.prevent_default()
            field.focus()
            field.insert_text_at_cursor(event.character)

    def _typed_amount(self) -> int | None:
        """The amount typed in the field, or ``None`` when it is empty (all that is due)."""
        return typed_amount(self.amount_input.value)  # type: ignore[attr-defined]
