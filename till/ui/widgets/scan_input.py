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

from typing import Any

from textual import events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual.keys import _character_to_key
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.widgets import Input

END_KEYS = frozenset({"enter", "ctrl+j"})
"""Keys that end a code: CR (enter) and LF (ctrl+j), whichever suffix the scanner is set to."""

TYPED_AFTER_ESCAPE = {_character_to_key(character): sequence[1]
                      for sequence, character in ANSI_SEQUENCES_KEYS.items()
                      if isinstance(character, str) and len(sequence) == 2 and sequence[0] == "\x1b"
                      and sequence[1].isascii() and sequence[1].isprintable()}
"""Key names Textual's terminal parser gives ESC + a digit (its table for macOS Option keys),
with the digit: ``pound_sign`` ("£") is ESC 3, ``section_sign`` ESC 6... Read from the parser's
own table so the two never disagree."""


def keys_after_escape(event: events.Key) -> list[events.Key]:
    """``event`` as the two keys it was: Esc, then the character typed right after it.

    A terminal sends Esc as a lone ESC byte, and Alt+T as ESC T: when a scan follows Esc within
    Textual's escape delay (0.1 s), the parser cannot tell them apart and makes one key of ESC
    and the code's first character: ``alt+shift+t`` for ESC T, ``pound_sign`` ("£") for ESC 3.
    The Esc was then lost, and so was the first digit. No key of the till is an Alt key, and no
    code holds "£", so such a key is read as Esc followed by its character. Any other key comes
    back alone. (ESC b and ESC f are read by the parser as ctrl+left/right, real editing keys:
    a code starting with a lowercase b or f right after Esc is not recovered.)
    """
    character = event.character or ""
    if event.key.startswith("alt+") and len(character) == 1 and character.isprintable():
        typed = character
    else:
        typed = TYPED_AFTER_ESCAPE.get(event.key)
    if typed is None:
        return [event]
    escape, key = events.Key("escape", "\x1b"), events.Key(_character_to_key(typed), typed)
    escape.time = key.time = event.time
    return [escape, key]


async def split_escape(app: Any, event: events.Event) -> events.Event:
    """The event the app should route: ``event``, or, for an Esc merged with the next character
    on its way to a scan field, that character, once Esc's action has been done.

    Called by the app before a key is routed to the focused widget: Esc's action runs at once
    (not queued), so that when it leaves a screen (the returns screen, a payment) the keys
    queued behind it, the rest of the scan, already go to the screen it led back to. Done in the
    field itself it would come too late: a burst's keys are all handed to the field that had the
    focus before it handles the first one.
    """
    if not isinstance(event, events.Key) or event.is_forwarded or not isinstance(app.focused, ScanInput):
        return event
    keys = keys_after_escape(event)
    if len(keys) == 1:
        return event
    escape = app.screen.active_bindings.get("escape")
    if escape is not None and escape.enabled:
        await app.run_action(escape.binding.action, escape.node)
    return keys[1]


class ScanInput(Input):
    """An ``Input`` that posts ``ScanInput.Scanned`` for every code ended by Enter."""

    virtual_size = Reactive(Size(0, 0), layout=False)
    """The text's width, as in ``Input``, but a change asks no layout of the screen. ``Input``
    sets it on every key, and a layout pass repaints every widget of the screen: fourteen per
    scan. A field of fixed size only needs it to scroll its text, which reads it directly."""

    class Scanned(Message):
        """A complete code, scanned or typed; empty codes are not posted. ``keyed`` is what the
        keys' timing said (``True``: typed by a person, ``False``: a scanner's burst), ``None``
        where the field does not watch it."""

        def __init__(self, scan_input: "ScanInput", code: str, keyed: bool | None = None) -> None:
            super().__init__()
            self.scan_input = scan_input
            self.code = code
            self.keyed = keyed

        @property
        def control(self) -> "ScanInput":
            """The field the code came from (for ``@on(ScanInput.Scanned, "#id")``)."""
            return self.scan_input

    _typed: list[str] | None = None
    """Printable keys received and not yet inserted (``insert_typed``)."""

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls the ``_on_key`` of every class in the MRO in turn (no super() call
        # here, or printable keys would be inserted twice); ``prevent_default`` stops that walk.
        if event.key in END_KEYS:
            # Stop here: neither Input's own handler nor the "enter" -> submit binding may run.
            event.stop()
            event.prevent_default()
            self.insert_typed()
            code = self.value.strip()
            self.value = ""
            if code:
                self.post_message(self.Scanned(self, code))
        elif event.is_printable and event.character and not (self.max_length or self.restrict
                                                             or self.type != "text"):
            # A scanner's burst: its keys are queued together, so they are inserted together,
            # once the queue holds no more of them. Each insert costs a round of the field's
            # reactive updates and messages; one per key was most of a scan's time on screen.
            # (A field with a length or character limit takes keys one by one, as ``Input``.)
            event.stop()
            event.prevent_default()
            self._restart_blink()
            if self._typed is None:
                self._typed = []
                self.call_later(self.insert_typed)
            self._typed.append(event.character)
        else:  # an editing key (backspace, arrows...) acts on every key before it
            self.insert_typed()

    def _on_paste(self, event: events.Paste) -> None:
        self.insert_typed()
        super()._on_paste(event)

    @property
    def is_empty(self) -> bool:
        """Nothing typed: neither in the field nor received and not yet inserted."""
        return not (self.value or self._typed)

    def insert_typed(self) -> None:
        """Insert the keys received so far, in order, as ``Input`` inserts one: at the cursor, or
        in place of the selection."""
        typed, self._typed = self._typed, None
        if typed:
            if self.selection.is_empty:
                self.insert_text_at_cursor("".join(typed))
            else:
                self.replace("".join(typed), *self.selection)

    def _watch_value(self, value: str) -> None:
        if self._typed is not None and not value:  # the field cleared: keys still held go too
            self._typed = None
        super()._watch_value(value)


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
