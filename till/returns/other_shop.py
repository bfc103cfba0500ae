"""A receipt of another shop of the company, opened from its QR code (the receipt proof).

Why: a customer brings back here what another shop sold, and this till has never seen that
ticket. The receipt's QR code (``till.fiscal.receipt_proof``) says what was sold, signed by the
selling till; once it verifies with that till's key chain (``till.fiscal.known_tills``), the
receipt is kept as an ``OnlineOrder`` of source ``receipt`` (a sale made elsewhere that can come
back here, as a web order can), so a return on it is capped on its lines, timed from its sale,
priced at its amounts and VAT rates, and sealed naming its code and signature exactly as an
online order's return.

A receipt whose ticket is in this database (this till's, or the shop's tills' on a shared
database) is opened as that ticket: its own lines know every return made of it. Only a missing
ticket (another shop's, or this shop's after a restore from an older backup) comes this way.

Head office's count of what came back in other shops (``returned_elsewhere``) is advice shown on
the lines; head office's hold is the last word (``till.returns.receipt_returns``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace

import peewee

from store.models import GRAM, OnlineOrder, OnlineOrderLine, Product, ReturnHold, Ticket, VatRate
from till.fiscal import known_tills, receipt_proof
from till.fiscal.chain import current_database
from till.fiscal.receipt_proof import ProofLine, SignedProof
from till.errors import TillError
from till.i18n import N_
from till.returns.lines import ReturnError, ReturnableLine
from till.selling import catalogue

__all__ = ["RECEIPT_SOURCE", "OTHER_CONTENT", "open_receipt", "receipt_order", "is_receipt", "signed_proof_of",
           "returned_elsewhere", "with_elsewhere"]

RECEIPT_SOURCE = "receipt"
"""``OnlineOrder.source`` of a receipt kept from its QR code."""
OTHER_CONTENT = N_("Receipt {code} was already taken here with other content: nothing can be returned on this one")
UNKNOWN_PRODUCT = "Article {product}"
"""The label of a line whose product this shop does not sell (the same words in French)."""


def open_receipt(text: str) -> Ticket | OnlineOrder:
    """What a scanned QR code names: the ticket, when this database has it; else the receipt kept
    as an order (created at the first scan). ``ProofError`` when the code does not verify."""
    signed = receipt_proof.check(text, known_tills.keys_of)
    proof = signed.proof
    ticket = Ticket.get_or_none((Ticket.till_id == proof.till_id) & (Ticket.number == proof.number)
                                & (Ticket.training == False))  # noqa: E712 - SQL
    return ticket if ticket is not None else receipt_order(signed)


def receipt_order(signed: SignedProof) -> OnlineOrder:
    """The ``OnlineOrder`` kept for ``signed`` (verified), written once in its own transaction:
    the same receipt again finds the same row; the same code with other content is refused."""
    proof = signed.proof
    digest = hashlib.sha256(signed.message + signed.signature).hexdigest()
    try:
        with current_database().atomic():
            known = OnlineOrder.get_or_none(OnlineOrder.number == proof.code)
            return _same(known, digest, proof.code) if known is not None else _write(signed, digest)
    except peewee.IntegrityError:  # another till of the shop kept it a moment ago
        return _same(OnlineOrder.get_or_none(OnlineOrder.number == proof.code), digest, proof.code)


def _same(known: OnlineOrder | None, digest: str, code: str) -> OnlineOrder:
    """``known``, when it is this very receipt; a refusal otherwise."""
    if known is None or known.source != RECEIPT_SOURCE or known.digest != digest:
        raise ReturnError(OTHER_CONTENT, code=code)
    return known


def _write(signed: SignedProof, digest: str) -> OnlineOrder:
    """The receipt's order and lines (inside the caller's transaction)."""
    proof = signed.proof
    payments = sorted(proof.payments, key=lambda payment: -payment[1])
    row = OnlineOrder.create(
        number=proof.code, source=RECEIPT_SOURCE, ordered_at=proof.sold_at, total_cents=proof.total_cents,
        paid_cents=proof.total_cents, payment_means=(payments[0][0] if payments else "cash")[:32], digest=digest,
        shop_id=(known_tills.shop_of(proof.till_id) or proof.shop_id)[:32], proof=signed.text)
    OnlineOrderLine.insert_many([_line_row(row, line, proof.sold_at.date()) for line in proof.lines]).execute()
    return row


def _line_row(order: OnlineOrder, line: ProofLine, on: dt.date) -> dict:
    """A proof's line as an order line: label, product and VAT code from this shop's catalogue;
    quantities, amounts and the VAT rate as the receipt says (the return uses the original rate)."""
    product = catalogue.product_by_barcode(line.product) if line.product.isdigit() else None
    product = product or catalogue.product_by_sku(line.product)
    return {"order": order.id, "position": line.position, "product": product.id if product else None,
            "sku": (product.sku if product else line.product)[:32],
            "label": (product.name if product else UNKNOWN_PRODUCT.format(product=line.product))[:120],
            "quantity": line.quantity, "unit": GRAM if line.weighed else "piece",
            "unit_price_cents": line.unit_price_cents, "discount_cents": line.discount_cents,
            "total_cents": line.total_cents, "vat_code": _vat_code(product, line.vat_rate_bp, on),
            "vat_rate_bp": line.vat_rate_bp, "serial": None}


def _vat_code(product: Product | None, rate_bp: int, on: dt.date) -> str:
    """The product's VAT code when it had this rate on the day of the sale, else the code of the
    shop's rate of that value then (a product with another code here keeps the receipt's rate)."""
    if product is not None:
        try:
            if catalogue.vat_rate_bp(product.vat_code, on) == rate_bp:
                return product.vat_code
        except TillError:  # no rate of that code that day: found by its value below
            pass
    code = (VatRate.select(VatRate.code).where((VatRate.rate_bp == rate_bp) & (VatRate.valid_from <= on)
                                               & (VatRate.valid_to.is_null() | (VatRate.valid_to >= on)))
            .order_by(VatRate.code).limit(1).scalar())
    if code is None:
        code = VatRate.select(VatRate.code).where(VatRate.rate_bp == rate_bp).order_by(VatRate.code).limit(1).scalar()
    return code or (product.vat_code if product is not None else str(rate_bp)[:8])


def is_receipt(order: OnlineOrder | None) -> bool:
    """Whether ``order`` is a receipt kept from its QR code (another shop's, or this shop's lost ticket)."""
    return order is not None and order.source == RECEIPT_SOURCE and bool(order.proof)


def signed_proof_of(order: OnlineOrder) -> SignedProof:
    """The receipt's proof, as scanned (checked when it was kept)."""
    return receipt_proof.decode(order.proof)


def known_to_head_office(order: OnlineOrder) -> dict[int, int]:
    """Units per receipt position this shop's returns already count at head office: returns
    written under a hold head office granted, or offline ones reported since."""
    counted: dict[int, int] = {}
    holds = (ReturnHold.select(ReturnHold.lines).where(
        (ReturnHold.order == order) & (ReturnHold.status == "settled")
        & ((ReturnHold.offline == False) | (ReturnHold.reported == True))).tuples())  # noqa: E712 - SQL
    for (lines,) in holds:
        for line in json.loads(lines):
            counted[int(line["position"])] = counted.get(int(line["position"]), 0) + int(line["quantity"])
    return counted


def returned_elsewhere(order: OnlineOrder, state: dict) -> dict[int, int]:
    """Per receipt position, the units head office says came back (or are held) in other shops:
    its count less what this shop's own returns make of it (those are on the lines already)."""
    ours = known_to_head_office(order)
    elsewhere: dict[int, int] = {}
    for line in state.get("lines") or ():
        position = int(line["position"])
        elsewhere[position] = max(0, int(line["returned"]) - ours.get(position, 0))
    return elsewhere


def with_elsewhere(lines: list[ReturnableLine], elsewhere: dict[int, int]) -> list[ReturnableLine]:
    """``lines`` with what came back in other shops (by receipt position)."""
    return [replace(line, elsewhere=elsewhere.get(line.position, 0)) for line in lines]

