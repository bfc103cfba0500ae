"""A report ``Table`` as text for people (``table``), or for scripts (``csv``, ``json``).

Scripts get integer cents and basis points exactly as computed (columns named ``*_cents`` and
``*_bp``): nothing to parse, no rounding, no locale. People get amounts in the shop's
language (``1 234,50`` or ``1,234.50``), rates as percentages, translated headings and codes in words
(``reports.labels``), in aligned columns. An empty
result still has its header (a script reads "nothing" as an empty table, not an error); the
table format adds a line saying that nothing happened in the period.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from reports.base import Table
from reports.labels import heading, title
from reports.labels import value as value_label
from till.i18n import N_, translate
from till.money import format_cents

__all__ = ["FORMATS", "render", "cell_text", "EMPTY"]

FORMATS = ("table", "csv", "json")
EMPTY = N_("Nothing to report for {report} from {start} to {end}")
EMPTY_NOW = N_("Nothing to report for {report}")


def _bp(value: int, lang: str) -> str:
    whole, rest = divmod(int(value), 100)
    text = f"{whole}.{rest:02d} %"
    return text.replace(".", ",") if lang.startswith("fr") else text


def cell_text(value: Any, kind: str, lang: str, column: str = "") -> str:
    """One value of the column named ``column``, of ``kind``, as people read it in ``lang``: a
    code (a means, a reason) in words (``reports.labels.value``)."""
    if value is None:
        return ""
    if kind == "text" and column:
        return value_label(column, str(value), lang)
    if kind == "cents":
        return format_cents(int(value), lang, symbol=False)
    if kind == "bp":
        return _bp(value, lang)
    return str(value)


def _as_table(table: Table, lang: str) -> str:
    heads = [heading(c.name, table.report, lang) for c in table.columns]
    cells = [[cell_text(v, c.kind, lang, c.name) for v, c in zip(row, table.columns)] for row in table.rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(heads)]
    right = [c.kind != "text" for c in table.columns]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)).rstrip()

    out = [line(heads), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    if not table.rows:
        if table.period is not None:
            out.append(translate(EMPTY, lang, report=title(table.report, lang),
                                 start=table.period.first.isoformat(), end=table.period.last.isoformat()))
        else:
            out.append(translate(EMPTY_NOW, lang, report=title(table.report, lang)))
    return "\n".join(out)


def _as_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    writer.writerows(table.rows)
    return buffer.getvalue().rstrip("\n")


def _as_json(table: Table) -> str:
    period = table.period
    document = {
        "report": table.report, "by": table.by,
        "from": period.first.isoformat() if period else None, "to": period.last.isoformat() if period else None,
        "columns": [{"name": c.name, "kind": c.kind} for c in table.columns],
        "rows": table.dicts(),
    }
    return json.dumps(document, ensure_ascii=False, indent=1)


def render(table: Table, form: str = "table", lang: str = "fr") -> str:
    """``table`` as ``form`` (one of ``FORMATS``)."""
    if form == "csv":
        return _as_csv(table)
    if form == "json":
        return _as_json(table)
    return _as_table(table, lang)
