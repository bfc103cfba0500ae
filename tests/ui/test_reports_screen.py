"""The manager's reports screen: F1 (closures), F6 (reports), a real report with its chart."""

from __future__ import annotations

from till.ui.screens.closures import ClosuresScreen
from till.ui.screens.reports import ReportsScreen, period_days
from till.ui.widgets.charts import BAR
from tests.support.pilot import SIZE, log_in, screen_text, settle
from tests.support.shop import sell


def test_periods_end_today():
    import datetime as dt

    today = dt.date(2026, 11, 26)
    assert period_days("today", today) == (today, today)
    assert period_days("7 days", today) == (dt.date(2026, 11, 20), today)
    assert period_days("this month", today) == (dt.date(2026, 11, 1), today)
    assert period_days("this year", today) == (dt.date(2026, 1, 1), today)


async def test_a_manager_reads_sales_by_day_then_by_product_with_bars(app, shop):
    sell(shop, [("WIN", 2), ("SOA", 1)], cash=5000)
    sell(shop, [("SOA", 3)], cash=5000)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "manager", "9999")
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, ClosuresScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
        assert app.screen.report == "sales" and app.screen.by == "day"
        assert BAR in screen_text(app)  # today's sales drawn as a bar
        await pilot.press("f3", "f3", "f3", "f3")  # day -> week -> month -> category -> product
        await settle(pilot)
        assert app.screen.by == "product"
        text = screen_text(app)
        assert "Savon de Marseille" in text and "Côtes du Rhône 75 cl" in text
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen.report != "sales"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClosuresScreen)
