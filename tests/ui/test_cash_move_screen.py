"""F11 on the manager's screen: cash in or out of the drawer, or a means correction, each with a
manager's PIN, written as a chain P document; the drawer opens; a refusal writes nothing.

The real ``TillApp`` on a real SQLite shop, driven with Pilot as a cashier would."""

from __future__ import annotations

import json

from store.models import CashMove
from till.ui.dialogs.cash_move import CashMoveScreen
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.screens.closures import ClosuresScreen
from tests.support.pilot import SIZE, keys, log_in, settle, status_text
from tests.support.queries import chain_records
from tests.support.shop import sell


async def _to_manager_screen(pilot, app) -> None:
    await log_in(pilot)
    await keys(pilot, "f1")
    await pilot.press(*"9999", "enter")
    await settle(pilot)
    assert isinstance(app.screen, ClosuresScreen)


async def test_a_cashier_puts_an_opening_float_in_with_a_managers_pin_and_the_drawer_opens(app, shop):
    drawer_log = shop.config.resolve("drawer.log")
    async with app.run_test(size=SIZE) as pilot:
        await _to_manager_screen(pilot, app)
        await keys(pilot, "f11", "1")  # 1: the opening float
        assert isinstance(app.screen, CashMoveScreen)
        await pilot.press(*"150,00", "enter", *"morning float", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ManagerPinScreen)
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClosuresScreen)
        assert "P01-000001 written" in status_text(app)
        assert any(line.startswith("Espèces attendues") and line.endswith("150,00 €") for line in app.screen.lines)
    (record,) = chain_records("P")
    payload = json.loads(record.payload)
    assert (payload["kind"], payload["amount_cents"], payload["reason"]) == ("opening_float", 15000, "morning float")
    assert payload["operator"]["id"] == shop.cashier.id and payload["approved_by"]["id"] == shop.manager.id
    assert drawer_log.exists() and drawer_log.read_text().strip()


async def test_a_withdrawal_above_the_drawer_is_refused_and_nothing_is_written(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await _to_manager_screen(pilot, app)
        await keys(pilot, "f11", "3")  # 3: to the safe
        await pilot.press(*"0", "enter", *"safe", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CashMoveScreen) and "above zero" in status_text(app)
        await pilot.press(*"50", "enter")  # the amount field has the focus again
        await settle(pilot)
        await pilot.press("enter")  # the reason is still there
        await settle(pilot)
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClosuresScreen)
        assert "cannot be taken out" in status_text(app)
    assert CashMove.select().count() == 0 and chain_records("P") == []


async def test_a_card_payment_recorded_as_cash_is_corrected(app, shop):
    ticket = sell(shop, [("WIN", 1)], cash=895)
    async with app.run_test(size=SIZE) as pilot:
        await _to_manager_screen(pilot, app)
        await keys(pilot, "f11", "6")  # 6: cash recorded, paid by card
        await pilot.press(*ticket.code, "enter", *"8,95", "enter", *"card keyed as cash", "enter")
        await settle(pilot)
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert "written" in status_text(app)
    (record,) = chain_records("P")
    payload = json.loads(record.payload)
    assert (payload["means"], payload["to_means"], payload["origin"]["code"]) == ("cash", "card", ticket.code)


async def test_in_training_mode_no_cash_move_is_recorded(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        await _to_manager_screen(pilot, app)
        await keys(pilot, "f11", "1")
        await pilot.press(*"150", "enter", *"float", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CashMoveScreen) and "training" in status_text(app)
    assert CashMove.select().count() == 0 and chain_records("P") == []
