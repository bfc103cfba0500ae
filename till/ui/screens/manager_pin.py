"""Ask for a manager's PIN before an action a cashier may not do alone.

The dialog itself checks the PIN with ``till.auth.authorize_manager``, which records the
approval (or the wrong PIN) in the technical-event chain with the reason given here; the caller
gets the approving manager, to pass on as ``approved_by``, or ``None`` when Esc was pressed.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Label

from store.models import User
from till.auth import authorize_manager
from till.i18n import _
from till.ui.messages import error_text
from till.ui.screens.dialog import Dialog


class ManagerPinScreen(Dialog[User | None]):
    """A PIN field; Enter asks ``authorize_manager`` and dismisses with the manager."""

    title_text = "Manager approval"

    def __init__(self, sealer: Any, reason: str, prompt: str, details: dict | None = None) -> None:
        super().__init__()
        self.sealer = sealer
        self.reason = reason
        """What is approved, in English: it is signed into chain L, never translated."""
        self.prompt = prompt
        self.details = details or {}

    def compose_body(self) -> ComposeResult:
        yield Label(self.prompt, markup=False)
        yield Input(password=True, placeholder=_("Manager PIN"), id="manager-pin", restrict=r"\d{0,8}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        pin = event.value
        event.input.value = ""
        try:
            manager = authorize_manager(self.sealer, pin, self.reason, self.details)
        except Exception as error:  # noqa: BLE001 - AuthError is shown, anything else logged
            self.show_error(error_text(error))
            return
        self.dismiss(manager)
