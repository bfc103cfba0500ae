"""What a payment-terminal simulator answers next: outcomes a test scripted, then its default.

Both terminal simulators (Concert on a pty, Caisse-AP on a socket) let a test say "decline the
next request, then time out", each with its own list of outcomes (``OUTCOMES``).
"""

from __future__ import annotations

import collections
import threading


class ScriptedOutcomes:
    """Mixed into a simulator whose class names its ``OUTCOMES``; call ``_script_from(default)``."""

    OUTCOMES: tuple[str, ...] = ()

    def _script_from(self, default: str) -> None:
        if default not in self.OUTCOMES:
            raise ValueError(f"unknown outcome {default!r}")
        self.default = default
        self._scripted: collections.deque[str] = collections.deque()
        self._script_lock = threading.Lock()

    def script(self, *outcomes: str) -> None:
        """The outcomes of the next requests, in order."""
        for outcome in outcomes:
            if outcome not in self.OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}")
        with self._script_lock:
            self._scripted.extend(outcomes)

    def _next_outcome(self) -> str:
        with self._script_lock:
            return self._scripted.popleft() if self._scripted else self.default
