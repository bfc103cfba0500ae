"""The cashier's language: English message ids, translated by gettext catalogues.

Messages are written in English in the code, with ``{name}`` placeholders. Their translations
live in ``till/locales/<lang>/LC_MESSAGES/till.po`` (one catalogue per language, the format
translators' tools read), compiled to ``till.mo`` next to it and loaded with the standard
library's ``gettext``. A message with no translation is shown in English rather than failing.

A count that meets a noun goes through ``translate_plural`` (``ngettext``: "1 jour", "2 jours",
each language with its own rule), or through ``Counted`` when the count is one parameter of a
longer message. The README's "Translations" section gives a translator's commands.
"""

from __future__ import annotations

import gettext
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Protocol, runtime_checkable

SUPPORTED = ("en", "fr")
DOMAIN = "till"


def _from_environment() -> str:
    """The technician's language from the usual locale variables, until a till sets its own."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


_current = _from_environment()


def set_language(lang: str) -> None:
    """Choose the language of every message shown from now on ("fr" or "en")."""
    global _current
    _current = lang if lang in SUPPORTED else "en"


def language() -> str:
    """The language in use."""
    return _current


@lru_cache(maxsize=None)
def _translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang``, read once; English as written when there is none."""
    compiled = resources.files("till") / "locales" / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not compiled.is_file():
        return gettext.NullTranslations()
    with compiled.open("rb") as data:
        return gettext.GNUTranslations(data)


def _catalogue(lang: str) -> dict[str, str]:
    """Every translated message of ``lang`` (singular ones), for the tests that check a module's
    messages all have their translation."""
    entries = getattr(_translations(lang), "_catalog", {})
    return {message: text for message, text in entries.items() if isinstance(message, str) and message}


@runtime_checkable
class Shown(Protocol):
    """A parameter translated with the message it fills, in that message's language: a count with
    its noun (``Counted``), a message nested in another (``Phrase``, or a ``TillError``)."""

    def text(self, lang: str | None = None) -> str: ...


def _filled(text: str, lang: str | None, params: dict[str, object]) -> str:
    if not params:
        return text
    shown = {name: value.text(lang) if isinstance(value, Shown) else value for name, value in params.items()}
    return text.format(**shown)


def translate(message: str, lang: str | None = None, **params: object) -> str:
    """``message`` in ``lang`` (default: the current language), with ``params`` filled in."""
    lang = lang or _current
    return _filled(_translations(lang).gettext(message), lang, params)


def translate_plural(singular: str, plural: str, count: int, lang: str | None = None, **params: object) -> str:
    """The form of a message that agrees with ``count`` in ``lang``; ``{count}`` is the number.

    English has two forms (``1 line``, ``0 lines``); French too, but its singular covers 0 and 1
    (``0 ligne``); each catalogue's ``Plural-Forms`` header says its language's rule.
    """
    lang = lang or _current
    return _filled(_translations(lang).ngettext(singular, plural, count), lang, {"count": count, **params})


def N_(message: str) -> str:  # noqa: N802 - gettext's name, the one extraction tools know
    """Mark ``message`` for extraction without translating it now: for message constants, which
    are translated where they are shown (``TillError``, ``translate``)."""
    return message


@dataclass(frozen=True)
class Counted:
    """A count with its noun, as one parameter of a longer message ("returns are accepted for
    {days}"): written "1 jour", "30 jours" in the language the whole message is shown in."""

    singular: str
    plural: str
    count: int

    def text(self, lang: str | None = None) -> str:
        return translate_plural(self.singular, self.plural, self.count, lang)

    def __str__(self) -> str:
        return self.text("en")


@dataclass(frozen=True)
class Phrase:
    """A message id with its parameters, kept whole until shown: lets a message nest another one
    (a terminal's decline reason inside "Card declined: {reason}") in the same language."""

    message: str
    params: tuple[tuple[str, object], ...] = ()

    def text(self, lang: str | None = None) -> str:
        return translate(self.message, lang, **dict(self.params))

    def __str__(self) -> str:
        return self.text("en")


_ = translate
