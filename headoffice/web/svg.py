"""Charts drawn on the server as inline SVG: no chart service, no JavaScript.

Bars (one value per label) and lines (one or two series over days) with a title, axis labels
in text and a ``<title>`` per bar or point (what a pointer shows). Black strokes and two fills
told apart by pattern as well as by shade, so a chart printed in black and white still reads.
Values are integers (cents or counts); ``label_of`` turns them into the text shown. Every text
goes through ``escape``: labels are product names and reasons typed in shops.
"""

from __future__ import annotations

from html import escape
from typing import Callable, Sequence

from markupsafe import Markup

__all__ = ["bars", "lines"]

WIDTH, HEIGHT = 640, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 90, 16, 34, 56
_DEFS = ('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
         'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="2"/>'
         '</pattern></defs>')


def _frame(title: str, chart_id: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg id="{escape(chart_id)}" class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">'
        f'<title>{escape(title)}</title>{_DEFS}'
        f'<text x="{WIDTH // 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{escape(title)}</text>'
        + "".join(body) + "</svg>")


def _axis(top: int, label_of: Callable[[int], str]) -> list[str]:
    """The value axis: 0, half and the top value, with light grid lines."""
    plot_h = HEIGHT - _TOP - _BOTTOM
    out = [f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{HEIGHT - _BOTTOM}" stroke="#000"/>',
           f'<line x1="{_LEFT}" y1="{HEIGHT - _BOTTOM}" x2="{WIDTH - _RIGHT}" y2="{HEIGHT - _BOTTOM}" stroke="#000"/>']
    for value in (0, top // 2, top):
        y = HEIGHT - _BOTTOM - (plot_h * value // top if top else 0)
        out.append(f'<line x1="{_LEFT}" y1="{y}" x2="{WIDTH - _RIGHT}" y2="{y}" stroke="#bbb" stroke-dasharray="2,3"/>')
        out.append(f'<text x="{_LEFT - 4}" y="{y + 4}" text-anchor="end">{escape(label_of(value))}</text>')
    return out


def bars(title: str, items: Sequence[tuple[str, int]], label_of: Callable[[int], str] = str,
         chart_id: str = "chart") -> Markup:
    """A bar per (label, value), values from 0 up (negative ones drawn as 0)."""
    items = list(items)[:40]
    top = max([value for _label, value in items] + [1])
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    body = _axis(top, label_of)
    if not items:
        body.append(f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle">nothing in this period</text>')
        return _frame(title, chart_id, body)
    step = plot_w // len(items)
    width = max(2, step * 7 // 10)
    for index, (label, value) in enumerate(items):
        height = plot_h * max(0, value) // top
        x = _LEFT + index * step + (step - width) // 2
        y = HEIGHT - _BOTTOM - height
        body.append(f'<rect x="{x}" y="{y}" width="{width}" height="{height}" fill="url(#hatch)" stroke="#000">'
                    f'<title>{escape(label)}: {escape(label_of(value))}</title></rect>')
        short = label if len(label) <= 14 else label[:13] + "…"
        if len(items) <= 16 or index % max(1, len(items) // 12) == 0:
            body.append(f'<text x="{x + width // 2}" y="{HEIGHT - _BOTTOM + 14}" text-anchor="end" '
                        f'transform="rotate(-35 {x + width // 2} {HEIGHT - _BOTTOM + 14})">{escape(short)}</text>')
    return _frame(title, chart_id, body)


def lines(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]],
          label_of: Callable[[int], str] = str, chart_id: str = "chart") -> Markup:
    """One polyline per (name, values) over ``labels`` (days, weeks or months); the first series
    solid, the second dashed, with a legend: told apart without colour."""
    labels = list(labels)
    top = max([value for _name, values in series for value in values] + [1])
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    body = _axis(top, label_of)
    count = max(1, len(labels) - 1)
    styles = ('stroke-width="2"', 'stroke-width="2" stroke-dasharray="6,4"')
    for number, (name, values) in enumerate(series[:2]):
        points = [(_LEFT + plot_w * index // count, HEIGHT - _BOTTOM - plot_h * max(0, value) // top)
                  for index, value in enumerate(values)]
        if points:
            body.append(f'<polyline fill="none" stroke="#000" {styles[number]} points="'
                        + " ".join(f"{x},{y}" for x, y in points) + '"/>')
        if len(points) <= 62:
            for (x, y), label, value in zip(points, labels, values):
                body.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="#000"><title>{escape(name)} {escape(label)}: '
                            f'{escape(label_of(value))}</title></circle>')
        legend_x = _LEFT + 10 + number * 200
        body.append(f'<line x1="{legend_x}" y1="{HEIGHT - 8}" x2="{legend_x + 24}" y2="{HEIGHT - 8}" stroke="#000" '
                    f'{styles[number]}/><text x="{legend_x + 30}" y="{HEIGHT - 4}">{escape(name)}</text>')
    ticks = sorted({0, len(labels) - 1, *range(0, len(labels), max(1, len(labels) // 6))}) if labels else []
    for index in ticks:
        x = _LEFT + plot_w * index // count
        body.append(f'<text x="{x}" y="{HEIGHT - _BOTTOM + 16}" text-anchor="middle">{escape(labels[index])}</text>')
    return _frame(title, chart_id, body)
