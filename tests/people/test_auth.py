"""PINs: scrypt hashes, lock-out after three wrong PINs, manager approval, all logged in chain L."""

from __future__ import annotations


import pytest

from store.models import User
from till.people.auth import (MAX_FAILED_ATTEMPTS, AuthError, authorize_manager, hash_pin, locked_users, login, pin_matches,
                       unlock, unlock_account)
from tests.support.queries import events


def test_pins_are_salted_scrypt_hashes():
    first, second = hash_pin("1234"), hash_pin("1234")
    assert first != second and first.startswith("scrypt$") and "1234" not in first
    assert pin_matches(first, "1234") and not pin_matches(first, "1235")
    assert not pin_matches("garbage", "1234")
    for bad in ("12", "abcd", "123456789"):
        with pytest.raises(AuthError):
            hash_pin(bad)


def test_login_and_lock_out_after_three_wrong_pins(shop):
    sealer = shop.ctx.sealer
    assert login(sealer, "cashier", "1111").id == shop.cashier.id
    with pytest.raises(AuthError) as first:
        login(sealer, "cashier", "0000")
    assert "2" in first.value.text("en")
    with pytest.raises(AuthError):
        login(sealer, "cashier", "0000")
    with pytest.raises(AuthError) as third:
        login(sealer, "cashier", "0000")
    assert "locked" in third.value.text("en") and "bloqué" in third.value.text("fr")
    with pytest.raises(AuthError, match="locked"):
        login(sealer, "cashier", "1111")  # even the right PIN, until a manager unlocks
    assert User.get_by_id(shop.cashier.id).locked
    assert len(events("LOGIN_FAILED")) == 3 and len(events("USER_LOCKED")) == 1
    unlock(User.get_by_id(shop.cashier.id))
    assert login(sealer, "cashier", "1111").failed_attempts == 0


def test_unknown_login_is_refused_and_logged(shop):
    with pytest.raises(AuthError):
        login(shop.ctx.sealer, "nobody", "1111")
    assert events("LOGIN_FAILED")[-1]["details"] == {"login": "nobody"}


def test_manager_approval_is_logged(shop):
    manager = authorize_manager(shop.ctx.sealer, "9999", "discount 20 %", {"line": 1}, asked_by=shop.cashier)
    assert manager.id == shop.manager.id
    assert events("MANAGER_OVERRIDE")[-1]["description"] == "discount 20 %"
    with pytest.raises(AuthError):
        authorize_manager(shop.ctx.sealer, "1111", "discount 20 %", asked_by=shop.cashier)  # a cashier's PIN


def test_guessing_manager_pins_on_screen_locks_the_asker_after_three(shop):
    """A cashier trying PINs for an approval gets three tries, then is locked like at login."""
    sealer, cashier = shop.ctx.sealer, shop.cashier
    for guess in ("0000", "0001"):
        with pytest.raises(AuthError, match="tries left"):
            authorize_manager(sealer, guess, "line discount", asked_by=cashier)
    with pytest.raises(AuthError, match="locked") as third:
        authorize_manager(sealer, "0002", "line discount", asked_by=cashier)
    assert "bloqué" in third.value.text("fr")
    assert User.get_by_id(cashier.id).locked
    with pytest.raises(AuthError, match="locked"):  # the brute force stops: not even the right PIN
        authorize_manager(sealer, "9999", "line discount", asked_by=cashier)
    assert [e["user_id"] for e in events("LOGIN_FAILED")] == [cashier.id] * 3
    assert [e["user_id"] for e in events("USER_LOCKED")] == [cashier.id]
    assert events("MANAGER_OVERRIDE") == []
    with pytest.raises(AuthError, match="locked"):
        login(sealer, "cashier", "1111")
    assert not User.get_by_id(shop.manager.id).locked  # the manager can still unlock the cashier


def test_a_right_manager_pin_resets_the_askers_count(shop):
    sealer, cashier = shop.ctx.sealer, shop.cashier
    for _round in range(2):
        for guess in ("0000", "0001"):
            with pytest.raises(AuthError):
                authorize_manager(sealer, guess, "closures", asked_by=cashier)
        assert authorize_manager(sealer, "9999", "closures", asked_by=cashier).id == shop.manager.id
    assert User.get_by_id(cashier.id).failed_attempts == 0 and not User.get_by_id(cashier.id).locked


def test_an_approval_with_nobody_to_count_against_is_refused(shop):
    """A PIN alone, with no asker and no manager's login, could be guessed for ever."""
    with pytest.raises(AuthError, match="login"):
        authorize_manager(shop.ctx.sealer, "9999", "quit")
    assert events("MANAGER_OVERRIDE") == []


def test_wrong_pins_for_a_named_manager_lock_that_manager(shop):
    sealer = shop.ctx.sealer
    for guess in ("0000", "0001"):
        with pytest.raises(AuthError, match="tries left"):
            authorize_manager(sealer, guess, "signing key rotation", login="manager")
    with pytest.raises(AuthError, match="locked"):
        authorize_manager(sealer, "0002", "signing key rotation", login="manager")
    assert User.get_by_id(shop.manager.id).locked
    assert [e["user_id"] for e in events("USER_LOCKED")] == [shop.manager.id]
    with pytest.raises(AuthError, match="locked"):
        authorize_manager(sealer, "9999", "signing key rotation", login="manager")
    with pytest.raises(AuthError, match="not a manager"):  # on screen too, a locked manager's PIN approves nothing
        authorize_manager(sealer, "9999", "line discount", asked_by=shop.cashier)
    with pytest.raises(AuthError, match="not a manager"):  # a cashier's login is no approver
        authorize_manager(sealer, "1111", "signing key rotation", login="cashier")
    assert events("MANAGER_OVERRIDE") == []


def test_a_named_manager_approves_with_the_right_pin(shop):
    with pytest.raises(AuthError):
        authorize_manager(shop.ctx.sealer, "0000", "clock acknowledged", login="manager")
    manager = authorize_manager(shop.ctx.sealer, "9999", "clock acknowledged", login="manager")
    assert manager.id == shop.manager.id and User.get_by_id(manager.id).failed_attempts == 0
    assert events("MANAGER_OVERRIDE")[-1]["user_id"] == shop.manager.id


@pytest.mark.parametrize("pin", ["", "   ", None])
def test_an_empty_pin_is_not_an_attempt(shop, pin):
    """Stray Enters on an empty PIN field: refused, never counted, never lock anyone."""
    sealer = shop.ctx.sealer
    for _ in range(MAX_FAILED_ATTEMPTS + 2):
        with pytest.raises(AuthError, match="Type"):
            login(sealer, "cashier", pin)
        with pytest.raises(AuthError, match="Type"):
            authorize_manager(sealer, pin, "line discount", asked_by=shop.cashier)
        with pytest.raises(AuthError, match="Type"):
            authorize_manager(sealer, pin, "signing key rotation", login="manager")
    for user in (shop.cashier, shop.manager):
        fresh = User.get_by_id(user.id)
        assert fresh.failed_attempts == 0 and not fresh.locked
    assert events("LOGIN_FAILED") == []
    assert login(sealer, "cashier", "1111").id == shop.cashier.id


def test_unlocking_an_account_is_sealed_with_the_manager_who_approved(shop):
    for guess in ("0000", "0001", "0002"):
        with pytest.raises(AuthError):
            login(shop.ctx.sealer, "cashier", guess)
    assert [user.login for user in locked_users()] == ["cashier"]
    unlock_account(shop.ctx.sealer, locked_users()[0], "user unlocked on screen", by=shop.manager)
    assert locked_users() == []
    (change,) = [event for event in events("USER_CHANGED") if event["details"].get("change") == "unlocked"]
    assert change["user_id"] == shop.cashier.id
    assert change["details"] == {"login": "cashier", "change": "unlocked", "by": "manager"}
    assert login(shop.ctx.sealer, "cashier", "1111").id == shop.cashier.id
