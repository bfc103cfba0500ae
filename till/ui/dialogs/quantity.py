"""Type a new quantity for the selected basket line (F3 on the sale screen).

The dialog only reads a whole number; whether it is allowed (above 0, under the till's limit,
not a weighed line) is the basket's decision, shown by the sale screen if refused.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Label

from till.i18n import _
from till.ui.dialogs.base import Dialog


class QuantityScreen(Dialog[int | None]):
    """Dismisses with the typed quantity, or ``None`` (Esc, or Enter on an empty field)."""

    title_text = "Quantity"

    def __init__(self, label: str, current: int) -> None:
        super().__init__()
        self.label = label
        self.current = current

    def compose_body(self) -> ComposeResult:
        yield Label(_("{label}: now {quantity}", label=self.label, quantity=self.current), markup=False)
        yield Input(placeholder=_("New quantity"), id="quantity", restrict=r"\d{0,6}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.dismiss(int(text) if text else None)
