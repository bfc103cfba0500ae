"""Reading the pages' tables and their CSV as a person reads them, to compare them."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

_MONEY = re.compile(r"^(-?)([\d\u202f  ]+),(\d\d) €$")


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: dict[str, list[dict[str, str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = attrs["id"]
            self.tables[self._table], self.links[self._table] = [], []
        elif tag == "tbody" and self._table:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "a" and self._cell is not None:
            self.links[self._table].append(attrs)

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row and not (len(self._row) == 1 and self._row[0] == "Nothing in this period."):
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> tuple[dict[str, list[list[str]]], dict[str, list[dict[str, str]]]]:
    """Each table with an id on the page: its body rows (cell texts), and its links' attributes."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables, parser.links


def cents(text: str) -> int:
    """ "1 234,56 €" as shown -> 123456."""
    match = _MONEY.match(text)
    assert match, text
    sign, whole, part = match.groups()
    value = int(re.sub(r"\D", "", whole)) * 100 + int(part)
    return -value if sign else value


def csv_rows(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def shown(cell: str) -> str:
    """A cell of a page made comparable with its CSV cell (money as euros with a dot, a rate
    in percent with a dot)."""
    if cell.endswith(" €"):
        value = cents(cell)
        return f"{'-' if value < 0 else ''}{abs(value) // 100}.{abs(value) % 100:02d}"
    if cell.endswith(" %"):
        return cell[:-2].replace(",", ".")
    return "" if cell == "—" else cell
