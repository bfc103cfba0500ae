"""The outbox with an ESC/POS printer and drawer: the receipt waits while the printer is out of
paper, then prints when paper is back, with the ticket code as barcode and QR; the drawer is
kicked through the printer. The printer is the protocol simulator on a socket."""

from __future__ import annotations

import datetime as dt
import time
from devices.settings import DrawerSettings, PrinterSettings

from store.models import OutboxJob
from store.models.outbox import DONE, PENDING
from till.aftersale import outbox
from till.aftersale.jobs import run_outbox

from devices.simulators.escpos_printer_sim import NetworkPrinterSimulator
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
        assert b"1P0" + code in received  # and its native QR
        assert "Côtes du Rhône".encode("cp858") in received
        assert {j.status for j in OutboxJob.select()} == {DONE}


def test_a_wrong_drawer_setting_fails_only_the_drawer_job(shop):
    sell_codes(shop, shop.barcodes["WIN"])
    with NetworkPrinterSimulator() as sim:
        config = with_devices(shop.config, sim, drawer=DrawerSettings(kind="cashbox"))
        run_outbox(config)
        jobs = {job.kind: job for job in OutboxJob.select()}
        assert jobs[outbox.PRINT_RECEIPT].status == DONE
        assert jobs[outbox.OPEN_DRAWER].status == PENDING
        assert "Unknown drawer kind cashbox" in jobs[outbox.OPEN_DRAWER].last_error
