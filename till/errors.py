"""The one exception type a cashier may see, and its translation.

Workflows raise ``TillError`` (or a subclass) with an English message id and its parameters;
screens show ``error.text()`` in the cashier's language. Anything else that escapes is a bug:
the UI logs it and shows a generic message, never a traceback.
"""

from __future__ import annotations

from till.i18n import translate


class TillError(Exception):
    """A refusal explained to the person at the till; nothing was changed."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the till's current language)."""
        return translate(self.message, lang, **self.params)


class ScanError(TillError):
    """A scan or a scanning setting that cannot be used; the cashier is told why."""
