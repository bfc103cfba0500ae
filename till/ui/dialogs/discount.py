"""Type a discount for the selected line (F5) or the whole ticket (F6).

"10 %" (or "10%") is a percentage, anything else an amount in euros ("2,50"): the cashier
says which with the sign, so the dialog never guesses. It dismisses with the keyword argument
the basket takes (``percent_bp`` or ``amount_cents``); limits and manager approval are the
basket's business.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Label

from till.i18n import N_, _
from till.money import MoneyError, parse_amount, parse_rate
from till.ui.dialogs.base import Dialog

Discount = dict[str, int]
"""``{"percent_bp": 1000}`` or ``{"amount_cents": 250}``."""


def parse_discount(text: str) -> Discount:
    """Read "10 %" as a percentage and "2,50" as an amount; raise ``MoneyError`` otherwise."""
    text = text.strip()
    if text.endswith("%"):
        return {"percent_bp": parse_rate(text)}
    return {"amount_cents": parse_amount(text)}


class DiscountScreen(Dialog[Discount | None]):
    """A single field; Enter dismisses with the parsed discount."""

    title_text = N_("Discount")

    def __init__(self, title: str, subject: str) -> None:
        super().__init__(title)
        self.subject = subject

    def compose_body(self) -> ComposeResult:
        yield Label(self.subject, markup=False)
        yield Label(_("Type 10 % (a percentage) or 2,50 (an amount)"))
        yield Input(placeholder=_("Discount"), id="discount", restrict=r"[0-9.,% ]{0,12}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.dismiss(None)
            return
        try:
            discount = parse_discount(event.value)
        except MoneyError:
            self.show_error(_("Type a percentage (10 %) or an amount (2,50)"))
            return
        self.dismiss(discount)
