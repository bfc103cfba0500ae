"""The exchange side of the return screen: F8 switches the scan field to the new items.

An exchange is one ticket: the items coming back (picked as for a return) and the new items
the customer takes instead, in a ``till.selling.basket.Basket`` handed to
``ReturnSession.exchange_with``; the difference is paid (``ExchangePaymentScreen``) or
refunded (``ResolutionScreen``), and ``complete()`` writes it all at once.

While the new items are shown (F8), a scanned product code adds a new item, even one of the
original ticket: in return mode the same scan would take one more unit back, so the mode is
said in the scan field's placeholder and the status line. ``+``/``-`` then change the selected
new item by one (down to 0: voided, recorded in chain L by the basket, as on the sale
screen); a receipt code still opens or refuses a ticket as in return mode. F8 again goes back
to the returned items; the new items stay.

A mixin of ``ReturnScreen``, kept apart to keep each module small; it relies on the screen's
``ctx``, ``user``, ``session``, ``redraw`` and ``after_change``.
"""

from __future__ import annotations

from till.i18n import _
from till.selling.basket import Basket
from till.ui.feedback import Refused, guarded
from till.ui.widgets.basket_table import BasketTable, quantity_text


class ReturnExchangeKeys:
    """F8, and the scans and ``+``/``-`` of the new items while they are shown."""

    exchange: Basket | None = None
    """The new items, once F8 was pressed; ``None`` for a plain return."""
    exchanging = False
    """True while scans add new items (F8 toggles)."""

    @property
    def new_items(self) -> BasketTable:
        return self.query_one("#exchange-lines", BasketTable)

    @guarded
    def action_exchange(self) -> None:
        session = self.session
        if not (session.lines or session.no_receipt):  # a ticket (or order) open, or no receipt
            raise Refused(_("Open the ticket first (or F5: no receipt), then F8"))
        if self.exchange is None:
            self.exchange = Basket(self.ctx.config, self.ctx.sealer, self.user)
        self.exchanging = not self.exchanging
        self.show_mode()
        if self.exchanging:
            self.after_change(_("Exchange: scan the new items. F8: returned items, F2: settle"))
        else:
            self.after_change(_("Returned items: Enter all, +/- one, F3 reason. F8: new items"))

    def show_mode(self) -> None:
        """The active table shows its cursor (the scan field's placeholder, redrawn with the
        screen, says what a scan does now: ``scan_hint``)."""
        self.table.show_cursor = not self.exchanging
        table = self.new_items
        table.display = self.exchange is not None
        table.show_cursor = self.exchanging

    def sync_new_items(self) -> None:
        if self.exchange is not None:
            self.new_items.sync(self.exchange.lines)

    def add_new_item(self, code: str) -> None:
        """A scan while exchanging: the basket adds it (or says why not), the session follows."""
        line = self.exchange.add_code(code)
        self.session.exchange_with(self.exchange)
        self.sync_new_items()
        self.new_items.select_line(line.id)
        self.after_change(_("New: {label} x {quantity}. F2: settle", label=line.label,
                            quantity=quantity_text(line)))

    def step_new_item(self, delta: int) -> None:
        """``+``/``-`` on the selected new item; at 0 it is voided."""
        line_id = self.new_items.selected_line_id
        if line_id is None:
            raise Refused(_("Scan the new items first"))
        basket = self.exchange
        line = basket.line(line_id)
        if line.quantity + delta <= 0:
            basket.void_line(line_id)
            info = _("Voided: {label}", label=line.label)
        else:
            line = basket.set_quantity(line_id, line.quantity + delta)
            info = _("New: {label} x {quantity}. F2: settle", label=line.label, quantity=quantity_text(line))
        self.session.exchange_with(basket)
        self.sync_new_items()
        self.after_change(info)
