"""Passwords are held as scrypt hashes that carry their salt and parameters."""

from __future__ import annotations

import hashlib

from headoffice.store import WebUser, proxy
from headoffice.web.passwords import COST, hash_password, verify_password
from tests.support.ho_web import PASSWORD, TEST_COST


def test_a_hash_carries_scrypt_its_parameters_and_a_salt_of_its_own():
    one, two = hash_password("the same password", cost=TEST_COST), hash_password("the same password", cost=TEST_COST)
    assert one != two  # a salt per hash
    scheme, n, r, p, _salt, _digest = one.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", TEST_COST, 8, 1)
    assert "the same password" not in one


def test_the_right_password_verifies_and_nothing_else_does():
    stored = hash_password("correct horse", cost=TEST_COST)
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsf", stored)
    assert not verify_password("", stored)
    assert not verify_password("correct horse", "md5$whatever")
    assert not verify_password("correct horse", "not a hash")


def test_a_hash_made_with_other_parameters_still_verifies_after_the_cost_is_raised():
    older = hash_password("kept across upgrades", cost=2 ** 12)
    assert verify_password("kept across upgrades", older)
    assert COST >= 2 ** 17  # memory-hard: 128 MiB a hash at r=8


def test_the_database_holds_the_hash_not_the_password(ho_web):
    with proxy.obj.connection_context():
        stored = WebUser.get(WebUser.username == "vera").password_hash
    assert PASSWORD not in stored and stored.startswith("scrypt$")
    assert hashlib.sha256(PASSWORD.encode()).hexdigest() not in stored
