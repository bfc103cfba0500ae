"""The journal of technical events (JET): chain L, signed like tickets.

Who logged in, who failed to, who was locked out, which line was voided, which manager PIN
authorised what, when the program started and stopped, when a key was made and when the
journal was checked (fiscal-fr.md R-JET-01). An event is sealed in the transaction of the
action it records when there is one, so a voided line and its event commit together.

The codes are stable strings: they are signed, so renaming one would be a new code, never an
edit. The certifier may ask for other codes (R-JET-01 marks NF525 codes unverified): add them.
"""

from __future__ import annotations

import re
from typing import Any

from store.models import FiscalRecord
from till.fiscal.chain import Sealer, current_database

__all__ = [
    "EVENT_CHAIN", "EVENT_CODES", "record_event",
    "APP_START", "APP_STOP", "LOGIN", "LOGOUT", "LOGIN_FAILED", "USER_LOCKED", "LINE_VOID",
    "MANAGER_OVERRIDE", "KEY_CREATED", "INTEGRITY_CHECK", "PAYMENT_CANCELLED", "CARD_REFUND_UNRECORDED",
    "TRAINING_START", "TRAINING_END", "USER_CHANGED", "QUANTITY_LOWERED", "SIGNAL_DISMISSED", "LOSS_SIGNALS",
]

EVENT_CHAIN = "L"
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")

APP_START = "APP_START"
APP_STOP = "APP_STOP"
LOGIN = "LOGIN"
LOGOUT = "LOGOUT"
LOGIN_FAILED = "LOGIN_FAILED"
USER_LOCKED = "USER_LOCKED"
LINE_VOID = "LINE_VOID"
MANAGER_OVERRIDE = "MANAGER_OVERRIDE"
KEY_CREATED = "KEY_CREATED"
INTEGRITY_CHECK = "INTEGRITY_CHECK"
PAYMENT_CANCELLED = "PAYMENT_CANCELLED"
CARD_REFUND_UNRECORDED = "CARD_REFUND_UNRECORDED"
TRAINING_START = "TRAINING_START"
TRAINING_END = "TRAINING_END"
USER_CHANGED = "USER_CHANGED"
QUANTITY_LOWERED = "QUANTITY_LOWERED"
"""A basket line's quantity lowered before payment (R-INA-02: a decrease is as telling as a void)."""
FEC_EXPORTED = "FEC_EXPORTED"
"""A FEC file written (``reports.fec``): its fiscal year, name, SHA-256, line count and who."""
SIGNAL_DISMISSED = "SIGNAL_DISMISSED"
"""A manager dismissed a loss-prevention signal (``till.loss.dismissal``): its key, who, why."""
LOSS_SIGNALS = "LOSS_SIGNALS"
"""The signals of a closed business day (``till.loss.day_signals``), with their evidence: how
they reach head office, with the records the sync already ships."""

# The codes used so far; other modules may seal codes of their own (same format).
EVENT_CODES = frozenset({
    APP_START, APP_STOP, LOGIN, LOGOUT, LOGIN_FAILED, USER_LOCKED, LINE_VOID,
    MANAGER_OVERRIDE, KEY_CREATED, INTEGRITY_CHECK, PAYMENT_CANCELLED, CARD_REFUND_UNRECORDED,
    TRAINING_START, TRAINING_END, USER_CHANGED, QUANTITY_LOWERED, SIGNAL_DISMISSED, LOSS_SIGNALS,
})


def record_event(
    sealer: Sealer,
    code: str,
    description: str,
    user_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> FiscalRecord:
    """Seal an event in chain L; joins the open transaction, or commits on its own if none.

    ``details`` must be canonical-JSON friendly (no floats, times as ISO UTC strings).
    """
    if not _CODE.match(code):
        raise ValueError(f"technical event code {code!r} must be UPPER_SNAKE_CASE, 32 characters at most")
    payload = {"code": code, "description": description, "user_id": user_id, "details": details or {}}
    with current_database().atomic():
        return sealer.append(EVENT_CHAIN, code, payload)
