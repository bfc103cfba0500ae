"""Manager PINs cannot be guessed on screen: wrong ones count against the cashier who asks (three
lock them out and end their session), stray Enters count for nothing, and a manager unlocks a
locked cashier from the manager's screen (F1, then F9)."""

from __future__ import annotations


import pytest

from store.models import User
from till.people.auth import AuthError, login
from till.ui.screens.closures import ClosuresScreen
from till.ui.screens.login import LoginScreen
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.returns.dialogs import ChoiceScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle, status_text
from tests.support.queries import events


def cashier() -> User:
    return User.get(User.login == "cashier")


async def test_three_wrong_manager_pins_lock_the_cashier_and_end_the_session(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"], shop.barcodes["WIN"])
        await settle(pilot)
        await pilot.press("f6", *"20%", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinScreen)

        await pilot.press("enter", "enter")  # stray Enters on the empty field: not attempts
        await pilot.pause()
        assert "Type the manager's PIN" in status_text(app)
        await pilot.press(*"1234", "enter")
        await pilot.pause()
        assert "2 tries left" in status_text(app)
        await pilot.press(*"4321", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinScreen) and "1 tries left" in status_text(app)
        assert not cashier().locked

        await pilot.press(*"0000", "enter")  # the third: the cashier is locked, the session ends
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "locked" in status_text(app) and app.screen.status.has_class("error")
        assert app.user is None and not any(isinstance(s, (SaleScreen, ManagerPinScreen)) for s in app.screen_stack)
        assert cashier().locked

        await log_in(pilot)  # even the right PIN is refused until a manager unlocks
        assert isinstance(app.screen, LoginScreen) and "locked" in status_text(app)
    assert [e["user_id"] for e in events("LOGIN_FAILED")] == [shop.cashier.id] * 3
    assert [e["details"]["for"] for e in events("LOGIN_FAILED")] == ["ticket discount"] * 3
    assert [e["user_id"] for e in events("USER_LOCKED")] == [shop.cashier.id]
    assert [e["user_id"] for e in events("LOGOUT")] == [shop.cashier.id]
    assert events("MANAGER_OVERRIDE") == []


async def test_stray_enters_on_an_empty_pin_lock_nobody(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"cashier", "enter", "enter", "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen) and "Type your PIN" in status_text(app)
        await pilot.press(*"1112", "enter")  # and one typo
        await pilot.pause()
        assert "2 tries left" in status_text(app)
        assert not cashier().locked and cashier().failed_attempts == 1
        await pilot.press(*"1111", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
    assert len(events("LOGIN_FAILED")) == 1


async def test_a_manager_unlocks_a_locked_cashier_from_the_managers_screen(app, shop):
    for guess in ("0000", "0001", "0002"):
        with pytest.raises(AuthError):
            login(shop.ctx.sealer, "cashier", guess)
    assert cashier().locked
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "manager", "9999")
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, ClosuresScreen)
        assert "1 account locked: F9 unlocks" in status_text(app)  # the key is offered when needed
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert "cashier (Camille Martin)" in screen_text(app)
        await pilot.press("enter")  # the first (and only) locked account: the cashier
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinScreen)  # a PIN now, even for the manager at the till
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClosuresScreen)
        assert "cashier is unlocked" in status_text(app)
        assert not cashier().locked and cashier().failed_attempts == 0
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, ClosuresScreen) and "No account is locked" in status_text(app)

        await pilot.press("escape", "f9")  # back to the sale screen, log out
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot)  # the cashier logs in again
        assert isinstance(app.screen, SaleScreen) and app.user.login == "cashier"
    (unlocked,) = [e for e in events("USER_CHANGED") if e["details"]["change"] == "unlocked"]
    assert unlocked["user_id"] == shop.cashier.id
    assert unlocked["details"] == {"login": "cashier", "change": "unlocked", "by": "manager"}
    assert events("MANAGER_OVERRIDE")[-1]["description"] == "unlock account"


async def test_quitting_from_the_login_screen_asks_the_managers_login_too(app, shop):
    """Nobody is logged in to count wrong PINs against: they count against the manager named."""
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinScreen)
        await pilot.press(*"manager", "enter", *"1234", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinScreen) and "2 tries left" in status_text(app)
        assert User.get(User.login == "manager").failed_attempts == 1
        await pilot.press(*"9999", "enter")  # the login is kept; the PIN field was emptied
        await pilot.pause()
        assert not app.is_running
    assert User.get(User.login == "manager").failed_attempts == 0
    assert events("MANAGER_OVERRIDE")[-1]["description"] == "quit"


async def test_a_manager_unlocks_a_locked_cashier_from_the_login_screen(app, shop):
    """A cashier locked at the start of a shift: a manager unlocks them without logging in (F9),
    typing their login and PIN in the dialog, sealed in chain L as from the manager's screen."""
    for guess in ("0000", "0001", "0002"):
        with pytest.raises(AuthError):
            login(shop.ctx.sealer, "cashier", guess)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LoginScreen)
        assert "F9" in screen_text(app) and "Unlock" in screen_text(app)  # in the footer
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen) and "cashier (Camille Martin)" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinScreen)
        await pilot.press(*"manager", "enter", *"1111", "enter")  # the cashier's PIN is no manager's
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinScreen) and cashier().locked
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and "cashier is unlocked" in status_text(app)
        assert not cashier().locked
        await log_in(pilot)
        assert isinstance(app.screen, SaleScreen) and app.user.login == "cashier"
    (unlocked,) = [e for e in events("USER_CHANGED") if e["details"]["change"] == "unlocked"]
    assert unlocked["details"] == {"login": "cashier", "change": "unlocked", "by": "manager"}
    assert events("MANAGER_OVERRIDE")[-1]["description"] == "unlock account"


async def test_the_login_screen_says_what_enter_does(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Enter: next field, then log in" in screen_text(app)
