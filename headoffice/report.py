"""Consolidated sales and returns across shops, read from the signed ticket records held.

Figures come from the payloads the tills signed (chain T), never from anything a till could
change afterwards: per shop and till, the count of tickets, the sales (positive line totals),
the returns (negative line totals, as a positive amount) and the net, in integer cents. Training
tickets live in chain X and never count.

Returns across shops (``returns_across_shops``) come from the holds head office keeps
(``returns``): each receipt of one shop taken back in a shop, online or reported offline, not
released, worth each returned line's total on the receipt pro rata of the quantity returned.
"""

from __future__ import annotations

import json
from typing import Any

from headoffice.store import Receipt, Record, ReturnHold, Till


def sales_report(since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    shops = dict(Till.select(Till.till_id, Till.shop_id).tuples())
    query = Record.select(Record.till_id, Record.created_at, Record.payload).where(Record.chain == "T")
    if since:
        query = query.where(Record.created_at >= since)
    if until:
        query = query.where(Record.created_at < until)
    totals: dict[str, dict[str, Any]] = {}
    for till_id, _created, payload in query.tuples().iterator():
        ticket = json.loads(payload)
        row = totals.setdefault(till_id, {"shop_id": shops.get(till_id, "?"), "till_id": till_id, "tickets": 0,
                                          "sales_cents": 0, "returns_cents": 0})
        row["tickets"] += 1
        # Per line, so an exchange counts its returned and its new items apart.
        amounts = [line.get("total_cents", 0) for line in ticket.get("lines") or []] or [ticket.get("total_cents", 0)]
        for amount in amounts:
            if amount >= 0:
                row["sales_cents"] += amount
            else:
                row["returns_cents"] -= amount
    rows = sorted(totals.values(), key=lambda r: (r["shop_id"], r["till_id"]))
    for row in rows:
        row["net_cents"] = row["sales_cents"] - row["returns_cents"]
    return rows


def returns_across_shops(since: str | None = None, until: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Returns of receipts through head office, by selling shop and by returning shop: per shop,
    the holds counted (``returns``) and what they are worth (``amount_cents``)."""
    query = (ReturnHold.select(Receipt.shop_id, ReturnHold.shop_id, ReturnHold.amount_cents)
             .join(Receipt, on=(Receipt.code == ReturnHold.code)).where(ReturnHold.released == False))  # noqa: E712
    if since:
        query = query.where(ReturnHold.created_at >= since)
    if until:
        query = query.where(ReturnHold.created_at < until)
    selling: dict[str, dict[str, Any]] = {}
    returning: dict[str, dict[str, Any]] = {}
    for sold_in, taken_in, amount in query.tuples().iterator():
        for totals, shop_id in ((selling, sold_in), (returning, taken_in)):
            row = totals.setdefault(shop_id, {"shop_id": shop_id, "returns": 0, "amount_cents": 0})
            row["returns"] += 1
            row["amount_cents"] += amount
    return {"by_selling_shop": sorted(selling.values(), key=lambda r: r["shop_id"]),
            "by_returning_shop": sorted(returning.values(), key=lambda r: r["shop_id"])}
