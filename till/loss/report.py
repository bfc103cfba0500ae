"""``till report signals``: every signal of a period, with its grounds and its dismissal.

Why a table like the other reports (``reports.render``): a manager reads it on screen, an
accountant or a script takes the CSV or JSON; a dismissed signal stays listed, with who
dismissed it, when and why, because a list that forgets dismissals hides the decisions.
"""

from __future__ import annotations

import datetime as dt

from store.models import utcnow
from till.config.loss_prevention import LossPreventionSettings
from till.fiscal.closure_totals import business_day
from till.i18n import N_, translate
from till.loss.dismissal import Dismissal, dismissals
from till.loss.signal import Period, Signal, Thresholds
from till.loss.signals import compute, period_of, thresholds_of

__all__ = ["COLUMNS", "SIGNAL_NAMES", "SUBJECT_NAMES", "figure", "row_lines", "signal_row", "signal_rows",
           "today_rows"]

COLUMNS = ("day", "signal", "subject", "who", "value", "threshold", "how", "evidence", "dismissed", "key")

SIGNAL_NAMES = {
    "customer_return_share": N_("Returns most of what they buy"),
    "customer_no_receipt": N_("Returns without a receipt"),
    "customer_quick_returns": N_("Returns soon after buying"),
    "customer_wardrobing": N_("Returns after a weekend or event"),
    "receipt_reprinted": N_("Receipt reprinted before its return"),
    "receipt_many_visits": N_("Receipt returned in many visits"),
    "receipt_same_cashier": N_("Refunded by the seller"),
    "means_card_refunds": N_("Card refunded many times"),
    "cashier_refund_rate": N_("Refunds and voids per hour worked"),
    "cashier_keyed_returns": N_("Codes keyed rather than scanned on returns"),
    "cashier_cash_for_card": N_("Cash refunds of card sales"),
    "cashier_edge_refunds": N_("Refunds right after opening or just before closing"),
    "cashier_same_manager": N_("The same manager again and again"),
}
"""A rule's code -> what a manager reads; a code of another module shows as it is."""
SUBJECT_NAMES = {"customer": N_("Customer"), "receipt": N_("Receipt"), "cashier": N_("Cashier"),
                 "means": N_("Card")}
DISMISSED = N_("by {manager} on {day}: {note} ({record})")
HEADLINE = N_("{signal}, {subject} {who}: {value} (threshold {threshold})")
EVIDENCE = N_("Evidence: {codes}")
DISMISSED_LINE = N_("Dismissed {dismissal}")


def figure(value) -> str:
    """A signal's figure or threshold as written ("3", "1.5"): a sealed payload takes no float."""
    return str(int(value)) if float(value).is_integer() else str(value)


def signal_rows(period: Period, thresholds: Thresholds, lang: str | None = None) -> list[dict]:
    """One row per signal of ``period``: day, rule, subject, figure, threshold, how (in
    ``lang``), evidence, and its dismissal if any (``key`` names it for ``dismiss``)."""
    signals: list[Signal] = compute(period, thresholds)
    dismissed = dismissals({s.key for s in signals})
    return [signal_row(signal, dismissed.get(signal.key), period.zone, lang) for signal in signals]


def today_rows(settings: LossPreventionSettings, zone: dt.tzinfo, now: dt.datetime | None = None,
               lang: str | None = None) -> list[dict]:
    """The rows of today, the shop's business day in ``zone`` (the manager's list at the till)."""
    day = business_day(now or utcnow(), zone)
    return signal_rows(period_of(day, day, zone), thresholds_of(settings), lang)


def signal_row(signal: Signal, found: Dismissal | None = None, zone: dt.tzinfo = dt.timezone.utc,
               lang: str | None = None) -> dict:
    """One signal as a manager reads it (see ``signal_rows``), with its dismissal if ``found``."""
    return {
        "day": signal.day.isoformat(),
        "signal": translate(SIGNAL_NAMES.get(signal.code, signal.code), lang),
        "subject": translate(SUBJECT_NAMES.get(signal.subject, signal.subject), lang),
        "who": signal.subject_label,
        "value": figure(signal.value),
        "threshold": figure(signal.threshold),
        "how": translate(signal.how, lang, **signal.params),
        "evidence": " ".join(signal.evidence),
        "dismissed": "" if found is None else translate(
            DISMISSED, lang, manager=found.manager, note=found.note, record=found.record,
            day=business_day(found.at, zone).isoformat()),
        "key": signal.key,
    }


def row_lines(row: dict, lang: str | None = None) -> list[str]:
    """A row as a manager reads it on a screen: the rule, whom, figure against threshold; how it
    was computed; the evidence; the dismissal if any. The same words at the return screen
    (after the manager's PIN) and in the manager's list of the day."""
    lines = [translate(HEADLINE, lang, signal=row["signal"], subject=row["subject"], who=row["who"],
                       value=row["value"], threshold=row["threshold"]),
             "  " + row["how"], "  " + translate(EVIDENCE, lang, codes=row["evidence"])]
    if row["dismissed"]:
        lines.append("  " + translate(DISMISSED_LINE, lang, dismissal=row["dismissed"]))
    return lines
