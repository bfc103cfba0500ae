"""Terminal charts for the manager's reports: horizontal bars and sparklines.

They must read on a 16-colour console (a Raspberry Pi on tty1, an old PC, SSH into tmux), so
they are drawn with block characters and the basic ANSI colour names only, never a gradient
that a 16-colour terminal would flatten into one colour. Values are integers (cents, counts):
the bar lengths are computed in integers too, rounded half up, so the longest bar always fills
its width and a non-zero value never vanishes.
"""

from __future__ import annotations

from typing import Callable, Iterable

from rich.text import Text

BLOCKS = " ▁▂▃▄▅▆▇█"
"""Sparkline steps, from nothing to full; each is one column."""
BAR = "█"
AXIS = "│"
"""The zero line when some values are negative: in every console font (box drawing)."""
NEGATIVE = "red"
"""The colour of a negative value, in bars and sparklines alike."""
COLOURS = ("green", "cyan", "yellow", "magenta", "blue", "red")
"""ANSI base colours, in the order bars use them: distinct on 16-colour terminals."""


def _scaled(value: int, largest: int, steps: int) -> int:
    """``value`` on a scale of 0..``steps``, half up; at least 1 for any value above zero."""
    if largest <= 0 or value <= 0:
        return 0
    return max(1, (2 * value * steps + largest) // (2 * largest))


def sparkline(values: Iterable[int], style: str = "cyan") -> Text:
    """One character per value, its height proportional to the largest in size; a negative value
    (a day with more refunds than sales) as high as its size but in red, so a loss never reads as
    a quiet day nor as a sale."""
    numbers = [int(v) for v in values]
    largest = max((abs(v) for v in numbers), default=0)
    line = Text()
    for number in numbers:
        line.append(BLOCKS[_scaled(abs(number), largest, len(BLOCKS) - 1)], style=NEGATIVE if number < 0 else style)
    return line


def bars(rows: Iterable[tuple[str, int]], width: int, shown: Callable[[int], str] = str) -> Text:
    """A horizontal bar per (label, value): label, bar, value as ``shown`` writes it.

    ``width`` is the whole line's; labels are cut to a third of it at most. When a value is
    negative (a day with more refunds than sales) the bars hang from an axis: negatives to its
    left, in red, positives to its right, both on one scale, so a loss never looks like a sale.
    """
    rows = [(str(label), int(value)) for label, value in rows]
    text = Text()
    if not rows:
        return text
    figures = [shown(value) for _, value in rows]
    label_width = min(max(len(label) for label, _ in rows), max(4, width // 3))
    figure_width = max(len(f) for f in figures)
    room = max(1, width - label_width - figure_width - 2)
    lowest = max((-value for _, value in rows if value < 0), default=0)
    highest = max((value for _, value in rows if value > 0), default=0)
    span = lowest + highest  # what the room stands for: one scale on both sides of the axis
    if lowest:
        room = max(2, room - 1)  # the axis
        left = min(room - 1, _scaled(lowest, span, room)) if highest else room
    else:
        left = 0
    right = room - left
    for index, ((label, value), figure) in enumerate(zip(rows, figures)):
        text.append(label[:label_width].ljust(label_width) + " ")
        if value < 0:
            length = min(left, _scaled(-value, span, room))
            text.append(" " * (left - length))
            text.append(BAR * length, style=NEGATIVE)
        else:
            text.append(" " * left)
        if lowest:
            text.append(AXIS)
        length = min(right, _scaled(value, span, room)) if value > 0 else 0
        text.append(BAR * length, style=COLOURS[index % len(COLOURS)])
        text.append(" " * (right - length) + " " + figure.rjust(figure_width))
        if index < len(rows) - 1:
            text.append("\n")
    return text
