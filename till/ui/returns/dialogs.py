"""Small dialogs of the return screen: pick one of a list (reason, disposition, a customer's
ticket), type a note (reason "other", a manager's approval) and give the serial number of an
item that has one (``SerialScreen``).

The list opens on its first entry, so the common answer is one Enter away; a numbered list
(reasons, dispositions) also takes the digit shown beside an entry, at once, with no Enter.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.app import ComposeResult
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from till.i18n import N_, _
from till.returns.loss_check import LOSS_SIGNAL
from till.ui.feedback import Refused, error_text, key
from till.ui.dialogs.base import Dialog
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.returns.evidence import SignalsEvidenceScreen
from till.ui.widgets.scan_input import ScanInput


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

    def ask_note(manager: Any) -> None:
        note = NoteScreen(_("Manager approval"), _("Why is this return accepted?"))
        screen.app.push_screen(note, lambda text: noted(manager, text))

    def approved(manager: Any) -> None:
        if manager is None:
            return
        signals = session.loss_signals() if any(b.code == LOSS_SIGNAL for b in pending) else []
        if signals:  # the manager, not the cashier, reads why a signal asked for them
            screen.app.push_screen(SignalsEvidenceScreen(signals), lambda go_on: go_on and ask_note(manager))
            return
        ask_note(manager)

    screen.app.push_screen(pin, approved)


class ChoiceScreen(Dialog["str | None"]):
    """Dismisses with the id of the chosen entry (up/down, Enter), ``None`` on Esc.

    ``numbered``: the first nine entries show their digit, and that digit chooses at once (a
    reason in one key); a digit beyond the list does nothing. A list of tickets or accounts is
    not numbered: its entries are read, not known by heart.
    """

    BINDINGS = [key(str(number), f"number({number})", "Choose the entry with this number", f"choice-{number}",
                    show=False) for number in range(1, 10)]

    def __init__(self, title: str, choices: list[tuple[str, str]], prompt: str = "", numbered: bool = False) -> None:
        super().__init__(title)
        self.choices = choices
        self.prompt = prompt
        self.numbered = numbered

    def compose_body(self) -> ComposeResult:
        if self.prompt:
            yield Label(self.prompt, markup=False)
        yield OptionList(*(Option(self._label(index, label), id=choice)
                           for index, (choice, label) in enumerate(self.choices, start=1)),
                         id="return-choices", markup=False)

    def _label(self, number: int, label: str) -> str:
        if not self.numbered:
            return label
        return f"{number}  {label}" if number <= 9 else f"   {label}"

    def action_number(self, number: int) -> None:
        if self.numbered and number <= len(self.choices):
            self.dismiss(self.choices[number - 1][0])

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
