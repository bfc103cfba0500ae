"""The proof a sale's receipt carries in its QR code (``till.fiscal.receipt_proof``), built from
the ticket as written.

Why: another shop of the chain takes the receipt back without ever having seen the ticket, so
the paper itself must say what was sold, signed by this till. Only what can come back is
proven: the lines sold (quantity > 0) of a sale or an exchange. A return, a cancellation or a
training ticket gives nothing back to return, so it carries no proof (its QR code keeps the
ticket code).

Built from the ticket's stored rows only, and the signature is deterministic: a copy
(DUPLICATA) printed years later carries the same proof as the original, as long as the till
signs with the same key.
"""

from __future__ import annotations

from typing import Protocol

from store.models import GRAM, Barcode, Payment, Ticket, TicketLine
from store.models.tickets import EXCHANGE, SALE
from till.config.loader import Config
from till.fiscal.receipt_proof import ProofLine, ReceiptProof, encode

__all__ = ["PROVEN_KINDS", "ProofSigner", "proof_of", "proof_text"]

PROVEN_KINDS = frozenset({SALE, EXCHANGE})
"""The kinds of ticket whose receipt carries a proof: those that sell something."""


class ProofSigner(Protocol):
    """What signs a proof: the till's ``Signer`` (its key id, and the signature of a message)."""

    key_id: str

    def sign_proof(self, message: bytes) -> bytes: ...


def _first_barcodes(product_ids: set[int]) -> dict[int, str]:
    """Each product's first barcode by id: the same one every time the proof is built again."""
    first: dict[int, str] = {}
    if product_ids:
        for product_id, code in (Barcode.select(Barcode.product, Barcode.code)
                                 .where(Barcode.product.in_(sorted(product_ids)))
                                 .order_by(Barcode.id).tuples()):
            first.setdefault(product_id, code)
    return first


def proof_of(config: Config, ticket: Ticket) -> ReceiptProof | None:
    """What ``ticket``'s receipt proves (not yet signed), or None for a ticket that sells nothing
    (a return, a cancellation) or is not a real one (training)."""
    if ticket.training or ticket.kind not in PROVEN_KINDS:
        return None
    rows = list(TicketLine.select().where((TicketLine.ticket == ticket.id) & (TicketLine.quantity > 0))
                .order_by(TicketLine.position))
    barcodes = _first_barcodes({row.product_id for row in rows if row.product_id is not None})
    lines = tuple(ProofLine(position=row.position, product=barcodes.get(row.product_id, row.sku),
                            quantity=row.quantity, unit_price_cents=row.unit_price_cents,
                            discount_cents=row.discount_cents, total_cents=row.total_cents,
                            vat_rate_bp=row.vat_rate_bp, weighed=row.unit == GRAM)
                  for row in rows)
    payments = tuple(Payment.select(Payment.means, Payment.amount_cents).where(Payment.ticket == ticket.id)
                     .order_by(Payment.position).tuples())
    return ReceiptProof(shop_id=ticket.shop_siret or config.shop.siret, till_id=ticket.till_id,
                        number=ticket.number, sold_at=ticket.created_at.replace(microsecond=0), lines=lines,
                        payments=payments)


def proof_text(config: Config, ticket: Ticket, signer: ProofSigner) -> str | None:
    """The text of ``ticket``'s QR code, signed by ``signer`` (the till's key); None when the
    ticket carries no proof (``proof_of``)."""
    proof = proof_of(config, ticket)
    if proof is None:
        return None
    return encode(proof, signer.key_id, signer.sign_proof)
