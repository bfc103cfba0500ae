"""The Shops page: every shop and its tills at a glance, and a till's own page.

What a person checks each morning: did every till sync (a till silent for more than a day, or
never heard of since its enrolment, is red), does head office hold all the till said it held at
its last closure, which key signs, and how many alerts wait. The data is ``shops_data``'s, read
from small indexed tables, so the page answers as fast for 200 shops as for one.
"""

from __future__ import annotations

import datetime as dt

from starlette.responses import Response

from headoffice.aggregates import SHOP_ZONE
from headoffice.web.alerts_data import AlertFilter, list_alerts
from headoffice.web.pages import Page, csv_response, render
from headoffice.web.shops_data import STALE_AFTER, keys_of, shops_overview, till_state

__all__ = ["PAGES", "shop_time"]

def shop_time(moment: dt.datetime | None) -> str:
    """A stored time (naive UTC) as the shops read their clocks, to the minute ("-" for none)."""
    if moment is None:
        return "-"
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(SHOP_ZONE).strftime("%Y-%m-%d %H:%M")


def shops(request, user, form) -> Response:
    overview = shops_overview(request.query_params.get("shop") or None)
    return render(request, user, "shops.html", shops=overview, shop_time=shop_time,
                  stale_hours=int(STALE_AFTER.total_seconds() // 3600),
                  stale_tills=sum(1 for shop in overview for till in shop.tills if till.stale))


def shops_csv(request, user, form) -> Response:
    rows = []
    for shop in shops_overview():
        for till in shop.tills:
            rows.append([shop.shop_id, till.till_id, till.name, shop_time(till.last_sync),
                         "yes" if till.stale else "no", "" if till.behind is None else till.behind,
                         " ".join(f"{c.chain}:{c.held}" for c in till.chains), till.anchor_closure or "",
                         till.anchor_digest, till.fingerprint, till.open_alerts])
    return csv_response("shops.csv", ["shop", "till", "name", "last sync (Paris)", "stale", "records behind",
                                      "sequences held", "last closure anchored", "anchor digest",
                                      "key fingerprint", "open alerts"], rows)


def till_page(request, user, form) -> Response:
    till = till_state(request.path_params["till_id"])
    if till is None:
        return render(request, user, "missing.html", status_code=404, what="till")
    return render(request, user, "till.html", till=till, keys=keys_of(till.till_id),
                  alerts=list_alerts(AlertFilter(till_id=till.till_id), limit=50), shop_time=shop_time)


PAGES = [
    Page("/shops", "shops", shops, nav="Shops"),
    Page("/shops/export.csv", "shops_csv", shops_csv),
    Page("/tills/{till_id}", "till", till_page),
]
