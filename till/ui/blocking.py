"""Blocking calls (card terminal, head office) run off the event loop, answered on it.

A screen that must wait on a device or the network hands the call to a thread worker; the
outcome comes back to the screen's ``answered(result, error)`` on the UI thread, so every
failure is shown on screen and none escapes as a traceback.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.screen import Screen


def off_loop(screen: Screen, call: Callable[[], Any], answered: Callable[[Any, Exception | None], None],
             group: str, description: str) -> None:
    """Run ``call`` in a thread worker of ``group``; then ``answered(result, None)`` or
    ``answered(None, error)`` on the UI thread."""

    def work() -> None:
        try:
            result = call()
        except Exception as error:  # noqa: BLE001 - every failure is reported, none escapes
            screen.app.call_from_thread(answered, None, error)
        else:
            screen.app.call_from_thread(answered, result, None)

    screen.run_worker(work, thread=True, exit_on_error=False, group=group, description=description)
