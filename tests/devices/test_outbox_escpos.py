"""The outbox with an ESC/POS printer and drawer: the receipt waits while the printer is out of
paper, then prints when paper is back, with the ticket code as barcode and the sale's proof as
QR; the drawer is kicked through the printer. The printer is the protocol simulator on a socket."""

from __future__ import annotations

import datetime as dt
import time
from devices.settings import DrawerSettings, PrinterSettings

from store.models import OutboxJob
from store.models.outbox import DONE, FAILED, PENDING
from till.aftersale import outbox
from till.aftersale.jobs import run_outbox
from till.aftersale.receipt_proofs import proof_text

from devices.simulators.escpos_printer_sim import NetworkPrinterSimulator
from tests.support.devices import wait_until
from tests.support.shop import sell_codes


class WithDevices:
    """The shop's configuration with the [printer] and [drawer] keys config.py will have."""

    def __init__(self, config, printer, drawer) -> None:
        self._config, self.printer, self.drawer = config, printer, drawer

    def __getattr__(self, name):
        return getattr(self._config, name)


def with_devices(config, sim, drawer=None):
    printer = PrinterSettings(driver="escpos_network", host=sim.host, port=sim.port, width=42, timeout_s=3,
                              status_timeout_ms=300)
    return WithDevices(config, printer, drawer or DrawerSettings(kind="printer", pin=2))


def test_receipt_waits_for_paper_then_prints_with_codes_and_the_drawer_opens(shop):
    ticket = sell_codes(shop, shop.barcodes["WIN"])
    with NetworkPrinterSimulator() as sim:
        config = with_devices(shop.config, sim)
        sim.state.paper_out = True
        run_outbox(config, shop.ctx.sealer)
        job = OutboxJob.get(OutboxJob.kind == outbox.PRINT_RECEIPT)
        assert job.status == PENDING and "out of paper" in job.last_error
        assert sim.state.kicks == [2]  # the drawer opens without paper: the change is given
        sim.state.paper_out = False
        OutboxJob.update(not_before=dt.datetime(2000, 1, 1)).where(OutboxJob.id == job.id).execute()
        run_outbox(config, shop.ctx.sealer)
        assert OutboxJob.get_by_id(job.id).status == DONE
        deadline = time.monotonic() + 2
        while b"\x1dV\x00" not in bytes(sim.state.received) and time.monotonic() < deadline:
            time.sleep(0.01)
        received = bytes(sim.state.received)
        code = ticket.code.encode()
        assert b"\x1dkI" + bytes([len(code) + 2]) + b"{B" + code in received  # CODE128 of the ticket code
        proof = proof_text(shop.config, ticket, shop.ctx.sealer.signer)
        assert b"1P0" + proof.encode() in received  # its native QR: the sale's proof, signed by the till
        assert b"1P0" + code not in received
        assert "Côtes du Rhône".encode("cp858") in received
        assert {j.status for j in OutboxJob.select()} == {DONE}


def test_a_wrong_drawer_setting_fails_only_the_drawer_job(shop):
    sell_codes(shop, shop.barcodes["WIN"])
    with NetworkPrinterSimulator() as sim:
        config = with_devices(shop.config, sim, drawer=DrawerSettings(kind="cashbox"))
        run_outbox(config)
        jobs = {job.kind: job for job in OutboxJob.select()}
        assert jobs[outbox.PRINT_RECEIPT].status == DONE
        assert jobs[outbox.OPEN_DRAWER].status == FAILED  # given up at once: waiting will not fix it
        assert "Unknown drawer kind cashbox" in jobs[outbox.OPEN_DRAWER].last_error


def drawer_events():
    import json

    from store.models import FiscalRecord
    from till.aftersale.drawer_kick import DRAWER_NOT_OPENED

    return [json.loads(r.payload)["details"] for r in FiscalRecord.select()
            .where((FiscalRecord.chain == "L") & (FiscalRecord.kind == DRAWER_NOT_OPENED)).order_by(FiscalRecord.id)]


def test_an_unplugged_printer_never_pops_the_drawer_late(shop):
    """Printer unplugged, two cash sales: each drawer is tried for drawer.give_up_s, then given up
    (sealed once, the cashier told); when the printer is back the receipts print, no drawer opens."""
    from till.aftersale.jobs import run_outbox_jobs

    with NetworkPrinterSimulator() as gone:
        host, port = gone.host, gone.port
    first, second = sell_codes(shop, shop.barcodes["WIN"]), sell_codes(shop, shop.barcodes["COF"])
    config = with_devices(shop.config, gone, drawer=DrawerSettings(kind="printer", pin=2, give_up_s=1))
    run = run_outbox_jobs(config, shop.ctx.sealer)
    drawers = OutboxJob.select().where(OutboxJob.kind == outbox.OPEN_DRAWER)
    assert {job.status for job in drawers} == {FAILED}
    assert [event["ticket_id"] for event in drawer_events()] == [first.id, second.id]
    assert len(run.drawers_not_opened) == 2
    told = run.drawers_not_opened[0].text("en")
    assert "did not open" in told and "F7" in told and "cannot be reached" in told
    with NetworkPrinterSimulator(port=port) as sim:
        assert (sim.host, sim.port) == (host, port)
        OutboxJob.update(not_before=dt.datetime(2000, 1, 1)).where(OutboxJob.status == PENDING).execute()
        run_outbox(config, shop.ctx.sealer)
        assert {job.status for job in OutboxJob.select().where(OutboxJob.kind == outbox.PRINT_RECEIPT)} == {DONE}
        assert first.code.encode() in bytes(sim.state.received)
        assert sim.state.kicks == [] and b"\x1bp" not in bytes(sim.state.received)
    assert len(drawer_events()) == 2  # sealed once each


def test_a_drawer_job_older_than_give_up_is_never_kicked(shop):
    """A drawer job left by a crash (or a long outage) is given up without a kick, printer or not."""
    ticket = sell_codes(shop, shop.barcodes["WIN"])
    OutboxJob.update(created_at=dt.datetime(2000, 1, 1)).where(OutboxJob.kind == outbox.OPEN_DRAWER).execute()
    with NetworkPrinterSimulator() as sim:
        run_outbox(with_devices(shop.config, sim), shop.ctx.sealer)
        assert OutboxJob.get(OutboxJob.kind == outbox.PRINT_RECEIPT).status == DONE
        assert sim.state.kicks == []
    assert OutboxJob.get(OutboxJob.kind == outbox.OPEN_DRAWER).status == FAILED
    (event,) = drawer_events()
    assert event["ticket_id"] == ticket.id and "not opened in time" in event["error"]


def test_the_drawer_is_kicked_before_the_receipt_prints(shop):
    sell_codes(shop, shop.barcodes["WIN"])
    with NetworkPrinterSimulator() as sim:
        run_outbox(with_devices(shop.config, sim), shop.ctx.sealer)
        assert wait_until(lambda: b"\x1dV\x00" in bytes(sim.state.received))
        received = bytes(sim.state.received)
        assert sim.state.kicks == [2] and received.index(b"\x1bp\x00") < received.index(b"\x1dV\x00")
    assert drawer_events() == []
