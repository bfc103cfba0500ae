"""Text as a single-byte code page can print it: what the page has is kept, the rest is spelled.

Why: a receipt printer or a pole display prints bytes through one code page chosen with
``ESC t n``. CP858, pinned for its euro sign, has the French accents but not œ, Œ, ’, –, — or …,
which French labels are full of ("Bœuf … l’été"); python-escpos sends "?" for each of them
("B?uf ? l?été"). Here each character the page lacks is spelled with characters it has (œ -> oe,
’ -> ', … -> ...), an accented letter the page lacks loses its accent only, and "?" is the last
resort. A page that has a character (CP1252 has œ, ’ and …) prints it as it is. A control
character in a text (a line break in a label, ESC) becomes a space: in the byte stream it would
be a command (ESC p 0 opens the drawer).

One place for this, for whatever prints through a single-byte code page. No I/O.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from functools import lru_cache
from typing import TypeVar

SPELLED = {
    "€": "EUR", "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss",
    "’": "'", "‘": "'", "‚": ",", "‛": "'", "′": "'",
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‹": "<", "›": ">",
    "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "…": "...", "•": "*", "·": ".",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u200b": "",
}
"""How a character is written when the code page lacks it (a page that has it prints it)."""

ALIASES = {"WPC1252": "CP1252", "PC858": "CP858", "PC850": "CP850", "PC437": "CP437"}
"""Printer manuals' names of a code page -> python-escpos's (Epson calls CP1252 "WPC1252")."""

T = TypeVar("T")


def escpos_name(code_page: str) -> str:
    """The python-escpos name of a configured code page ("wpc1252" -> "CP1252")."""
    name = code_page.strip().upper()
    return ALIASES.get(name, name)


@lru_cache(maxsize=4096)
def _has(char: str, codec: str) -> bool:
    if unicodedata.category(char) == "Cc":  # a byte below 0x20 or DEL is a command, not text
        return False
    try:
        encoded = char.encode(codec)
    except UnicodeEncodeError:
        return False
    return bool(encoded) and encoded[0] >= 0x20 and encoded != b"\x7f"  # nor a byte that is one


def _spell(char: str, codec: str) -> str:
    if unicodedata.category(char) == "Cc":
        return " "
    spelled = SPELLED.get(char)
    if spelled is not None and all(_has(c, codec) for c in spelled):
        return spelled
    base = "".join(c for c in unicodedata.normalize("NFKD", char)
                   if not unicodedata.combining(c) and _has(c, codec))
    return base or "?"


def printable(text: str, codec: str) -> str:
    """``text`` with only characters the Python codec ``codec`` (``cp858``, ``cp1252``...) encodes."""
    if all(_has(c, codec) for c in text):
        return text
    return "".join(c if _has(c, codec) else _spell(c, codec) for c in text)


def printable_document(document: T, codec: str) -> T:
    """A frozen document (a ``Receipt``: texts in tuples and dataclasses) with every text made
    printable, before it is laid out: a spelled "…" is three characters, and the layout must
    fit what is printed, not what was typed."""
    if isinstance(document, str):
        return printable(document, codec)  # type: ignore[return-value]
    if isinstance(document, tuple):
        return tuple(printable_document(item, codec) for item in document)  # type: ignore[return-value]
    if dataclasses.is_dataclass(document) and not isinstance(document, type):
        changes = {f.name: printable_document(getattr(document, f.name), codec) for f in dataclasses.fields(document)}
        return dataclasses.replace(document, **changes)
    return document
