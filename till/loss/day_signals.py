"""A closed day's signals, sealed in chain L (``LOSS_SIGNALS``) so they reach head office.

Why sealed rather than sent: head office shows every shop's signals next to each other, and it
only ever receives what the sync already carries, the signed records. A signal sealed with the
day's closure is what the manager could see that day, with its grounds, as tamper-evident as
the tickets behind it; nothing personal leaves the shop by another road.

Why after the closure's transaction and not inside it: the closure holds the ticket chain
while it adds up the day, and a closure must never wait on (or fail because of) a signal rule;
the signals are read-only figures over records the closure has just made final, so computing
them after the commit gives the same list. The closure queues an outbox job in its own
transaction (``till.fiscal.signals_schedule``), so a stop right after it loses nothing and the
manager closing the day does not wait. A day without a signal seals nothing; a job run twice
seals once.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable

from store.models import FiscalRecord
from till.fiscal.chain import Sealer
from till.fiscal.events import EVENT_CHAIN, LOSS_SIGNALS, record_event
from till.fiscal.signals_schedule import SEAL_DAY_SIGNALS
from till.loss.signal import Signal, Thresholds
from till.loss.signals import compute, period_of

__all__ = ["seal_day_signals", "signal_payload", "day_signals_handlers"]


def _figure(value: Any) -> Any:
    """A figure as a sealed payload holds it: an integer as is, a fraction as its decimal text
    (a signed payload never holds a float, ``till.fiscal.canonical``)."""
    if isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else repr(value)
    if isinstance(value, dict):
        return {str(k): _figure(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_figure(v) for v in value]
    return value if value is None or isinstance(value, str) else str(value)


def signal_payload(signal: Signal) -> dict[str, Any]:
    """One signal as sealed: its rule, whom it is about, the figure and threshold, how it was
    computed (the English sentence's id and its params) and the evidence, by record code."""
    return {
        "key": signal.key,
        "code": signal.code,
        "subject": signal.subject,
        "subject_id": signal.subject_id,
        "subject_label": signal.subject_label,
        "day": signal.day.isoformat(),
        "value": _figure(signal.value),
        "threshold": _figure(signal.threshold),
        "how": signal.how,
        "params": _figure(signal.params),
        "evidence": list(signal.evidence),
    }


def day_signals_handlers(sealer: Sealer, thresholds: Thresholds) -> dict[str, Callable[[dict], None]]:
    """The outbox handler of ``SEAL_DAY_SIGNALS`` (queued by each daily closure,
    ``till.fiscal.signals_schedule``): the day's signals under the shop's thresholds. A failure
    is the outbox's to retry, then to report, as any job's."""

    def seal(payload: dict) -> None:
        seal_day_signals(sealer, dt.date.fromisoformat(payload["day"]), thresholds)

    return {SEAL_DAY_SIGNALS: seal}


def _sealed_already(sealer: Sealer, day: dt.date, since: dt.datetime) -> bool:
    """Whether this till sealed ``day``'s signals already (a job run again after a stop between
    the seal and the outbox's own bookkeeping): the LOSS_SIGNALS records sealed since the day
    began, on their index, and the day each names."""
    label = day.isoformat()
    return any(json.loads(payload).get("details", {}).get("day") == label for (payload,) in
               FiscalRecord.select(FiscalRecord.payload)
               .where((FiscalRecord.chain == EVENT_CHAIN) & (FiscalRecord.kind == LOSS_SIGNALS)
                      & (FiscalRecord.created_at >= since) & (FiscalRecord.till_id == sealer.till_id)).tuples())


def seal_day_signals(sealer: Sealer, day: dt.date, thresholds: Thresholds):
    """Seal business ``day``'s signals (all rules, ``till.loss.signals.compute``) as one
    LOSS_SIGNALS event; returns its record, or None when the day had no signal."""
    period = period_of(day, day, sealer.zone)
    if _sealed_already(sealer, day, period.since):
        return None
    signals = compute(period, thresholds)
    if not signals:
        return None
    return record_event(sealer, LOSS_SIGNALS, f"Loss-prevention signals of {day.isoformat()}",
                        details={"day": day.isoformat(), "signals": [signal_payload(s) for s in signals]})
