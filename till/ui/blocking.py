"""Blocking calls (card terminal, head office) run off the event loop, answered on it.

A screen that must wait on a device or the network hands the call to a thread worker; the
outcome comes back to the screen's ``answered(result, error)`` on the UI thread, so every
failure is shown on screen and none escapes as a traceback. peewee keeps one connection per
thread, and each worker is a new thread: its connection is closed when the call ends, or a day
of card payments would leave hundreds open.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.screen import Screen

from till.fiscal.chain import current_database


def off_loop(screen: Screen, call: Callable[[], Any], answered: Callable[[Any, Exception | None], None],
             group: str, description: str) -> None:
    """Run ``call`` in a thread worker of ``group``; then ``answered(result, None)`` or
    ``answered(None, error)`` on the UI thread, as the worker's last act."""

    def work() -> None:
        try:
            result, error = call(), None
        except Exception as failure:  # noqa: BLE001 - every failure is reported, none escapes
            result, error = None, failure
        finally:
            database = current_database()
            if not database.is_closed():
                database.close()
        screen.app.call_from_thread(answered, result, error)

    # The app owns the worker, not the screen: the answer often dismisses the screen, and a
    # screen cancels its own workers as it goes, which would cut this one while it returns.
    screen.app.run_worker(work, thread=True, exit_on_error=False, group=group, description=description)
