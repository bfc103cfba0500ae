"""Loss-prevention signals at head office: every shop's, as their tills sealed them, and the
ones only head office can see, across shops (``headoffice.signals_cross_shop``).

Why from the synced records and nothing else: a till seals the signals of each day it closes
(a LOSS_SIGNALS event of chain L, ``till.loss.day_signals``) and a manager's dismissal
(SIGNAL_DISMISSED); both arrive with the records the sync already ships, verified like any
record. No personal data reaches head office by another road, and what head office shows is
what the shop's manager saw, with its grounds.

At ingest (``take_batch``, called once a batch is committed), each new LOSS_SIGNALS record's
signals become ``ShopSignal`` rows, each raising an Alert ``LOSS_SIGNAL`` (once per shop and
signal: two tills of one shop seal the same shop-wide signals) whose ``details`` carry the
evidence; each SIGNAL_DISMISSED becomes a ``SignalDismissal`` row; each ticket record's card
refunds and returns of another shop's receipt become ``SyncedRefund`` rows, which the
cross-shop rules read by indexed columns. Nothing of ``Record`` is ever updated.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from typing import Any, Callable, Iterable

from headoffice.signals_cross_shop import (CrossShopThresholds, cross_shop_signals, day_bounds,
                                           other_shop_return_of, refunds_of)
from headoffice.store import ShopSignal, SignalDismissal, SyncedRefund, Till, proxy
from till.loss.report import SIGNAL_NAMES, SUBJECT_NAMES

__all__ = ["COLUMNS", "take_batch", "signal_rows", "format_rows", "english_how", "LOSS_SIGNAL"]

log = logging.getLogger("headoffice.signals")

LOSS_SIGNAL = "LOSS_SIGNAL"
"""The code of the alert each shop's signal raises."""
LOSS_SIGNALS, SIGNAL_DISMISSED = "LOSS_SIGNALS", "SIGNAL_DISMISSED"
"""The kinds of chain L records this module reads (``till.fiscal.events``'s codes)."""
COLUMNS = ("shop", "till", "day", "signal", "subject", "who", "value", "threshold", "how", "evidence",
           "dismissed", "key")
ACROSS_SHOPS = "*"
"""The ``shop`` column of a signal seen across shops."""


def english_how(how: str, params: dict[str, Any]) -> str:
    """The sentence a signal says how it was computed with, its figures filled in (the till's
    message ids are English); the bare sentence when its figures do not fit it."""
    try:
        return how.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError):
        return how


def _fit(model, name: str, text: Any) -> str:
    """``text`` cut to what column ``name`` holds: a signed record is kept whole in ``Record``,
    the row is a reading of it and must land on PostgreSQL."""
    text = "" if text is None else str(text)
    longest = getattr(model._meta.fields[name], "max_length", None)
    return text[:longest] if longest else text


# --- At ingest -------------------------------------------------------------------------------


def take_batch(till_id: str, chain: str, records: list[dict[str, Any]], raise_alert: Callable[..., None]) -> None:
    """Read the signals, dismissals and refunds among ``records`` (new, committed records of one
    chain of ``till_id``). A failure cannot undo the stored batch: logged and raised as an alert.

    ``raise_alert`` is ingest's own (given by it, so this module does not import the one that
    calls it)."""
    if chain == "L":
        records = [r for r in records if r["kind"] in (LOSS_SIGNALS, SIGNAL_DISMISSED)]
    if chain not in ("L", "T") or not records:
        return
    try:
        shop_id = Till.select(Till.shop_id).where(Till.till_id == till_id).scalar() or "?"
        with proxy.obj.atomic():
            if chain == "T":
                _take_tickets(till_id, shop_id, records)
                return
            alerts = []
            for record in records:
                if record["kind"] == LOSS_SIGNALS:
                    alerts += _take_signals(till_id, shop_id, record)
                elif record["kind"] == SIGNAL_DISMISSED:
                    _take_dismissal(till_id, record)
        for alert in alerts:  # each in its own transaction, once the rows are committed
            raise_alert(LOSS_SIGNAL, *alert[:3], **alert[3])
    except Exception as error:  # noqa: BLE001 - the batch is stored whatever happens here
        log.exception("till %s: the loss-prevention records of chain %s could not be read", till_id, chain)
        raise_alert("LOSS_SIGNAL_INGEST", f"till {till_id}: the loss-prevention content of records "
                    f"{records[0]['sequence']}..{records[-1]['sequence']} of chain {chain} could not be read: "
                    f"{type(error).__name__}: {error}"[:1000], till_id, chain, records[0]["sequence"])


def _take_signals(till_id: str, shop_id: str, record: dict[str, Any]) -> list[tuple]:
    """The ``ShopSignal`` rows of one LOSS_SIGNALS record; the alerts to raise (a signal of this
    shop already held, sealed by another of its tills, raises none)."""
    details = json.loads(record["payload"]).get("details") or {}
    alerts = []
    for signal in details.get("signals") or []:
        key = _fit(ShopSignal, "signal_key", signal.get("key"))
        seen = (ShopSignal.select().where((ShopSignal.signal_key == key) & (ShopSignal.shop_id == shop_id))
                .exists())
        how = english_how(signal.get("how", ""), signal.get("params") or {})
        evidence = [str(code) for code in signal.get("evidence") or []]
        ShopSignal.insert(
            till_id=till_id, shop_id=shop_id, day=dt.date.fromisoformat(signal["day"]),
            code=_fit(ShopSignal, "code", signal.get("code")),
            subject=_fit(ShopSignal, "subject", signal.get("subject")),
            subject_id=_fit(ShopSignal, "subject_id", signal.get("subject_id")),
            subject_label=_fit(ShopSignal, "subject_label", signal.get("subject_label")),
            value=_fit(ShopSignal, "value", signal.get("value")),
            threshold=_fit(ShopSignal, "threshold", signal.get("threshold")), how=how,
            evidence=json.dumps(evidence), signal_key=key, record_sequence=record["sequence"],
        ).on_conflict_ignore().execute()
        if seen:
            continue
        name = SIGNAL_NAMES.get(signal.get("code"), signal.get("code"))
        subject = SUBJECT_NAMES.get(signal.get("subject"), signal.get("subject"))
        message = (f"Shop {shop_id}, till {till_id}: {name} ({subject} "
                   f"{signal.get('subject_label') or signal.get('subject_id')}) on {signal.get('day')}: {how}")
        alerts.append((message, till_id, "L", {
            "sequence": record["sequence"], "shop_id": shop_id, "signal": signal.get("code"), "key": key,
            "day": signal.get("day"), "subject": signal.get("subject"), "subject_id": signal.get("subject_id"),
            "value": signal.get("value"), "threshold": signal.get("threshold"), "how": how, "evidence": evidence}))
    return alerts


def _take_dismissal(till_id: str, record: dict[str, Any]) -> None:
    details = json.loads(record["payload"]).get("details") or {}
    SignalDismissal.insert(
        till_id=till_id, signal_key=_fit(SignalDismissal, "signal_key", details.get("key")),
        manager=_fit(SignalDismissal, "manager", details.get("manager")), note=str(details.get("note") or ""),
        dismissed_at=record["created_at"], record_sequence=record["sequence"],
    ).on_conflict_ignore().execute()


def _may_refund(payload: str) -> bool:
    """Whether a ticket's payload text may hold a card refund or a return naming its receipt:
    only those are parsed, so a batch of sales costs ingest a substring search per record."""
    return '"origin":{' in payload or ('"means":"card"' in payload and '"amount_cents":-' in payload)


def _take_tickets(till_id: str, shop_id: str, records: Iterable[dict[str, Any]]) -> None:
    rows = []
    for record in records:
        if not _may_refund(record["payload"]):
            continue
        ticket = json.loads(record["payload"])
        if ticket.get("training"):
            continue
        base = {"till_id": till_id, "shop_id": shop_id, "record_sequence": record["sequence"],
                "ticket_code": _fit(SyncedRefund, "ticket_code", ticket.get("code")),
                "at": _naive_utc(ticket.get("created_at") or record["created_at"]),
                "cashier": _fit(SyncedRefund, "cashier", (ticket.get("operator") or {}).get("name"))}
        for kind, position, card, origin, amount in [*refunds_of(ticket), *other_shop_return_of(ticket)]:
            rows.append({**base, "kind": kind, "position": position, "amount_cents": amount,
                         "card": None if card is None else _fit(SyncedRefund, "card", card),
                         "origin_code": None if origin is None else _fit(SyncedRefund, "origin_code", origin)})
    if rows:
        SyncedRefund.insert_many(rows).on_conflict_ignore().execute()


def _naive_utc(text: str) -> dt.datetime:
    """A sealed time (ISO-8601 UTC text, ``…Z``) as the naive UTC the columns hold."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.timezone.utc).replace(tzinfo=None)


# --- The report ------------------------------------------------------------------------------


def signal_rows(first: dt.date, last: dt.date, zone: dt.tzinfo,
                thresholds: CrossShopThresholds | None = None) -> list[dict[str, str]]:
    """Every shop's signals of business days ``first`` to ``last`` (once per shop and signal,
    dismissed ones marked), then the signals seen across shops over the same days."""
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    query = (ShopSignal.select().where(ShopSignal.day.between(first, last))
             .order_by(ShopSignal.day, ShopSignal.shop_id, ShopSignal.subject, ShopSignal.code, ShopSignal.id))
    signals = [s for s in query if (s.shop_id, s.signal_key) not in seen and not seen.add((s.shop_id, s.signal_key))]
    dismissed = _dismissals({s.signal_key for s in signals})
    for s in signals:
        found = dismissed.get((s.shop_id, s.signal_key))
        rows.append({
            "shop": s.shop_id, "till": s.till_id, "day": _day_text(s.day),
            "signal": SIGNAL_NAMES.get(s.code, s.code), "subject": SUBJECT_NAMES.get(s.subject, s.subject),
            "who": s.subject_label or s.subject_id, "value": s.value, "threshold": s.threshold, "how": s.how,
            "evidence": " ".join(json.loads(s.evidence)),
            "dismissed": "" if found is None else _dismissed_text(found, zone),
            "key": s.signal_key,
        })
    since, until = day_bounds(first, last, zone)
    for signal in cross_shop_signals(since, until, zone, thresholds or CrossShopThresholds()):
        rows.append({"shop": ACROSS_SHOPS, "till": "", "day": signal.day.isoformat(), "signal": signal.name,
                     "subject": signal.subject, "who": signal.subject_id, "value": str(signal.value),
                     "threshold": str(signal.threshold), "how": signal.how, "evidence": " ".join(signal.evidence),
                     "dismissed": "", "key": signal.key})
    return rows


def _dismissed_text(found: SignalDismissal, zone: dt.tzinfo) -> str:
    """Who dismissed a signal, on which of the shop's days (not UTC's), why, and the L record."""
    day = _naive_utc(found.dismissed_at).replace(tzinfo=dt.timezone.utc).astimezone(zone).date()
    return f"by {found.manager} on {day.isoformat()}: {found.note} (L{found.till_id}-{found.record_sequence})"


def _day_text(day: Any) -> str:
    return day.isoformat() if hasattr(day, "isoformat") else str(day)


def _dismissals(keys: set[str]) -> dict[tuple[str, str], SignalDismissal]:
    """The dismissals of ``keys``, by (shop, key): a dismissal sealed by any till of a shop
    dismisses the shop's signal (the latest one wins)."""
    if not keys:
        return {}
    shops = dict(Till.select(Till.till_id, Till.shop_id).tuples())
    out = {}
    for row in (SignalDismissal.select().where(SignalDismissal.signal_key.in_(sorted(keys)))
                .order_by(SignalDismissal.dismissed_at, SignalDismissal.id)):
        out[(shops.get(row.till_id, "?"), row.signal_key)] = row
    return out


def format_rows(rows: list[dict[str, str]], style: str) -> str:
    """The rows as a table a person reads, CSV for a spreadsheet, or JSON for a script."""
    if style == "json":
        return json.dumps(rows, ensure_ascii=False, sort_keys=True)
    if style == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().rstrip("\n")
    if not rows:
        return "no signal in the period"
    widths = {c: max(len(c), *(len(row[c]) for row in rows)) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip()]
    lines += ["  ".join(row[c].ljust(widths[c]) for c in COLUMNS).rstrip() for row in rows]
    return "\n".join(lines)
