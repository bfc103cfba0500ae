"""What every screen shares: error handling, money on screen, translated key labels.

A cashier must never see a traceback. Handlers are wrapped in ``guarded``: a ``TillError``
(a refusal the workflow explains) becomes its translated text in the screen's status line;
anything else is a bug, so it is logged with its traceback and the cashier gets one short,
generic sentence. Workers report back the same way through ``error_text``.
"""

from __future__ import annotations

import functools
import inspect
import logging
from dataclasses import replace
from typing import Any, Callable

from textual.binding import Binding
from textual.dom import DOMNode

from till.errors import TillError
from till.i18n import N_, _
from till.money import shown

log = logging.getLogger("till.ui")

UNEXPECTED = N_("Unexpected error: nothing was changed; see the log")


class Refused(TillError):
    """A screen's own refusal ("scan an item first"), already in the cashier's language."""

    def text(self, lang: str | None = None) -> str:
        return self.message


def error_text(error: BaseException) -> str:
    """What to show for ``error``: the workflow's own words, or a generic line (logged)."""
    if isinstance(error, TillError):
        return error.text()
    log.error("unexpected error in the till UI", exc_info=(type(error), error, error.__traceback__))
    return _(UNEXPECTED)


def guarded(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a screen's handler so that an error is shown by ``self.show_error``, never raised.

    Textual's own handling of an escaped exception would exit the till with a traceback that
    prints local variables (a PIN among them); a refused action must leave the till running.
    """
    if inspect.iscoroutinefunction(handler):
        @functools.wraps(handler)
        async def async_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await handler(self, *args, **kwargs)
            except Exception as error:  # noqa: BLE001 - the whole point: nothing escapes
                self.show_error(error_text(error))
                return None
        return async_wrapper

    @functools.wraps(handler)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return handler(self, *args, **kwargs)
        except Exception as error:  # noqa: BLE001
            self.show_error(error_text(error))
            return None
    return wrapper


money = shown
"""An amount as the cashier reads it, in the till's language."""


def key(key: str, action: str, description: str, binding_id: str, tooltip: str = "", show: bool = True,
        key_display: str | None = None) -> Binding:
    """A screen's key binding as the footer shows it: function keys in capitals (F2), the rest as
    given; ``binding_id`` lets ``translate_bindings`` and the tests find it."""
    display = key_display or (key.upper() if key.startswith("f") else None)
    return Binding(key, action, description, show=show, id=binding_id, tooltip=tooltip, key_display=display)


def translate_bindings(node: DOMNode) -> None:
    """Show the descriptions of ``node``'s key bindings in the cashier's language.

    ``BINDINGS`` are built when the class is imported, before the language is known, so they
    hold English ids; each instance gets its own translated copy (a keymap still applies on
    top, by binding id).
    """
    mapping = node._bindings.key_to_bindings
    for key, bindings in list(mapping.items()):
        mapping[key] = [
            replace(binding, description=_(binding.description) if binding.description else "",
                    tooltip=_(binding.tooltip) if binding.tooltip else "")
            for binding in bindings
        ]
