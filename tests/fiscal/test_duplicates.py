"""Duplicates (chain C, R-DUP): every copy of a receipt is numbered, signed and printed once."""

from __future__ import annotations

import json

import pytest

from store.models import FiscalRecord, OutboxJob
from till.aftersale.duplicates import DuplicateError, PRINT_DUPLICATE, duplicate_count, make_duplicate
from till.fiscal.verify import verify_journal
from till.aftersale.jobs import receipt_lines, run_outbox
from tests.support.shop import sell


def test_copies_are_numbered_per_ticket_signed_in_c_and_queued_for_the_printer(lite_shop):
    first = sell(lite_shop, [("WIN", 1)], cash=1000)
    second = sell(lite_shop, [("SOA", 1)], cash=1000)
    one = make_duplicate(lite_shop.ctx.sealer, first, lite_shop.cashier)
    two = make_duplicate(lite_shop.ctx.sealer, first.id, lite_shop.manager)
    other = make_duplicate(lite_shop.ctx.sealer, second, lite_shop.cashier)
    assert (one.number, two.number, other.number) == (1, 2, 1)
    assert [r.sequence for r in (one.record, two.record, other.record)] == [1, 2, 3]  # one gap-free chain C
    payload = json.loads(two.record.payload)
    original = FiscalRecord.get((FiscalRecord.ticket_id == first.id) & (FiscalRecord.chain == "T"))
    assert payload["ticket_code"] == first.code and payload["ticket_signature"] == original.signature
    assert (payload["user_id"], payload["channel"], payload["duplicate"]) == (lite_shop.manager.id, "print", 2)
    assert duplicate_count(first.id) == 2
    jobs = [json.loads(j.payload) for j in OutboxJob.select().where(OutboxJob.kind == PRINT_DUPLICATE)]
    assert jobs == [{"ticket_id": first.id, "duplicate": 1}, {"ticket_id": first.id, "duplicate": 2},
                    {"ticket_id": second.id, "duplicate": 1}]
    assert verify_journal(anchors=lite_shop.ctx.sealer.anchors, workers=0).ok


def test_a_copy_says_so_on_top_and_the_original_does_not(lite_shop):
    sale = sell(lite_shop, [("WIN", 1)], cash=1000)
    assert not any("DUPLICATA" in line for line in receipt_lines(lite_shop.config, sale.id))
    copy = receipt_lines(lite_shop.config, sale.id, duplicate=3)
    assert any("DUPLICATA n°3" in line for line in copy[:12])
    make_duplicate(lite_shop.ctx.sealer, sale, lite_shop.cashier)
    run_outbox(lite_shop.config)
    printed = lite_shop.config.resolve(lite_shop.config.printer.path).read_text(encoding="utf-8")
    assert "DUPLICATA n°1" in printed


def test_an_unknown_ticket_is_refused_and_nothing_is_sealed(lite_shop):
    with pytest.raises(DuplicateError, match="No ticket 999"):
        make_duplicate(lite_shop.ctx.sealer, 999, lite_shop.cashier)
    assert FiscalRecord.select().where(FiscalRecord.chain == "C").count() == 0
