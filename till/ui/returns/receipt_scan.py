"""The return screen's questions to head office (``OpensReceipts``): a receipt's QR code, an order.

A QR code scanned on the return screen opens its ticket, or (a receipt of another shop, or of
this shop whose ticket was lost) the receipt itself. Head office is then asked what already came
back in other shops: in a thread worker, with "asking head office" shown and every key ignored
until it answers, as the payment screen asks about a credit note of another shop. Without an
answer the receipt stays open under the shop's offline policy, and the status line says so.

A typed number this till holds no ticket or order for is asked of head office the same way
(``till.returns.remote_orders``): an order the web shop posted since the last sync is imported
and opened at once; head office unreachable, the refusal says so.
"""

from __future__ import annotations

from typing import Any

from till.i18n import _
from till.returns.other_shop import open_receipt
from till.returns.remote_orders import OrderDesk, fetch_or_refuse
from till.returns.lines import ReturnError
from till.ui.blocking import off_loop
from till.ui.feedback import Refused, error_text, guarded

__all__ = ["OpensReceipts", "HEAD_OFFICE_GROUP"]

HEAD_OFFICE_GROUP = "head-office"
"""Worker group of the questions to head office (tests wait for it)."""


class OpensReceipts:
    """Mixed into the return screen (``session``, ``_opened``, ``show_info``/``show_error``)."""

    asking = False
    """Head office is being asked: keys and scans are ignored until it answers."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.asking:
            return False
        return super().check_action(action, parameters)

    def open_receipt_code(self, code: str) -> None:
        """Open what the QR code ``code`` names (refusals raise, shown by the caller's guard)."""
        session = self.session
        found = open_receipt(code.strip())
        if (session.original or session.order) == found:
            self.after_change(_("Ticket {code} is already open", code=session.reference))
            return
        if session.picks:
            raise Refused(_("One ticket per return: F2 to finish this one, or Esc"))
        session.open(found)
        receipt = session.receipt
        if receipt is None:  # this shop's ticket: its own lines know every return
            self._opened()
            return
        if receipt.desk is None:  # no head office at all: the offline policy decides
            self._head_office_answered(False, None)
            return
        self.asking = True
        self.show_info(_("Asking head office about receipt {code}...", code=receipt.code))
        off_loop(self, receipt.ask_head_office, self._head_office_answered, HEAD_OFFICE_GROUP,
                 "receipt at head office")

    @guarded
    def _head_office_answered(self, online: Any, error: Exception | None) -> None:
        self.asking = False
        self._opened()
        if error is not None:
            self.show_error(error_text(error))
            return
        receipt = self.session.receipt
        if not online:
            self.show_info(_("Head office cannot be reached: receipt {code} comes back under the offline "
                             "policy", code=receipt.code))
            return
        elsewhere = sum(receipt.elsewhere.values())
        if elsewhere:
            self.show_info(_("Receipt {code}: {count} already came back in other shops",
                             code=receipt.code, count=elsewhere))

    def ask_head_office_for_order(self, desk: OrderDesk, number: str, refusal: ReturnError) -> None:
        """Ask head office for order ``number``, found nowhere here (``refusal`` says so)."""
        self.asking = True
        self.show_info(_("Asking head office about order {number}...", number=number.strip()))
        off_loop(self, lambda: fetch_or_refuse(desk, number, refusal), self._order_fetched, HEAD_OFFICE_GROUP,
                 "order at head office")

    @guarded
    def _order_fetched(self, order: Any, error: Exception | None) -> None:
        self.asking = False
        if error is not None:
            raise error
        self.session.open(order)
        self._opened()
