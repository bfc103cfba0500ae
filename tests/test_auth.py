"""PINs: scrypt hashes, lock-out after three wrong PINs, manager approval, all logged in chain L."""

from __future__ import annotations

import json

import pytest

from store.models import FiscalRecord, User
from till.auth import AuthError, authorize_manager, hash_pin, login, pin_matches, unlock


def events(code: str) -> list[dict]:
    query = FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == code))
    return [json.loads(record.payload) for record in query.order_by(FiscalRecord.sequence)]


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
    manager = authorize_manager(shop.ctx.sealer, "9999", "discount 20 %", {"line": 1})
    assert manager.id == shop.manager.id
    assert events("MANAGER_OVERRIDE")[-1]["description"] == "discount 20 %"
    with pytest.raises(AuthError):
        authorize_manager(shop.ctx.sealer, "1111", "discount 20 %")  # a cashier's PIN
