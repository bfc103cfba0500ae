"""Type a new quantity for the selected basket line (F3 on the sale screen).

The dialog hands back the text as typed, separator included: ``1,5`` is a weight in kilograms
for goods sold by weight and a refusal for anything sold by the piece (``Basket.set_typed_quantity``
decides, the sale screen shows why). A separator is never dropped, so ``1,5`` never becomes 15.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Label

from till.i18n import N_, _
from till.ui.dialogs.base import Dialog


class QuantityScreen(Dialog[str | None]):
    """Dismisses with the typed quantity, or ``None`` (Esc, or Enter on an empty field)."""

    title_text = N_("Quantity")

    def __init__(self, label: str, current: int) -> None:
        super().__init__()
        self.label = label
        self.current = current

    def compose_body(self) -> ComposeResult:
        yield Label(_("{label}: now {quantity}", label=self.label, quantity=self.current), markup=False)
        yield Input(placeholder=_("New quantity"), id="quantity", restrict=r"[0-9]{0,6}([.,][0-9]{0,3})?")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.dismiss(text or None)
