"""A return's signed record names the sale it reverses: its code and its record's signature.

R-SEC: the return's signature then vouches for the very sale it reverses; the verifier checks
that the sealed reference still matches the original ticket's record.
"""

from __future__ import annotations

import json

from store.models import FiscalRecord
from till.fiscal.verify import verify_journal
from till.returns.session import ReturnSession
from tests.support.shop import sell


def _return_of(shop, sale):
    s = ReturnSession.at(shop.ctx, shop.cashier)
    s.open(sale)
    s.pick(s.lines[0].line_id, 1, reason="defective")
    return s.complete()


def test_the_return_record_carries_the_original_code_and_signature(shop):
    sale = sell(shop, [("WIN", 2)], cash=2000)
    ticket = _return_of(shop, sale)
    assert ticket.origin_reference == sale.code
    original = FiscalRecord.get((FiscalRecord.ticket_id == sale.id) & (FiscalRecord.chain == "T"))
    assert ticket.origin_signature == original.signature
    payload = json.loads(FiscalRecord.get(FiscalRecord.ticket_id == ticket.id).payload)
    assert payload["origin"] == {"reference": sale.code, "signature": original.signature, "order_id": None}
    assert payload["origin_ticket_id"] == sale.id
    sale_payload = json.loads(original.payload)
    assert "origin" not in sale_payload  # a sale has no origin key: payloads sealed before stay valid
    assert verify_journal(workers=0).ok


def test_a_return_pointing_at_another_sale_is_found_by_the_verifier(shop):
    first = sell(shop, [("WIN", 1)], cash=1000)
    second = sell(shop, [("SOA", 1)], cash=1000)
    ticket = _return_of(shop, first)
    database = shop.ctx.database
    database.execute_sql("DROP TRIGGER ticket_no_update")  # an attacker with the file
    database.execute_sql("UPDATE ticket SET origin_ticket_id = ? WHERE id = ?", (second.id, ticket.id))
    report = verify_journal(workers=0)
    assert not report.ok
    problem = next(p for p in report.problems if "names ticket" in p.what)
    assert (problem.chain, problem.sequence) == ("T", ticket.number)
    assert first.code in problem.what


def test_an_altered_origin_signature_breaks_the_return_s_own_record(shop):
    sale = sell(shop, [("WIN", 1)], cash=1000)
    ticket = _return_of(shop, sale)
    database = shop.ctx.database
    database.execute_sql("DROP TRIGGER ticket_no_update")
    database.execute_sql("UPDATE ticket SET origin_signature = 'forged' WHERE id = ?", (ticket.id,))
    report = verify_journal(workers=0)
    sequences = {(p.chain, p.sequence) for p in report.problems}
    assert ("T", ticket.number) in sequences
    assert any("payload" in p.what for p in report.problems)
