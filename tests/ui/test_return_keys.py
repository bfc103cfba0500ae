"""How many keys a return takes, counted on the real screens at 80x24 (Pilot, a real SQLite shop).

After the receipt scan: a single line back to the original means in 3 keys (Enter takes the line
with the shop's default reason, F2, Enter refunds); two lines with different reasons in 6 (a
product scanned selects its line, F3 then a digit gives its reason). Every key press counts, a
product scan as one. What is written is read back: quantities, reasons, dispositions, payments.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from store.models import Ticket, TicketLine
from till.config.loader import load
from till.ui.dialogs.credit_note_issued import CreditNoteIssuedScreen
from till.config.reasons import reason_label
from till.ui.returns.dialogs import ChoiceScreen
from till.ui.returns.resolution import ResolutionScreen
from till.ui.returns.screen import ReturnScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, keys, log_in, option_texts, screen_text, settle, status_text
from tests.support.queries import payments
from tests.support.shop import sell


def written_lines() -> dict[str, tuple[int, str, str]]:
    """The return's lines: sku -> (quantity, reason, disposition)."""
    [written] = Ticket.select().where(Ticket.kind == "return")
    return {line.sku: (line.quantity, line.reason, line.disposition)
            for line in TicketLine.select().where(TicketLine.ticket == written.id)}


async def scan(pilot, code: str) -> int:
    """A code as the scanner sends it (one key for the count)."""
    burst(pilot.app, code)
    await settle(pilot)
    return 1


def with_default_reason(shop, reason: str) -> None:
    """The shop's configuration with ``[returns] default_reason = reason``, as loaded from its file."""
    path = shop.config.path
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'default_reason = "\w+"', f'default_reason = "{reason}"', text), encoding="utf-8")
    shop.ctx.config = load(path)


@pytest.mark.parametrize("means", ["card", "cash"])
async def test_one_line_back_to_the_original_means_takes_three_keys(app, shop, means):
    sale = sell(shop, [("WIN", 1)], **{means: 895})
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await scan(pilot, sale.code)
        assert isinstance(app.screen, ReturnScreen)

        # Enter takes the line with the shop's default reason, F2 shows the refund to the original means
        count = await keys(pilot, "enter", "f2")
        assert isinstance(app.screen, ResolutionScreen), status_text(app)
        assert [(part.means, part.amount_cents) for part in app.screen.parts] == [(means, 895)]
        count += await keys(pilot, "enter")

        assert count <= 3
        assert isinstance(app.screen, SaleScreen), status_text(app)
        [written] = Ticket.select().where(Ticket.kind == "return")
        assert payments(written) == [(means, -895)]
        [(quantity, reason, disposition)] = written_lines().values()
        assert quantity == -1 and reason in shop.config.returns.reasons
        assert disposition == shop.config.returns.dispositions.get(reason, "restock")


async def test_two_lines_with_different_reasons_take_six_keys(app, shop):
    sale = sell(shop, [("WIN", 1), ("COF", 2)], card=895 + 918)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await scan(pilot, sale.code)

        # the wine (first line) with Enter; the coffee scanned: one of its two, its line selected
        count = await keys(pilot, "enter")
        count += await scan(pilot, shop.barcodes["COF"])
        assert app.screen.table.selected_key == f"l{app.screen.session.lines[1].line_id}"
        # F3, then the digit shown beside "Defective"
        count += await keys(pilot, "f3")
        assert isinstance(app.screen, ChoiceScreen)
        digit = next(text.split()[0] for text in option_texts(app) if reason_label("defective") in text)
        count += await keys(pilot, digit)
        assert isinstance(app.screen, ReturnScreen)
        count += await keys(pilot, "f2", "enter")

        assert count <= 6
        assert isinstance(app.screen, SaleScreen), status_text(app)
        quantity, reason, disposition = written_lines()["WIN"]
        assert quantity == -1 and reason != "defective" and reason in shop.config.returns.reasons
        assert written_lines()["COF"] == (-1, "defective", "damaged")
        assert shop.ctx.terminal.requests[-1][:2] == ("refund", 895 + 459)


async def test_the_reason_list_is_numbered_and_a_digit_chooses_at_once(app, shop):
    sale = sell(shop, [("WIN", 1)], cash=895)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await scan(pilot, sale.code)
        await keys(pilot, "enter", "f3")

        # each reason is shown with its digit, 1 to 9, in the shop's order
        reasons = shop.config.returns.reasons
        shown = screen_text(app)
        for number, reason in enumerate(reasons, start=1):
            assert re.search(rf"\b{number}\s+{re.escape(reason_label(reason))}", shown), shown

        # the digit of "not as described" chooses it, no Enter: back on the return screen
        await keys(pilot, str(reasons.index("not_as_described") + 1))
        assert isinstance(app.screen, ReturnScreen)
        [pick] = app.screen.session.picks
        assert pick.reason == "not_as_described"
        assert reason_label("not_as_described") in screen_text(app)

        # a digit beyond the list does nothing; the dispositions are numbered too
        await keys(pilot, "f3", "9")
        assert isinstance(app.screen, ChoiceScreen)
        await keys(pilot, "escape", "f4", "2")
        assert isinstance(app.screen, ReturnScreen)
        assert app.screen.session.picks[0].disposition == "damaged"


async def test_the_shops_default_reason_is_given_to_each_line_taken(app, shop):
    with_default_reason(shop, "defective")
    sale = sell(shop, [("WIN", 1), ("BAG", 2)], cash=1135)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await scan(pilot, sale.code)
        await keys(pilot, "enter")
        await scan(pilot, shop.barcodes["BAG"])

        # both lines carry the default reason, and go where it sends them; the screen says so
        assert [(p.sku, p.quantity, p.reason, p.disposition) for p in app.screen.session.picks] == [
            ("WIN", 1, "defective", "damaged"), ("BAG", 1, "defective", "damaged")]
        assert screen_text(app).count(reason_label("defective")) >= 2
        # a reason changed by the cashier stays when the quantity changes
        await keys(pilot, "f3", str(shop.config.returns.reasons.index("changed_mind") + 1), "plus")
        assert [(p.sku, p.quantity, p.reason) for p in app.screen.session.picks] == [
            ("WIN", 1, "defective"), ("BAG", 2, "changed_mind")]


async def test_scanning_a_product_of_the_ticket_selects_its_line(app, shop):
    sale = sell(shop, [("WIN", 1), ("BAG", 2)], cash=1135)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await scan(pilot, sale.code)
        screen = app.screen
        wine, bread = (f"l{line.line_id}" for line in screen.session.lines)
        assert screen.table.selected_key == wine
        # the screen says what a scan does once the ticket is open
        assert "Scan an item of the ticket to select its line" in screen_text(app)

        await scan(pilot, shop.barcodes["BAG"])
        assert screen.table.selected_key == bread
        assert [(p.sku, p.quantity) for p in screen.session.picks] == [("BAG", 1)]
        assert "Baguette tradition scanned: line selected, 1 to return" in status_text(app)

        # a product not on the ticket: said, and nothing changes (neither picks nor selection)
        await keys(pilot, "up")
        await scan(pilot, shop.barcodes["COF"])
        assert screen.table.selected_key == wine
        assert [(p.sku, p.quantity) for p in screen.session.picks] == [("BAG", 1)]
        assert "Café moulu 250 g is not on this ticket" in status_text(app)

        # beyond what is left to return: its line is selected, the quantity stays
        await scan(pilot, shop.barcodes["BAG"])
        await scan(pilot, shop.barcodes["BAG"])
        assert screen.table.selected_key == bread
        assert [(p.sku, p.quantity) for p in screen.session.picks] == [("BAG", 2)]
        assert "Only 2 of Baguette tradition can still be returned" in status_text(app)


async def test_the_customers_return_rate_includes_the_return_being_made(app, shop):
    sale = sell(shop, [("WIN", 1), ("COF", 1)], cash=895 + 459, customer=shop.customer)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await scan(pilot, sale.code)
        assert "returns 0 %" in screen_text(app)

        # the wine taken back: 895 of the 1354 she bought
        await keys(pilot, "enter")
        assert f"returns {895 * 100 // 1354} %" in screen_text(app)

        # written as a credit note, whose code is shown over the return screen: counted once there
        await keys(pilot, "f2", "a", "enter")
        assert isinstance(app.screen, CreditNoteIssuedScreen), status_text(app)
        behind = app.screen_stack[-2]
        assert isinstance(behind, ReturnScreen) and behind.session.ticket is not None
        assert f"returns {895 * 100 // 1354} %" in str(behind.query_one("#return-customer").render())
