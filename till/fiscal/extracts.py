"""Which extract rule a record's printed signature extract follows.

The extract (``till.fiscal.canonical.signature_extract``) used to be taken from the DER text of
the signature; it is now taken from the raw r||s signature. Paper already printed must keep
matching what a copy or a reprint shows, so the rule is a property of the record: the records a
chain held when the shop's database was upgraded (migration m0011 notes, per till and chain, the
first sequence sealed after it, in the setting ``RAW_EXTRACT_FROM``) keep the DER rule; every
later record, and every record of a chain begun after, takes the raw rule. A shop created since
has no old record: everything is raw.

The mark is not fiscal data: it only chooses how four characters of a signed record are shown.
Changing it changes no record, and the paper it would contradict is in the shop's hands.
"""

from __future__ import annotations

import json

from store.models import FiscalRecord, Setting, Ticket
from till.fiscal.canonical import EXTRACT_DER, EXTRACT_RAW, signature_extract

__all__ = ["RAW_EXTRACT_FROM", "extract_rule", "record_extract", "ticket_extract"]

RAW_EXTRACT_FROM = "signature_extract_raw_from"
"""The setting holding ``{till id: {chain: first sequence on the raw rule}}`` (JSON)."""


def _marks() -> dict[str, dict[str, int]]:
    row = Setting.get_or_none(Setting.key == RAW_EXTRACT_FROM)
    if row is None:
        return {}
    try:
        marks = json.loads(row.value)
    except ValueError:
        return {}
    return marks if isinstance(marks, dict) else {}


def extract_rule(till_id: str, chain: str, sequence: int) -> int:
    """``EXTRACT_DER`` for a record sealed before the upgrade to the raw rule, else ``EXTRACT_RAW``."""
    first = (_marks().get(till_id) or {}).get(chain)
    if isinstance(first, int) and sequence < first:
        return EXTRACT_DER
    return EXTRACT_RAW


def record_extract(record: FiscalRecord) -> str:
    """The extract of ``record`` as its paper shows it."""
    return signature_extract(record.signature, extract_rule(record.till_id, record.chain, record.sequence))


def ticket_extract(till_id: str, number: int, signature: str) -> str:
    """The extract of the (non-training) ticket ``number`` of ``till_id`` whose record has
    ``signature``, by its record's rule (a Z report's "last ticket"); the raw rule if not found."""
    record = (FiscalRecord.select().join(Ticket, on=(FiscalRecord.ticket_id == Ticket.id))
              .where((Ticket.till_id == till_id) & (Ticket.number == number) & (Ticket.training == False)  # noqa: E712
                     & (FiscalRecord.chain == "T") & (FiscalRecord.signature == signature)).first())
    if record is None:
        return signature_extract(signature)
    return record_extract(record)
