"""``till-headoffice verify``: check again every record head office holds.

The same checks as at ingest (``ingest._seal_problem``: hash of the rebuilt signed bytes, ECDSA
signature with the till's key, the signatures checked by worker processes one batch ahead, as
at ingest), plus continuity and links along each whole chain, and the head
against the last record: a row altered or deleted in head office's own database afterwards is
found, naming till, chain and sequence. Then every registered credit note against its shop's
signed records (``headoffice.credit.unproved_notes``).
"""

from __future__ import annotations

import logging
from typing import Any

from headoffice.credit import unproved_notes
from headoffice.ingest import _Keys, _SealChecks
from headoffice.store import RECORD_FIELDS, Head, Record, TillKey
from till.fiscal.signature_pool import shared_pool

__all__ = ["verify_all"]

log = logging.getLogger("headoffice.verify")


def verify_all(till_id: str | None = None) -> list[tuple[str, str, int | None, str]]:
    """Check every record held again, chain by chain: (till, chain, sequence, problem) found."""
    problems: list[tuple[str, str, int | None, str]] = []
    query = Head.select()
    if till_id is not None:
        query = query.where(Head.till_id == till_id)
    for head in query.order_by(Head.till_id, Head.chain):
        keys = _Keys({k: pem for k, pem in TillKey.select(TillKey.key_id, TillKey.public_key_pem)
                      .where(TillKey.till_id == head.till_id).tuples()}, {})
        expected, previous, count = 1, "", 0
        rows = (Record.select(*[getattr(Record, n) for n in RECORD_FIELDS])
                .where((Record.till_id == head.till_id) & (Record.chain == head.chain))
                .order_by(Record.sequence).dicts().iterator())
        batch: list[dict[str, Any]] = []
        links: list[tuple[str, str, int | None, str]] = []  # the batch's continuity findings
        pending: tuple[list, _SealChecks] | None = None  # the batch before, its signatures on the workers
        for row in rows:
            count += 1
            if row["sequence"] != expected:
                links.append((head.till_id, head.chain, expected, f"missing (next held is {row['sequence']})"))
                expected = row["sequence"]
            if row["previous_signature"] != previous:
                links.append((head.till_id, head.chain, row["sequence"], "does not link to the record before it"))
            previous, expected = row["signature"], expected + 1
            batch.append(row)
            if len(batch) >= _BATCH:
                checks = _SealChecks(batch, keys, shared_pool())
                problems += _found(head.till_id, head.chain, pending)
                pending, batch, links = (links, checks), [], []
        problems += _found(head.till_id, head.chain, pending)
        problems += _found(head.till_id, head.chain, (links, _SealChecks(batch, keys, None)))
        if expected - 1 != head.sequence or previous != head.signature:
            problems.append((head.till_id, head.chain, head.sequence, "the head does not match the last record held"))
        log.info("verified till %s chain %s: %d records", head.till_id, head.chain, count)
    problems += unproved_notes(till_id)
    return problems


_BATCH = 2000
"""Records checked per worker task; two batches at most are in hand (flat memory)."""


def _found(till_id: str, chain: str, batch: tuple[list, _SealChecks] | None) -> list[tuple[str, str, int | None, str]]:
    """A batch's findings in the order of a record-by-record walk: its continuity findings, then
    its seal problems."""
    if batch is None:
        return []
    links, checks = batch
    return links + [(till_id, chain, row["sequence"], problem)
                    for row, problem in zip(checks.chunk, checks.problems()) if problem is not None]
