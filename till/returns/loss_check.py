"""The loss-prevention check of the return at hand, as one more breach of the return's policy.

Why a breach: a customer or receipt signal (``till.loss.return_check``) must not block the
return, nor accuse anyone in front of the customer; it asks for a manager. A breach is exactly
that already: the cashier reads one discreet line ("Ask a manager", no figures, no rule), F6
takes a manager's PIN and a note, and the approval is sealed with the return as a
``MANAGER_OVERRIDE`` in chain L, whose details here name every signal with its figures,
thresholds, how it was computed and its evidence. A return with no signal sees no difference.

Why computed once per customer and receipt: ``breaches()`` is read at every key the cashier
presses, and the check reads the database; it runs again only when the customer or the
receipt changes, and then an approval given for the earlier signals no longer counts.
"""

from __future__ import annotations

from till.i18n import translate
from till.loss.report import figure
from till.loss.return_check import signals_for_return
from till.loss.signal import Signal
from till.loss.signals import thresholds_of
from till.returns.policy import Breach

__all__ = ["LOSS_SIGNAL", "LISTED_ONLY", "ChecksLossSignals", "sealed_signal"]

LOSS_SIGNAL = "loss_signal"
"""The breach code of a return on which a customer or receipt signal fired."""
LISTED_ONLY = frozenset({"receipt_same_cashier"})
"""Signals that do not ask for a manager at the return: in a shop with one cashier every sale is
refunded by its seller, so asking would make every return wait for a manager. The manager's list
of the day and ``till report signals`` still show them."""


def sealed_signal(signal: Signal) -> dict[str, object]:
    """A signal as the manager's override seals it: plain figures, the sentence in English."""
    return {"code": signal.code, "subject": signal.subject, "subject_id": signal.subject_id,
            "value": figure(signal.value), "threshold": figure(signal.threshold),
            "how": translate(signal.how, "en", **signal.params), "evidence": list(signal.evidence),
            "key": signal.key}


class ChecksLossSignals:
    """Mixed into ``ReturnSession``: ``loss_signals()`` of its customer and receipt, and the
    ``loss_signal`` breach they make (see the module)."""

    _loss_subject: tuple[int | None, int | None] | None = None
    _loss_signals: tuple[Signal, ...] = ()

    def loss_signals(self) -> list[Signal]:
        """The signals about this return's customer and original receipt (read once for each pair)."""
        customer_id = self.customer.id if self.customer is not None else None
        origin_id = self.original.id if self.original is not None else None
        subject = (customer_id, origin_id)
        if subject != self._loss_subject:
            self._loss_subject = subject
            self._approvals.pop(LOSS_SIGNAL, None)  # given for other signals, if any
            self._loss_signals = () if subject == (None, None) else tuple(s for s in signals_for_return(
                customer_id, origin_id, self.user.id, self.now, thresholds_of(self.config.loss_prevention),
                self.sealer.zone) if s.code not in LISTED_ONLY)
        return list(self._loss_signals)

    def loss_breaches(self) -> list[Breach]:
        """One breach when a signal fired, none otherwise; its message says nothing of why."""
        signals = self.loss_signals()
        if not signals:
            return []
        return [Breach(LOSS_SIGNAL, "Ask a manager", (("signals", tuple(sealed_signal(s) for s in signals)),))]
