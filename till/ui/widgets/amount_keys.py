"""Money screens (payment, refund): the cashier just types the amount handed over."""

from __future__ import annotations

from textual import events

AMOUNT_CHARACTERS = "0123456789,."


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
