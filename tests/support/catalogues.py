"""The gettext catalogues and the messages the code can show, as a translator's tools see them.

Extraction runs Babel in-process with the keywords of ``[tool.babel.extract_messages]`` in
pyproject.toml, so the tests check exactly what ``pybabel extract`` would hand a translator.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "till" / "locales"
SETTINGS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["babel"]["extract_messages"]
KEYWORDS = {**DEFAULT_KEYWORDS, **parse_keywords(SETTINGS["keywords"])}
"""The extraction keywords as ``pybabel extract`` reads them (its defaults, then ours)."""


@cache
def extracted() -> dict[str | tuple[str, str], list[str]]:
    """Every message id the code can show (a ``(singular, plural)`` pair for a plural one), with
    the places that use it."""
    found: dict[str | tuple[str, str], list[str]] = {}
    for folder in SETTINGS["input_paths"]:
        for filename, line, message, _comments, _context in extract_from_dir(
                ROOT / folder, keywords=KEYWORDS, comment_tags=SETTINGS["add_comments"]):
            found.setdefault(message, []).append(f"{folder}/{filename}:{line}")
    return found


@cache
def catalogue(lang: str) -> Catalog:
    """``till/locales/<lang>/LC_MESSAGES/till.po`` as Babel reads it."""
    with (LOCALES / lang / "LC_MESSAGES" / "till.po").open("rb") as stream:
        return read_po(stream, locale=lang, domain="till")
