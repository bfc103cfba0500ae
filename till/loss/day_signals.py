"""A closed day's signals, sealed in chain L (``LOSS_SIGNALS``) so they reach head office.

Why sealed rather than sent: head office shows every shop's signals next to each other, and it
only ever receives what the sync already carries, the signed records. A signal sealed with the
day's closure is what the manager could see that day, with its grounds, as tamper-evident as
the tickets behind it; nothing personal leaves the shop by another road.

Why after the closure's transaction and not inside it: the closure holds the ticket chain
while it adds up the day, and a closure must never wait on (or fail because of) a signal rule;
the signals are read-only figures over records the closure has just made final, so computing
them after the commit gives the same list. A day without a signal seals nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from till.fiscal.chain import Sealer
from till.fiscal.events import LOSS_SIGNALS, record_event
from till.loss.signal import Signal, Thresholds
from till.loss.signals import compute, period_of

__all__ = ["seal_day_signals", "signal_payload", "DaySignals"]

log = logging.getLogger("till.loss.day_signals")


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


class DaySignals:
    """What ``TillContext`` gives the sealer as ``day_closed``: called by the closures with each
    business day they closed, it seals that day's signals under the shop's thresholds."""

    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds

    def __call__(self, sealer: Sealer, day: dt.date) -> None:
        try:
            seal_day_signals(sealer, day, self.thresholds)
        except Exception:  # noqa: BLE001 - the closure is committed; a signal rule must not undo the day
            log.exception("the loss-prevention signals of %s could not be sealed", day)


def seal_day_signals(sealer: Sealer, day: dt.date, thresholds: Thresholds):
    """Seal business ``day``'s signals (all rules, ``till.loss.signals.compute``) as one
    LOSS_SIGNALS event; returns its record, or None when the day had no signal."""
    signals = compute(period_of(day, day, sealer.zone), thresholds)
    if not signals:
        return None
    return record_event(sealer, LOSS_SIGNALS, f"Loss-prevention signals of {day.isoformat()}",
                        details={"day": day.isoformat(), "signals": [signal_payload(s) for s in signals]})
