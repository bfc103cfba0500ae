"""A GS1 DataBar label scanned on the sale screen (Pilot, a real SQLite shop): the weighed line
it names, as a scale's label would; its FNC1 lost by the keyboard wedge changes nothing, since
the weight and the expiry have fixed lengths."""

from __future__ import annotations

from tests.support.pilot import SIZE, burst, log_in, settle, status_text


async def test_a_gs1_databar_label_rings_up_a_weighed_line(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, "]e0" + "01" + "0" + shop.barcodes["APPL"] + "3103001234" + "17270331")
        await settle(pilot)
        [line] = app.screen.basket.lines
        assert (line.sku, line.quantity, line.unit, line.total_cents) == ("APPL", 1234, "g", 431), status_text(app)
