"""The voucher printed when a return gives store credit: what an inspector reads on it.

Besides the code, amount, balance and expiry: the day it was issued, the shop's VAT number, the
note's own number (its signed issue record in chain L) and that record's signature extract, so the
paper is tied to the journal as a receipt is.
"""

from __future__ import annotations

import dataclasses

from store.models import FiscalRecord
from till.aftersale.receipts import local_time
from till.credit import notes as credit_notes
from till.fiscal.credit_ledger import CREDIT_NOTE_ISSUED
from till.fiscal.extracts import record_extract
from tests.support.credit import issue_note


def _issue_record(note) -> FiscalRecord:
    return (FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == CREDIT_NOTE_ISSUED)
                                        & (FiscalRecord.ticket_id == note.issued_ticket_id)).get())


def test_the_voucher_carries_its_date_vat_number_number_and_signature_extract(shop):
    note = issue_note(shop, 1250)
    record = _issue_record(note)
    for width in (32, 42, 48):
        config = dataclasses.replace(shop.config, printer=dataclasses.replace(shop.config.printer, width=width))
        lines = credit_notes.voucher_lines(config, note.id)
        assert max(len(line) for line in lines) <= width
        text = " ".join(" ".join(line.split()) for line in lines)
        issued = local_time(note.created_at, shop.ctx.sealer.zone).strftime("%d/%m/%Y")
        assert f"Émis le {issued}" in text, text
        assert f"N° TVA {shop.config.shop.vat_number}" in text
        assert f"Avoir n° {record.till_id}-L-{record.sequence}" in text
        assert f"Signature {record_extract(record)}" in text
        assert note.code in text


def test_the_voucher_names_the_shop_as_its_ticket_sealed_it(shop):
    note = issue_note(shop, 500)
    later = dataclasses.replace(shop.config, shop=dataclasses.replace(shop.config.shop, name="Nouveau Nom",
                                                                      vat_number="FR99999999999"))
    text = "\n".join(credit_notes.voucher_lines(later, note.id))
    assert shop.config.shop.name in text and shop.config.shop.vat_number in text
    assert "Nouveau Nom" not in text and "FR99999999999" not in text
