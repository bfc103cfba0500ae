"""Why an item comes back and where it goes: the ids the till stores, and how people read them.

A return line stores its reason and disposition as ids (``changed_mind``, ``restock``) so that
reports, exports and head office compare them whatever the language; people read them through
``reason_label`` and ``disposition_label``, on the return screen and in the reports alike. The
shop chooses which reasons it offers (``[returns] reasons``); an id of its own has no label and
is shown as it is written.
"""

from __future__ import annotations

from till.i18n import N_, translate

RETURN_REASONS = ("wrong_size", "defective", "not_as_described", "changed_mind", "damaged_in_transit", "other")
"""The reasons offered by default; ``other`` asks for a note."""

DISPOSITION_NAMES = ("restock", "damaged", "supplier", "repair")
"""Where a returned item may go (``till.returns.picks.DISPOSITIONS`` maps each to its stock)."""

REASON_DISPOSITIONS = {"defective": "damaged", "damaged_in_transit": "damaged"}
"""Where an item returned for a reason goes unless the cashier chooses: a defective or damaged
item is not put back on the shelf; any reason not listed goes back to stock (``restock``)."""

REASON_LABELS = {
    "wrong_size": N_("Wrong size"),
    "defective": N_("Defective"),
    "not_as_described": N_("Not as described"),
    "changed_mind": N_("Changed mind"),
    "damaged_in_transit": N_("Damaged in transit"),
    "other": N_("Other (with a note)"),
}
"""Reason id -> English message id of what people read."""

DISPOSITION_LABELS = {
    "restock": N_("Back to the shelf"),
    "damaged": N_("Damaged"),
    "supplier": N_("Back to the supplier"),
    "repair": N_("To repair"),
}
"""Disposition id -> English message id of what people read."""


def reason_label(reason: str, lang: str | None = None) -> str:
    """A return reason as people read it in ``lang`` (an id the till has no label for, as it is)."""
    label = REASON_LABELS.get(reason)
    return translate(label, lang) if label else reason


def disposition_label(disposition: str, lang: str | None = None) -> str:
    """Where a returned item goes, as people read it in ``lang``."""
    label = DISPOSITION_LABELS.get(disposition)
    return translate(label, lang) if label else disposition
