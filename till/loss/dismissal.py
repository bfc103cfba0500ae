"""Dismissing a signal: a manager says why it is not abuse, sealed in chain L.

Why sealed and never stored as a flag: a dismissed signal is still evidence that someone looked
and decided; the decision, who made it and why must be as tamper-evident as the tickets behind
the signal. So a dismissal is a ``SIGNAL_DISMISSED`` event, and the report shows it next to the
signal, which stays listed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from store.models import FiscalRecord, User
from store.models.people import MANAGER
from till.errors import TillError
from till.fiscal.chain import Sealer
from till.fiscal.events import EVENT_CHAIN, SIGNAL_DISMISSED, record_event
from till.loss.returns_seen import record_code

__all__ = ["DismissalError", "Dismissal", "dismiss", "dismissals"]


class DismissalError(TillError):
    """A dismissal was refused; nothing was sealed."""


@dataclass(frozen=True)
class Dismissal:
    """Who dismissed a signal, when (naive UTC), why, and the L record that says so."""

    key: str
    manager: str
    at: dt.datetime
    note: str
    record: str


def dismiss(sealer: Sealer, signal_key: str, manager_id: int, note: str) -> Dismissal:
    """Seal the dismissal of the signal ``signal_key`` by a manager, with a note saying why."""
    note = (note or "").strip()
    if not note:
        raise DismissalError("Say why the signal is dismissed: a dismissal needs a note")
    manager = User.get_or_none(User.id == manager_id)
    if manager is None or manager.role != MANAGER or not manager.active:
        raise DismissalError("Only a manager can dismiss a signal")
    record = record_event(sealer, SIGNAL_DISMISSED, "Signal dismissed", user_id=manager.id,
                          details={"key": signal_key, "note": note, "manager": manager.name})
    return Dismissal(signal_key, manager.name, record.created_at, note,
                     record_code(EVENT_CHAIN, record.till_id, record.sequence))


def dismissals(keys: set[str] | None = None) -> dict[str, Dismissal]:
    """The dismissals sealed so far, by signal key (the latest one of a key wins)."""
    out: dict[str, Dismissal] = {}
    rows = (FiscalRecord.select(FiscalRecord.till_id, FiscalRecord.sequence, FiscalRecord.created_at,
                                FiscalRecord.payload)
            .where((FiscalRecord.chain == EVENT_CHAIN) & (FiscalRecord.kind == SIGNAL_DISMISSED))
            .order_by(FiscalRecord.created_at, FiscalRecord.id).tuples())
    for till_id, sequence, created_at, payload in rows:
        details = json.loads(payload).get("details", {})
        key = details.get("key", "")
        if keys is None or key in keys:
            out[key] = Dismissal(key, details.get("manager", ""), created_at, details.get("note", ""),
                                 record_code(EVENT_CHAIN, till_id, sequence))
    return out
