"""Orders in: the web shop posts each order to head office, and the tills take it from there.

``POST /webshop/v1/orders`` takes one order in the JSON of ``till import orders`` (see
``till.returns.online_orders``), plus an optional ``"shop"``: only that shop may take it back.
It is checked by the same rules as the till's import (``till.sync.order_format``), against the
catalogue head office publishes: a line names its product by ``sku`` or ``barcode``, and one of a
product that catalogue does not list carries its own ``label``, ``vat_code`` and ``vat_rate_bp``
(what the till demands too), so an order head office accepts is one every till imports.

The order is stored as head office's ``OnlineOrder`` (the form the tills pull, without ``shop``)
and a ``WebShopOrder`` row naming the web shop and the digest of what it posted. The number makes
it idempotent: the same content again is answered 200 ``unchanged`` (a web shop retries after a
lost answer); other content under the same number is refused 409 ``changed``, since a shop may
already have taken lines of it back; a number another web shop posted (or an order added by
``till-headoffice add-orders``) is refused 409 ``taken``. Nothing is stored on a refusal.

``GET /webshop/v1/orders/{number}`` answers the order as stored and what came back in shops so
far, read from the return tickets the tills synced (each return naming the order), so the web
shop's support desk sees both without asking a shop.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import peewee
from starlette.requests import Request
from starlette.responses import JSONResponse

from headoffice.store import Document, OnlineOrder, Record, Till, WebShopOrder, proxy
from headoffice.webshop_auth import WebShopCaller, WebShopError, WebShopRoute
from till.sync.order_format import KnownProduct, NUMBER_MAX, OrderFormatError, check_order, order_digest

__all__ = ["ROUTES", "post_order", "order_state", "PublishedCatalogue", "returned_in_shops"]

SHOP_MAX = 32
"""The longest shop id (``OnlineOrder.shop_id``)."""


class PublishedCatalogue:
    """The catalogue document head office publishes, as the order checks ask for it. Head office
    keeps no VAT rates with their dates: a line of a known product without ``vat_rate_bp`` takes
    the rate in force at the till that imports it."""

    def __init__(self) -> None:
        document = Document.get_or_none(Document.name == "catalogue")
        products = json.loads(document.body).get("products", []) if document is not None else []
        self.by_sku: dict[str, KnownProduct] = {}
        self.by_barcode: dict[str, KnownProduct] = {}
        for item in products if isinstance(products, list) else ():
            if not isinstance(item, dict) or not isinstance(item.get("sku"), str):
                continue
            known = KnownProduct(None, item["sku"], str(item.get("name") or item["sku"]),
                                 str(item.get("vat_code") or ""))
            self.by_sku[known.sku] = known
            for code in item.get("barcodes") or ():
                self.by_barcode[str(code)] = known

    def product(self, sku: str | None, barcode: str | None) -> KnownProduct | None:
        return (self.by_barcode.get(barcode) if barcode else None) or (self.by_sku.get(sku) if sku else None)

    def vat_rate_bp(self, vat_code: str, on: dt.date, where: str) -> None:
        return None


def _checked(data: Any) -> tuple[str, str | None, dict[str, Any]]:
    """(number, shop, the order as tills import it) of a posted body, or ``WebShopError`` 400."""
    if not isinstance(data, dict):
        raise WebShopError("invalid", "post one order: a JSON object with number, ordered_at and lines")
    order = {key: value for key, value in data.items() if key != "shop"}
    shop = data.get("shop")
    if shop is not None and (not isinstance(shop, str) or not shop.strip() or len(shop.strip()) > SHOP_MAX):
        raise WebShopError("invalid", f"shop must be a shop's id (a text of at most {SHOP_MAX} characters)")
    try:
        checked = check_order(order, 1, PublishedCatalogue())
    except OrderFormatError as error:
        raise WebShopError("invalid", error.text()) from None
    return checked.number, shop.strip() if shop else None, order


def post_order(caller: WebShopCaller, data: Any, _request: Request | None = None) -> JSONResponse:
    """Store one posted order (see the module docstring): 201 created, 200 unchanged, or refused."""
    number, shop, order = _checked(data)
    digest = order_digest(data)
    try:
        with proxy.obj.atomic():
            known = _known(caller, number, digest)
            if known is not None:
                return known
            OnlineOrder.create(number=number, shop_id=shop,
                               body=json.dumps(order, sort_keys=True, ensure_ascii=False))
            WebShopOrder.create(number=number, webshop=caller.name, digest=digest)
    except peewee.IntegrityError:  # the same number posted at the same moment: the first one stands
        with proxy.obj.atomic():
            known = _known(caller, number, digest)
        if known is None:
            raise
        return known
    return JSONResponse({"number": number, "status": "created"}, status_code=201)


def _known(caller: WebShopCaller, number: str, digest: str) -> JSONResponse | None:
    """The answer for a number head office holds already, or None when it is new."""
    # The order first, then who posted it: both rows are committed together, so once the order is
    # seen its WebShopOrder is too (the other way round, a post committing in between looked foreign).
    if OnlineOrder.get_or_none(OnlineOrder.number == number) is None:
        return None
    posted = WebShopOrder.get_or_none(WebShopOrder.number == number)
    if posted is None:
        raise WebShopError("taken", f"order {number} was added to head office otherwise", 409)
    if posted.webshop != caller.name:
        raise WebShopError("taken", f"order {number} was posted by another web shop", 409)
    if posted.digest != digest:
        raise WebShopError("changed", f"order {number} was posted already with other content: a shop may have "
                                      "taken it back; post a new order number instead", 409)
    return JSONResponse({"number": number, "status": "unchanged"}, status_code=200)


def order_state(caller: WebShopCaller, _data: Any, request: Request) -> dict[str, Any]:
    """The order as stored, its shop, and what came back in shops so far."""
    number = request.path_params["number"]
    posted = WebShopOrder.get_or_none(WebShopOrder.number == number)
    if posted is None or posted.webshop != caller.name:
        raise WebShopError("unknown_order", f"this web shop posted no order {number}", 404)
    stored = OnlineOrder.get(OnlineOrder.number == number)
    return {"number": number, "shop": stored.shop_id, "order": json.loads(stored.body),
            "posted_at": stored.created_at.isoformat(), "returned": returned_in_shops(number)}


def returned_in_shops(number: str) -> list[dict[str, Any]]:
    """Each return of order ``number`` the tills synced: its shop, ticket and lines back (positive
    quantities). From the sealed return tickets (chain T), whose ``origin`` names the order."""
    needle = '"reference":' + json.dumps(number, ensure_ascii=False)
    rows = (Record.select(Record.till_id, Record.payload)
            .where((Record.chain == "T") & Record.payload.contains(needle))
            .order_by(Record.till_id, Record.sequence))
    shops = dict(Till.select(Till.till_id, Till.shop_id).tuples())
    returns = []
    for till_id, text in rows.tuples():
        payload = json.loads(text)
        origin = payload.get("origin") or {}
        if origin.get("reference") != number or origin.get("order_id") is None or payload.get("training"):
            continue
        lines = [{"sku": line["sku"], "label": line["label"], "quantity": -line["quantity"]}
                 for line in payload.get("lines", ()) if line.get("origin_order_line_id") is not None
                 and line["quantity"] < 0]
        if lines:
            returns.append({"shop": shops.get(till_id), "till_id": till_id, "ticket": payload.get("code"),
                            "returned_at": payload.get("created_at"), "lines": lines})
    return returns


_TEXT = {"type": "string", "minLength": 1}
_CENTS = {"type": "integer", "minimum": 0}
ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One order in the JSON of `till import orders` (amounts in integer cents), plus `shop`.",
    "required": ["number", "ordered_at", "lines"],
    "properties": {
        "number": {**_TEXT, "maxLength": NUMBER_MAX},
        "ordered_at": {"type": "string", "description": "ISO 8601 date and time, e.g. 2026-11-20T14:03:00Z"},
        "shop": {**_TEXT, "maxLength": SHOP_MAX, "description": "only this shop may take the order back"},
        "source": {**_TEXT, "maxLength": 40},
        "customer": {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 160}, "email": {"type": "string", "maxLength": 160},
            "loyalty_card": {"type": "string"}, "phone": {"type": "string"}}},
        "payment": {"type": "object", "properties": {"means": {**_TEXT, "maxLength": 32},
                                                      "amount_cents": _CENTS}},
        "lines": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["quantity", "unit_price_cents"],
            "description": "`sku` or `barcode`; a product the catalogue does not list also gives label, "
                           "vat_code and vat_rate_bp",
            "properties": {
                "sku": {**_TEXT, "maxLength": 32}, "barcode": _TEXT, "label": {**_TEXT, "maxLength": 120},
                "quantity": {"type": "integer", "minimum": 1}, "unit_price_cents": _CENTS,
                "discount_cents": _CENTS, "total_cents": _CENTS, "vat_code": {**_TEXT, "maxLength": 8},
                "vat_rate_bp": _CENTS, "serial": {**_TEXT, "maxLength": 64}}}},
    },
}
POSTED_SCHEMA = {"type": "object", "required": ["number", "status"],
                 "description": "201 created; 200 unchanged (the same content again); 409 `changed` (other "
                                "content under this number) or `taken` (another web shop's number)",
                 "properties": {"number": {"type": "string"}, "status": {"enum": ["created", "unchanged"]}}}
STATE_SCHEMA = {"type": "object", "required": ["number", "order", "returned"], "properties": {
    "number": {"type": "string"}, "shop": {"type": ["string", "null"]}, "order": {"type": "object"},
    "posted_at": {"type": "string"},
    "returned": {"type": "array", "items": {"type": "object", "properties": {
        "shop": {"type": ["string", "null"]}, "till_id": {"type": "string"}, "ticket": {"type": "string"},
        "returned_at": {"type": "string"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {
            "sku": {"type": "string"}, "label": {"type": "string"}, "quantity": {"type": "integer"}}}}}}}}}

ROUTES = [
    WebShopRoute("POST", "/orders", "orders", post_order, "Post an order (idempotent by its number)",
                 ORDER_SCHEMA, POSTED_SCHEMA, 201,
                 errors=((409, "changed: the number was posted with other content; taken: another web shop's, or "
                               "added at head office"),)),
    WebShopRoute("GET", "/orders/{number}", "orders", order_state,
                 "Read a posted order and what came back in shops", response_schema=STATE_SCHEMA,
                 errors=((404, "unknown: this web shop posted no such order"),)),
]
