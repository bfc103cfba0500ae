"""Today's loss-prevention signals on the manager's screen (F1, then F12): each with its grounds,
dismissed with a note, still listed after. The real ``TillApp`` on a real SQLite shop."""

from __future__ import annotations

import json
import threading

from store.models import FiscalRecord
from till.fiscal.events import SIGNAL_DISMISSED
from till.ui.returns.dialogs import NoteScreen
from till.ui.screens.closures import ClosuresScreen
from till.ui.screens.signals import SignalsScreen
from tests.support.loss import return_all
from tests.support.pilot import SIZE, keys, log_in, screen_text, settle, status_text
from tests.support.shop import sell


async def open_signals(app, pilot) -> None:
    await log_in(pilot, "manager", "9999")
    await keys(pilot, "f1")
    assert isinstance(app.screen, ClosuresScreen)
    await keys(pilot, "f12")
    assert isinstance(app.screen, SignalsScreen)


async def test_the_manager_reads_todays_signal_and_dismisses_it_with_a_note(app, shop, monkeypatch):
    import till.ui.screens.signals as screen_module

    sale = sell(shop, [("WIN", 1)], cash=1000)  # sold by the cashier...
    refund = return_all(shop, sale)  # ...and refunded by the same cashier: a signal of today
    threads = []
    real = screen_module.today_rows
    monkeypatch.setattr(screen_module, "today_rows",
                        lambda *a, **k: threads.append(threading.current_thread()) or real(*a, **k))

    async with app.run_test(size=SIZE) as pilot:
        await open_signals(app, pilot)
        assert threads and threads[0] is not threading.main_thread()  # computed off the UI loop
        text = screen_text(app)
        assert "Refunded by the seller" in text
        assert "Sale refunded by the cashier who made it (Camille Martin)" in text  # how
        assert f"Evidence: {sale.code} {refund.code}" in text
        assert "1 signal today (0 dismissals)" in status_text(app)

        await keys(pilot, "f2")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"her own gift, checked", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SignalsScreen)

        # still listed, marked dismissed, with who and the note
        text = screen_text(app)
        assert "[dismissed] Refunded by the seller" in text
        assert "Max Durand" in text and "her own gift, checked" in text
        assert "1 signal today (1 dismissal)" in status_text(app)
        await keys(pilot, "f2")  # once is enough
        assert "dismissed already" in status_text(app)
        await keys(pilot, "escape")
        assert isinstance(app.screen, ClosuresScreen)

    [record] = FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == SIGNAL_DISMISSED))
    details = json.loads(record.payload)["details"]
    assert details["note"] == "her own gift, checked" and details["key"].startswith("receipt_same_cashier:")
    assert json.loads(record.payload)["user_id"] == shop.manager.id


async def test_a_day_without_signals_says_so(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await open_signals(app, pilot)
        assert "No signal today" in status_text(app)
        await keys(pilot, "f2")
        assert isinstance(app.screen, SignalsScreen)
        assert "No signal to dismiss" in status_text(app)
