"""A page of records checked alone (``till.fiscal.verify_records``): only the records with
something wrong come back, by their place in the page, saying what is wrong (their own bytes,
or against their ticket's rows); and a record whose
message cannot be rebuilt is named with its sequence, in a worker process as in the caller."""

from __future__ import annotations

from store.models import FiscalRecord, TicketLine
from till.fiscal import signature_pool
from till.fiscal.key_chain import key_chain_of
from till.fiscal.payloads import ticket_rows
from till.fiscal.verify import VerifyReport, _load_keys, _pages
from till.fiscal.verify_records import GOOD, GOOD_TICKET, TICKET_GONE, Verdict, check_page, check_tickets


def _checked():
    """(check_page's answer, check_tickets' answer) for the one page of chain T."""
    keys = key_chain_of("01", _load_keys(None, VerifyReport())).pems()
    (page,) = list(_pages("01", "T", 100))
    return check_page(("01", "T", keys, page)), check_tickets(page, ticket_rows([row[4] for row in page]), [])


def test_only_the_wrong_records_of_a_page_come_back_with_what_is_wrong(sqlite_shop):
    for _ in range(9):
        sqlite_shop.sale()
    records = list(FiscalRecord.select().where(FiscalRecord.chain == "T").order_by(FiscalRecord.sequence))
    assert _checked() == ({}, {})
    sqlite_shop.unprotect()
    FiscalRecord.update(hash="0" * 64).where(FiscalRecord.id == records[2].id).execute()
    FiscalRecord.update(signature=records[0].signature).where(FiscalRecord.id == records[4].id).execute()
    TicketLine.update(label="Autre").where(TicketLine.ticket == records[5].ticket_id).execute()
    TicketLine.delete().where(TicketLine.ticket == records[7].ticket_id).execute()
    FiscalRecord.update(ticket_id=10_000).where(FiscalRecord.id == records[8].id).execute()
    verdicts, ticket_verdicts = _checked()
    assert verdicts == {2: GOOD._replace(hashed=False), 4: GOOD._replace(signed=False),
                        8: Verdict(hashed=False, signed=False)}
    assert ticket_verdicts == {5: GOOD_TICKET._replace(ticket=False), 7: GOOD_TICKET._replace(ticket=False),
                               8: GOOD_TICKET._replace(ticket=TICKET_GONE)}


def test_a_record_that_cannot_be_rebuilt_is_named_by_its_sequence_with_or_without_workers(sqlite_shop, monkeypatch):
    for _ in range(8):
        sqlite_shop.sale()
    record = FiscalRecord.get((FiscalRecord.chain == "T") & (FiscalRecord.sequence == 5))
    sqlite_shop.unprotect()
    FiscalRecord.update(format_version=99).where(FiscalRecord.id == record.id).execute()
    alone = sqlite_shop.verify(page_size=3, workers=0)
    monkeypatch.setattr(signature_pool, "MIN_RECORDS", 0)
    spread = sqlite_shop.verify(page_size=3, workers=2)
    for report in (alone, spread):
        assert [(p.chain, p.sequence, p.what) for p in report.problems] == [
            ("T", 5, "cannot be read: unknown fiscal record format version 99")]
    assert spread.lines("en") == alone.lines("en")
