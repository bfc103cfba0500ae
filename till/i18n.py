"""The cashier's language: English message ids, translated from JSON catalogues.

Messages are written in English in the code, with ``{name}`` placeholders. Each catalogue file
under ``till/locales/<lang>/`` maps an English message to its translation; every module keeps
its own file there, so translations live next to the concept they belong to. A message with no
translation is shown in English rather than failing.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources

SUPPORTED = ("en", "fr")


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
def _catalogue(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    if lang == "en":
        return merged
    folder = resources.files("till") / "locales" / lang
    if not folder.is_dir():
        return merged
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            merged.update(json.loads(entry.read_text(encoding="utf-8")))
    return merged


def translate(message: str, lang: str | None = None, **params: object) -> str:
    """``message`` in ``lang`` (default: the current language), with ``params`` filled in."""
    text = _catalogue(lang or _current).get(message, message)
    return text.format(**params) if params else text


_ = translate
