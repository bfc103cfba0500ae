"""Small dialogs of the return screen: pick one of a list (reason, disposition, a customer's
ticket), type a note (reason "other", a manager's approval) and give the serial number of an
item that has one (``SerialScreen``).

The list opens on its first entry, so the common answer is one Enter away.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.app import ComposeResult
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from till.i18n import N_, _
from till.ui.feedback import Refused, error_text
from till.ui.dialogs.base import Dialog
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.widgets.scan_input import ScanInput


def reason_label(reason: str) -> str:
    """A return reason of ``config.returns.reasons`` as the cashier reads it (unknown ids as-is)."""
    labels = {
        "wrong_size": _("Wrong size"),
        "defective": _("Defective"),
        "not_as_described": _("Not as described"),
        "changed_mind": _("Changed mind"),
        "damaged_in_transit": _("Damaged in transit"),
        "other": _("Other (with a note)"),
    }
    return labels.get(reason, reason)


def disposition_label(disposition: str) -> str:
    """Where a returned item goes, as the cashier reads it."""
    labels = {
        "restock": _("Back to the shelf"),
        "damaged": _("Damaged"),
        "supplier": _("Back to the supplier"),
        "repair": _("To repair"),
    }
    return labels.get(disposition, disposition)


def ask_manager(screen: Any, session: Any, done: Callable[[Any], None]) -> None:
    """F6: a manager's PIN (checked and recorded by ``ManagerPinScreen``), then a note, then
    ``session.approve`` of every breach still waiting; ``done(manager)`` after, on ``screen``."""
    pending = session.unapproved()
    if not pending:
        raise Refused(_("Nothing needs a manager's approval"))
    details = {"cashier": session.user.login, "breaches": ",".join(b.code for b in pending)}
    pin = ManagerPinScreen(session.sealer, "return outside the policy", pending[0].error().text(), details=details)

    def noted(manager: Any, note: str | None) -> None:
        if note is None:
            return
        try:
            session.approve(manager, note)
        except Exception as error:  # noqa: BLE001 - shown, never raised out of a callback
            screen.show_error(error_text(error))
            return
        done(manager)

    def approved(manager: Any) -> None:
        if manager is not None:
            note = NoteScreen(_("Manager approval"), _("Why is this return accepted?"))
            screen.app.push_screen(note, lambda text: noted(manager, text))

    screen.app.push_screen(pin, approved)


class ChoiceScreen(Dialog["str | None"]):
    """Dismisses with the id of the chosen entry (up/down, Enter), ``None`` on Esc."""

    def __init__(self, title: str, choices: list[tuple[str, str]], prompt: str = "") -> None:
        super().__init__(title)
        self.choices = choices
        self.prompt = prompt

    def compose_body(self) -> ComposeResult:
        if self.prompt:
            yield Label(self.prompt, markup=False)
        yield OptionList(*(Option(label, id=choice) for choice, label in self.choices),
                         id="return-choices", markup=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if options.option_count:
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


class NoteScreen(Dialog["str | None"]):
    """A line of text; Enter dismisses with it (an empty note is refused), Esc with ``None``."""

    def __init__(self, title: str, prompt: str) -> None:
        super().__init__(title)
        self.prompt = prompt

    def compose_body(self) -> ComposeResult:
        yield Label(self.prompt, markup=False)
        yield Input(id="return-note", max_length=60)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        note = event.value.strip()
        if not note:
            self.show_error(_("Type a note first"))
            return
        self.dismiss(note)


class SerialScreen(Dialog["str | None"]):
    """The serial number of the item coming back, scanned or typed; ``None`` on Esc.

    A ``ScanInput``, not a plain ``Input``: a serial is often scanned from the item's label,
    and the scanner's Enter must end exactly that code (see ``till.ui.widgets.scan_input``).
    The dialog does not judge the serial: ``ReturnSession.pick`` compares it with the one sold,
    and the return screen shows its refusal.
    """

    title_text = N_("Serial number")

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def compose_body(self) -> ComposeResult:
        yield Label(_("{label}: scan or type the serial number sold", label=self.label), markup=False)
        yield ScanInput(id="return-serial", max_length=64, placeholder=_("Serial number"))

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()

    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        message.stop()
        self.dismiss(message.code)
