"""The line where a screen says what just happened: a refusal in red and bold, stays until the
next action (a toast would vanish before a busy cashier reads it)."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from till.ui.feedback import error_text


class StatusLine(Static):
    """One per screen; ``HasStatus`` screens write to it."""

    def __init__(self, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__("", id=id, classes="status", markup=False)

    _one_line = True
    """Whether the text shown now fits on one line of the widget (it starts empty)."""

    def show(self, text: str, error: bool = False) -> None:
        """Show ``text``; the screen is laid out again only when the line's height may change.

        A layout pass repaints the whole screen (the basket's rows too): after every scan it
        would cost more than the scan itself. One line replacing one line keeps the height.
        """
        width = self.content_region.width
        one_line = width > 0 and "\n" not in text and cell_len(text) <= width
        self.update(text, layout=not (one_line and self._one_line))
        self._one_line = one_line
        self.set_class(error, "error")


class HasStatus:
    """Mixed into screens that own a ``StatusLine``: the app and the guarded handlers call
    ``show_error`` on whatever screen is current."""

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)  # type: ignore[attr-defined]

    def show_error(self, text: str) -> None:
        """Say in red why the action was refused; nothing changed."""
        self.status.show(text, error=True)

    def show_info(self, text: str) -> None:
        self.status.show(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A safety net: workers catch their own errors, but nothing may fail silently, and a
        screen waiting for a device (``waiting``) must take keys again."""
        if event.state == WorkerState.ERROR:
            if hasattr(self, "waiting"):
                self.waiting = False

            self.show_error(error_text(event.worker.error or RuntimeError("worker failed")))

