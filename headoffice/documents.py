"""What tills pull that is not fiscal: the catalogue document and the web shop's orders.

The catalogue is one versioned JSON document (head office publishes it whole; a till that
already has the version gets nothing back). Online orders are kept one row per order, in the
exact form ``till.returns.online_orders.import_orders`` reads, so a till imports them unchanged and a
re-pull is harmless (the import is idempotent by order number).
"""

from __future__ import annotations

import json
from typing import Any

import peewee

from headoffice.store import Document, OnlineOrder, proxy, utcnow

__all__ = ["publish_catalogue", "catalogue_since", "add_orders", "orders_for", "order_for"]


def publish_catalogue(body: dict[str, Any]) -> int:
    """Store ``body`` as the new catalogue; returns its version (unchanged if the body is)."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    with proxy.obj.atomic():
        document, _ = Document.get_or_create(name="catalogue")
        if document.body != text:
            document.version += 1
            document.body, document.updated_at = text, utcnow()
            document.save()
    return document.version


def catalogue_since(version: int) -> dict[str, Any]:
    document = Document.get_or_none(Document.name == "catalogue")
    if document is None or document.version <= version:
        return {"version": version if document is None else document.version, "catalogue": None}
    return {"version": document.version, "catalogue": json.loads(document.body)}


def add_orders(orders: list[dict[str, Any]], shop_id: str | None = None) -> int:
    """Store orders (each with a ``number``); an order already held is kept as it was."""
    added = 0
    with proxy.obj.atomic():
        for order in orders:
            body = json.dumps(order, sort_keys=True, ensure_ascii=False)
            added += OnlineOrder.insert(number=str(order["number"]), shop_id=shop_id,
                                        body=body).on_conflict_ignore().execute() and 1 or 0
    return added


def orders_for(shop_id: str, after: int) -> dict[str, Any]:
    """Orders for ``shop_id`` (or for any shop) stored after row ``after``: an id, not a time,
    so an order stored in the same second as the last pull is never skipped."""
    query = (OnlineOrder.select()
             .where((OnlineOrder.shop_id.is_null() | (OnlineOrder.shop_id == shop_id)) & (OnlineOrder.id > after))
             .order_by(OnlineOrder.id).limit(1000))
    rows = list(query)
    return {"orders": [json.loads(r.body) for r in rows], "last_id": rows[-1].id if rows else after}


def order_for(shop_id: str, number: str) -> dict[str, Any] | None:
    """Order ``number`` (as typed: any case) when ``shop_id`` may take it back (it is for that shop
    or for any shop), else None: a till asks for one order the moment a cashier types its number,
    rather than wait for the next sync."""
    number = (number or "").strip()
    if not number or len(number) > 40:
        return None
    mine = OnlineOrder.shop_id.is_null() | (OnlineOrder.shop_id == shop_id)
    row = (OnlineOrder.get_or_none((OnlineOrder.number == number) & mine)
           or OnlineOrder.select().where((peewee.fn.UPPER(OnlineOrder.number) == number.upper()) & mine)
           .order_by(OnlineOrder.id).first())
    return None if row is None else json.loads(row.body)
