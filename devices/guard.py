"""Every device call runs in its own thread with a deadline, one call per device at a time.

A USB printer out of paper can block a write forever, a network printer can accept a connection
and never read: the caller (the outbox worker, a status poll) must get an answer anyway. The
call runs in a daemon thread; past the deadline the caller gets the device's error and moves
on, and the hung thread is left to finish (or not) on its own. While it hangs, later calls are
refused at once rather than queued behind it.
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

from devices.errors import DeviceError

T = TypeVar("T")


class DeviceGuard:
    """Serialises calls to one device and bounds each one in time."""

    def __init__(self, name: str, error: type[DeviceError], busy_message: str, timeout_message: str) -> None:
        self.name = name
        self._error = error
        self._busy = busy_message
        self._timeout = timeout_message
        self._lock = threading.Lock()

    def call(self, work: Callable[[], T], timeout_s: float) -> T:
        """``work()``'s result, or its exception; ``error`` when it takes longer than ``timeout_s``."""
        if not self._lock.acquire(timeout=min(timeout_s, 1.0)):
            raise self._error(self._busy)
        outcome: dict[str, object] = {}

        def run() -> None:
            try:
                outcome["value"] = work()
            except BaseException as error:  # handed to the caller below
                outcome["error"] = error
            finally:
                self._lock.release()

        worker = threading.Thread(target=run, name=f"device-{self.name}", daemon=True)
        worker.start()
        worker.join(timeout_s)
        if worker.is_alive():
            raise self._error(self._timeout, seconds=timeout_s)
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome.get("value")  # type: ignore[return-value]
