"""Replacing a till's signing key (``till key rotate``) without breaking its chains.

A key is replaced when it may have leaked, when the machine changes hands, or as a routine.
The old key signs a KEY_ROTATED event naming the new key (its id and public key), so the
journal itself says which key follows which; the new public key is registered in the same
transaction; the first record of the new key is KEY_CREATED. The chains go on unbroken: each
record names the key that signed it, and the verifier checks it with that key. The rotation
record is what admits the new key into the till's key chain (``till.fiscal.key_chain``): no
other way in exists, so the old key file is needed to rotate, and a key file swapped by hand
stops the till at its next start.

Files: the new key is written next to the old one first (0600, never overwriting anything),
and put in place only after the commit; the old key file is kept aside as ``<name>.retired-<id>``
(the shop decides when to destroy it). A crash before the commit leaves the old key in use and
a stray new file; after it, the next start finds the new key in place, or the old one with a
KEY_ROTATED event that names the new key: that start stops and names the key it expects, which
is the ``<name>.new`` file a technician then moves in place.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from till.errors import TillError
from till.fiscal.chain import Sealer, current_database
from till.fiscal.durable import fsync_folder
from till.fiscal.events import KEY_CREATED, record_event
from till.fiscal.key_chain import KEY_ROTATED
from till.fiscal.keys import Signer, register_public_key

log = logging.getLogger(__name__)

__all__ = ["KEY_ROTATED", "rotate_key"]


def rotate_key(sealer: Sealer, user_id: int | None = None) -> Signer:
    """Make a new key for ``sealer``'s till, hand over to it, and return it (the sealer uses it)."""
    old = sealer.signer
    path = Path(old.path)
    fresh_path = path.with_name(path.name + ".new")
    fresh_path.unlink(missing_ok=True)  # a stray one from an interrupted rotation was never used
    new = Signer.create(fresh_path)
    with current_database().atomic():
        register_public_key(new, sealer.till_id)
        record_event(sealer, KEY_ROTATED, "signing key replaced", user_id=user_id,
                     details={"old_key_id": old.key_id, "new_key_id": new.key_id, "new_public_key": new.public_pem})
    retired = path.with_name(f"{path.name}.retired-{old.key_id[:16]}")
    os.replace(path, retired)
    os.replace(fresh_path, path)
    fsync_folder(path.parent)
    new.path = path
    sealer.signer = new
    with current_database().atomic():
        record_event(sealer, KEY_CREATED, "signing key created by rotation", user_id=user_id,
                     details={"key_id": new.key_id, "replaces": old.key_id})
    return new


def retired_signers(signer) -> tuple:
    """The keys ``till key rotate`` set aside (``<key>.retired-<id>``), newest first."""
    if signer.path is None:
        return ()
    path = Path(signer.path)
    found = sorted(path.parent.glob(path.name + ".retired-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    signers = []
    for candidate in found:
        try:
            signers.append(Signer.load(candidate))
        except TillError:
            log.warning("retired key %s cannot be read: skipped", candidate)
    return tuple(signers)
