"""Today's loss-prevention signals, for the manager (F12 on the closures screen).

A thin layer over ``till.loss.report``: the same rows as ``till report signals`` for today, the
shop's business day. Up / Down select a signal; below the list, its subject, figure against
threshold, how it was computed and its evidence (``row_lines``). F2 dismisses the selected
signal with a note, as the manager logged in here (``till.loss.dismissal.dismiss``, sealed in
chain L); a dismissed signal stays listed, marked, with the note, because a list that forgets
dismissals hides the decisions.

Why a worker: computing every rule over the day reads the day's tickets and records (up to a
second on a busy shop); the screen keeps drawing meanwhile and says it is computing.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from till.i18n import Counted, N_, _, translate_plural
from till.loss.dismissal import dismiss
from till.loss.report import row_lines, today_rows
from till.shop.context import TillContext
from till.ui.blocking import off_loop
from till.ui.feedback import Refused, error_text, guarded, translate_bindings
from till.ui.returns.dialogs import NoteScreen
from till.ui.widgets.key_footer import KeyFooter
from till.ui.widgets.status_line import HasStatus, StatusLine

WORKER_GROUP = "signals"
"""Worker group of the computation (tests wait for it)."""


class SignalsScreen(HasStatus, Screen[None]):
    """Today's signals and their grounds; Esc goes back to the manager's screen."""

    DEFAULT_CSS = """
    SignalsScreen #signals-list { height: auto; max-height: 9; }
    SignalsScreen #signals-detail-scroll { height: 1fr; }
    """

    BINDINGS = [
        Binding("f2", "dismiss_signal", "Dismiss", id="signals-dismiss", key_display="F2",
                tooltip=N_("Dismiss the selected signal, with a note saying why (sealed)")),
        Binding("escape", "leave", "Back", id="signals-back", key_display="Esc",
                tooltip=N_("Back to the manager's screen")),
        Binding("up", "cursor(-1)", "Up", show=False, id="signals-up", tooltip=N_("Previous signal")),
        Binding("down", "cursor(1)", "Down", show=False, id="signals-down", tooltip=N_("Next signal")),
    ]

    def __init__(self, ctx: TillContext, manager: Any) -> None:
        super().__init__()
        translate_bindings(self)
        self.ctx = ctx
        self.manager = manager
        self.rows: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Static(_("Today's signals"), id="signals-title", markup=False)
        yield OptionList(id="signals-list", markup=False)
        with VerticalScroll(id="signals-detail-scroll"):
            yield Static("", id="signals-detail", markup=False)
        yield StatusLine(id="signals-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False  # the screen's arrows move it: Esc and F2 always reach us
        self.reload()

    def reload(self) -> None:
        """Compute today's rows in a worker; ``_loaded`` shows them."""
        self.show_info(_("Computing today's signals..."))
        settings, zone = self.ctx.config.loss_prevention, self.ctx.sealer.zone
        off_loop(self, lambda: today_rows(settings, zone), self._loaded, WORKER_GROUP, "today's signals")

    def _loaded(self, rows: list[dict] | None, error: Exception | None) -> None:
        if error is not None:
            self.show_error(error_text(error))
            return
        keep = self.selected_key
        self.rows = rows or []
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(self._entry(row), id=row["key"]) for row in self.rows])
        if self.rows:
            keys = [row["key"] for row in self.rows]
            options.highlighted = keys.index(keep) if keep in keys else 0
        self._show_selected()
        dismissed = sum(1 for row in self.rows if row["dismissed"])
        if not self.rows:
            self.show_info(_("No signal today"))
            return
        self.show_info(translate_plural("{count} signal today ({dismissed}). F2: dismiss the selected one",
                                        "{count} signals today ({dismissed}). F2: dismiss the selected one",
                                        len(self.rows),
                                        dismissed=Counted("{count} dismissal", "{count} dismissals", dismissed)))

    @staticmethod
    def _entry(row: dict) -> str:
        mark = _("[dismissed]") + " " if row["dismissed"] else ""
        return f"{mark}{row['signal']}: {row['who']} ({row['value']} / {row['threshold']})"

    @property
    def selected_key(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.rows:
            return None
        return self.rows[options.highlighted]["key"]

    def _selected_row(self) -> dict | None:
        key = self.selected_key
        return next((row for row in self.rows if row["key"] == key), None)

    def _show_selected(self) -> None:
        row = self._selected_row()
        text = "\n".join(row_lines(row)) if row is not None else ""
        self.query_one("#signals-detail", Static).update(text)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_selected()

    def action_cursor(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))
            self._show_selected()

    @guarded
    def action_dismiss_signal(self) -> None:
        row = self._selected_row()
        if row is None:
            raise Refused(_("No signal to dismiss"))
        if row["dismissed"]:
            raise Refused(_("This signal is dismissed already"))
        note = NoteScreen(_("Dismiss a signal"), _("Why is it not abuse?"))
        self.app.push_screen(note, lambda text: text and self._dismiss(row["key"], text))

    @guarded
    def _dismiss(self, key: str, note: str) -> None:
        done = dismiss(self.ctx.sealer, key, self.manager.id, note)
        self.reload()
        self.show_info(_("Signal dismissed ({record})", record=done.record))

    def action_leave(self) -> None:
        self.dismiss(None)
