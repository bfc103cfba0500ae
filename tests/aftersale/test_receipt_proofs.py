"""Every sale's receipt carries its proof: the ticket in compact form, signed by the till's key,
which any till holding that key checks (``receipt_proof.check``). Built from real tickets of the
test shop; the signature is deterministic, so a copy (DUPLICATA) carries the very same proof."""

from __future__ import annotations

import datetime as dt

from store.models import Barcode, Product, TicketLine
from till.aftersale.duplicates import make_duplicate
from till.aftersale.receipt_proofs import proof_of, proof_text
from till.aftersale.receipts import build_receipt
from till.fiscal import known_tills, receipt_proof
from tests.support.closures import exchange, returned, training_sale
from tests.support.shop import sell


def test_the_signer_signs_a_proof_deterministically_and_its_public_key_checks_it(shop):
    signer = shop.ctx.sealer.signer
    message = receipt_proof.DOMAIN + b"a body"
    signature = signer.sign_proof(message)
    assert len(signature) == 64 and signer.sign_proof(message) == signature
    assert receipt_proof._verifies(signer.public_pem, message, signature)


def test_a_sale_s_proof_holds_its_lines_payments_and_shop_and_verifies_with_the_till_s_key(shop):
    ticket = sell(shop, [("WIN", 2), ("APPL", 1250), ("BAG", 1)], cash=5000)
    text = proof_text(shop.config, ticket, shop.ctx.sealer.signer)
    assert receipt_proof.looks_like_proof(text)
    signed = receipt_proof.check(text, known_tills.keys_of)
    proof = signed.proof
    assert (proof.code, proof.till_id, proof.number) == (ticket.code, ticket.till_id, ticket.number)
    assert proof.shop_id == shop.config.shop.siret
    assert proof.sold_at == ticket.created_at.replace(microsecond=0)
    assert proof.total_cents == ticket.total_cents
    rows = list(TicketLine.select().where(TicketLine.ticket == ticket.id).order_by(TicketLine.position))
    assert [line.position for line in proof.lines] == [row.position for row in rows]
    assert [line.product for line in proof.lines] == [shop.barcodes["WIN"], shop.barcodes["APPL"],
                                                      shop.barcodes["BAG"]]
    wine, apples, bread = proof.lines
    assert (wine.quantity, wine.unit_price_cents, wine.total_cents, wine.vat_rate_bp, wine.weighed) == (
        2, 895, 1790, 2000, False)
    assert apples.weighed and apples.quantity == 1250 and apples.total_cents == rows[1].total_cents
    assert bread.vat_rate_bp == 550
    assert proof.payments == (("cash", 5000), ("cash", ticket.total_cents - 5000))  # the change: negative cash


def test_a_product_without_a_barcode_is_named_by_its_sku_and_the_first_barcode_wins(shop):
    plain = Product.create(sku="CARTE", name="Carte postale", price_cents=150, vat_code="N")
    Barcode.create(code="3760000099996", product=shop.products["SOA"])  # a second label: the first one wins
    shop.products["CARTE"] = plain
    ticket = sell(shop, [("CARTE", 1), ("SOA", 1)])
    proof = receipt_proof.decode(proof_text(shop.config, ticket, shop.ctx.sealer.signer)).proof
    assert [line.product for line in proof.lines] == ["CARTE", shop.barcodes["SOA"]]


def test_an_exchange_proves_the_lines_it_sells_only_and_returns_or_training_tickets_prove_nothing(shop):
    sale = sell(shop, [("WIN", 1), ("SOA", 2)], cash=1595)
    now = sale.created_at + dt.timedelta(minutes=1)
    swap = exchange(shop, now, sale, "SOA", "COF")
    proof = proof_of(shop.config, swap)
    assert [line.product for line in proof.lines] == [shop.barcodes["COF"]]
    assert receipt_proof.check(proof_text(shop.config, swap, shop.ctx.sealer.signer), known_tills.keys_of)
    back = returned(shop, now, sale, "WIN")
    assert proof_of(shop.config, back) is None
    assert proof_text(shop.config, back, shop.ctx.sealer.signer) is None
    assert proof_text(shop.config, training_sale(shop, now), shop.ctx.sealer.signer) is None


def test_the_receipt_carries_the_proof_and_its_copy_the_very_same(shop):
    ticket = sell(shop, [("WIN", 1), ("BAG", 3)], cash=2000)
    signer = shop.ctx.sealer.signer
    receipt = build_receipt(shop.config, ticket, signer=signer)
    assert receipt.proof == proof_text(shop.config, ticket, signer) and receipt.code == ticket.code
    copy = make_duplicate(shop.ctx.sealer, ticket.id, shop.manager)
    duplicate = build_receipt(shop.config, ticket, copy.number, signer=signer)
    assert duplicate.proof == receipt.proof
    assert build_receipt(shop.config, ticket).proof == ""  # no signer at hand: printed without


def test_a_return_s_receipt_has_no_proof(shop):
    sale = sell(shop, [("WIN", 1)], cash=895)
    back = returned(shop, sale.created_at + dt.timedelta(minutes=1), sale, "WIN")
    assert build_receipt(shop.config, back, signer=shop.ctx.sealer.signer).proof == ""
