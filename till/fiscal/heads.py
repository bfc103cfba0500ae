"""The chain heads at each closure: signed, sealed, sent to head office, printed on the Z.

The anchor files (``till.fiscal.anchor``) sit on the till's own disk; whoever has the machine
and its key can in the end rewrite both. So each closure also writes the heads of every chain
of the till (last sequence, signature and hash of T, G, L...) where the machine cannot reach:

- a statement of them is signed with the till's key and sealed as a CHAIN_HEADS event in chain L,
  in the closure's own transaction (so it is part of the journal and of every archive);
- with ``[sync]`` set, the signed statement is queued in the durable outbox in that same
  transaction (``SEND_CHAIN_HEADS``) and sent at once by the after-sale worker, retried until
  head office has it (``till.sync.heads``); ``till journal verify --headoffice`` fetches the
  last one head office holds and requires the journal to still hold each head it names;
- the Z report prints a short form of the statement's SHA-256 (``short_digest``), so the paper
  Z kept in the shop's binder is an anchor too: recompute it from the archive's CHAIN_HEADS
  event and compare.

The statement's heads are those of the closure's transaction before the CHAIN_HEADS event
itself: the ticket chain as closed, chain G with the closure just sealed, chain L with the
closure's event.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from store.models import FiscalRecord, OutboxJob, utcnow
from till.fiscal.anchor_check import chain_tails
from till.fiscal.canonical import canonical_bytes
from till.fiscal.chain import Sealer, iso_utc
from till.fiscal.events import EVENT_CHAIN, record_event
from till.fiscal.keys import verify_signature
from till.i18n import translate

__all__ = ["CHAIN_HEADS", "SEND_CHAIN_HEADS", "HEADS_FORMAT", "chain_heads", "statement_digest", "short_digest",
           "seal_heads", "heads_of_closure", "compare_heads", "statement_signed_by"]

CHAIN_HEADS = "CHAIN_HEADS"
SEND_CHAIN_HEADS = "send_chain_heads"
"""The outbox job that sends a closure's signed statement to head office."""
HEADS_FORMAT = "till-chain-heads-1"


def chain_heads(till_id: str) -> list[dict[str, Any]]:
    """The last record of each chain of ``till_id``: chain, sequence, signature, hash (by chain)."""
    tails = chain_tails(till_id)
    return [{"chain": chain, "sequence": tails[chain][0], "signature": tails[chain][1], "hash": tails[chain][2]}
            for chain in sorted(tails)]


def statement_digest(statement: dict[str, Any]) -> str:
    """SHA-256 (hex) of the statement's canonical bytes: what is signed, and what the Z shows."""
    return hashlib.sha256(canonical_bytes(statement)).hexdigest()


def short_digest(digest: str) -> str:
    """The first 16 hex digits of ``digest`` in groups of four, upper case: short enough to
    print and to read out on the phone, long enough that no other heads give it by chance."""
    head = digest[:16].upper()
    return "-".join(head[i:i + 4] for i in range(0, 16, 4))


def seal_heads(sealer: Sealer, closure_sequence: int, kind: str, label: str, send: bool) -> dict[str, Any]:
    """Inside the closure's transaction: sign the statement of the till's chain heads, seal it
    as CHAIN_HEADS in chain L and, with ``send`` (head office configured), queue it for head
    office in the outbox. Returns the signed statement ({statement, key_id, signature, digest})."""
    statement = {"format": HEADS_FORMAT, "till_id": sealer.till_id, "closure": closure_sequence, "kind": kind,
                 "period": label, "at": iso_utc(utcnow().replace(microsecond=0)),
                 "heads": chain_heads(sealer.till_id)}
    signed = {"statement": statement, "key_id": sealer.signer.key_id,
              "signature": sealer.signer.sign(canonical_bytes(statement)), "digest": statement_digest(statement)}
    record_event(sealer, CHAIN_HEADS, f"chain heads at closure {closure_sequence}", details=signed)
    if send:
        OutboxJob.create(till_id=sealer.till_id, kind=SEND_CHAIN_HEADS, payload=json.dumps(signed, sort_keys=True))
    return signed


def heads_of_closure(till_id: str, closure_sequence: int) -> dict[str, Any] | None:
    """The signed statement sealed with closure ``closure_sequence`` of chain G, or None (a
    closure sealed before statements existed)."""
    query = (FiscalRecord.select(FiscalRecord.payload)
             .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == EVENT_CHAIN)
                    & (FiscalRecord.kind == CHAIN_HEADS))
             .order_by(FiscalRecord.sequence.desc()))
    for (payload,) in query.tuples().iterator():
        details = json.loads(payload).get("details") or {}
        if (details.get("statement") or {}).get("closure") == closure_sequence:
            return details
    return None


def statement_signed_by(signed: dict[str, Any], public_pem: str) -> bool:
    """Is ``signed`` (as ``seal_heads`` returns it) a valid signature of its statement by that key?"""
    statement = signed.get("statement")
    if not isinstance(statement, dict) or not isinstance(signed.get("signature"), str):
        return False
    return verify_signature(public_pem, canonical_bytes(statement), signed["signature"])


def compare_heads(till_id: str, statement: dict[str, Any]) -> list[str]:
    """A line (in the till's language) for each head the statement names that the journal no
    longer holds as it was (missing: a cut; different: an edit). Empty when it holds them all."""
    differences = []
    for head in statement.get("heads") or []:
        chain, sequence = str(head.get("chain")), int(head.get("sequence", 0))
        row = (FiscalRecord.select(FiscalRecord.signature, FiscalRecord.hash)
               .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain)
                      & (FiscalRecord.sequence == sequence)).tuples().first())
        if row is None:
            differences.append(translate("chain {chain}: record {sequence}, a head head office holds, is missing",
                                         chain=chain, sequence=sequence))
        elif (row[0], row[1]) != (head.get("signature"), head.get("hash")):
            differences.append(translate("chain {chain}: record {sequence} differs from the head head office holds",
                                         chain=chain, sequence=sequence))
    return differences
