"""A till's own records, given back to it: what a till whose backups are gone rebuilds from.

Head office holds a checked copy of every till's chains (``ingest``). ``GET /v1/records`` gives
the calling till, and only it, its records of one chain after a sequence, a page at a time,
exactly as they were signed (the stored canonical payload and ``created_at`` text), with the
public keys head office holds for that till and the root it pinned at enrolment. The till
trusts none of it blindly: it checks every record against its own key chain before it stores
it (``till.backup.rebuild``).
"""

from __future__ import annotations

from typing import Any

from headoffice.store import RECORD_FIELDS, Record, TillKey, TillRoot

__all__ = ["PAGE_DEFAULT", "PAGE_MAX", "records_of"]

PAGE_DEFAULT = 1000
PAGE_MAX = 5000
"""The most records one answer carries: a page stays well under a few MiB of JSON."""


def records_of(till_id: str, chain: str, after: int, limit: int) -> dict[str, Any]:
    """Up to ``limit`` records of ``till_id``'s ``chain`` after sequence ``after``, in order;
    ``more`` says whether a next page exists; ``keys`` and ``root`` to check them with."""
    limit = max(1, min(limit, PAGE_MAX))
    rows = list(Record.select(*(getattr(Record, name) for name in RECORD_FIELDS))
                .where((Record.till_id == till_id) & (Record.chain == chain) & (Record.sequence > after))
                .order_by(Record.sequence).limit(limit + 1).tuples())
    records = [dict(zip(RECORD_FIELDS, row)) for row in rows[:limit]]
    keys = {key_id: pem for key_id, pem in TillKey.select(TillKey.key_id, TillKey.public_key_pem)
            .where(TillKey.till_id == till_id).tuples()}
    root = TillRoot.get_or_none(TillRoot.till_id == till_id)
    return {"till_id": till_id, "chain": chain, "records": records, "more": len(rows) > limit,
            "keys": keys, "root_key_id": root.root_key_id if root is not None else None}
