"""The figures head office's pages read, kept up to date by ingest.

A page of a chain of 200 shops with three years of history cannot add up ``Record`` payloads on
each request: ingest adds each new chain-T record (a signed ticket) to small tables instead
(``headoffice.store``: ``ShopDay``, ``CategoryDay``, ``ProductDay``, ``ReturnDay``, and the
links ``ReturnTicket`` and ``CreditMove`` that pages drill down by). ``add_tickets`` runs inside
the transaction that stores the records, and only for the records that transaction stores: a
batch re-sent by a till (records head office holds already) adds nothing, and a refused batch
rolls its figures back with its records.

Amounts are the signed payloads' integer cents: a line's total counts as a sale when positive,
as a return when negative (shown positive), so an exchange counts both. A ticket's day is its
business day in the shop's zone, never UTC's date. A return's selling shop is the returning
shop when the ticket returns one of its own (``origin_ticket_id`` set), the shop head office
registered the receipt for when it came from another shop (``Receipt``), ``web`` for an online
order, "" without a receipt. Categories come from the catalogue head office publishes, by SKU.

``rebuild`` empties the tables and adds every held chain-T record again: for a head office
upgraded with history already stored (``till-headoffice aggregates rebuild``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections import defaultdict
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from peewee import EXCLUDED

from headoffice.store import (AGGREGATES, CategoryDay, CreditMove, Document, ProductDay, Receipt, Record, ReturnDay,
                              ReturnTicket, ShopDay, Till, proxy)
from till.fiscal.closure_totals import business_day

__all__ = ["SHOP_ZONE", "add_tickets", "rebuild", "Totals", "rolled_up", "WEB", "NO_RECEIPT", "ALL_SHOPS", "DAY", "MONTH"]

SHOP_ZONE = ZoneInfo("Europe/Paris")
"""The zone of the chain's shops (French shops): where a ticket's business day is read."""

ALL_SHOPS = "*"
"""The ``shop_id`` of the rows that add up every shop of the chain."""
DAY, MONTH = "d", "m"
"""The ``span`` of a row: one business day, or the month starting on its ``day``."""

WEB = "web"
"""The selling "shop" of a returned online order."""
NO_RECEIPT = ""
"""The selling shop of a return made without a receipt."""

log = logging.getLogger("headoffice.aggregates")

_CHUNK = 400
"""Rows per upsert statement (well under SQLite's bound on a statement's parameters)."""


class Totals:
    """The figures of some tickets, by each table's key, before they are added to the tables."""

    def __init__(self) -> None:
        self.shop_days: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.categories: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.products: dict[tuple, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
        self.reasons: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.return_tickets: list[dict[str, Any]] = []
        self.credit_moves: list[dict[str, Any]] = []

    def add(self, shop_id: str, till_id: str, sequence: int, ticket: dict[str, Any], categories: dict[str, str],
            selling_shop: str) -> None:
        if ticket.get("training"):
            return
        day = business_day(dt.datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00")), SHOP_ZONE)
        shop_day = self.shop_days[(shop_id, day)]
        shop_day["tickets"] += 1
        by_reason: dict[str, list[int]] = {}
        for line in ticket.get("lines") or []:
            total, quantity = int(line.get("total_cents") or 0), int(line.get("quantity") or 0)
            sku = str(line.get("sku") or f"#{line.get('product_id')}")[:64]
            category = categories.get(sku, "")[:80]
            category_row = self.categories[(shop_id, day, category)]
            product = self.products[(shop_id, day, sku)]
            product["label"], product["category"] = str(line.get("label") or "")[:200], category
            if total >= 0 and quantity >= 0:
                shop_day["sales_cents"] += total
                category_row["sales_lines"] += 1
                category_row["sales_cents"] += total
                product["sales_lines"] += 1
                product["sales_quantity"] += quantity
                product["sales_cents"] += total
                continue
            shop_day["returns_cents"] -= total
            category_row["returns_lines"] += 1
            category_row["returns_cents"] -= total
            product["returns_lines"] += 1
            product["returns_quantity"] -= quantity
            product["returns_cents"] -= total
            reason = str(line.get("reason") or "")[:64]
            lines_and_cents = by_reason.setdefault(reason, [0, 0])
            lines_and_cents[0] += 1
            lines_and_cents[1] -= total
        if by_reason:
            shop_day["return_tickets"] += 1
        for reason, (lines, cents) in by_reason.items():
            row = self.reasons[(shop_id, day, reason, selling_shop)]
            row["tickets"] += 1
            row["returns_lines"] += lines
            row["returns_cents"] += cents
            self.return_tickets.append({"shop_id": shop_id, "day": day, "reason": reason,
                                        "selling_shop_id": selling_shop, "till_id": till_id, "sequence": sequence,
                                        "code": str(ticket.get("code") or "")[:40], "lines": lines,
                                        "amount_cents": cents})
        for payment in ticket.get("payments") or []:
            amount = int(payment.get("amount_cents") or 0)
            if payment.get("means") != "credit_note" or not amount or not payment.get("reference"):
                continue
            kind = "issued" if amount < 0 else "spent"
            shop_day[f"credit_{kind}"] += 1
            shop_day[f"credit_{kind}_cents"] += abs(amount)
            self.credit_moves.append({"code": str(payment["reference"])[:40], "kind": kind, "shop_id": shop_id,
                                      "day": day, "till_id": till_id, "sequence": sequence,
                                      "amount_cents": abs(amount)})

    def write(self) -> None:
        _upsert(ShopDay, ("shop_id", "span", "day"), rolled_up(self.shop_days), ())
        _upsert(CategoryDay, ("shop_id", "span", "day", "category"), rolled_up(self.categories), ())
        _upsert(ProductDay, ("shop_id", "span", "day", "sku"), rolled_up(self.products), ("label", "category"))
        _upsert(ReturnDay, ("shop_id", "span", "day", "reason", "selling_shop_id"), rolled_up(self.reasons), ())
        for model, rows in ((ReturnTicket, self.return_tickets), (CreditMove, self.credit_moves)):
            for start in range(0, len(rows), _CHUNK):
                # A record is stored once, so its links are too; ignore keeps a rebuild harmless.
                model.insert_many(rows[start:start + _CHUNK]).on_conflict_ignore().execute()


def rolled_up(totals: dict[tuple, dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """Figures keyed (shop, day, ...) as the four rows each one is added to: (shop, "d", day, ...),
    (shop, "m", month, ...), and the same for the whole chain (``ALL_SHOPS``). Text values
    (a product's label and category) are the last seen."""
    out: dict[tuple, dict[str, Any]] = {}
    for (shop_id, day, *rest), values in totals.items():
        month = day.replace(day=1)
        for key in ((shop_id, DAY, day, *rest), (shop_id, MONTH, month, *rest), (ALL_SHOPS, DAY, day, *rest),
                    (ALL_SHOPS, MONTH, month, *rest)):
            row = out.get(key)
            if row is None:
                out[key] = dict(values)
                continue
            for name, value in values.items():
                row[name] = value if type(value) is str else row.get(name, 0) + value
    return out


def _upsert(model, key: tuple[str, ...], totals: dict[tuple, dict[str, Any]], replaced: tuple[str, ...]) -> None:
    """Add ``totals`` to ``model``'s rows (``key`` -> counters), creating the rows missing:
    one INSERT ... ON CONFLICT DO UPDATE per chunk, on both engines."""
    if not totals:
        return
    counters = sorted({name for values in totals.values() for name in values} - set(replaced))
    rows = [{**dict(zip(key, keys)), **{name: values.get(name, 0) for name in counters},
             **{name: values.get(name, "") for name in replaced}} for keys, values in totals.items()]
    update = {getattr(model, name): getattr(model, name) + getattr(EXCLUDED, name) for name in counters}
    update.update({getattr(model, name): getattr(EXCLUDED, name) for name in replaced})
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        # Every row of a statement needs the same columns: the counters a key lacks are 0.
        (model.insert_many(chunk)
         .on_conflict(conflict_target=[getattr(model, name) for name in key], update=update).execute())


def catalogue_categories() -> dict[str, str]:
    """SKU -> category of the catalogue head office publishes (``{"products": [{"sku", "category"}]}``)."""
    document = Document.get_or_none(Document.name == "catalogue")
    if document is None:
        return {}
    # Keyed by the document's text, not its version: another head office's database (a test's,
    # a restored copy) may hold another catalogue under the same version number.
    if _categories_cache.get("body") != document.body:
        try:
            products = json.loads(document.body).get("products") or []
            found = {str(p["sku"]): str(p.get("category") or "") for p in products
                     if isinstance(p, dict) and "sku" in p}
        except (ValueError, AttributeError, KeyError):
            found = {}
        _categories_cache.clear()
        _categories_cache.update(body=document.body, categories=found)
    return _categories_cache["categories"]


_categories_cache: dict[str, Any] = {}


def _selling_shops(shop_id: str, tickets: list[dict[str, Any]]) -> dict[str, str]:
    """Receipt code -> selling shop for the returns among ``tickets`` of another shop's receipt."""
    codes = {t["origin"]["reference"] for t in tickets if isinstance(t.get("origin"), dict)
             and t["origin"].get("reference") and t.get("origin_ticket_id") is None}
    if not codes:
        return {}
    found = dict(Receipt.select(Receipt.code, Receipt.shop_id).where(Receipt.code.in_(sorted(codes))).tuples())
    # A receipt head office has not registered yet (an offline return reported after its ticket
    # synced): its code names the selling till (``T<till>-<number>``), whose shop head office knows.
    tills = {code: match.group(1) for code in codes - set(found) if (match := _RECEIPT_TILL.match(code))}
    if tills:
        shops = dict(Till.select(Till.till_id, Till.shop_id).where(Till.till_id.in_(sorted(set(tills.values()))))
                     .tuples())
        found.update({code: shops[till] for code, till in tills.items() if till in shops})
    return found


_RECEIPT_TILL = re.compile(r"^T([A-Za-z0-9]{1,16})-[0-9]+")


def _selling_shop(shop_id: str, ticket: dict[str, Any], receipts: dict[str, str]) -> str:
    origin = ticket.get("origin")
    if ticket.get("origin_ticket_id") is not None:
        return shop_id
    if isinstance(origin, dict):
        if origin.get("reference"):
            return receipts.get(origin["reference"], NO_RECEIPT)[:32]
        if origin.get("order_id") is not None:
            return WEB
    return NO_RECEIPT


def add_tickets(till_id: str, records: Iterable[dict[str, Any]], shop_id: str | None = None) -> None:
    """Add the chain-T ``records`` of ``till_id`` (as ingest stores them: ``sequence`` and
    ``payload``) to the aggregates. Call it inside the transaction that stores them, once per
    record ever stored."""
    if shop_id is None:
        till = Till.get_or_none(Till.till_id == till_id)
        shop_id = till.shop_id if till is not None else till_id
    tickets = []
    for record in records:
        try:
            ticket = json.loads(record["payload"])
            dt.datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00"))
        except (ValueError, TypeError, KeyError, AttributeError):
            # Signed and stored all the same: a ticket the pages cannot read is left out, and said.
            log.warning("till %s record T/%s: not a ticket the pages can count", till_id, record["sequence"])
            continue
        tickets.append((record["sequence"], ticket))
    receipts = _selling_shops(shop_id, [ticket for _sequence, ticket in tickets])
    categories = catalogue_categories()
    totals = Totals()
    for sequence, ticket in tickets:
        totals.add(shop_id, till_id, sequence, ticket, categories, _selling_shop(shop_id, ticket, receipts))
    totals.write()


def rebuild(chunk: int = 2000) -> int:
    """Empty the aggregates and add every chain-T record held, till by till in sequence order;
    returns the records added. One transaction: the pages see the old figures or the new."""
    shops = dict(Till.select(Till.till_id, Till.shop_id).tuples())
    added = 0
    with proxy.obj.atomic():
        for model in AGGREGATES:
            model.delete().execute()
        for till_id in sorted({t for (t,) in Record.select(Record.till_id).where(Record.chain == "T")
                               .distinct().tuples()}):
            last = 0
            while True:
                rows = list(Record.select(Record.sequence, Record.payload)
                            .where((Record.till_id == till_id) & (Record.chain == "T") & (Record.sequence > last))
                            .order_by(Record.sequence).limit(chunk).dicts())
                if not rows:
                    break
                add_tickets(till_id, rows, shops.get(till_id, till_id))
                added += len(rows)
                last = rows[-1]["sequence"]
    return added
