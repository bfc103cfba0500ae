"""The keys of every till of the company, to check a receipt's QR code (``receipt_proof``).

Why: a receipt of another shop must be checked at this till even when head office cannot be
reached, so each sync brings every enrolled till's key chain from head office (``GET
/v1/till-keys``) and ``store_till_keys`` keeps it in ``known_till_key``. The chain is not taken
on head office's word: it is followed here from its records, as ``till journal verify`` follows
this till's own (``key_chain.build_key_chain``: every rotation signed by the key before it), and
must start at the root head office pinned when the till was enrolled. A chain that does not hold
is refused and the rows kept from before stay.

``keys_of`` answers for any till: one whose records are in this database (this till, or another
till of the shop on a shared database) from its own journal; any other from the rows kept.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable

from store.models import FiscalRecord, KnownTillKey, utcnow
from till.fiscal.chain import current_database
from till.fiscal.key_chain import KEY_ROTATED, SealedRecord, build_key_chain, key_chain_of
from till.fiscal.keys import key_id_of

__all__ = ["keys_of", "store_till_keys", "shop_of", "TILL_ENTRY_FIELDS"]

log = logging.getLogger("till.sync.push")

TILL_ENTRY_FIELDS = ("till_id", "shop_id", "root_key_id", "keys", "records")
"""What head office gives per till: ids, the root it pinned, ``keys`` (key id -> public PEM) and
``records`` (the till's root record and KEY_ROTATED records of chain L, as signed, with the
fields of ``key_chain.SealedRecord``)."""


_OWN_CHAINS: dict[tuple[str, str, str], tuple[int, list[tuple[str, str]]]] = {}
"""(engine, database, till) -> (its KEY_ROTATED records counted, the keys its chain admits).

A return checks a receipt at every scan, and reading a chain from the journal is several
queries: a till whose records are in this database is read once, then again only when a key
rotation was recorded since (records are never deleted, so a count that did not move means a
chain that did not change)."""


def _rotations(till_id: str) -> int:
    return FiscalRecord.select().where((FiscalRecord.till_id == till_id) & (FiscalRecord.kind == KEY_ROTATED)).count()


def keys_of(till_id: str) -> list[tuple[str, str]] | None:
    """(key id, public PEM) of every key ``till_id``'s chain admits, root first; None when this
    till knows nothing of that till."""
    database = current_database()
    cache_key = (type(database).__name__, str(database.database), till_id)
    cached = _OWN_CHAINS.get(cache_key)
    if cached is not None and cached[0] == _rotations(till_id):
        return list(cached[1])
    local = FiscalRecord.select(FiscalRecord.id).where(FiscalRecord.till_id == till_id).limit(1).scalar()
    if local is not None:
        rotations = _rotations(till_id)
        chain = key_chain_of(till_id)
        keys = [(key.key_id, key.public_pem) for key in chain.keys if key.public_pem]
        if len(keys) == len(chain.keys):  # a key whose PEM is not registered yet is read again next time
            _OWN_CHAINS[cache_key] = (rotations, keys)
        return list(keys)
    rows = list(KnownTillKey.select(KnownTillKey.key_id, KnownTillKey.public_key_pem)
                .where(KnownTillKey.till_id == till_id).order_by(KnownTillKey.position).tuples())
    return rows or None


def shop_of(till_id: str) -> str | None:
    """The shop head office enrolled ``till_id`` in, as the last sync said (None: not known)."""
    return (KnownTillKey.select(KnownTillKey.shop_id).where(KnownTillKey.till_id == till_id)
            .limit(1).scalar())


def _admitted(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """The (key id, PEM) pairs ``entry``'s chain admits, root first; ValueError when it does not
    hold or does not start at the pinned root."""
    till_id, root = entry["till_id"], entry["root_key_id"]
    pems = {str(key_id): str(pem) for key_id, pem in dict(entry.get("keys") or {}).items()}
    records = [SealedRecord(**{name: record[name] for name in SealedRecord._fields})
               for record in entry.get("records") or ()]
    if not records:  # enrolled, never synced: its root key alone, as head office pinned it
        pem = pems.get(root)
        if pem is None or key_id_of(pem) != root:
            raise ValueError(f"till {till_id}: the pinned root key {root} is missing or not that key")
        return [(root, pem)]
    if any(record.till_id != till_id for record in records):
        raise ValueError(f"till {till_id}: a key record of another till")
    chain = build_key_chain(till_id, records, pems)
    if chain.root is None or chain.root.key_id != root:
        raise ValueError(f"till {till_id}: its key chain does not start at the root pinned at enrolment")
    if chain.problems:
        raise ValueError(f"till {till_id}: {chain.problems[0].text('en')}")
    return [(key.key_id, key.public_pem) for key in chain.keys if key.public_pem]


def store_till_keys(entries: Iterable[dict[str, Any]], own_till_id: str | None = None) -> list[str]:
    """Keep the key chains head office gave (``TILL_ENTRY_FIELDS`` each), each checked first;
    returns what was refused (one line per till), logged too. This till's own entry is skipped:
    its own journal is the authority on its keys."""
    refused: list[str] = []
    checked: list[tuple[dict[str, Any], list[tuple[str, str]]]] = []
    for entry in entries:
        try:
            if not isinstance(entry, dict) or not all(name in entry for name in TILL_ENTRY_FIELDS[:3]):
                raise ValueError("an entry lacks till_id, shop_id or root_key_id")
            if entry["till_id"] == own_till_id:
                continue
            checked.append((entry, _admitted(entry)))
        except (ValueError, TypeError, KeyError) as error:
            refused.append(str(error))
            log.warning("key chain refused: %s", error)
    now = utcnow()
    with current_database().atomic():
        for entry, keys in checked:
            KnownTillKey.delete().where(KnownTillKey.till_id == entry["till_id"]).execute()
            KnownTillKey.insert_many([
                {"till_id": entry["till_id"], "shop_id": str(entry["shop_id"]), "key_id": key_id,
                 "public_key_pem": pem, "position": position, "root_key_id": entry["root_key_id"], "updated_at": now}
                for position, (key_id, pem) in enumerate(keys)]).execute()
    return refused
