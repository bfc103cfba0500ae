"""What the tests read back from the store: rows counted, payments, stock levels, events."""

from __future__ import annotations

import json
import string

from store.models import FiscalRecord, Payment, StockLevel, StockLocation


def row_counts(*models, chains: tuple[str, ...] = ()) -> dict[str, int]:
    """How many rows each of ``models`` holds, and how many records each of ``chains``."""
    counted = {model.__name__: model.select().count() for model in models}
    return counted | {chain: FiscalRecord.select().where(FiscalRecord.chain == chain).count() for chain in chains}


def payments(ticket) -> list[tuple[str, int]]:
    """(means, cents) of a ticket's payments, in their order."""
    return [(p.means, p.amount_cents) for p in Payment.select().where(Payment.ticket == ticket.id)
            .order_by(Payment.position)]


def stock_level(product, location: str = "sellable") -> int:
    """A product's stock in ``location`` ("sellable", "damaged", "repair"...)."""
    row = (StockLevel.select().join(StockLocation).where((StockLevel.product == product)
                                                         & (StockLocation.code == location)).first())
    return row.quantity if row else 0


def total_stock(product) -> int:
    """A product's stock, all locations together."""
    return sum(row.quantity for row in StockLevel.select().where(StockLevel.product == product))


def chain_records(chain: str = "T") -> list[FiscalRecord]:
    """The records of ``chain``, in sequence."""
    return list(FiscalRecord.select().where(FiscalRecord.chain == chain).order_by(FiscalRecord.sequence))


def events(code: str) -> list[dict]:
    """The payloads of the chain L events of kind ``code``, in the order they were sealed."""
    query = FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == code))
    return [json.loads(record.payload) for record in query.order_by(FiscalRecord.till_id, FiscalRecord.sequence)]


def placeholders(message: str) -> list[str]:
    """The ``{names}`` a message's text fills in."""
    return [name for _, name, _, _ in string.Formatter().parse(message) if name]
