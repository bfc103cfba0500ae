"""The return screen's scan field: codes in, and ``+``, ``-``, Enter out when it is empty.

Decided in the field's own key handler, in the order the keys arrived (Textual #6605, see
``till.ui.widgets.scan_input``): a ``-`` inside a receipt code being scanned (``T01-0000012x``)
stays in the code, and a code's Enter ends the code, never "take all". So no scanner burst can
ever change a quantity except by naming a product of the ticket (one unit per scan). Codes are
read as on the sale screen (``WedgeScanInput``): prefix and AIM identifier removed, a keyboard
layout mismatch decoded.
"""

from __future__ import annotations

from textual import events
from textual.message import Message

from till.ui.devices_bridge import WedgeScanInput

EMPTY_FIELD_KEYS = {"enter": "take_all", "plus": "more", "minus": "less"}
"""Keys that, typed in an empty scan field, act on the selected line instead of the field."""


class ReturnScanInput(WedgeScanInput):
    """A scan field that hands ``+``, ``-`` and Enter to the screen when it is empty.

    A ``WedgeScanInput``, as on the sale screen: a receipt scanned here by a scanner set for
    another keyboard layout (``Tà&)ààé__"è``) is decoded before the screen reads it.

    Decided in the field's own key handler, in key order: a ``-`` inside a code being scanned
    stays in the code, and a code's Enter ends the code (``Scanned``), never "take all".
    """

    class Command(Message):
        """``action`` is the screen action for the key (``take_all``, ``more``, ``less``)."""

        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    async def _on_key(self, event: events.Key) -> None:
        action = EMPTY_FIELD_KEYS.get(event.key)
        if action is not None and self.is_empty:
            event.stop()
            event.prevent_default()  # neither ScanInput nor Input handles it
            self.post_message(self.Command(action))
