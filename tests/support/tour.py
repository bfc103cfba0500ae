"""A walk through every screen and dialog of the till, as a cashier and a manager reach them.

``every_screen(app, pilot, shop)`` is an async generator: it drives the real ``TillApp`` with
Pilot from the login screen through the sale, its dialogs, the payment, the receipt, the
manager's screens, the credit-note balance, the return screen, its refund and exchange-payment
screens, and yields a name at each stop, with ``app.screen`` being that screen. The few dialogs
that only a rare state opens (an unknown card outcome, a serial number, a credit note just
issued, a manager's note) are pushed as their screen would push them. The footer and help tests
(tests/ui/test_footers.py, tests/ui/test_keys_help.py) check each stop.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import AsyncIterator

from till.credit.notes import IssuedNote
from tests.support.pilot import burst, keys, log_in, settle
from tests.support.shop import sell


async def leave(pilot, screen_type) -> None:
    """Esc until the screen on top is a ``screen_type``."""
    while not isinstance(pilot.app.screen, screen_type):
        await keys(pilot, "escape")


async def every_screen(app, pilot, shop) -> AsyncIterator[str]:
    """Visit each screen and dialog; yield its name while it is on top."""
    from till.ui.dialogs.card_settle import CardSettleScreen  # deferred: the app imports the screens
    from till.ui.dialogs.credit_note_issued import CreditNoteIssuedScreen
    from till.ui.returns.dialogs import NoteScreen, SerialScreen
    from till.ui.returns.evidence import SignalsEvidenceScreen
    from till.ui.returns.screen import ReturnScreen
    from till.ui.screens.closures import ClosuresScreen
    from till.ui.screens.sale import SaleScreen

    sale = sell(shop, [("SOA", 1), ("COF", 1)], cash=1000)
    yield "login"
    await keys(pilot, "f10")
    yield "manager's PIN, login asked"
    await keys(pilot, "escape")
    await log_in(pilot)
    burst(app, shop.barcodes["WIN"], shop.barcodes["BAG"])
    await settle(pilot)
    yield "sale"
    for key, name in (("f3", "quantity"), ("f5", "line discount"), ("f7", "customer"),
                      ("f11", "credit note balance")):
        await keys(pilot, key)
        yield name
        await leave(pilot, SaleScreen)
    await keys(pilot, "f2")
    yield "payment"
    await keys(pilot, "f4")
    yield "credit note code"
    await keys(pilot, "escape", "c", "enter")
    await keys(pilot, "f8")
    yield "receipt"
    await keys(pilot, "escape", "f1")
    yield "manager's PIN"
    await keys(pilot, *"9999", "enter")
    yield "closures"
    await keys(pilot, "f6")
    yield "reports"
    await leave(pilot, ClosuresScreen)
    await keys(pilot, "f12")
    yield "signals"
    await leave(pilot, SaleScreen)
    await keys(pilot, "f12")
    yield "returns, nothing open"
    burst(app, sale.code)
    await settle(pilot)
    await keys(pilot, "enter", "f3")
    yield "reason"
    await keys(pilot, "enter")
    yield "returns"
    await keys(pilot, "f2")
    yield "refund"
    await keys(pilot, "escape", "f8")
    burst(app, shop.barcodes["WIN"])
    await settle(pilot)
    yield "returns, exchange"
    await keys(pilot, "f2")
    yield "exchange payment"
    await leave(pilot, ReturnScreen)
    row = SimpleNamespace(id=1, operation="refund", amount_cents=350, till_id="01",
                          started_at=dt.datetime(2026, 1, 15, 10, 30))
    note = IssuedNote("AV01-0000001", 350, dt.date(2027, 1, 15))
    for dialog, name in ((NoteScreen("Manager approval", "Why is this return accepted?"), "manager's note"),
                         (SignalsEvidenceScreen([]), "signals on a return"),
                         (SerialScreen("Savon de Marseille"), "serial"),
                         (CardSettleScreen(row), "card outcome"),
                         (CreditNoteIssuedScreen([note]), "credit note issued")):
        await app.push_screen(dialog)
        await settle(pilot)
        yield name
        await leave(pilot, ReturnScreen)
