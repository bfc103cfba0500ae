"""Lines of text for narrow paper: wrapped between words, never inside an amount. No I/O.

Why not ``textwrap``: it breaks at every plain space, so "capital de 8 000 €" could end a line
on "8" and start the next with "000 €", and a customer reads two amounts. Here an amount (its
digits grouped by plain, no-break or narrow no-break spaces, its sign, decimals and currency or
percent sign) is one token that only moves to the next line whole. Printers' code pages have
no no-break spaces, so those are printed as plain spaces. Only a single token wider than the
whole paper (a long code) is ever cut, at the edge, so that no character is lost.
"""

from __future__ import annotations

import re

NO_BREAK_SPACES = "\u00a0\u202f"
"""No-break and narrow no-break spaces: French groups thousands with them; printed as spaces."""

_SPACE = f"[ {NO_BREAK_SPACES}]"
_NUMBER = rf"[-+]?\d{{1,3}}(?:{_SPACE}\d{{3}})+(?:[.,]\d+)?|[-+]?\d+(?:[.,]\d+)?"
AMOUNT = re.compile(rf"(?:[€$£]{_SPACE}?)?(?:{_NUMBER})(?:{_SPACE}?[€$£%])?")
"""An amount or a number, as printed: ``8 000 €``, ``-1 234,56``, ``€1,234.50``, ``5,5 %``."""

_TOKEN = re.compile(rf"(\s*)([(\[]?(?:{AMOUNT.pattern})[,.;:)\]]*(?=\s|$)|\S+)")
"""A word with the spaces before it; an amount (with its brackets and punctuation) tried first."""

_PRINTABLE_SPACES = {ord(space): " " for space in NO_BREAK_SPACES}


def tokens(text: str) -> list[str]:
    """The words of ``text``, an amount with its group separators and sign being one word."""
    return [word for _space, word in _words(text)]


def _words(text: str) -> list[tuple[str, str]]:
    return [(space.translate(_PRINTABLE_SPACES), word.translate(_PRINTABLE_SPACES))
            for space, word in _TOKEN.findall(text)]


def wrap(text: str, width: int) -> list[str]:
    """``text`` on lines of at most ``width`` characters, broken between words only.

    The spaces between words on a line are kept as written, those at a break dropped; leading
    spaces indent every line. An empty text is one empty line, so a blank line keeps its place.
    """
    indent = " " * min(len(text) - len(text.lstrip(" ")), max(0, width - 1))
    room = width - len(indent)
    lines: list[str] = []
    line = ""
    for space, word in _words(text.lstrip(" ")):
        while len(word) > room:  # wider than the paper: cut at the edge, nothing lost
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:room])
            word = word[room:]
        if not word:
            continue
        if line and len(line) + len(space or " ") + len(word) <= room:
            line += (space or " ") + word
        else:
            if line:
                lines.append(line)
            line = word
    lines.append(line)
    return [indent + line if line else line for line in lines]


def pair(left: str, right: str, width: int) -> list[str]:
    """``left`` then ``right`` flush right on the first line; a left text too long for the room
    beside ``right`` continues on the next lines, wrapped between words, never cut."""
    room = max(1, width - len(right) - 1)
    first, *rest = wrap(left, room)
    return [f"{first:<{room}} {right}".rstrip() if right else first, *rest]


def table(rows: list[tuple[str, ...]], width: int) -> list[str]:
    """Rows of a label then amounts: each amount column as wide as its widest cell plus a space,
    the label column takes the rest.

    Where the amounts leave a label too little room (a legend "C 5,5 %" must not be read as "C"
    then "5,5 %"), each label gets a line of its own and its amounts go under it, still in
    columns; where even the amounts alone are wider than the paper, one amount a line, flush
    right. An amount is never cut, a line never passes ``width``."""
    if not rows:
        return []
    count = max(len(row) for row in rows)
    columns = [max(len(row[index]) for row in rows if len(row) > index) + 1 for index in range(1, count)]
    label_width = width - sum(columns)
    out = []
    if label_width >= max(len(row[0]) for row in rows):
        for label, *amounts in rows:
            out.append((label.ljust(label_width) + "".join(a.rjust(w) for a, w in zip(amounts, columns))).rstrip())
        return out
    for label, *amounts in rows:
        out.extend(wrap(label, width))
        if sum(columns) <= width:
            out.append("".join(a.rjust(w) for a, w in zip(amounts, columns)).rjust(width).rstrip())
        else:
            out.extend(amount.rjust(width) for amount in amounts if amount)
    return out
