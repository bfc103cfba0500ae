"""After commit: receipts printed from the durable outbox with the legal mentions; a failing
printer keeps the job for later and never loses the sale."""

from __future__ import annotations

import datetime as dt

from store.models import OutboxJob
from store.models.outbox import DONE, PENDING
from till.aftersale import outbox
from till.aftersale.jobs import handlers, receipt_lines, run_outbox
from tests.support.shop import sell_codes


def test_receipt_has_the_legal_mentions(shop):
    ticket = sell_codes(shop, shop.barcodes["WIN"], shop.barcodes["BAG"])
    text = "\n".join(receipt_lines(shop.config, ticket.id))
    for expected in ("My shop", "SIRET 00000000000000", "N° TVA FR00000000000", "VENTE", ticket.code,
                     "Caisse 01  N° 1", "Caissier : Camille Martin", "Côtes du Rhône 75 cl", "8,95 A",
                     "Total HT", "TOTAL TTC", "10,15 €", "20 %", "5,5 %", "Espèces", "50,00", "Rendu", "-39,85",
                     "2 lignes", "Signature ", "till 0.1.0"):
        assert expected in text, expected
    assert max(len(line) for line in receipt_lines(shop.config, ticket.id)) <= shop.config.printer.width


def test_a_one_line_receipt_says_one_line(shop):
    ticket = sell_codes(shop, shop.barcodes["WIN"])
    text = "\n".join(receipt_lines(shop.config, ticket.id))
    assert "1 ligne" in text and "1 lignes" not in text


def test_outbox_prints_after_commit_and_marks_done(shop):
    ticket = sell_codes(shop, shop.barcodes["WIN"])
    assert run_outbox(shop.config) == 2
    printed = shop.config.resolve(shop.config.printer.path).read_text(encoding="utf-8")
    assert ticket.code in printed and "cut" in printed
    assert "drawer opened: ticket" in shop.config.resolve("drawer.log").read_text()
    assert {job.status for job in OutboxJob.select()} == {DONE}
    assert run_outbox(shop.config) == 0  # nothing runs twice


def test_a_failing_printer_keeps_the_job_with_backoff(shop, tmp_path):
    ticket = sell_codes(shop, shop.barcodes["WIN"])
    calls = []

    def out_of_paper(payload):
        calls.append(payload)
        raise OSError("printer out of paper")

    ran = outbox.process("01", {outbox.PRINT_RECEIPT: out_of_paper})
    job = next(job for job in ran if job.kind == outbox.PRINT_RECEIPT)
    job = OutboxJob.get_by_id(job.id)
    assert job.status == PENDING and job.attempts == 1 and "out of paper" in job.last_error
    assert job.not_before > dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert outbox.process("01", {outbox.PRINT_RECEIPT: out_of_paper}) == []  # not due yet
    assert calls == [{"ticket_id": ticket.id}]
    OutboxJob.update(not_before=dt.datetime(2000, 1, 1)).where(OutboxJob.id == job.id).execute()
    outbox.process("01", handlers(shop.config))
    assert OutboxJob.get_by_id(job.id).status == DONE
    assert ticket.code in shop.config.resolve("receipts.txt").read_text(encoding="utf-8")


def test_each_till_runs_only_its_own_jobs_and_never_one_twice(shop):
    """Tills sharing a database print their own receipts; two workers of one till (the timer and
    the after-sale run) never both take a job."""
    ticket = sell_codes(shop, shop.barcodes["WIN"])
    printed = []
    other_till = outbox.process("02", {outbox.PRINT_RECEIPT: printed.append})
    assert other_till == [] and printed == []
    job = OutboxJob.get(OutboxJob.kind == outbox.PRINT_RECEIPT)
    assert job.till_id == "01"
    stale = OutboxJob.get_by_id(job.id)  # what a second worker read before the first claimed it
    assert outbox._claim(job, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    assert not outbox._claim(stale, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    OutboxJob.update(not_before=dt.datetime(2000, 1, 1)).where(OutboxJob.id == job.id).execute()
    ran = outbox.process("01", {outbox.PRINT_RECEIPT: printed.append, outbox.OPEN_DRAWER: printed.append})
    assert len(ran) == 2 and printed.count({"ticket_id": ticket.id}) == 2
    assert outbox.pending_count("01") == 0


def test_printer_failures_are_technical_events_once_then_when_given_up(shop, tmp_path):
    """R-JET: a printer that fails is in chain L, on its first failure and when the job is given up."""
    import dataclasses
    import json

    from store.models import FiscalRecord
    from store.models.outbox import FAILED
    from till.aftersale.jobs import PRINTER_FAILURE

    sell_codes(shop, shop.barcodes["WIN"])
    broken = dataclasses.replace(shop.config, printer=dataclasses.replace(shop.config.printer, path=str(tmp_path)))

    def failures():
        return [json.loads(r.payload)["details"] for r in FiscalRecord.select()
                .where((FiscalRecord.chain == "L") & (FiscalRecord.kind == PRINTER_FAILURE)).order_by(FiscalRecord.id)]

    run_outbox(broken, shop.ctx.sealer)  # the "printer" is a folder: every write fails
    (first,) = failures()
    assert first["kind"] == outbox.PRINT_RECEIPT and first["attempts"] == 1
    job = OutboxJob.get(OutboxJob.kind == outbox.PRINT_RECEIPT)
    OutboxJob.update(not_before=dt.datetime(2000, 1, 1)).where(OutboxJob.id == job.id).execute()
    run_outbox(broken, shop.ctx.sealer)
    assert len(failures()) == 1  # a retry that fails again is not a new event
    OutboxJob.update(not_before=dt.datetime(2000, 1, 1), attempts=outbox.MAX_ATTEMPTS - 1).where(
        OutboxJob.id == job.id).execute()
    run_outbox(broken, shop.ctx.sealer)
    assert OutboxJob.get_by_id(job.id).status == FAILED
    assert [f["attempts"] for f in failures()] == [1, outbox.MAX_ATTEMPTS]
