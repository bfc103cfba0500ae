"""The return screen: a thin layer over ``till.returns.session.ReturnSession``.

Scan the receipt (or type the ticket number, or F7 to pick it from a customer's purchases, or
F5 for a return without receipt), choose what comes back, then F2 to refund. Each line taken
back starts with the shop's default reason (``[returns] default_reason``) and the disposition
it sends to; F3 then a digit gives another reason, F4 another disposition. So a single line
back to the original means is three keys after the receipt: Enter, F2, Enter. F8 turns the
return into an exchange: scans then add new items (see ``return_exchange``), and F2 settles
the difference. The quantity to return is never typed:
``+``/``-`` change it by one and Enter takes all that is returnable of the selected line, so a
scanner burst can only ever be a code (a product code of the ticket selects its line and takes
one more unit of it: the fast path, which the scan field's placeholder offers). Policy breaches
stay in red in the status line until a manager approves them (F6: PIN, then a note); a
loss-prevention signal about the customer or the receipt is one of them, and the cashier reads
only "Ask a manager" (``till.returns.loss_check``; the manager reads the signals after the PIN). Taking
a line of a serial-tracked product first asks for the serial sold (scanned or typed); the
session refuses a wrong one, and nothing changes.

Focus stays in the scan field. ``+``, ``-`` and Enter reach the screen from the field only
when it is empty, in the order the keys arrived (``ReturnScanInput``, see Textual #6605): a
receipt code such as ``T01-0000012x`` keeps its ``-``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from till.credit.notes import issued_by
from till.selling import catalogue
from till.shop.context import TillContext
from till.i18n import N_, _
from till.returns.session import ReturnError, ReturnSession, customer_summary, find_sale
from till.returns.written import WrittenReturn, written_return
from till.scanning import ProductCode, ReceiptProofCode, SkuCode, TicketCode, parse
from till.ui.dialogs.credit_note_issued import CreditNoteIssuedScreen
from till.ui.feedback import Refused, guarded, key, money, translate_bindings
from till.ui.returns.choices import ReturnChoiceKeys
from till.config.reasons import disposition_label, reason_label
from till.ui.returns.dialogs import SerialScreen
from till.ui.returns.exchange import ReturnExchangeKeys
from till.ui.returns.payment import ExchangePaymentScreen
from till.ui.returns.receipt_scan import OpensReceipts
from till.ui.returns.resolution import ResolutionScreen, means_label
from till.ui.returns.scan import ReturnScanInput
from till.ui.widgets.basket_table import BasketTable
from till.ui.widgets.return_table import ReturnRow, ReturnTable
from till.ui.widgets.scan_input import ScanInput
from till.ui.widgets.status_line import HasStatus, StatusLine
from till.ui.widgets.key_footer import KeyFooter


def chosen_disposition(pick: Any) -> str | None:
    """The disposition the cashier chose for ``pick`` (kept when the quantity changes), or None
    when it still follows the reason."""
    return pick.disposition if pick.disposition_chosen else None


@dataclass(frozen=True)
class ReturnDone:
    """What the return screen hands the sale screen once a return or exchange is written: the
    line to say, and the cash the drawer gives for it (change, or a cash refund)."""

    message: str
    change_cents: int
    cash_refund_cents: int


class ReturnScreen(OpensReceipts, ReturnExchangeKeys, ReturnChoiceKeys, HasStatus, Screen["str | None"]):
    """One return; dismisses with the sale screen's status text once written, ``None`` on Esc."""

    BINDINGS = [
        key("enter", "take_all", "All", "return-take-all", N_("Take back all that is left of the selected line"),
             key_display="Enter"),
        key("plus", "more", "Qty", "return-more", N_("One more of the selected line (- one less)"),
             key_display="+/-"),
        key("minus", "less", "-1", "return-less", N_("One less of the selected line"), show=False),
        key("f2", "resolve", "Settle", "return-refund", N_("Choose how the customer is refunded")),
        key("f3", "reason", "Why", "return-reason", N_("Why the item comes back")),
        key("f4", "disposition", "Dispo", "return-disposition", N_("Where the item goes: shelf, damaged...")),
        key("f5", "no_receipt", "No rcpt", "return-no-receipt", N_("Return without a receipt")),
        key("f6", "manager", "Mgr", "return-manager", N_("A manager approves a return outside the policy")),
        key("f7", "customer", "Client", "return-customer", N_("Find the ticket among a customer's purchases")),
        key("f8", "exchange", "Exch", "return-exchange", N_("Exchange: scan the new items (F8 again: back)")),
        key("escape", "leave", "Back", "return-back", N_("Back to the sale, nothing written"), key_display="Esc"),
        key("up", "cursor(-1)", "Previous line", "return-line-up", show=False),
        key("down", "cursor(1)", "Next line", "return-line-down", show=False),
    ]
    """Footer words stay short so that they fit two rows of 80 columns in French too (the snapshot
    test checks it); ``-`` is with ``+`` ("+/-"), and Ctrl+T lists every key in full."""

    def __init__(self, ctx: TillContext, user: Any, code: str | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.ctx = ctx
        self.user = user
        self.session = ReturnSession.at(ctx, user)
        self.first_code = code
        """A receipt scanned on the sale screen, opened at mount."""
        self._summary: tuple[int, object] | None = None
        """(customer id, ``CustomerSummary``) of the customer shown."""

    def compose(self) -> ComposeResult:
        yield Static("", id="return-info", markup=False)
        yield Static("", id="return-customer", markup=False)
        yield ReturnScanInput(id="return-scan")
        yield ReturnTable(id="return-lines")
        yield BasketTable(id="exchange-lines")
        yield Static("", id="return-total", markup=False)
        yield StatusLine(id="return-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.scan_input.focus()
        self.show_mode()
        self.redraw()
        if self.first_code:
            self._open_code(self.first_code)
        else:
            self.show_info(_("Scan the receipt, type its number, F7: customer, F5: no receipt"))

    @property
    def scan_input(self) -> ReturnScanInput:
        return self.query_one(ReturnScanInput)

    @property
    def table(self) -> ReturnTable:
        return self.query_one(ReturnTable)

    # -- showing ---------------------------------------------------------------------------
    def _rows(self) -> list[ReturnRow]:
        session = self.session
        rows = []
        by_line = {pick.origin.line_id: pick for pick in session.picks if pick.origin is not None}
        for line in session.lines:
            pick = by_line.get(line.line_id)
            back = line.returned + line.elsewhere  # with a receipt of another shop: in any shop
            rows.append(ReturnRow(f"l{line.line_id}", line.label, line.sold, back, line.returnable,
                                  pick.quantity if pick else 0, self._why(pick)))
        for pick in session.picks:
            if pick.origin is None:
                rows.append(ReturnRow(f"p{pick.key}", pick.label, None, None, None, pick.quantity,
                                      self._why(pick)))
        return rows

    @staticmethod
    def _why(pick) -> str:
        if pick is None:
            return ""
        text = reason_label(pick.reason) if pick.reason else "?"
        if pick.disposition != "restock":
            text += " / " + disposition_label(pick.disposition)
        return text

    def redraw(self) -> None:
        """Table, header lines, amount; then the breaches (red) or ``info``."""
        session = self.session
        self.table.sync(self._rows())
        self.sync_new_items()
        if session.reference is not None:  # a receipt, or an online order
            date = session.sold_at.strftime("%d/%m/%Y")
            if self.exchange is not None:
                info = _("Exchange of ticket {code} of {date}", code=session.reference, date=date)
            elif session.receipt is not None:
                info = _("Return of receipt {code} of {date}, sold in shop {shop}", code=session.reference,
                         date=date, shop=session.order.shop_id or "?")
            elif session.order is not None:
                info = _("Return of online order {code} of {date}", code=session.reference, date=date)
            else:
                info = _("Return of ticket {code} of {date}", code=session.reference, date=date)
        elif session.no_receipt:
            info = _("Return without receipt: scan the items")
        else:
            info = _("Return: scan the receipt")
        self.query_one("#return-info", Static).update(Text(info))
        self.scan_input.placeholder = self.scan_hint()
        self.query_one("#return-customer", Static).update(Text(self._customer_line()))
        self.query_one("#return-total", Static).update(Text(self._total_line(), style="bold"))

    def scan_hint(self) -> str:
        """What a scan does now, shown in the scan field while it is empty."""
        if self.exchanging:
            return _("Exchange: scan the new items")
        if self.session.reference is not None:
            return _("Scan an item of the ticket to select its line")
        if self.session.no_receipt:
            return _("Scan each item brought back")
        return _("Scan the receipt or type the ticket number")

    def _total_line(self) -> str:
        """What comes back; in an exchange also the new items and who pays the difference."""
        session = self.session
        if session.basket is None:
            return _("To refund: {amount}", amount=money(max(0, -session.balance_cents)))
        balance = session.balance_cents
        difference = (_("To pay: {amount}", amount=money(balance)) if balance >= 0
                      else _("To refund: {amount}", amount=money(-balance)))
        return _("Back: {returned}   New: {new}   {difference}", returned=money(session.returned_cents),
                 new=money(session.new_cents), difference=difference)

    def _customer_line(self) -> str:
        customer = self.session.customer
        if customer is None:
            return _("Customer: -")
        if self._summary is None or self._summary[0] != customer.id:  # read once per customer
            self._summary = (customer.id, customer_summary(customer))
        summary = self._summary[1]
        session = self.session
        if session.ticket is None:  # the return being made counts: it is what the cashier weighs
            rate_bp = summary.return_rate_bp_with(session.returned_cents, session.new_cents)
        else:  # written: read again (``_resolved``), it is in the figures now
            rate_bp = summary.return_rate_bp
        line = _("{name}: {visits} visits, basket {average}, returns {rate} %",
                 name=customer.display_name, visits=summary.visits,
                 average=money(summary.average_basket_cents), rate=f"{rate_bp / 100:.0f}")
        if summary.open_credit_notes:
            line += "   " + _("credit notes: {count} ({amount})", count=len(summary.open_credit_notes),
                                amount=money(sum(left for _note, left in summary.open_credit_notes)))
        if summary.loyalty_points:
            line += "   " + _("{points} points", points=summary.loyalty_points)
        return line

    def after_change(self, info: str) -> None:
        """Redraw and say ``info``, unless a breach is waiting for a manager: that stays in red."""
        self.redraw()
        pending = self.session.unapproved()
        if pending:
            self.show_error(pending[0].error().text() + "   " + _("F6: manager"))
        else:
            self.show_info(info)

    # -- finding the ticket ----------------------------------------------------------------
    @guarded
    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        message.stop()
        self._open_code(message.code, message.keyed)

    @guarded
    def _open_code(self, code: str, keyed: bool | None = None) -> None:
        """Open the ticket ``code`` names, or take back the item it names; an item's code is
        noted as ``keyed`` or scanned once taken (``ReturnSession.entry``, a cashier signal)."""
        session = self.session
        if self.asking:  # head office is being asked about a receipt: nothing else meanwhile
            return
        try:
            scan = parse(code)
        except Exception:  # noqa: BLE001 - a bad check digit: maybe a typed ticket number
            scan = None
        if isinstance(scan, ReceiptProofCode):  # a receipt's QR code: its ticket, or another shop's receipt
            self.open_receipt_code(scan.text)
            return
        if isinstance(scan, TicketCode) or (session.reference is None and not session.no_receipt):
            try:
                found = find_sale(code, self.ctx.sealer.till_id)  # a receipt, else an online order's number
            except ReturnError as refusal:  # maybe an order head office has and this till not yet
                desk = None if isinstance(scan, TicketCode) else session.order_desk(code)
                if desk is None:
                    raise
                self.ask_head_office_for_order(desk, code, refusal)
                return
            if (session.original or session.order) == found:
                self.after_change(_("Ticket {code} is already open", code=session.reference))
                return
            if session.picks:
                raise Refused(_("One ticket per return: F2 to finish this one, or Esc"))
            session.open(found)
            self._opened()
            return
        if self.exchanging:
            self.add_new_item(code)
            return
        product, quantity = self._product(scan, code)
        if session.no_receipt:
            same = next((p for p in session.picks if p.product_id == product.id and p.origin is None), None)
            if same is not None and not product.serial_tracked:  # the same item again: one more
                self.table.select(f"p{same.key}")
                self._step(quantity)
                self._note_entry(keyed)
                return
            if product.serial_tracked:  # each such item has its own serial: one row each
                self.ask_serial(product.name, lambda serial: (self._take_product(product, quantity, serial),
                                                              self._note_entry(keyed)))
                return
            self._take_product(product, quantity)
            self._note_entry(keyed)
            return
        # the first line of that product with some left to take (a product may be on two lines)
        lines = [line for line in session.lines if line.product_id == product.id and line.returnable]
        line = next((line for line in lines if self._picked(line.line_id) < line.returnable),
                    lines[-1] if lines else None)
        if line is None:
            raise Refused(_("{label} is not on this ticket, or was already returned", label=product.name))
        self.table.select(f"l{line.line_id}")  # even if no more can come back: the cashier sees why
        self._set_quantity(line.line_id, self._picked(line.line_id) + quantity, scanned=True)
        self._note_entry(keyed)

    def _note_entry(self, keyed: bool | None) -> None:
        if keyed is not None:
            self.session.entry.note(keyed)

    def _take_product(self, product, quantity: int, serial: str | None = None) -> None:
        """Without a receipt: one more row for ``product``."""
        pick = self.session.pick_product(product, quantity, serial)
        self.table.sync(self._rows())
        self.table.select(f"p{pick.key}")
        self.after_change(_("{label}: F3 reason", label=pick.label))

    def ask_serial(self, label: str, then) -> None:
        """Ask the serial of ``label`` (a dialog); ``then(serial)`` runs guarded on this screen, so
        the session's refusal of a wrong serial lands in the status line and nothing changes."""
        def given(serial: str | None) -> None:
            if serial is None:
                self.after_change(_("No serial number given: nothing was taken back"))
                return
            self._guarded_call(then, serial)

        self.app.push_screen(SerialScreen(label), given)

    @guarded
    def _guarded_call(self, function, *args) -> None:
        function(*args)

    def _opened(self) -> None:
        self.table.sync(self._rows())
        lines = self.session.lines
        if lines:
            self.table.move_cursor(row=0)
        self.after_change(_("Ticket {code}: Enter all, +/- one, F3 reason, Esc back", code=self.session.reference))

    @staticmethod
    def _product(scan, code: str):
        if isinstance(scan, ProductCode):
            product, quantity = catalogue.product_by_barcode(scan.key), scan.quantity
        elif isinstance(scan, SkuCode):
            product = catalogue.product_by_barcode(scan.text) or catalogue.product_by_sku(scan.text)
            quantity = scan.quantity
        else:
            product, quantity = None, 1
        if product is None:
            raise Refused(_("Unknown code {code}: nothing was changed", code=code))
        return product, quantity

    # -- quantities ------------------------------------------------------------------------
    def on_return_scan_input_command(self, message: ReturnScanInput.Command) -> None:
        message.stop()
        getattr(self, f"action_{message.action}")()

    def action_cursor(self, step: int) -> None:
        table = self.new_items if self.exchanging else self.table
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def _selected(self) -> str:
        key = self.table.selected_key
        if key is None:
            raise Refused(_("Scan the receipt first"))
        return key

    def _pick_for(self, key: str):
        if key.startswith("p"):
            return next(p for p in self.session.picks if p.key == int(key[1:]))
        line_id = int(key[1:])
        return next((p for p in self.session.picks if p.origin and p.origin.line_id == line_id), None)

    def _picked(self, line_id: int) -> int:
        pick = self._pick_for(f"l{line_id}")
        return pick.quantity if pick else 0

    @guarded
    def action_take_all(self) -> None:
        if self.exchanging:
            raise Refused(_("Exchange: scan the new items; F8: back to the returned items"))
        key = self._selected()
        if key.startswith("p"):
            raise Refused(_("Without a receipt, scan each item"))
        line = next(line for line in self.session.lines if line.line_id == int(key[1:]))
        if not line.returnable:
            raise Refused(_("{label} was already returned", label=line.label))
        self._set_quantity(line.line_id, line.returnable)

    @guarded
    def action_more(self) -> None:
        self.step_new_item(1) if self.exchanging else self._step(1)

    @guarded
    def action_less(self) -> None:
        self.step_new_item(-1) if self.exchanging else self._step(-1)

    def _step(self, delta: int) -> None:
        key = self._selected()
        pick = self._pick_for(key)
        if key.startswith("p"):
            session = self.session
            quantity = pick.quantity + delta
            if quantity > 0 and pick.serial:
                raise Refused(_("Scan each item with a serial number on its own"))
            if quantity > 0:  # the new pick first: if it is refused, the old one stays
                product = catalogue.product_by_sku(pick.sku)
                new = session.pick_product(product, quantity, pick.serial, pick.reason, pick.note,
                                           chosen_disposition(pick))
                session.unpick(pick.key)
                self.table.sync(self._rows())
                self.table.select(f"p{new.key}")
            else:
                session.unpick(pick.key)
            self.after_change(_("{label}: {quantity} to return. F2: refund, F3: reason", label=pick.label,
                                quantity=quantity))
            return
        self._set_quantity(int(key[1:]), max(0, (pick.quantity if pick else 0) + delta))

    def _set_quantity(self, line_id: int, quantity: int, serial: str | None = None, scanned: bool = False) -> None:
        """Take back ``quantity`` of an original line, keeping its reason and disposition (a line
        taken for the first time gets the shop's default reason, see ``ReturnSession.pick``).

        The first unit of a serial-tracked product's line asks for the serial sold; the pick
        happens when it is given (``ask_serial``), and keeps it after. ``scanned``: its product
        was scanned, and the status line says that the scan selected its line.
        """
        session = self.session
        pick = self._pick_for(f"l{line_id}")
        if quantity <= 0:
            if pick is not None:
                session.unpick(pick.key)
        elif pick is None:
            line = next(line for line in session.lines if line.line_id == line_id)
            if serial is None and catalogue.is_serial_tracked(line.product_id):
                self.ask_serial(line.label, lambda given: self._set_quantity(line_id, quantity, given, scanned))
                return
            session.pick(line_id, quantity, serial)
        else:
            session.pick(line_id, quantity, pick.serial, pick.reason, pick.note, chosen_disposition(pick))
        self.table.select(f"l{line_id}")
        label = next(line.label for line in session.lines if line.line_id == line_id)
        if scanned:
            self.after_change(_("{label} scanned: line selected, {quantity} to return. F3: reason", label=label,
                                quantity=quantity))
        else:
            self.after_change(_("{label}: {quantity} to return. F2: refund, F3: reason", label=label,
                                quantity=quantity))

    # -- refund ----------------------------------------------------------------------------
    @guarded
    def action_resolve(self) -> None:
        session = self.session
        if not session.picks:
            raise Refused(_("Choose what comes back first: Enter or +"))
        missing = next((p for p in session.picks if p.reason is None), None)
        if missing is not None:
            raise Refused(_("Give a reason for {label}: F3", label=missing.label))
        pending = session.unapproved()
        if pending:
            raise Refused(pending[0].error().text() + "   " + _("F6: manager"))
        session.exchange_with(self.exchange)  # no new items (or all voided): a plain return
        if session.basket is not None and session.balance_cents >= 0:
            self.app.push_screen(ExchangePaymentScreen(session), self._resolved)
        else:
            self.app.push_screen(ResolutionScreen(session), self._resolved)

    @guarded
    def _resolved(self, ticket: Any) -> None:
        if ticket is None:
            if self.session.basket is not None:
                self.after_change(_("Exchange not written: nothing was charged"))
            else:
                self.after_change(_("Refund cancelled: nothing was written"))
            return
        self.app.process_outbox()
        self._summary = None  # the customer's figures now hold this return
        self.redraw()
        written = written_return(ticket)
        done = ReturnDone(self._written(written), written.change_cents, written.cash_refund_cents)
        issued = issued_by(ticket)
        if issued:  # the code on screen too: a voucher not printed or lost must not cost the credit
            self.app.push_screen(CreditNoteIssuedScreen(issued), lambda _closed: self.dismiss(done))
        else:
            self.dismiss(done)

    @staticmethod
    def _written(done: WrittenReturn) -> str:
        """What the sale screen says once the return or exchange is written."""
        refunds = ", ".join(f"{means_label(means)} {money(cents)}" for means, cents in done.refunds)
        if not done.exchange:
            return _("Return {code} written, refund {payments}", code=done.code, payments=refunds or "-")
        paid = ", ".join(f"{means_label(means)} {money(cents)}" for means, cents in done.paid)
        if paid:
            return _("Exchange {code} written, paid {payments}. Change: {change}", code=done.code,
                     payments=paid, change=money(done.change_cents))
        if refunds:
            return _("Exchange {code} written, refund {payments}", code=done.code, payments=refunds)
        return _("Exchange {code} written, nothing to pay", code=done.code)

    def action_leave(self) -> None:
        self.dismiss(None)
