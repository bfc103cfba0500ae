"""The stock ledger: every movement of a product between locations, and the levels kept in step.

A sale moves items out of ``sellable``; a return moves them back in, or to ``damaged``, ``supplier_return``
or ``repair`` as the return's disposition says (``till.returns.picks.DISPOSITIONS``). Levels are
changed in the same transaction as the movement that explains them, so they never disagree.
"""

from __future__ import annotations

import datetime as dt
import weakref
from typing import Iterable

import peewee

from store.models import DAMAGED, SELLABLE, StockLevel, StockLocation, StockMovement
from till.config.reasons import DISPOSITION_NAMES
from till.fiscal.chain import Sealer, current_database
from till.fiscal.events import EVENT_CHAIN
from till.selling.bulk_insert import BulkInsert, quote

STOCK_MOVED = "STOCK_MOVED"
"""The chain L event that seals a stock movement made without a ticket (opening stock, a count):
the journal check (``till.selling.derived_check``) finds every such movement in one."""

DISPOSITION_LOCATIONS = dict(zip(DISPOSITION_NAMES, (SELLABLE, DAMAGED, "supplier_return", "repair"), strict=True))
"""What happens to a returned item (a line's disposition) -> the stock location it goes to."""

_MOVEMENTS = BulkInsert(StockMovement, ("product", "location", "quantity", "reason", "ticket_id", "created_at"))
_LEVEL_COLUMNS = tuple(quote(StockLevel._meta.fields[name].column_name) for name in ("product", "location",
                                                                                      "quantity"))
_LEVELS = BulkInsert(StockLevel, ("product", "location", "quantity"), suffix=(
    " ON CONFLICT ({0}, {1}) DO UPDATE SET {2} = {3}.{2} + EXCLUDED.{2}".format(
        *_LEVEL_COLUMNS, quote(StockLevel._meta.table_name))))
"""Adds to the level when the (product, location) row exists, as ``move_stock`` does."""

_location_ids: "weakref.WeakKeyDictionary[peewee.Database, dict[str, int]]" = weakref.WeakKeyDictionary()


def location_id(code: str) -> int:
    """The id of a stock location, created on first use.

    Cached per database object (not per ``id()``, which a later database may reuse), and only
    once the row is known to be committed: a location made inside a transaction that rolls
    back must not be remembered.
    """
    database = StockLocation._meta.database
    database = getattr(database, "obj", database)
    known = _location_ids.setdefault(database, {})
    if code not in known:
        location, created = StockLocation.get_or_create(
            code=code, defaults={"name": code.replace("_", " ").title()})
        if created:
            return location.id
        known[code] = location.id
    return known[code]


def stock_moved_payload(product_id: int, location: str, quantity: int, reason: str) -> dict:
    """The payload of a ``STOCK_MOVED`` event, in the shape of every chain L event."""
    return {"code": STOCK_MOVED, "description": "stock moved without a ticket", "user_id": None,
            "details": {"product_id": product_id, "location": location, "quantity": quantity, "reason": reason}}


def move_stock(product_id: int, location: str, quantity: int, reason: str, ticket_id: int | None,
               when: dt.datetime, sealer: Sealer | None = None) -> None:
    """Record a stock movement and keep the level in step, inside the caller's transaction.

    A movement without a ticket (opening stock, a count) is proved by nothing else: given a
    ``sealer``, it is sealed in chain L (``STOCK_MOVED``) in the same transaction; without one
    the journal check reports it as unsealed.
    """
    location_key = location_id(location)
    with current_database().atomic():
        if ticket_id is None and sealer is not None:
            sealer.append(EVENT_CHAIN, STOCK_MOVED, stock_moved_payload(product_id, location, quantity, reason))
        StockMovement.insert(
            product=product_id, location=location_key, quantity=quantity, reason=reason,
            ticket_id=ticket_id, created_at=when,
        ).execute()
        (
            StockLevel.insert(product=product_id, location=location_key, quantity=quantity)
            .on_conflict(
                conflict_target=[StockLevel.product, StockLevel.location],
                update={StockLevel.quantity: StockLevel.quantity + peewee.EXCLUDED.quantity},
            )
            .execute()
        )


def location_of(disposition: str | None) -> str:
    """The stock location a ticket line moves: its disposition's, ``sellable`` for a sold line."""
    return SELLABLE if disposition is None else DISPOSITION_LOCATIONS[disposition]


def stock_moves(lines: Iterable[tuple[int | None, int, str]]) -> list[tuple[int, str, int]]:
    """(product, location code, quantity) of each movement a ticket makes, from its lines as
    (product id, quantity sold, location): the one rule, used by ``write_stock`` and by the
    check that rebuilds movements from sealed payloads (``till.selling.derived_check``)."""
    return [(product, location, -quantity) for product, quantity, location in lines
            if product is not None and quantity]


def write_stock(database: peewee.Database, lines: Iterable, kind: str, ticket_id: int, when: dt.datetime) -> None:
    """A movement per stocked line of a ticket (``DraftLine``s), each (product, location) level
    moved once, in the ticket's transaction.

    Levels are summed first (PostgreSQL refuses to upsert one row twice in a statement) and
    written in key order, so two tills selling the same products lock the rows in one order.
    """
    moves = [(product, location_id(location), quantity) for product, location, quantity
             in stock_moves((line.product_id, line.quantity, line.stock_location) for line in lines)]
    if not moves:
        return
    _MOVEMENTS.execute(database, _MOVEMENTS.rows(
        (product, location, quantity, kind, ticket_id, when) for product, location, quantity in moves))
    levels: dict[tuple[int, int], int] = {}
    for product, location, quantity in moves:
        levels[(product, location)] = levels.get((product, location), 0) + quantity
    _LEVELS.execute(database, _LEVELS.rows((*key, quantity) for key, quantity in sorted(levels.items())))
