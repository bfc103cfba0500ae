"""The paper of a chain P document: what the drawer's cash move or the means correction was.

Printed after the commit through the outbox (``PRINT_CASH_MOVE``, like a ticket's receipt), from
the row and its sealed record: the shop, the document's kind and code, time, till, operator and
approving manager, the amount and the means (from and to, for a correction, with the corrected
ticket's code), the reason, and the record's signature extract, so the paper in the drawer can be
matched with the journal. In the shop's language, at the printer's width.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from zoneinfo import ZoneInfo

from store.models import CashMove, FiscalRecord
from till import __version__
from till.fiscal.extracts import record_extract
from till.fiscal.cash_moves import CASH_MOVE_CHAIN, KIND_LABELS, MEANS_CORRECTION
from till.i18n import translate
from till.means import means as means_of
from till.money import format_cents

__all__ = ["PRINT_CASH_MOVE", "slip_lines"]

PRINT_CASH_MOVE = "print_cash_move"
"""Outbox job kind: print the paper of the P document ``{"cash_move_id": id}``."""


def slip_lines(config, cash_move_id: int) -> list[str]:
    """The lines of the paper of P document ``cash_move_id``."""
    lang, width, shop = config.shop.locale, config.printer.width, config.shop
    move = CashMove.get_by_id(cash_move_id)
    record = (FiscalRecord.select(FiscalRecord.signature)
              .where((FiscalRecord.till_id == move.till_id) & (FiscalRecord.chain == CASH_MOVE_CHAIN)
                     & (FiscalRecord.sequence == move.number)).first())

    def t(message: str, **params: object) -> str:
        return translate(message, lang, **params)

    def pair(left: str, right: str) -> str:
        room = max(1, width - len(right) - 1)
        return f"{left[:room]:<{room}} {right}"[:width]

    when = move.created_at.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(shop.timezone or "UTC"))
    lines = [text[:width].center(width).rstrip() for text in
             (shop.name, shop.address, shop.siret and f"SIRET {shop.siret}") if text]
    lines += ["", t(KIND_LABELS.get(move.kind, move.kind)).upper()[:width].center(width).rstrip(), "-" * width]
    lines.append(pair(t("Document"), move.code))
    lines.append(pair(t("Date"), when.strftime("%d/%m/%Y %H:%M" if lang == "fr" else "%Y-%m-%d %H:%M")))
    lines.append(pair(t("Till"), move.till_id))
    lines.append(pair(t("Operator"), move.operator_name))
    lines.append(pair(t("Approved by"), move.approver_name))
    if move.kind == MEANS_CORRECTION:
        lines.append(pair(t("Ticket"), move.origin_reference or ""))
        lines.append(pair(t("From"), means_of(move.means).text(lang)))
        lines.append(pair(t("To"), means_of(move.to_means or "").text(lang)))
    else:
        lines.append(pair(t("Means of payment"), means_of(move.means).text(lang)))
    lines.append(pair(t("Amount"), format_cents(move.amount_cents, lang)))
    if move.drawer_cents:
        lines.append(pair(t("Drawer"), ("+" if move.drawer_cents > 0 else "") + format_cents(move.drawer_cents, lang)))
    lines.append(t("Reason:"))
    lines += textwrap.wrap(move.reason, width) or [""]
    lines += ["-" * width, t("Signature {extract}", extract=record_extract(record) if record else "----")
              .center(width).rstrip(), f"till {__version__}".center(width).rstrip()]
    return lines
