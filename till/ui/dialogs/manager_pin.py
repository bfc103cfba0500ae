"""Ask for a manager's PIN before an action a cashier may not do alone.

The dialog itself checks the PIN with ``till.people.auth.authorize_manager``, which records the
approval (or the wrong PIN) in the technical-event chain with the reason given here; the caller
gets the approving manager, to pass on as ``approved_by``, or ``None`` when Esc was pressed.

Wrong PINs count against the user logged in at the till, who asked (``app.user``): at the
third that user is locked, and the app ends their session (back to the login screen, saying
why), so nobody can try PIN after PIN. With nobody logged in (F10 at the login screen) the
dialog asks for the manager's login too, and wrong PINs count against that manager.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Label

from till.people.auth import AccountLockedError, authorize_manager
from till.i18n import N_, _
from till.ui.feedback import error_text
from till.ui.dialogs.base import Dialog
from till.ui.widgets.scan_input import FieldInput


class ManagerPinScreen(Dialog[Any]):
    """A PIN field (and a login field when nobody is logged in); Enter in the PIN field asks
    ``authorize_manager`` and dismisses with the manager it returns (``None`` on Esc)."""

    title_text = N_("Manager approval")

    def __init__(self, sealer: Any, reason: str, prompt: str, details: dict | None = None,
                 asked_by: Any = None) -> None:
        super().__init__()
        self.sealer = sealer
        self.reason = reason
        """What is approved, in English: it is signed into chain L, never translated."""
        self.prompt = prompt
        self.details = details or {}
        self.asked_by = asked_by
        """Whose account wrong PINs count against; the user logged in at the till when not given."""

    def compose_body(self) -> ComposeResult:
        if self.asked_by is None:
            self.asked_by = getattr(self.app, "user", None)
        yield Label(self.prompt, markup=False)
        if self.asked_by is None:
            yield FieldInput(id="manager-login", placeholder=_("Manager login"))
        yield FieldInput(password=True, placeholder=_("Manager PIN"), id="manager-pin", restrict=r"\d{0,8}")

    def on_mount(self) -> None:
        if self.asked_by is None:
            self.query_one("#manager-login", FieldInput).next_field = self.pin_input

    @property
    def pin_input(self) -> FieldInput:
        return self.query_one("#manager-pin", FieldInput)

    def on_field_input_ended(self, event: FieldInput.Ended) -> None:
        event.stop()
        if event.field is not self.pin_input:  # the login: on to the PIN
            self.pin_input.focus()
            return
        pin = event.value
        self.pin_input.value = ""
        login = None
        if self.asked_by is None:
            login_input = self.query_one("#manager-login", FieldInput)
            login = login_input.value.strip()
            if not login:
                login_input.focus()
                self.show_error(_("Type the manager's login first"))
                return
        try:
            manager = authorize_manager(self.sealer, pin, self.reason, self.details,
                                        asked_by=self.asked_by, login=login)
        except AccountLockedError as locked:
            if self.asked_by is not None and locked.user.id == self.asked_by.id:
                self.app.end_locked_session(locked.text())  # closes this dialog too
                return
            self.show_error(locked.text())
            return
        except Exception as error:  # noqa: BLE001 - AuthError is shown, anything else logged
            self.show_error(error_text(error))
            return
        self.dismiss(manager)
