"""Head office's alerts as the Alerts page lists them, their evidence, and acknowledging one.

An alert is acknowledged by a person with a note: the note is a new ``AlertAcknowledgement`` row,
never updated nor deleted, so an alert keeps its whole history (a second note after the first is
one more row). ``Alert.acknowledged`` is set in the same transaction, as the command line's
``alerts --acknowledge`` sets it: open alerts are counted from it by an index.

The evidence is the alert's ``details`` (JSON written by ``ingest.raise_alert`` and the other
checks): turned here into labelled lines a person reads (amounts in euros, lists of ticket codes
or sequences joined), whatever the alert's code, so a new kind of alert is shown without a change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from headoffice.store import Alert, AlertAcknowledgement, Till, proxy
from headoffice.web.audit import audit

__all__ = ["NOTE_MAX", "AlertFilter", "list_alerts", "alert_codes", "shop_of", "evidence", "history",
           "acknowledge", "AcknowledgeRefused"]

NOTE_MAX = 2000
"""The longest note kept (a paragraph: what was checked and what was done)."""
PAGE_SIZE = 200
"""The most alerts one page lists (open ones first): the filters narrow it down."""


class AcknowledgeRefused(ValueError):
    """An acknowledgement that cannot be kept (no note, too long a note): said on the page."""


@dataclass(frozen=True)
class AlertFilter:
    code: str = ""
    shop_id: str = ""
    till_id: str = ""


def list_alerts(chosen: AlertFilter, limit: int = PAGE_SIZE) -> list[Alert]:
    """Alerts matching ``chosen``, open ones first, newest first within each."""
    query = Alert.select()
    if chosen.code:
        query = query.where(Alert.code == chosen.code)
    if chosen.till_id:
        query = query.where(Alert.till_id == chosen.till_id)
    if chosen.shop_id:
        query = query.where(Alert.till_id.in_(Till.select(Till.till_id).where(Till.shop_id == chosen.shop_id)))
    return list(query.order_by(Alert.acknowledged, Alert.id.desc()).limit(limit))


def alert_codes() -> list[str]:
    """The codes alerts were raised with, for the filter."""
    return [row[0] for row in Alert.select(Alert.code).distinct().order_by(Alert.code).tuples()]


def shop_of(till_id: str) -> str:
    """The shop of the till an alert names ("" for an alert of no enrolled till)."""
    till = Till.get_or_none(Till.till_id == till_id) if till_id else None
    return till.shop_id if till is not None else ""


def evidence(alert: Alert, euros: Callable[[int], str]) -> list[tuple[str, str]]:
    """The alert's details as (label, text) lines: ``*_cents`` in euros, lists joined, nested
    objects flattened with their path ("lines 1 quantity")."""
    try:
        details = json.loads(alert.details or "{}")
    except ValueError:
        return [("details", alert.details)]
    lines: list[tuple[str, str]] = []
    _flatten("", details, lines, euros)
    return lines


def _flatten(path: str, value: Any, out: list[tuple[str, str]], euros: Callable[[int], str]) -> None:
    label = path.replace("_cents", "").replace("_", " ").strip()
    if isinstance(value, dict):
        for key in sorted(value):
            _flatten(f"{path} {key}".strip(), value[key], out, euros)
    elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        for index, item in enumerate(value, start=1):
            _flatten(f"{path} {index}", item, out, euros)
    elif isinstance(value, list):
        out.append((label, ", ".join(_scalar(path, item, euros) for item in value) or "-"))
    else:
        out.append((label, _scalar(path, value, euros)))


def _scalar(path: str, value: Any, euros: Callable[[int], str]) -> str:
    if path.endswith("_cents") and type(value) is int:
        return euros(value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def history(alert_id: int) -> list[AlertAcknowledgement]:
    """Every acknowledgement of the alert, oldest first."""
    return list(AlertAcknowledgement.select().where(AlertAcknowledgement.alert_id == alert_id)
                .order_by(AlertAcknowledgement.id))


def acknowledge(alert: Alert, username: str, note: str, address: str = "") -> AlertAcknowledgement:
    """Keep ``username``'s acknowledgement of ``alert`` with ``note``, mark the alert seen and
    write it to the pages' audit log, all in one transaction (an acknowledgement not audited is
    not kept)."""
    note = (note or "").strip()
    if not note:
        raise AcknowledgeRefused("write a note: what was checked, what was done")
    if len(note) > NOTE_MAX:
        raise AcknowledgeRefused(f"a note holds at most {NOTE_MAX} characters")
    with proxy.obj.atomic():
        row = AlertAcknowledgement.create(alert_id=alert.id, username=username, note=note)
        Alert.update(acknowledged=True).where(Alert.id == alert.id).execute()
        audit(username, "acknowledge", f"alert {alert.id} {alert.code} {alert.till_id}: {note}", address)
    return row
