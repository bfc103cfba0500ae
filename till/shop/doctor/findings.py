"""One line of ``till doctor``: a verdict and a sentence that says what to do.

Kept apart from the checks so each group of checks (files, database, journal, devices, the
day's work, head office) imports only this, and the package's ``__init__`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from till.i18n import N_, translate

__all__ = ["OK", "WARN", "FAIL", "Finding", "Check", "CHECK_BROKE"]

OK, WARN, FAIL = "OK", "WARN", "FAIL"
"""FAIL: unsafe or broken, ``till doctor`` exits 1; WARN: works, but someone should act."""

CHECK_BROKE = N_("The check {check} could not run: {reason}")


@dataclass(frozen=True)
class Finding:
    """One line of ``till doctor``: a status and a message to translate.

    A parameter that is itself a message (a ``Phrase``, a ``TillError``) is shown in the same
    language; ``kind`` names a file kind, a message id translated with the line."""

    status: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        params = dict(self.params)
        if "kind" in params:
            params["kind"] = translate(str(params["kind"]), lang)
        return translate(self.message, lang, **params)


Check = Callable[[Any], Iterable[Finding]]
"""A check: the configuration in, its findings out (a generator is fine)."""
