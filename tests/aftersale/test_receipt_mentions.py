"""What a French receipt must say (fiscal-fr.md section 1.7), checked on printed lines.

A sale with a customer, a weighed line, a discount and change; then a return of it, a duplicate
and the legal identity of the company. Each assertion names the mention it proves.
"""

from __future__ import annotations

import dataclasses
import json

from store.models import FiscalRecord
from till import __version__
from till.aftersale.duplicates import make_duplicate
from till.aftersale.jobs import receipt_lines
from till.aftersale.receipts import local_time
from till.fiscal.canonical import signature_extract
from till.fiscal.payloads import issuer_of
from till.returns.session import ReturnSession
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from till.selling.ticket_writer import write_ticket


def _config(shop):
    identity = dataclasses.replace(shop.config.shop, name="Épicerie du Marché", legal_name="SARL Épicerie du Marché",
                                   share_capital="8 000 €", rcs="Lyon", siret="73282932000074",
                                   vat_number="FR44732829320")
    shop.ctx.sealer.issuer = issuer_of(identity)  # the shop as configured when it sells
    return dataclasses.replace(shop.config, shop=identity)


def _sale(shop):
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 2)
    basket.add_product(shop.products["APPL"], 1250)
    basket.attach_customer(shop.customer)
    basket.discount_line(basket.lines[0].id, amount_cents=90)
    checkout = Checkout(basket, None)
    checkout.add_cash(5000)
    return write_ticket(shop.ctx.sealer, shop.config.accounts, checkout.draft())


def test_a_sale_receipt_carries_every_mention(shop):
    config = _config(shop)
    ticket = _sale(shop)
    printed = receipt_lines(config, ticket.id)
    assert max(len(line) for line in printed) <= config.printer.width  # nothing cut: long mentions wrap
    text = " ".join(" ".join(line.split()) for line in printed)
    record = FiscalRecord.get((FiscalRecord.ticket_id == ticket.id) & (FiscalRecord.chain == "T"))
    when = local_time(ticket.created_at, shop.ctx.sealer.zone)
    expected = {
        "trade name": "Épicerie du Marché",
        "address": config.shop.address,
        "legal name, form and capital": "SARL Épicerie du Marché au capital de 8 000 €",
        "RCS and SIREN": "RCS Lyon 732829320",
        "SIRET": "SIRET 73282932000074",
        "intra-EU VAT number": "FR44732829320",
        "document type": "VENTE",
        "ticket number and signed sequence": f"N° {record.sequence}",
        "ticket code": ticket.code,
        "date and time to the minute, shop time": when.strftime("%d/%m/%Y %H:%M"),
        "register and operator": "Caissier : Camille Martin",
        "customer": "Hélène Dupré",
        "line label and VAT code": "Côtes du Rhône 75 cl",
        "quantity x unit price": "2 x 8,95",
        "weighed quantity with its unit": "1,250 kg x 3,49",
        "line discount": "remise -0,90",
        "VAT per rate with base": "20 %",
        "total HT": "Total HT",
        "total TTC": "TOTAL TTC",
        "payment means": "Espèces",
        "change": "Rendu",
        "number of lines": "2 lignes",
        "signature extract": f"Signature {signature_extract(record.signature)}",
        "software name and version": f"till {__version__}",
    }
    missing = {mention: words for mention, words in expected.items() if " ".join(words.split()) not in text}
    assert missing == {}, "\n".join(printed)
    assert json.loads(record.payload)["total_cents"] == ticket.total_cents


def test_a_return_names_its_sale_and_a_copy_says_duplicata_with_its_own_signature(shop):
    config = _config(shop)
    sale = _sale(shop)
    session = ReturnSession.at(shop.ctx, shop.cashier)
    session.open(sale)
    session.pick(session.lines[0].line_id, 1, reason="defective")
    back = session.complete()
    text = "\n".join(receipt_lines(config, back.id))
    assert "RETOUR" in text and f"Reprise de {sale.code}" in text
    copy = make_duplicate(shop.ctx.sealer, sale, shop.cashier)
    text = "\n".join(receipt_lines(config, sale.id, duplicate=copy.number))
    assert "DUPLICATA n°1" in text
    assert f"signature {signature_extract(copy.record.signature)}" in text
