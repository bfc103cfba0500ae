"""A receipt lost mid-print is not "printed": its job goes back to the queue, chain L says the
first copy was incomplete, and the full copy printed when the printer is back is DUPLICATA n°1,
sealed in chain C; a receipt whose first attempt sent nothing prints as the original. The
printer is the protocol simulator on a socket; the shop is a real SQLite file."""

from __future__ import annotations

import datetime as dt
import json

from devices.settings import DrawerSettings, PrinterSettings
from devices.simulators.escpos_printer_sim import NetworkPrinterSimulator
from store.models import FiscalRecord, OutboxJob
from store.models.outbox import DONE, PENDING
from till.aftersale.jobs import run_outbox
from till.aftersale.lost_prints import RECEIPT_INCOMPLETE
from till.fiscal.verify import verify_journal
from tests.devices.test_outbox_escpos import WithDevices
from tests.selling.test_training import training_sale
from tests.support.devices import wait_until
from tests.support.shop import sell_codes

CUT = b"\x1dV\x00"
COPY = "DUPLICATA n°1".encode("cp858")


def configured(shop, host, port, timeout_s=3):
    printer = PrinterSettings(driver="escpos_network", host=host, port=port, width=42, timeout_s=timeout_s,
                              status_timeout_ms=300)
    return WithDevices(shop.config, printer, DrawerSettings(kind="none"))


def print_job():
    return OutboxJob.get(OutboxJob.kind.in_(["print_receipt", "print_duplicate"]))


def retry_now(job):
    OutboxJob.update(not_before=dt.datetime(2000, 1, 1)).where(OutboxJob.id == job.id).execute()


def records(chain, kind=None):
    query = FiscalRecord.select().where(FiscalRecord.chain == chain)
    if kind:
        query = query.where(FiscalRecord.kind == kind)
    return list(query.order_by(FiscalRecord.sequence))


def test_a_receipt_cut_short_is_queued_again_and_its_full_copy_is_a_duplicate(shop):
    ticket = sell_codes(shop, shop.barcodes["WIN"])
    with NetworkPrinterSimulator() as sim:
        config = configured(shop, sim.host, sim.port)
        sim.state.unplug_after = 400  # printer switched off: no barcode, no QR, no cut
        run_outbox(config, shop.ctx.sealer)
        job = print_job()
        assert job.status == PENDING
        [event] = records("L", RECEIPT_INCOMPLETE)
        details = json.loads(event.payload)["details"]
        assert (details["ticket_id"], details["ticket_code"], details["duplicate"]) == (ticket.id, ticket.code, 1)
        [copy] = records("C")
        assert copy.ticket_id == ticket.id and json.loads(copy.payload)["duplicate"] == 1

        sim.state.unplug_after = None  # switched on again
        sim.state.received.clear()
        retry_now(job)
        run_outbox(config, shop.ctx.sealer)
        assert OutboxJob.get_by_id(job.id).status == DONE
        assert wait_until(lambda: CUT in bytes(sim.state.received))
        assert COPY in bytes(sim.state.received) and ticket.code.encode() in bytes(sim.state.received)
    assert len(records("C")) == 1 and len(records("L", RECEIPT_INCOMPLETE)) == 1  # once, not per retry
    assert verify_journal(anchors=shop.ctx.sealer.anchors, workers=0).ok


def test_a_copy_cut_short_in_turn_is_followed_by_the_next_copy(shop):
    ticket = sell_codes(shop, shop.barcodes["WIN"])
    with NetworkPrinterSimulator() as sim:
        config = configured(shop, sim.host, sim.port)
        for _ in range(2):
            sim.state.unplug_after = len(sim.state.received) + 400
            run_outbox(config, shop.ctx.sealer)
            retry_now(print_job())
        assert [json.loads(r.payload)["duplicate"] for r in records("C")] == [1, 2]
        cut_short = [json.loads(r.payload)["details"] for r in records("L", RECEIPT_INCOMPLETE)]
        assert [(d["copy_cut_short"], d["duplicate"]) for d in cut_short] == [(0, 1), (1, 2)]
        sim.state.unplug_after = None
        sim.state.received.clear()
        run_outbox(config, shop.ctx.sealer)
        assert print_job().status == DONE and json.loads(print_job().payload) == {"ticket_id": ticket.id,
                                                                                  "duplicate": 2}
        assert wait_until(lambda: CUT in bytes(sim.state.received))
        assert "DUPLICATA n°2".encode("cp858") in bytes(sim.state.received)


def test_a_stall_longer_than_the_wait_prints_a_second_copy_marked_duplicate(shop):
    ticket = sell_codes(shop, shop.barcodes["WIN"])
    with NetworkPrinterSimulator() as sim:
        config = configured(shop, sim.host, sim.port, timeout_s=1)
        sim.state.stall_after, sim.state.stall_s = 300, 1.5
        run_outbox(config, shop.ctx.sealer)
        job = print_job()
        assert job.status == PENDING and len(records("C")) == 1
        assert wait_until(lambda: CUT in bytes(sim.state.received))  # the printer went on: a full first copy
        retry_now(job)
        run_outbox(config, shop.ctx.sealer)
        assert OutboxJob.get_by_id(job.id).status == DONE
        assert wait_until(lambda: bytes(sim.state.received).count(CUT) == 2)
        first, second = bytes(sim.state.received).split(CUT)[:2]
        assert COPY not in first and COPY in second and ticket.code.encode() in second


def test_a_receipt_refused_before_its_first_byte_prints_as_the_original(shop):
    sell_codes(shop, shop.barcodes["WIN"])
    with NetworkPrinterSimulator() as gone:
        host, port = gone.host, gone.port
    config = configured(shop, host, port)
    run_outbox(config, shop.ctx.sealer)  # connection refused: nothing left the till
    job = print_job()
    assert job.status == PENDING and "cannot be reached" in job.last_error
    assert records("C") == [] and records("L", RECEIPT_INCOMPLETE) == []
    with NetworkPrinterSimulator(port=port) as sim:
        retry_now(job)
        run_outbox(config, shop.ctx.sealer)
        assert OutboxJob.get_by_id(job.id).status == DONE
        assert wait_until(lambda: CUT in bytes(sim.state.received))
        assert COPY not in bytes(sim.state.received)
    assert records("C") == []


def test_a_training_receipt_cut_short_prints_again_as_it_is(shop):
    training_sale(shop)
    with NetworkPrinterSimulator() as sim:
        config = configured(shop, sim.host, sim.port)
        sim.state.unplug_after = 300
        run_outbox(config, shop.ctx.sealer)
        job = print_job()
        assert job.status == PENDING and job.kind == "print_receipt"  # a practice receipt has no duplicate
        assert records("C") == [] and len(records("L", RECEIPT_INCOMPLETE)) == 1
