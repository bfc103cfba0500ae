"""A receipt of another shop scanned on the return screen: its QR code opens it, and a refusal
(a till this shop does not know, head office out of reach under "refuse") lands in the status line."""

from __future__ import annotations

import socket

from store.models import ReturnHold, Ticket
from till.fiscal.keys import Signer
from till.sync.client import HeadOfficeClient
from till.sync.pull import other_shops
from till.ui.app import TillApp
from till.ui.returns.resolution import ResolutionScreen
from till.ui.returns.screen import ReturnScreen
from till.ui.screens.sale import SaleScreen
from tests.support.headoffice import write_sync_section
from tests.support.pilot import SIZE, burst, open_returns, screen_text, settle, status_text
from tests.support.receipts import headoffice, lyon, lyon_till, proof_of, receipt_text  # noqa: F401 - fixtures


async def test_a_receipt_of_another_shop_opens_and_offline_is_refused_in_the_status_line(app, shop, tmp_path):
    proof = proof_of(shop)
    text = receipt_text(lyon_till(tmp_path), proof)
    async with app.run_test(size=SIZE) as pilot:
        await open_returns(pilot)
        burst(app, "]Q1" + text)  # as a 2D scanner sends it, its AIM identifier first
        await settle(pilot)
        shown = screen_text(app)
        assert f"receipt {proof.code}" in shown and "shop LYON" in shown and "Article LYON-777" in shown
        assert "comes back under the offline policy" in status_text(app)  # this till has no head office
        await pilot.press("enter", "f2")
        await settle(pilot)
        assert isinstance(app.screen, ResolutionScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert "does not take back another shop's receipt offline" in status_text(app)
    assert Ticket.select().where(Ticket.kind == "return").count() == 0
    assert [hold.status for hold in ReturnHold.select()] == ["to_release"]


async def test_a_receipt_of_a_till_this_shop_does_not_know_is_refused_with_its_reason(app, shop, tmp_path):
    stranger = Signer.create(tmp_path / "stranger.pem")
    async with app.run_test(size=SIZE) as pilot:
        await open_returns(pilot)
        burst(app, receipt_text(stranger, proof_of(shop, till_id="Z09")))
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)
        assert "till Z09, which this shop does not know yet" in status_text(app)


async def test_online_head_office_is_asked_and_what_came_back_elsewhere_shows(shop, headoffice, lyon):
    """With a ``[sync]`` section: the lines count what another shop took back, and the return is
    written with its hold settled at head office."""
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    other_shops(client, shop.ctx.till_id)  # a sync brought the keys
    text = receipt_text(lyon, proof_of(shop))
    client.request("POST", "/v1/returns/hold", {"proof": text, "request_id": "G01-9", "offline": False,
                                                "return_code": None, "lines": [{"position": 1, "quantity": 1}]})
    shop.ctx.config = write_sync_section(shop.config.path, headoffice.url)
    app = TillApp(shop.ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_returns(pilot)
        burst(app, text)
        await settle(pilot)
        assert "1 already came back in other shops" in status_text(app)
        line = app.screen.session.lines[0]
        assert (line.sold, line.elsewhere, line.returnable) == (2, 1, 1)
        await pilot.press("enter", "f2")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen), status_text(app)
    (ticket,) = Ticket.select().where(Ticket.kind == "return")
    assert [(h.status, h.ticket_id) for h in ReturnHold.select()] == [("settled", ticket.id)]
    state = client.request("POST", "/v1/returns/state", {"proof": text})
    assert [line["returned"] for line in state["lines"]] == [2, 0, 0]


async def test_keys_wait_while_head_office_is_asked_then_the_offline_policy_says_its_word(shop, tmp_path):
    """Head office that takes the connection and never answers: "asking head office" shows, F2
    and Esc do nothing until the question times out, then the status line says offline."""
    text = receipt_text(lyon_till(tmp_path), proof_of(shop))
    with socket.socket() as silent:  # listens, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        shop.ctx.config = write_sync_section(shop.config.path, f"http://127.0.0.1:{port}", timeout_s=1.0)
        app = TillApp(shop.ctx)
        async with app.run_test(size=SIZE) as pilot:
            await open_returns(pilot)
            burst(app, text)
            await pilot.pause()
            assert "Asking head office about receipt" in status_text(app)
            await pilot.press("enter", "f2", "escape")
            assert isinstance(app.screen, ReturnScreen) and app.screen.asking
            assert not app.screen.session.picks
            await settle(pilot)
            assert not app.screen.asking
            assert "comes back under the offline policy" in status_text(app)
            await pilot.press("enter")  # keys work again
            assert [pick.quantity for pick in app.screen.session.picks] == [2]
