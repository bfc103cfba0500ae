"""A signal about the return at hand, on the return screen: the cashier reads one discreet line,
the manager reads the evidence after the PIN, and the return goes through once approved.
The real ``TillApp`` on a real SQLite shop, driven with Pilot."""

from __future__ import annotations

import json

from store.models import FiscalRecord, Ticket
from till.aftersale.duplicates import make_duplicate
from till.fiscal.events import MANAGER_OVERRIDE
from till.loss.return_check import forget_medians
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.returns.dialogs import NoteScreen
from till.ui.returns.evidence import SignalsEvidenceScreen
from till.ui.returns.screen import ReturnScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, keys, log_in, screen_text, settle, status_text
from tests.support.shop import sell


async def test_a_reprinted_receipt_asks_a_manager_who_reads_the_evidence_then_approves(app, shop):
    forget_medians()
    sale = sell(shop, [("WIN", 1)], cash=1000)
    duplicate = make_duplicate(shop.ctx.sealer, sale, shop.cashier)  # a copy printed just before
    copy_code = f"C01-{duplicate.record.sequence}"
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)

        # the cashier (and the customer) read one line: no rule, no figure, no evidence
        assert "Ask a manager" in status_text(app)
        shown = screen_text(app)
        assert copy_code not in shown and "reprint" not in shown.lower() and "24" not in status_text(app)
        await keys(pilot, "enter", "f2")
        assert isinstance(app.screen, ReturnScreen)  # refused until a manager approves

        # F6: the manager's PIN, then the evidence, then the note
        await keys(pilot, "f6")
        assert isinstance(app.screen, ManagerPinScreen)
        assert copy_code not in screen_text(app)
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SignalsEvidenceScreen)
        evidence = screen_text(app)
        assert "Receipt reprinted before its return" in evidence
        assert copy_code in evidence and sale.code in evidence and "threshold 24" in evidence
        await keys(pilot, "enter")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"copy for the gift", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)
        assert not app.screen.session.unapproved()

        await keys(pilot, "f2", "enter")
        assert isinstance(app.screen, SaleScreen)

    assert Ticket.select().where(Ticket.kind == "return").count() == 1
    [override] = [details for details in (json.loads(r.payload)["details"] for r in FiscalRecord.select().where(
        (FiscalRecord.chain == "L") & (FiscalRecord.kind == MANAGER_OVERRIDE))) if details.get("breach") == "loss_signal"]
    assert override["note"] == "copy for the gift"
    assert [s["code"] for s in override["signals"]] == ["receipt_reprinted"]


async def test_esc_on_the_evidence_approves_nothing(app, shop):
    forget_medians()
    sale = sell(shop, [("WIN", 1)], cash=1000)
    make_duplicate(shop.ctx.sealer, sale, shop.cashier)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "enter", "f6")
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SignalsEvidenceScreen)
        await keys(pilot, "escape")
        assert isinstance(app.screen, ReturnScreen)
        assert [b.code for b in app.screen.session.unapproved()] == ["loss_signal"]


async def test_a_plain_return_shows_no_line_for_a_manager(app, shop):
    forget_medians()
    sale = sell(shop, [("WIN", 1)], cash=1000)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "enter")
        assert "Ask a manager" not in status_text(app)
        await keys(pilot, "f2", "enter")
        assert isinstance(app.screen, SaleScreen)
