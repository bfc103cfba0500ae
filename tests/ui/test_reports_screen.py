"""The manager's reports screen: F1 (closures), F6 (reports), a real report with its chart."""

from __future__ import annotations

import re

from reports.registry import REPORTS
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


RAW_NAMES = {"sales", "returns", "refunds", "customers", "by", "day", "week", "month", "category",
             "product", "cashier", "means", "rate", "reason", "disposition", "status", "customer", "location",
             "sku", "tickets", "net", "ht", "vat", "quantity", "average", "payments", "in", "out", "lines",
             "refunded", "sold", "returned", "notes", "amount", "visits", "spent", "lifetime", "products",
             "sellable", "damaged", "other", "total", "rows"}
"""Report, grouping and column names as scripts see them: none may show in French ("stock" is
French too)."""


async def test_in_french_every_title_and_heading_is_french_and_a_loss_hangs_left_of_the_axis(shop):
    from till.i18n import set_language
    from till.ui.app import TillApp
    from till.ui.widgets.charts import AXIS
    from tests.support.returns import line_of, session

    # GIVEN wine sold yesterday and brought back today, with a baguette sold today: a day at a loss
    sale = sell(shop, [("WIN", 2)], cash=5000, days_ago=1)
    back = session(shop)
    back.open(sale)
    back.pick(line_of(back, "WIN").line_id, 2, reason="changed_mind")
    back.complete()
    sell(shop, [("BAG", 1)], cash=500)
    set_language("fr")  # before the app: its key labels are translated when it is built
    app = TillApp(shop.ctx)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "manager", "9999")
        await pilot.press("f1", "f6")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)

        # THEN sales by day reads in French, from whole phrases
        lines = screen_text(app).split("\n")
        assert lines[0].startswith("Ventes par jour, du ")
        assert lines[1].split() == ["Jour", "Tickets", "Net", "TTC", "HT", "TVA"]
        # AND today (1,20 - 17,90 = -16,70) hangs left of the axis; yesterday right of it (the
    # colours: test_charts)
        yesterday, today = [line for line in lines if AXIS in line]
        assert yesterday.rstrip().endswith("17,90 €") and BAR in yesterday.split(AXIS)[1] and BAR not in yesterday.split(AXIS)[0]
        assert today.rstrip().endswith("-16,70 €") and BAR in today.split(AXIS)[0] and BAR not in today.split(AXIS)[1]

        # AND every report, every grouping: no English name left in the title or the headings
        for _report in range(len(app.screen.names)):
            for _grouping in range(len(REPORTS[app.screen.report].by)):
                title, headings = screen_text(app).split("\n")[:2]
                english = set(re.findall(r"[A-Za-z_-]+", title + " " + headings)) & RAW_NAMES
                assert not english, f"{app.screen.report} by {app.screen.by}: {title!r} {headings!r}"
                await pilot.press("f3")
                await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
