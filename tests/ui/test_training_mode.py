"""Training mode at the till (R-TRN): F5 at login, TRAINING on the sale screen, practice tickets
in chain X, and its start and end in chain L."""

from __future__ import annotations

from store.models import FiscalRecord, Ticket
from till.ui.screens.login import LoginScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle, status_text


async def test_f5_at_login_sells_practice_tickets_marked_training(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        assert "TRAINING MODE" in screen_text(app)
        await log_in(pilot)
        assert isinstance(app.screen, SaleScreen) and app.screen.training
        assert "TRAINING" in screen_text(app)
        burst(app, shop.barcodes["SOA"])
        await settle(pilot)
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        assert "not available in training" in status_text(app)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and "TRAINING MODE" not in screen_text(app)
    (ticket,) = Ticket.select()
    assert ticket.training and ticket.code.startswith("X")
    assert [r.chain for r in FiscalRecord.select().where(FiscalRecord.ticket_id == ticket.id)] == ["X"]
    kinds = [r.kind for r in FiscalRecord.select().where(FiscalRecord.chain == "L").order_by(FiscalRecord.sequence)]
    assert kinds.index("TRAINING_START") < kinds.index("TRAINING_END")
    printed = shop.config.resolve(shop.config.printer.path).read_text(encoding="utf-8")
    assert "FORMATION" in printed
