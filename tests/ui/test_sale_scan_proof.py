"""A receipt's QR code (its signed proof, some 700 digits from a wedge scanner) scanned on the sale
screen opens the return screen with it, as the ticket code does (Pilot, a real SQLite shop)."""

from __future__ import annotations

from tests.support.pilot import SIZE, burst, log_in, settle, status_text
from tests.support.shop import sell
from till.aftersale.receipt_proofs import proof_text
from till.ui.returns.screen import ReturnScreen


async def test_a_receipt_proof_scanned_on_the_sale_screen_opens_the_return_screen_with_it(app, shop):
    sale = sell(shop, [("WIN", 2), ("BAG", 3), ("SOA", 1)], cash=3000)
    text = proof_text(shop.config, sale, shop.ctx.sealer.signer)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        sale_screen = app.screen
        burst(app, "]Q1" + text)
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen), status_text(app)
        assert app.screen.first_code == text  # the proof itself, whole, without the scanner's AIM identifier
        assert sale_screen.basket.is_empty  # nothing was rung up
