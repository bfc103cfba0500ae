"""The fiscal journal: signed, gap-free chains that make the till's records tamper-evident.

French law (CGI 286-I-3° bis, NF525) asks that what a
till records cannot be altered unnoticed. Three layers do it (design.md section 4):

1. the database refuses UPDATE and DELETE on fiscal tables (``store.migrations``);
2. every ticket and technical event is sealed, in the transaction that writes it, as the next
   record of a per-till chain: canonical payload, previous signature, SHA-256, ECDSA P-256
   signature by a key kept in a 0600 file outside the database (``chain``, ``keys``);
3. the last record of each chain is anchored, signed and written ahead of its commit, in a
   file outside the database, so deleting the tail shows too (``anchor``), checked at start,
   closure and export (``anchor_check``); each closure's signed chain heads go to head office
   and onto the Z (``heads``); ``verify_journal`` checks all of it and names the first broken
   record (``verify``).

Modules: ``canonical`` (the byte form), ``keys`` (signing), ``anchor`` (tail), ``anchor_check``
(its checks), ``heads`` (chain heads at closures), ``chain`` (sealing), ``payloads`` (what a
ticket record holds), ``events`` (chain L), ``verify``.
"""

from till.fiscal.anchor import Anchor, AnchorStore
from till.fiscal.canonical import RawJSON, canonical_bytes, canonical_json
from till.fiscal.chain import FORMAT_VERSION, Sealer, iso_utc, message_bytes, signed_message
from till.fiscal.events import EVENT_CHAIN, record_event
from till.fiscal.keys import Signer, key_id_of, register_public_key, verify_digest, verify_signature
from till.fiscal.payloads import TICKET_CHAINS, seal_ticket, ticket_payload, ticket_payloads
from till.fiscal.problems import Problem

_LAZY = {"VerifyReport": "till.fiscal.verify", "verify_journal": "till.fiscal.verify"}
"""Names loaded on first use: the verifier pulls in every checker (closures, anchors, imported
history...), which the till's start and its sales never need; ``from till.fiscal import
verify_journal`` still works, it just loads the verifier then."""


def __getattr__(name: str):
    """PEP 562: ``till.fiscal.verify_journal`` imports the verifier at its first use."""
    if name in _LAZY:
        import importlib  # deferred: only for the names of _LAZY, loaded at their first use

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "Anchor", "AnchorStore",
    "RawJSON", "canonical_bytes", "canonical_json",
    "FORMAT_VERSION", "Sealer", "iso_utc", "message_bytes", "signed_message",
    "EVENT_CHAIN", "record_event",
    "Signer", "key_id_of", "register_public_key", "verify_digest", "verify_signature",
    "TICKET_CHAINS", "seal_ticket", "ticket_payload", "ticket_payloads",
    "Problem", "VerifyReport", "verify_journal",
]
