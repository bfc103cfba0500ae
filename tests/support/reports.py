"""A shop with a known history for the report and FEC tests: sales and returns on fixed past
days (each day closed that evening, as the till forces), through the real checkout and the real
``ReturnSession``, so the reports read exactly what the till writes."""

from __future__ import annotations

import dataclasses
import datetime as dt

from till.fiscal.closure_totals import business_day
from till.fiscal.closures import close_day
from till.returns.session import ReturnSession
from till.selling.ticket_writer import write_ticket
from tests.support.clock import sealing_at
from tests.support.shop import paid_draft

DAYS = [dt.date(2025, 3, 10), dt.date(2025, 3, 11), dt.date(2025, 3, 12), dt.date(2025, 3, 13)]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A naive UTC time on ``day`` (10:00 UTC is 11:00 in Paris: the same business day)."""
    return dt.datetime.combine(day, dt.time(hour))


def close(shop, when: dt.datetime) -> None:
    """The day of ``when`` closed that evening (20:00 UTC, still the same day in Paris), as a
    shop closes it: closed later, its closure would close by itself the months over since."""
    close_day(shop.ctx.sealer, business_day(when, shop.ctx.sealer.zone), now=when.replace(hour=20))


def sell_at(shop, items, when: dt.datetime, cash=None, card=None, customer=None, user=None):
    """A sale of ``items`` [(sku, qty)] written at ``when`` through the real checkout (not closed)."""
    draft = paid_draft(shop, items, cash, card, customer, user)
    with sealing_at(when):  # signed when it was sold
        return write_ticket(shop.ctx.sealer, shop.config.accounts, dataclasses.replace(draft, created_at=when))


def return_at(shop, sale, picks, when: dt.datetime | None = None, refund=None):
    """Return ``picks`` [(sku, qty, reason, disposition)] of ``sale`` with the real session; at
    ``when`` (past) when given, else now. ``refund``: [(means, cents)] or the default plan."""
    session = ReturnSession.at(shop.ctx, shop.cashier, now=when)
    session.open(sale)
    for sku, quantity, reason, disposition in picks:
        line = next(line for line in session.lines if line.sku == sku)
        session.pick(line.line_id, quantity, reason=reason, disposition=disposition)
    if refund:
        session.refund_to(refund)
    if when is not None:
        made = session._draft
        session._draft = lambda payments: dataclasses.replace(made(payments), created_at=when)
        with sealing_at(when):
            return session.complete()
    return session.complete()


def history(shop):
    """Four closed days of March 2025; returns the tickets by name."""
    d0, d1, d2, d3 = DAYS
    t = {}
    t["a"] = sell_at(shop, [("WIN", 3), ("BAG", 2)], at(d0), cash=5000, customer=shop.customer)
    t["b"] = sell_at(shop, [("SOA", 2)], at(d0, 11), card=700)
    close(shop, at(d0))
    t["c"] = sell_at(shop, [("COF", 2), ("NEWS", 1)], at(d1), card=500, customer=shop.customer)
    t["d"] = sell_at(shop, [("SAND", 1), ("WIN", 1)], at(d1, 12), user=shop.manager)
    close(shop, at(d1))
    t["ra"] = return_at(shop, t["a"], [("WIN", 1, "defective", "damaged")], at(d2))
    t["rc"] = return_at(shop, t["c"], [("COF", 1, "changed_mind", "restock")], at(d2, 11))
    close(shop, at(d2))
    t["ra2"] = _other(shop, t["a"], at(d3))
    close(shop, at(d3))
    return t


def _other(shop, sale, when):
    """A return with a reason that needs a note (``other: ...``), refunded as store credit."""
    session = ReturnSession.at(shop.ctx, shop.cashier, now=when)
    session.open(sale)
    line = next(line for line in session.lines if line.sku == "BAG")
    pick = session.pick(line.line_id, 2)
    session.set_reason(pick.key, "other", "stale")
    session.refund_to([("credit_note", 240)])
    made = session._draft
    session._draft = lambda payments: dataclasses.replace(made(payments), created_at=when)
    with sealing_at(when):
        return session.complete()
