"""The cashier is told when a sale's drawer did not open, and who can open it: the real app,
a cash sale, and the printer that kicks the drawer unplugged (its simulator stopped)."""

from __future__ import annotations

import dataclasses

from devices.settings import DrawerSettings, PrinterSettings
from devices.simulators.escpos_printer_sim import NetworkPrinterSimulator
from store.models import OutboxJob
from store.models.outbox import FAILED
from till.aftersale import outbox
from till.ui.app import TillApp
from tests.support.pilot import SIZE, burst, log_in, settle, status_text


async def test_the_cashier_is_told_the_drawer_did_not_open_and_how_to_open_it(app, shop):
    with NetworkPrinterSimulator() as gone:  # stopped at once: nothing answers on its port
        pass
    printer = PrinterSettings(driver="escpos_network", host=gone.host, port=gone.port, timeout_s=2)
    app.ctx.config = dataclasses.replace(shop.config, printer=printer,
                                         drawer=DrawerSettings(kind="printer", give_up_s=1))
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["BAG"])
        await settle(pilot)
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
        assert OutboxJob.get(OutboxJob.kind == outbox.OPEN_DRAWER).status == FAILED
        shown = status_text(app)
        assert "drawer did not open" in shown and "F1, then F7" in shown


async def test_the_drawer_sensor_is_read_only_when_wired_on_the_printers_one_connection(app, shop):
    with NetworkPrinterSimulator() as sim:
        printer = PrinterSettings(driver="escpos_network", host=sim.host, port=sim.port, timeout_s=2,
                                  status_timeout_ms=300)
        app.ctx.config = dataclasses.replace(shop.config, printer=printer, drawer=DrawerSettings(kind="printer"))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.drawer_watch is None and sim.state.connections == 0  # no sensor: never asked
        shop.ctx.config = dataclasses.replace(shop.ctx.config, drawer=DrawerSettings(kind="printer", sensor=True))
        wired = TillApp(shop.ctx)
        async with wired.run_test(size=SIZE) as pilot:
            assert wired.drawer_watch is not None
            for _ in range(5):  # what the one-second timer does
                wired.watch_drawer()
                await settle(pilot)
            assert sim.state.connections == 1
