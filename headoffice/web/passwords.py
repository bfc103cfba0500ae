"""Passwords of head-office users, hashed with scrypt (standard library, memory-hard).

A stored hash reads ``scrypt$N$r$p$salt$hash`` (salt and hash in base64): the parameters travel
with it, so raising ``COST`` later leaves the passwords set before it valid. Each password has
its own random salt; the comparison takes the same time whatever matches.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

__all__ = ["COST", "hash_password", "verify_password", "dummy_hash"]

COST = 2 ** 17
"""scrypt's N (memory and time): 2^17 with r=8 uses 128 MiB per hash, OWASP's recommendation."""
BLOCK, PARALLEL, LENGTH = 8, 1, 32


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=LENGTH,
                          maxmem=n * r * 128 * 2 + 1024 * 1024)


def hash_password(password: str, cost: int = COST) -> str:
    """The text to store for ``password``: a fresh salt, the parameters and the scrypt hash."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, cost, BLOCK, PARALLEL)
    return "$".join(("scrypt", str(cost), str(BLOCK), str(PARALLEL),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()))


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (False for a malformed hash)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def dummy_hash() -> str:
    """Checked against when the username is unknown, so an unknown user costs what a wrong
    password does (made once, at the first such login, not at import)."""
    return hash_password(secrets.token_urlsafe(16))
