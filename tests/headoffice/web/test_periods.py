"""A period is read as whole months plus the days at its edges: the figures of any period, any
grouping, equal the till's own tickets of those business days (sales made over three months,
synced to the real head office)."""

from __future__ import annotations

import datetime as dt

from headoffice import aggregates_queries as q
from headoffice.aggregates_queries import Filters
from headoffice.store import proxy
from store.models import Ticket, TicketLine
from till.fiscal.closure_totals import business_day
from tests.headoffice.web.history import sync
from tests.support.shop import sell


def _till_sales(shop, since: dt.date, until: dt.date) -> int:
    zone = shop.ctx.sealer.zone
    return sum(line.total_cents for line in TicketLine.select(TicketLine, Ticket).join(Ticket)
               if since <= business_day(line.ticket.created_at, zone) <= until and line.total_cents > 0)


def test_any_period_adds_up_to_the_tills_tickets_of_its_days(shop, headoffice):
    # One day of a past month (a sale in the past closes the months before this one), then today.
    sell(shop, [("WIN", 2), ("COF", 1), ("SOA", 3)], days_ago=40)
    sell(shop, [("SAND", 1)])
    sell(shop, [("BAG", 5)])
    sync(shop, headoffice)
    today = business_day(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), shop.ctx.sealer.zone)
    first = today - dt.timedelta(days=80)
    past = today - dt.timedelta(days=40)
    periods = [(first, today), (first.replace(day=1), today), (today.replace(day=1) - dt.timedelta(days=1), today),
               (first + dt.timedelta(days=3), today - dt.timedelta(days=3)), (today, today),
               (past.replace(day=1), today.replace(day=1) - dt.timedelta(days=1)), (past, past),
               (past - dt.timedelta(days=1), past + dt.timedelta(days=1)), (past.replace(day=1), past)]
    with proxy.obj.connection_context():
        for since, until in periods:
            expected = _till_sales(shop, since, until)
            for shop_id in ("PARIS", ""):
                f = Filters(shop_id, since, until, "day")
                assert sum(row["sales_cents"] for row in q.by_shop(f)) == expected, (since, until, shop_id)
                for grouping in ("day", "week", "month"):
                    rows = q.over_time(Filters(shop_id, since, until, grouping))
                    assert sum(row["sales_cents"] for row in rows) == expected, (since, until, grouping)
                assert sum(row["sales_cents"] for row in q.by_category(f)) == expected
                assert sum(row["sales_cents"] for row in q.products(f, limit=100)) == expected
