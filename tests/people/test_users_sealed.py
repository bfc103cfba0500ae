"""The users table is held to its sealed USER_CHANGED events: a user inserted as manager, or a
cashier given the manager's role outside the till, is reported by ``till journal verify``."""

from __future__ import annotations

import pytest

from store.models import User
from till.fiscal.verify import verify_journal
from till.people.auth import create_user, hash_pin
from till.shop.ledgers import journal_checks, seal_baseline


@pytest.fixture
def shop(any_shop):
    """Both engines."""
    return any_shop


def _verify(shop):
    return verify_journal(workers=0, checks=journal_checks(shop.ctx))


def _text(report) -> str:
    return "\n".join(p.text("en") for p in report.problems)


def test_users_added_through_the_till_verify(shop):
    seal_baseline(shop.ctx.sealer)
    create_user("ines", "Inès", "cashier", "2222", sealer=shop.ctx.sealer)
    report = _verify(shop)
    assert report.ok, _text(report)
    assert seal_baseline(shop.ctx.sealer) == (0, 0, 0)  # nothing left to seal


def test_a_role_changed_in_the_table_is_reported(shop):
    seal_baseline(shop.ctx.sealer)
    User.update(role="manager").where(User.id == shop.cashier.id).execute()
    text = _text(_verify(shop))
    assert "user cashier: role is manager, the sealed events say cashier" in text


def test_an_inserted_user_is_reported(shop):
    seal_baseline(shop.ctx.sealer)
    User.create(login="mallory", name="Mallory", role="manager", pin_hash=hash_pin("0000"))
    text = _text(_verify(shop))
    assert "user mallory (manager) has no sealed record of being added" in text


def test_a_deleted_user_is_reported(shop):
    seal_baseline(shop.ctx.sealer)
    ines = create_user("ines", "Inès", "cashier", "2222", sealer=shop.ctx.sealer)
    User.delete().where(User.id == ines.id).execute()
    assert "user ines sealed as added is missing" in _text(_verify(shop))
