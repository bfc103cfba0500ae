"""The Alerts page: what head office raised for a person to look at, with its evidence, and
an alert's own page where a manager acknowledges it with a note.

Open alerts come first; the list filters by code and by shop. A viewer sees everything but the
form; the acknowledgement (a POST the framework has checked for the role and the CSRF token) is
kept for good by ``alerts_data.acknowledge`` and written to the pages' audit log.
"""

from __future__ import annotations

from starlette.responses import Response

from headoffice.store import Alert, Till
from headoffice.web.alerts_data import (NOTE_MAX, AcknowledgeRefused, AlertFilter, acknowledge, alert_codes,
                                        evidence, history, list_alerts, shop_of)
from headoffice.web.pages import Page, csv_response, euros, redirect, render
from headoffice.web.shops import shop_time

__all__ = ["PAGES"]


def _filter(request) -> AlertFilter:
    return AlertFilter(code=request.query_params.get("code", "")[:32], shop_id=request.query_params.get("shop", "")[:32])


def _shops() -> list[str]:
    return [row[0] for row in Till.select(Till.shop_id).distinct().order_by(Till.shop_id).tuples()]


def alerts(request, user, form) -> Response:
    chosen = _filter(request)
    rows = list_alerts(chosen)
    shops = {till.till_id: till.shop_id for till in Till.select(Till.till_id, Till.shop_id)}
    return render(request, user, "alerts.html", alerts=rows, chosen=chosen, codes=alert_codes(), shops=_shops(),
                  shop_of=shops, evidence=lambda alert: evidence(alert, euros), shop_time=shop_time,
                  open_count=sum(1 for alert in rows if not alert.acknowledged))


def alerts_csv(request, user, form) -> Response:
    chosen = _filter(request)
    shops = {till.till_id: till.shop_id for till in Till.select(Till.till_id, Till.shop_id)}
    rows = [[alert.id, shop_time(alert.created_at), alert.code, shops.get(alert.till_id, ""), alert.till_id,
             alert.chain, "" if alert.sequence is None else alert.sequence,
             "acknowledged" if alert.acknowledged else "open", alert.message,
             "; ".join(f"{label}: {text}" for label, text in evidence(alert, euros))]
            for alert in list_alerts(chosen, limit=100_000)]
    return csv_response("alerts.csv", ["id", "raised (Paris)", "code", "shop", "till", "chain", "sequence", "state",
                                       "message", "evidence"], rows)


def _alert_or_none(request) -> Alert | None:
    try:
        return Alert.get_or_none(Alert.id == int(request.path_params["alert_id"]))
    except (ValueError, OverflowError):
        return None


def alert_page(request, user, form, refused: str = "", note: str = "") -> Response:
    alert = _alert_or_none(request)
    if alert is None:
        return render(request, user, "missing.html", status_code=404, what="alert")
    return render(request, user, "alert.html", status_code=400 if refused else 200, alert=alert,
                  shop=shop_of(alert.till_id), evidence=evidence(alert, euros), history=history(alert.id),
                  shop_time=shop_time, may_acknowledge=user.may("manager"), refused=refused, note=note,
                  note_max=NOTE_MAX)


def acknowledge_alert(request, user, form) -> Response:
    alert = _alert_or_none(request)
    if alert is None:
        return render(request, user, "missing.html", status_code=404, what="alert")
    note = (form or {}).get("note", "")
    try:
        acknowledge(alert, user.username, note, request.client.host if request.client else "")
    except AcknowledgeRefused as refused:
        return alert_page(request, user, form, refused=str(refused), note=note[:NOTE_MAX])
    return redirect(f"/alerts/{alert.id}")


PAGES = [
    Page("/alerts", "alerts", alerts, nav="Alerts"),
    Page("/alerts/export.csv", "alerts_csv", alerts_csv),
    Page("/alerts/{alert_id}", "alert", alert_page),
    Page("/alerts/{alert_id}/acknowledge", "alert_acknowledge", acknowledge_alert, role="manager", methods=("POST",)),
]
