"""Receipt proofs for the head-office tests: one made up for a till of another shop, or one
built from a sale's signed record payload as head office holds it (the lines and payments the
receipt printed), signed with a till's key."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cryptography.hazmat.primitives import serialization

from till.fiscal.keys import Signer
from till.fiscal.receipt_proof import ProofLine, ReceiptProof, encode, sign_proof


def _private(signer: Signer):
    """The signer's private key, read back from its file."""
    return serialization.load_pem_private_key(signer.path.read_bytes(), password=None)


def signed_text(proof: ReceiptProof, signer: Signer) -> str:
    key = _private(signer)
    return encode(proof, signer.key_id, lambda message: sign_proof(key, message))


def made_up_proof(till_id: str = "L01", number: int = 42, shop_id: str = "LYON",
                  quantities: tuple[int, ...] = (2, 1)) -> ReceiptProof:
    """A sale of ``till_id``: line ``i + 1`` sells ``quantities[i]`` units at 10,00 € each."""
    return ReceiptProof(
        shop_id=shop_id, till_id=till_id, number=number, sold_at=dt.datetime(2026, 12, 5, 15, 3, 2),
        lines=tuple(ProofLine(position=i + 1, product=f"SKU-{i + 1}", quantity=q, unit_price_cents=1000,
                              discount_cents=0, total_cents=1000 * q, vat_rate_bp=2000)
                    for i, q in enumerate(quantities)),
        payments=(("cash", 1000 * sum(quantities)),))


def proof_of_payload(payload: dict[str, Any] | str, shop_id: str = "PARIS") -> ReceiptProof:
    """The proof of the sale whose record payload is ``payload`` (its lines sold, its payments)."""
    sale = json.loads(payload) if isinstance(payload, str) else payload
    sold_at = dt.datetime.fromisoformat(sale["created_at"].replace("Z", "")).replace(microsecond=0)
    return ReceiptProof(
        shop_id=shop_id, till_id=sale["till_id"], number=sale["number"], sold_at=sold_at,
        lines=tuple(ProofLine(position=line["position"], product=line["sku"], quantity=line["quantity"],
                              unit_price_cents=line["unit_price_cents"], discount_cents=line["discount_cents"],
                              total_cents=line["total_cents"], vat_rate_bp=line["vat_rate_bp"])
                    for line in sale["lines"] if line["quantity"] > 0),
        payments=tuple((p["means"], p["amount_cents"]) for p in sale["payments"]))
