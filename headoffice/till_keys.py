"""Every enrolled till's key chain, for the tills to check each other's receipts.

A receipt of another shop carries its till's signature (``till.fiscal.receipt_proof``); a till
checks it with that till's keys, even when head office cannot be reached later. So each sync
brings ``GET /v1/till-keys``: per enrolled till, the root head office pinned at enrolment
(``TillRoot``), the public keys it holds and the records that admit them, exactly as signed:
the till's first record of chain L (its KEY_CREATED) and its KEY_ROTATED records. The till
trusts none of it blindly: it follows the chain from the pinned root
(``till.fiscal.known_tills.store_till_keys``), as it follows its own.
"""

from __future__ import annotations

from typing import Any

from headoffice.store import RECORD_FIELDS, Record, Till, TillKey, TillRoot

__all__ = ["till_keys"]

KEY_ROTATED = "KEY_ROTATED"


def till_keys() -> dict[str, Any]:
    """``{"tills": [{"till_id", "shop_id", "root_key_id", "keys", "records"}]}`` for every
    enrolled till; ``records`` is empty for a till whose chain L head office holds none of yet
    (its pinned root's key is then in ``keys``)."""
    tills = list(Till.select(Till.till_id, Till.shop_id).order_by(Till.till_id).tuples())
    ids = [till_id for till_id, _shop in tills]
    if not ids:
        return {"tills": []}
    roots = dict(TillRoot.select(TillRoot.till_id, TillRoot.root_key_id).where(TillRoot.till_id.in_(ids)).tuples())
    keys: dict[str, dict[str, str]] = {}
    enrolled: dict[str, str] = {}
    for till_id, key_id, pem, revoked in (TillKey.select(TillKey.till_id, TillKey.key_id, TillKey.public_key_pem,
                                                         TillKey.revoked)
                                          .where(TillKey.till_id.in_(ids)).order_by(TillKey.id).tuples()):
        enrolled.setdefault(till_id, key_id)
        if not revoked or roots.get(till_id) == key_id:  # the root's key checks the root record
            keys.setdefault(till_id, {})[key_id] = pem
    fields = [getattr(Record, name) for name in RECORD_FIELDS]
    # Each till's first record of chain L: one probe of the (till, chain, sequence) index each.
    firsts = {row[0]: row for row in Record.select(*fields)
              .where(Record.till_id.in_(ids) & (Record.chain == "L") & (Record.sequence == 1)).tuples()}
    # Its rotations: through the partial index of the KEY_ROTATED events (store.py).
    rotations: dict[str, list[tuple]] = {}
    for row in (Record.select(*fields).where(Record.till_id.in_(ids) & (Record.chain == "L")
                                             & (Record.kind == KEY_ROTATED))
                .order_by(Record.till_id, Record.sequence).tuples()):
        if row[2] != 1:
            rotations.setdefault(row[0], []).append(row)
    entries = []
    for till_id, shop_id in tills:
        rows = ([firsts[till_id]] + rotations.get(till_id, [])) if till_id in firsts else []
        entries.append({"till_id": till_id, "shop_id": shop_id,
                        "root_key_id": roots.get(till_id) or enrolled.get(till_id),
                        "keys": keys.get(till_id, {}),
                        "records": [dict(zip(RECORD_FIELDS, row)) for row in rows]})
    return {"tills": entries}
