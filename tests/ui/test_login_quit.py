"""Logging in and out, locking after wrong PINs, and quitting only with a manager's PIN."""

from __future__ import annotations

import logging

from textual import events

from store.models import FiscalRecord, User
from till.fiscal.events import LOGIN, LOGOUT, MANAGER_OVERRIDE
from till.ui.screens.login import LoginScreen
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, log_in, open_returns, settle, status_text


def event_kinds() -> list[str]:
    return [record.kind for record in FiscalRecord.select().where(FiscalRecord.chain == "L")]


async def test_login_opens_the_sale_screen_and_logout_returns(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert app.user.login == "cashier"
        assert "Camille Martin" in str(app.screen.query_one("#sale-info").render())
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert app.user is None
        assert app.screen.login_input.value == "" and app.screen.pin_input.value == ""
    assert LOGIN in event_kinds() and LOGOUT in event_kinds()


async def test_logout_refused_with_items_in_the_basket(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["BAG"])
        await settle(pilot)
        await pilot.press("f9")
        assert isinstance(app.screen, SaleScreen)
        assert "before logging out" in status_text(app)


async def test_wrong_pin_three_times_locks_the_account(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, pin="1234")
        assert isinstance(app.screen, LoginScreen)
        assert "2 tries left" in status_text(app)
        assert app.screen.status.has_class("error")
        assert app.screen.pin_input.value == ""  # the wrong PIN is not left on screen
        await log_in(pilot, pin="4321")
        await log_in(pilot, pin="0000")
        assert "locked" in status_text(app)
        assert User.get(User.login == "cashier").locked

        # even the right PIN is refused now
        await log_in(pilot, pin="1111")
        assert isinstance(app.screen, LoginScreen)
        assert "locked" in status_text(app)


async def test_ctrl_q_and_ctrl_c_do_not_quit(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q", "ctrl+c")
        await log_in(pilot)
        await pilot.press("ctrl+q", "ctrl+c", "ctrl+p")
        await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, SaleScreen)
        assert app.return_code is None


async def test_f10_quits_only_with_a_manager_pin(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await pilot.press("f10")
        assert isinstance(app.screen, ManagerPinScreen)

        # a cashier's PIN is not a manager's
        await pilot.press(*"1111", "enter")
        assert isinstance(app.screen, ManagerPinScreen)
        assert "not a manager" in status_text(app)

        # Esc: back to selling
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen) and app.is_running

        await pilot.press("f10", *"9999", "enter")
        await pilot.pause()
        assert not app.is_running
    assert MANAGER_OVERRIDE in event_kinds()


async def test_quit_refused_with_items_in_the_basket(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["BAG"])
        await settle(pilot)
        await pilot.press("f10")
        assert isinstance(app.screen, SaleScreen)
        assert "before quitting" in status_text(app)


async def test_an_uncaught_error_stops_the_till_without_a_traceback(shop, caplog, capsys):
    """The last resort: details (and locals such as a PIN) go to the log, one sentence to the screen."""
    from till.ui.app import TillApp

    class Broken(TillApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.set_timer(0.05, self.boom)

        def boom(self) -> None:
            pin = "4242"  # noqa: F841 - Textual's traceback would print it
            raise RuntimeError("boom")

    app = Broken(shop.ctx)
    with caplog.at_level(logging.ERROR, logger="till.ui"):
        await app.run_async(headless=True, size=SIZE)
    assert app.return_code == 1
    shown = capsys.readouterr()
    assert "unexpected error" in shown.err and "Traceback" not in shown.err and "4242" not in shown.err
    assert "RuntimeError: boom" in caplog.text


async def test_login_typed_at_full_speed_is_not_mixed_up(app, shop):
    """Login, Enter, PIN, Enter queued at once (a fast typist, or a badge reader): the PIN must
    not land in the login field although Enter moves the focus only later (Textual #6605)."""
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "cashier", "1111")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert app.user.login == "cashier"


async def test_quit_is_refused_while_a_return_is_open(app, shop):
    from till.ui.returns.screen import ReturnScreen

    async with app.run_test(size=SIZE) as pilot:
        await open_returns(pilot)
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ReturnScreen)
        assert "before quitting" in status_text(app)


async def test_pin_digits_split_across_the_focus_change_are_all_kept(app, shop):
    """Typed fast: the first PIN digits reach the login field before the focus moves and are
    handed to the PIN field; the rest arrive after it has the focus. The field must not select
    what it was handed when the focus arrives, or the next digit would replace it."""
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "cashier")
        for digit in "11":
            app.post_message(events.Key(digit, digit))
        await pilot.pause()
        await pilot.press("1", "1", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen), status_text(app)
