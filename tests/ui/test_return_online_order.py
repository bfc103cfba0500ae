"""An online order comes back in the shop: its number typed or scanned on the sale screen opens
the return screen on it, and the return is written against its lines."""

from __future__ import annotations

import datetime as dt

from store.models import OnlineOrder, Payment, Ticket, TicketLine, utcnow
from till.returns.online_orders import import_orders
from till.ui.returns.resolution import ResolutionScreen
from till.ui.returns.screen import ReturnScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle


async def test_an_order_number_at_the_sale_screen_opens_its_return(app, shop):
    when = (utcnow() - dt.timedelta(days=2)).replace(microsecond=0).isoformat() + "Z"
    import_orders({"orders": [{"number": "WEB-77", "ordered_at": when,
                               "lines": [{"sku": "SOA", "quantity": 2, "unit_price_cents": 350}]}]})
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, "WEB-77")
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)
        assert "online order WEB-77" in screen_text(app)
        await pilot.press("enter", "f3", "enter", "f2")
        await settle(pilot)
        assert isinstance(app.screen, ResolutionScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
    (ticket,) = Ticket.select().where(Ticket.kind == "return")
    order = OnlineOrder.get(OnlineOrder.number == "WEB-77")
    assert (ticket.origin_order_id, ticket.origin_reference, ticket.total_cents) == (order.id, "WEB-77", -700)
    assert [line.origin_order_line_id is not None for line in TicketLine.select().where(TicketLine.ticket == ticket)] \
        == [True]
    assert [(p.means, p.amount_cents) for p in Payment.select().where(Payment.ticket == ticket)] == [("cash", -700)]
