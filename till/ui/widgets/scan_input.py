"""The field that takes scanner bursts and typed codes on the sale screen.

Why a subclass: in a stock ``Input``, printable keys are inserted in the widget's own key
handler, but Enter is a *binding*, looked up only after the key has bubbled up to the App
(Textual issue #6605). A scanner sends a code and its Enter within milliseconds, so the next
code's digits are already in the field when ``Input.Submitted`` reads it: codes merge, split,
or come out twice. Here Enter (and ``ctrl+j``, what a scanner sending LF produces) ends the code
inside ``_on_key``, in the same order as the keys arrived: read the value, clear, post
``Scanned``. The handler never blocks, so keys do not pile up behind it.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input

END_KEYS = frozenset({"enter", "ctrl+j"})
"""Keys that end a code: CR (enter) and LF (ctrl+j), whichever suffix the scanner is set to."""


class ScanInput(Input):
    """An ``Input`` that posts ``ScanInput.Scanned`` for every code ended by Enter."""

    class Scanned(Message):
        """A complete code, scanned or typed; empty codes are not posted."""

        def __init__(self, scan_input: "ScanInput", code: str) -> None:
            super().__init__()
            self.scan_input = scan_input
            self.code = code

        @property
        def control(self) -> "ScanInput":
            """The field the code came from (for ``@on(ScanInput.Scanned, "#id")``)."""
            return self.scan_input

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls the ``_on_key`` of every class in the MRO in turn (no super() call
        # here, or printable keys would be inserted twice); ``prevent_default`` stops that walk.
        if event.key in END_KEYS:
            # Stop here: neither Input's own handler nor the "enter" -> submit binding may run.
            event.stop()
            event.prevent_default()
            code = self.value.strip()
            self.value = ""
            if code:
                self.post_message(self.Scanned(self, code))


class FieldInput(Input):
    """A form field that ends on Enter in key order, and hands later keys to the next field.

    Same race as ``ScanInput``: a cashier typing "camille", Enter, "1111", Enter quickly has the
    digits queued to this field before the Enter moved the focus, so they would land here.
    After Enter, printable keys that still reach this field go to ``next_field`` until this
    field is focused again.
    """

    class Ended(Message):
        """Enter was pressed in the field; ``value`` is what it held."""

        def __init__(self, field: "FieldInput", value: str) -> None:
            super().__init__()
            self.field = field
            self.value = value

        @property
        def control(self) -> "FieldInput":
            return self.field

    next_field: Input | None = None
    _ended = False

    def __init__(self, *args, select_on_focus: bool = False, **kwargs) -> None:
        # Not selected on focus: keys handed over before the focus arrived are already in the
        # field, and a selection would let the next key replace them (a PIN losing its digits).
        super().__init__(*args, select_on_focus=select_on_focus, **kwargs)

    def on_focus(self) -> None:
        self._ended = False

    async def _on_key(self, event: events.Key) -> None:
        if event.key in END_KEYS:
            event.stop()
            event.prevent_default()
            following = self.next_field
            if self._ended and isinstance(following, FieldInput):
                # The next field's own Enter, queued here too: it ends the next field.
                following.post_message(following.Ended(following, following.value))
                return
            self._ended = following is not None
            self.post_message(self.Ended(self, self.value))
        elif self._ended and self.next_field is not None and event.is_printable:
            event.stop()
            event.prevent_default()
            self.next_field.insert_text_at_cursor(event.character or "")
