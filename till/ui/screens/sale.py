"""The sale screen: scan, adjust lines, pay. A thin layer over ``till.selling.basket.Basket``.

Each key is a ``Binding`` (shown in the Footer, with an id for per-shop keymaps) whose action
calls the basket and redraws what changed: the table by row key, the totals, the status line.
A refusal (``TillError``) leaves the basket as it was and says why in red in the status line,
which stays until the next action (a toast would vanish before the cashier looks up). Focus
never leaves the scan field: up/down move the table's cursor from there.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from till import scanning
from till.aftersale.jobs import receipt_lines
from till.credit.remote import RemoteCreditDesk
from till.errors import TillError
from till.fiscal.closures import require_open_day
from till.i18n import N_, _
from till.people.auth import is_approver
from till.selling.basket import Basket, NeedsManager
from till.selling.catalogue import UnknownProduct
from till.selling.checkout import Checkout, CompletedSale
from till.shop.context import TillContext
from till.ui.devices_bridge import WedgeScanInput
from till.ui.dialogs.customer import NO_CUSTOMER, CustomerScreen
from till.ui.dialogs.discount import Discount, DiscountScreen
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.dialogs.quantity import QuantityScreen
from till.ui.feedback import Refused, guarded, key, money, translate_bindings
from till.ui.screens.credit_note_balance import CreditNoteBalanceScreen
from till.ui.screens.payment import PaymentScreen
from till.ui.screens.receipt import ReceiptScreen
from till.ui.widgets.basket_table import BasketTable, quantity_text
from till.ui.widgets.scan_input import ScanInput
from till.ui.widgets.status_line import HasStatus, StatusLine
from till.ui.widgets.totals import TotalsPanel
from till.ui.widgets.key_footer import KeyFooter


def receipt_code(code: str) -> str | None:
    """What a receipt scanned where items are scanned opens a return with: a receipt of ours
    (``T01-0000123x``) as scanned, or the proof of any shop's receipt (its QR code) as read; None
    for anything else."""
    try:
        scan = scanning.parse(code)
    except Exception:  # noqa: BLE001 - not a receipt; the basket says what it is
        return None
    if isinstance(scan, scanning.ReceiptProofCode):
        return scan.text
    return code if isinstance(scan, scanning.TicketCode) else None


def credit_note_code(code: str) -> str | None:
    """The code of a valid credit note scanned where items are scanned, else None (a wrong one
    is left to the basket, which says why)."""
    try:
        scan = scanning.parse(code)
    except Exception:  # noqa: BLE001 - not a credit note; the basket says what it is
        return None
    return scan.code if isinstance(scan, scanning.CreditNoteCode) else None


class SaleScreen(HasStatus, Screen[None]):
    """One cashier's sales, one basket after another, until logout."""

    BINDINGS = [
        key("f1", "closures", "Mgr", "sale-closures", N_("The manager's screen: X report and closures")),
        key("f2", "pay", "Pay", "sale-pay", N_("Take the payment")),
        key("f3", "quantity", "Qty", "sale-quantity", N_("Change the quantity of the selected line")),
        key("f4", "void", "Void", "sale-void", N_("Remove the selected line")),
        key("f5", "line_discount", "Disc", "sale-line-discount", N_("Discount the selected line")),
        key("f6", "ticket_discount", "T.disc", "sale-ticket-discount", N_("Discount the whole ticket")),
        key("f7", "customer", "Cust", "sale-customer", N_("Name the customer on the ticket")),
        key("f8", "receipt", "Receipt", "sale-receipt", N_("Show the receipt of the last ticket")),
        key("f9", "logout", "Logout", "sale-logout", N_("Log out")),
        key("f11", "credit_note_balance", "Credit note", "sale-credit-note-balance",
            N_("Show the balance of a credit note")),
        key("f12", "returns", "Returns", "sale-returns", N_("Take items back: return or refund")),
        key("up", "cursor(-1)", "Previous line", "sale-line-up", N_("Select the line above"), show=False),
        key("down", "cursor(1)", "Next line", "sale-line-down", N_("Select the line below"), show=False),
    ]
    """The cashier's keys, F1 to F12; F10 (quit) and Ctrl+T (this list) belong to the app. Footer
    words are short so that the footer takes two rows at most at 80 columns in French; the
    tooltip says it in full (the help overlay shows it)."""

    def __init__(self, ctx: TillContext, user: Any, training: bool = False) -> None:
        super().__init__()
        translate_bindings(self)
        self.ctx = ctx
        self.user = user
        self.training = training
        """Training mode (chosen at login): practice tickets in chain X, marked on screen."""
        self.basket = self._new_basket()
        self.last_ticket_id: int | None = None
        """The ticket F8 previews: the last one paid at this screen."""

    def _new_basket(self) -> Basket:
        return Basket(self.ctx.config, self.ctx.sealer, self.user, training=self.training)

    # -- layout and accessors ------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="sale-info", markup=False)
        # prefix, suffix, layout mismatch and partial scans as [scanner] says (a ScanInput still)
        yield WedgeScanInput(id="scan", placeholder=_("Scan or type a code (3*code for 3)"))
        yield BasketTable(id="basket")
        yield TotalsPanel(id="totals")
        yield StatusLine(id="sale-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.redraw()
        self.scan_input.focus()
        self._check_day()

    def _check_day(self) -> None:
        """Say at once when the till cannot sell before a closure (the writer refuses anyway)."""
        if self.training:  # practice tickets wait for no closure
            return

        try:
            require_open_day(self.ctx.till_id, None, self.ctx.sealer.zone)
        except TillError as error:
            self.show_error(error.text() + "   " + _("F1: closures"))

    @property
    def scan_input(self) -> ScanInput:
        return self.query_one(ScanInput)

    @property
    def table(self) -> BasketTable:
        return self.query_one(BasketTable)

    @property
    def totals_panel(self) -> TotalsPanel:
        return self.query_one(TotalsPanel)

    # -- showing ---------------------------------------------------------------------------
    def redraw(self, change_cents: int | None = None, refund_cents: int | None = None) -> None:
        """Bring the table, totals and header line up to date with the basket; just after a
        ticket, the big figures say what the drawer gives for it (``TotalsPanel.show``)."""
        self.table.sync(self.basket.lines)
        self.totals_panel.show(self.basket.totals(), change_cents, refund_cents)
        customer = self.basket.customer
        info = (_("TRAINING") + "   ") if self.training else ""
        info += _("Cashier: {name}", name=self.user.name)
        info += "   " + _("Customer: {name}", name=customer.display_name if customer else "-")
        self.query_one("#sale-info", Static).update(Text(info), layout=False)

    def _selected_line_id(self) -> int:
        line_id = self.table.selected_line_id
        if line_id is None:
            raise Refused(_("Scan an item first"))
        return line_id

    # -- scanning --------------------------------------------------------------------------
    @guarded
    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        message.stop()
        note = credit_note_code(message.code)
        if note is not None:  # a credit note is not an item: show its balance
            self.app.push_screen(CreditNoteBalanceScreen(note))
            return
        receipt = receipt_code(message.code)
        if receipt is not None:  # a receipt, ours or another shop's: take it back
            self.action_returns(receipt)
            return
        try:
            line = self.basket.add_code(message.code)
        except UnknownProduct:
            from till.returns.lines import find_order  # deferred: loaded on first use (start-up)

            if find_order(message.code) is None:
                raise
            self.action_returns(message.code)  # an online order's number: it comes back here too
            return
        self.redraw()
        self.table.select_line(line.id)
        self.show_info(f"{line.label} x {quantity_text(line)}")
        if self.display is not None:
            self.display.on_line_added(line.label, quantity_text(line), line.total_cents)

    @property
    def display(self):
        """The customer display's feed (never blocks: it writes in a thread), or None."""
        return getattr(self.app, "customer_display", None)

    def action_cursor(self, step: int) -> None:
        if self.table.row_count:
            row = max(0, min(self.table.row_count - 1, self.table.cursor_row + step))
            self.table.move_cursor(row=row)

    # -- line changes ----------------------------------------------------------------------
    @guarded
    def action_quantity(self) -> None:
        line = self.basket.line(self._selected_line_id())
        screen = QuantityScreen(line.label, line.quantity)
        self.app.push_screen(screen, partial(self._set_quantity, line.id))

    @guarded
    def _set_quantity(self, line_id: int, typed: str | None) -> None:
        if typed is not None:
            self.basket.set_typed_quantity(line_id, typed)
            self.redraw()
            self.show_info("")

    @guarded
    def action_void(self) -> None:
        line_id = self._selected_line_id()
        label = self.basket.line(line_id).label
        self.basket.void_line(line_id)
        self.redraw()
        self.show_info(_("Voided: {label}", label=label))

    @guarded
    def action_line_discount(self) -> None:
        line = self.basket.line(self._selected_line_id())
        screen = DiscountScreen(_("Line discount"), line.label)
        self.app.push_screen(screen, partial(self._discount, line.id))

    @guarded
    def action_ticket_discount(self) -> None:
        if self.basket.is_empty:
            raise Refused(_("Scan an item first"))
        total = money(self.basket.totals().total_cents)
        screen = DiscountScreen(_("Ticket discount"), _("Total: {amount}", amount=total))
        self.app.push_screen(screen, partial(self._discount, None))

    @guarded
    def _discount(self, line_id: int | None, discount: Discount | None,
                  approved_by: Any = None) -> None:
        """Apply a line (``line_id``) or ticket (``None``) discount.

        Above the cashier's limit the basket raises ``NeedsManager``: the manager PIN dialog
        opens (it records the approval in chain L) and the same discount is retried with the
        approving manager; Esc there leaves the basket as it was.
        """
        if discount is None:
            return
        try:
            if line_id is None:
                self.basket.discount_ticket(approved_by=approved_by, **discount)
            else:
                self.basket.discount_line(line_id, approved_by=approved_by, **discount)
        except NeedsManager as needed:
            self.show_error(needed.text())
            reason = "ticket discount" if line_id is None else "line discount"
            screen = ManagerPinScreen(self.ctx.sealer, reason, needed.text(),
                                      details={"cashier": self.user.login, **discount})
            self.app.push_screen(
                screen, lambda manager: manager and self._discount(line_id, discount, manager))
            return
        self.redraw()
        self.show_info(_("Discount applied"))

    # -- customer, payment, receipt, logout ------------------------------------------------
    @guarded
    def action_customer(self) -> None:
        self.app.push_screen(CustomerScreen(self.basket.customer), self._attach_customer)

    @guarded
    def _attach_customer(self, choice: Any) -> None:
        if choice is None:
            return
        self.basket.attach_customer(None if choice == NO_CUSTOMER else choice)
        self.redraw()
        self.show_info("")

    @guarded
    def action_pay(self) -> None:
        checkout = Checkout(self.basket, self.ctx.terminal, RemoteCreditDesk.for_context(self.ctx))
        if self.display is not None:
            self.display.on_total(self.basket.totals().total_cents)
        self.app.push_screen(PaymentScreen(checkout), self._paid)

    @guarded
    def _paid(self, completed: CompletedSale | None) -> None:
        """Back from the payment: a written ticket starts a new basket and prints (off-thread)."""
        if completed is None:
            self.show_info(_("Payment cancelled: the basket is kept"))
            return
        ticket = completed.ticket
        self.last_ticket_id = ticket.id
        self.basket = self._new_basket()
        self.redraw(change_cents=completed.change_cents)
        self.show_info(_("Ticket {number} paid. Change: {change}. F8: receipt",
                         number=ticket.number, change=money(completed.change_cents)))
        if self.display is not None:
            self.display.on_paid(completed.change_cents)
        self.app.process_outbox()

    @guarded
    def action_receipt(self) -> None:
        if self.last_ticket_id is None:
            raise Refused(_("No ticket paid yet at this till since login"))
        self.app.push_screen(ReceiptScreen(receipt_lines(self.ctx.config, self.last_ticket_id),
                                           duplicate=self._print_duplicate, email=self._email_receipt,
                                           sms=self._sms_receipt))

    def _sms_receipt(self) -> str:
        """F4 on the receipt preview: a text message with the ticket's code, if the customer agreed."""
        from till.aftersale.messages.resend import (  # deferred: loaded on first use (start-up)
            NoCustomerOnTicket,
            text_receipt,
        )

        try:
            text_receipt(self.ctx.config, self.ctx.till_id, self.last_ticket_id)
        except NoCustomerOnTicket:
            raise Refused(_("This ticket has no customer to e-mail (F7 names one before paying)")) from None
        self.app.process_outbox()
        return _("Text message sent to the customer (in the background)")

    def _email_receipt(self) -> str:
        """F3 on the receipt preview: e-mail it to the ticket's customer, if they agreed."""
        from till.aftersale.messages.resend import (  # deferred: loaded on first use (start-up)
            NoCustomerOnTicket,
            email_receipt,
        )

        try:
            email_receipt(self.ctx.sealer, self.last_ticket_id, self.user)
        except NoCustomerOnTicket:
            raise Refused(_("This ticket has no customer to e-mail (F7 names one before paying)")) from None
        self.app.process_outbox()
        return _("Receipt e-mailed to the customer (sent in the background)")

    def _print_duplicate(self) -> str:
        """F2 on the receipt preview: copy n of the last ticket, signed in chain C, then printed."""
        from till.aftersale.duplicates import make_duplicate  # deferred: loaded on first use (start-up)

        copy = make_duplicate(self.ctx.sealer, self.last_ticket_id, self.user)
        self.app.process_outbox()
        return _("Duplicate No. {number} sent to the printer", number=copy.number)

    @guarded
    def action_closures(self) -> None:
        """F1: the manager's X report and closures; a cashier needs a manager's PIN."""

        if is_approver(self.user):
            self._open_closures(self.user)
            return
        self.app.push_screen(ManagerPinScreen(self.ctx.sealer, "closures",
                                              _("A manager's PIN is needed for the closures")),
                             self._open_closures)

    def _open_closures(self, manager) -> None:
        if manager is None:
            return
        from till.ui.screens.closures import ClosuresScreen  # deferred: a screen loads when opened

        self.app.push_screen(ClosuresScreen(self.ctx, manager), self._after_closures)

    def _after_closures(self, _result: None) -> None:
        self.show_info("")
        self._check_day()

    @guarded
    def action_credit_note_balance(self) -> None:
        self.app.push_screen(CreditNoteBalanceScreen())

    @guarded
    def action_returns(self, code: str | None = None) -> None:
        """F12, or a receipt scanned here: the return screen (on that ticket); the basket waits."""
        from till.ui.returns.screen import ReturnScreen  # deferred: a screen loads when opened

        if self.training:
            raise Refused(_("Returns are not available in training mode"))
        self.app.push_screen(ReturnScreen(self.ctx, self.user, code), self._returned)

    def _returned(self, done) -> None:
        """Back from the return screen: what was written, and what the drawer gives for it (the
        big figures: the change of an exchange paid in cash, or the cash refunded), never the
        previous sale's change."""
        if done is None:
            return
        self.redraw(change_cents=done.change_cents or None,
                    refund_cents=None if done.change_cents else (done.cash_refund_cents or None))
        self.show_info(done.message)

    @guarded
    def action_logout(self) -> None:
        if not self.basket.is_empty:
            raise Refused(_("Pay or void the basket before logging out"))
        self.app.logout(self.user)

