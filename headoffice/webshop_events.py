"""Returns reported back: a web shop is told when one of its orders is returned in a shop.

A web shop's order (``WebShopOrder``) can be taken back at any shop's till, which writes a
return (or exchange) ticket naming the order's number (``origin.reference``) and syncs it. The
web shop must then refund the web card itself when the shop gave no money back, or at least
mark the order returned; only head office sees both sides. So when head office stores such a
record (``queue_returns``, called by ``headoffice.ingest`` once a batch is committed) it queues
one ``order.returned`` event for the web shop that posted the order: the order, the shop and
till, the return's code and time, each returned line and what the shop refunded, by means.

The record's identity (till, chain, sequence) is the event's ``source``, unique: a batch a till
sends again queues nothing new. Queueing runs after the batch is committed (a failure there
cannot undo the records: it is raised as a WEBSHOP_EVENT alert). Events go out by webhook (``headoffice.webshop_delivery``) and
can also be read by polling (``GET /webshop/v1/events``, ``POST .../{id}/ack``), so a web shop
without a webhook still gets each of them once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request

from headoffice.store import OnlineOrder, Till, WebShopEvent, WebShopOrder, proxy, utcnow
from headoffice.webshop_auth import WebShopCaller, WebShopError, WebShopRoute

__all__ = ["ORDER_RETURNED", "queue_returns", "envelope", "envelope_bytes", "ROUTES"]

log = logging.getLogger("headoffice.webshop")

ORDER_RETURNED = "order.returned"
RETURN_KINDS = ("return", "exchange")
PAGE = 100
"""The most events one poll answers."""


def _payload(record: dict[str, Any]) -> dict[str, Any] | None:
    """The payload of a chain-T record that returns something against a reference, else None
    (most records are sales: a text test spares parsing them)."""
    text = record.get("payload")
    if record.get("chain") != "T" or not isinstance(text, str) or '"origin":' not in text:
        return None
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("kind") not in RETURN_KINDS or payload.get("training"):
        return None
    origin = payload.get("origin")
    reference = origin.get("reference") if isinstance(origin, dict) else None
    return payload if isinstance(reference, str) and reference else None


def queue_returns(till_id: str, records: list[dict[str, Any]]) -> int:
    """Queue an ``order.returned`` event for each record of ``records`` (a batch of ``till_id``,
    as stored) that returns an order a web shop posted; returns how many were new."""
    found = [(record, payload) for record in records if (payload := _payload(record)) is not None]
    if not found:
        return 0
    numbers = {payload["origin"]["reference"] for _record, payload in found}
    posted = dict(WebShopOrder.select(WebShopOrder.number, WebShopOrder.webshop)
                  .where(WebShopOrder.number.in_(numbers)).tuples())
    if not posted:
        return 0  # returns of receipts, or of orders no web shop posted
    bodies = dict(OnlineOrder.select(OnlineOrder.number, OnlineOrder.body)
                  .where(OnlineOrder.number.in_(list(posted))).tuples())
    shop_id = Till.select(Till.shop_id).where(Till.till_id == till_id).scalar() or ""
    sources = {f"{till_id}/T/{record['sequence']}": (record, payload) for record, payload in found
               if payload["origin"]["reference"] in posted}
    held = set(WebShopEvent.select(WebShopEvent.source).where(WebShopEvent.source.in_(list(sources))).tuples())
    new = [(source, record, payload) for source, (record, payload) in sources.items() if (source,) not in held]
    with proxy.obj.atomic():
        for source, record, payload in new:
            number = payload["origin"]["reference"]
            data = event_data(number, shop_id, till_id, payload, _json_object(bodies.get(number)))
            WebShopEvent.insert(webshop=posted[number], kind=ORDER_RETURNED, number=number, source=source,
                                body=json.dumps(data, sort_keys=True, ensure_ascii=False),
                                next_attempt_at=utcnow()).on_conflict_ignore().execute()
    if new:
        log.info("till %s: %d return(s) of web-shop orders queued for the web shops", till_id, len(new))
    return len(new)


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def event_data(number: str, shop_id: str, till_id: str, payload: dict[str, Any],
               order: dict[str, Any]) -> dict[str, Any]:
    """What a web shop needs to settle its side of a return: read from the return's payload
    (its lines say sku and label; the till's order-line ids mean nothing outside the till, so a
    line is matched to the order's by sku), the refund by means (positive: given back in the
    shop, summed per means; negative: paid in the shop, for an exchange's dearer new items; a
    credit note is a means too)."""
    order_lines = [line for line in order.get("lines") or () if isinstance(line, dict)]
    lines, new_items = [], 0
    for line in payload.get("lines") or ():
        quantity, total = line.get("quantity"), line.get("total_cents")
        if type(quantity) is not int or type(total) is not int:
            continue
        if quantity > 0:
            new_items += total  # an exchange's new items
            continue
        sku = line.get("sku")
        position = next((index for index, ordered in enumerate(order_lines, 1)
                         if sku is not None and ordered.get("sku") == sku), None)
        lines.append({"sku": sku, "label": line.get("label"), "quantity": -quantity, "amount_cents": -total,
                      "order_line": position, "reason": line.get("reason")})
    by_means: dict[Any, int] = {}  # cash tendered and its change are one amount of cash
    for payment in payload.get("payments") or ():
        if type(payment.get("amount_cents")) is int:
            by_means[payment.get("means")] = by_means.get(payment.get("means"), 0) - payment["amount_cents"]
    refund = [{"means": means, "amount_cents": amount} for means, amount in by_means.items()]
    return {"order": number, "shop_id": shop_id, "till_id": till_id,
            "return": {"code": payload.get("code"), "kind": payload.get("kind"), "at": payload.get("created_at")},
            "lines": lines, "refund": refund, "refunded_cents": sum(part["amount_cents"] for part in refund),
            "new_items_cents": new_items}


def envelope(event: WebShopEvent) -> dict[str, Any]:
    """The event as the web shop receives it, by webhook or by polling."""
    return {"id": event.id, "type": event.kind, "created_at": event.created_at.isoformat() + "Z",
            "data": json.loads(event.body)}


def envelope_bytes(event: WebShopEvent) -> bytes:
    """The exact bytes a webhook receives (and its signature covers)."""
    return json.dumps(envelope(event), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- polling --------------------------------------------------------------------------------------


def _query_int(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 18:
        raise WebShopError("malformed", f"{name} is a whole number")
    return int(text)


def _events(caller: WebShopCaller, _data: Any, request: Request) -> dict[str, Any]:
    after, limit = _query_int(request, "after", 0), min(max(_query_int(request, "limit", PAGE), 1), PAGE)
    rows = list(WebShopEvent.select().where((WebShopEvent.webshop == caller.name) & (WebShopEvent.id > after))
                .order_by(WebShopEvent.id).limit(limit))
    return {"events": [{**envelope(row), "acknowledged": row.delivered_at is not None} for row in rows],
            "last_id": rows[-1].id if rows else after}


def _ack(caller: WebShopCaller, _data: Any, request: Request) -> dict[str, Any]:
    text = request.path_params["id"]
    event = (WebShopEvent.get_or_none((WebShopEvent.id == int(text)) & (WebShopEvent.webshop == caller.name))
             if text.isdigit() and len(text) <= 18 else None)
    if event is None:
        raise WebShopError("not_found", f"no event {text[:20]} of web shop {caller.name}", 404)
    (WebShopEvent.update(delivered_at=utcnow()).where((WebShopEvent.id == event.id)
                                                      & WebShopEvent.delivered_at.is_null()).execute())
    return {"id": event.id, "acknowledged": True}


_LINE = {"type": "object", "required": ["sku", "label", "quantity", "amount_cents", "order_line"],
         "properties": {"sku": {"type": ["string", "null"]}, "label": {"type": ["string", "null"]},
                        "quantity": {"type": "integer", "minimum": 1},
                        "amount_cents": {"type": "integer", "description": "what the line was worth, in cents"},
                        "order_line": {"type": ["integer", "null"], "description": "1-based line of the order"},
                        "reason": {"type": ["string", "null"]}}}
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "type", "created_at", "data"],
    "properties": {
        "id": {"type": "integer"}, "type": {"const": ORDER_RETURNED}, "created_at": {"type": "string"},
        "acknowledged": {"type": "boolean", "description": "polling only: delivered or acked already"},
        "data": {"type": "object", "required": ["order", "shop_id", "till_id", "return", "lines", "refund"],
                 "properties": {
                     "order": {"type": "string"}, "shop_id": {"type": "string"}, "till_id": {"type": "string"},
                     "return": {"type": "object", "properties": {"code": {"type": ["string", "null"]},
                                                                 "kind": {"enum": list(RETURN_KINDS)},
                                                                 "at": {"type": ["string", "null"]}}},
                     "lines": {"type": "array", "items": _LINE},
                     "refund": {"type": "array", "items": {
                         "type": "object", "required": ["means", "amount_cents"],
                         "properties": {"means": {"type": ["string", "null"]}, "amount_cents": {"type": "integer"}}}},
                     "refunded_cents": {"type": "integer", "description": "given back in the shop, all means"},
                     "new_items_cents": {"type": "integer", "description": "an exchange's new items"}}}}}

ROUTES = [
    WebShopRoute("GET", "/events", "returns", _events,
                 "Read the events of this web shop after an id (query: after, limit up to 100), oldest first",
                 response_schema={"type": "object", "required": ["events", "last_id"],
                                  "properties": {"events": {"type": "array", "items": EVENT_SCHEMA},
                                                 "last_id": {"type": "integer"}}}),
    WebShopRoute("POST", "/events/{id}/ack", "returns", _ack,
                 "Acknowledge an event: it is not sent to the webhook again",
                 response_schema={"type": "object", "required": ["id", "acknowledged"],
                                  "properties": {"id": {"type": "integer"}, "acknowledged": {"const": True}}},
                 errors=((404, "unknown: no such event of this web shop"),)),
]
