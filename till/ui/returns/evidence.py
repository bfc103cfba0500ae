"""What a manager reads after the PIN when a signal asked for them: the signals of the return.

Why only after the PIN: the cashier's screen says "Ask a manager" and nothing more, because the
customer may be reading it; the manager, once identified, sees each signal with its figure,
its threshold, how it was computed and the tickets behind it (``till.loss.report.row_lines``),
then writes the note that the approval seals. Enter goes on to the note, Esc approves nothing.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from till.i18n import N_, _
from till.loss.report import row_lines, signal_row
from till.loss.signal import Signal
from till.ui.dialogs.base import Dialog


class SignalsEvidenceScreen(Dialog["bool | None"]):
    """The signals, read-only; Enter dismisses with True (on to the note), Esc with None."""

    title_text = N_("Signals on this return")
    DEFAULT_CSS = """
    SignalsEvidenceScreen #signals-evidence-scroll { height: auto; max-height: 14; }
    """

    def __init__(self, signals: list[Signal]) -> None:
        super().__init__()
        self.signals = signals

    def compose_body(self) -> ComposeResult:
        lines = [line for signal in self.signals for line in row_lines(signal_row(signal))]
        with VerticalScroll(id="signals-evidence-scroll"):
            yield Static("\n".join(lines), id="signals-evidence", markup=False)
        yield Label(_("Enter: write why the return is accepted. Esc: not approved"), markup=False)

    def action_confirm(self) -> None:
        self.dismiss(True)
