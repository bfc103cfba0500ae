"""Taking the money: cash, card, or both, for one ``Checkout``.

Cash is immediate. A card payment blocks until the customer has paid or the terminal gave up,
so ``Checkout.pay_card`` runs in a thread worker and the screen says "waiting for the
terminal"; while it waits, no other key changes the checkout. A split tender is just several
tenders: type an amount then F2 to charge part of it by card, then cash for the rest (or cash
first, then F2 for what is still due). When the total is covered the ticket is written at once
(``Checkout.complete``) and the screen dismisses with the ``CompletedSale``; the sale screen
shows the change in big figures.

F4 pays with a credit note (avoir): scan or type its code in the dialog; by default it pays
as much as the note holds up to what is due, or the amount typed before F4. A note of this shop
is only debited when the ticket is written: if another till spent it meanwhile, the sale is
refused, the credit note tender dropped, and the cashier chooses another means. With head office
configured, another shop's note (and one of this shop's that head office knows) is asked of head
office in a worker, like the card terminal, and held there; Esc gives it back before leaving.

When the terminal's answer is lost (it took the request and went silent, or answered after the
till stopped waiting), the card may have been charged: the screen says to check the terminal's
own journal and takes nothing else, by any means, until a manager settles it (F9): approved,
with the terminal's reference, adds the card payment; not approved lets the cashier start again.

Esc abandons the payment only while no card was charged: an approved card payment is money
taken from the customer, and leaving would lose it without a trace, so the screen refuses and
offers F3, which refunds the card through the terminal (``Checkout.cancel``), then leaves.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from till.selling import card_settlement
from till.i18n import _
from till.means import means
from till.selling.checkout import Checkout, CompletedSale, Tender
from till.ui.blocking import off_loop
from till.ui.feedback import Refused, error_text, guarded, money, translate_bindings
from till.ui.dialogs.card_settle import settle_unknown
from till.ui.screens.credit_note_balance import CreditNoteCodeScreen
from till.ui.widgets.amount_keys import DigitsStartAmount
from till.ui.widgets.status_line import HasStatus, StatusLine
from till.ui.widgets.key_footer import KeyFooter

TERMINAL_GROUP = "terminal"
"""Worker group of card payments (tests wait for it)."""


class PaymentScreen(DigitsStartAmount, HasStatus, ModalScreen[CompletedSale | None]):
    """Total, paid, due; F1/C cash, F2 card, Esc cancel."""

    AUTO_FOCUS = ""
    """No field has focus at first, so that "c" is a key, not a character (None would mean
    "the app's default", which focuses the amount field)."""

    BINDINGS = [
        Binding("f1,c", "cash", "Cash", id="payment-cash", key_display="F1/C"),
        Binding("f2", "card", "Card", id="payment-card", key_display="F2"),
        Binding("f3", "refund_cards", "Refund card", id="payment-refund-card", key_display="F3"),
        Binding("f4", "credit_note", "Credit note", id="payment-credit-note", key_display="F4"),
        Binding("f9", "settle_card", "Manager: card", id="payment-settle-card", key_display="F9", show=False),
        Binding("escape", "cancel", "Cancel", id="payment-cancel", key_display="Esc"),
    ]

    def __init__(self, checkout: Checkout) -> None:
        super().__init__()
        translate_bindings(self)
        self.checkout = checkout
        self.waiting = False
        """True while the card terminal has the customer: every other key is refused."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog payment-dialog"):
            yield Label(_("Payment"), classes="dialog-title")
            yield Static("", id="payment-figures")
            yield Label(_("Amount (empty: all due). Enter: cash   F2: card"))
            # select_on_focus=False: the first digit typed focuses the field (DigitsStartAmount);
            # selecting its text then would let the second digit replace the first.
            yield Input(id="amount", placeholder=_("Amount received"), restrict=r"[0-9.,]{0,12}",
                        select_on_focus=False)
            yield StatusLine(id="payment-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.redraw()

    @property
    def amount_input(self) -> Input:
        return self.query_one("#amount", Input)

    def redraw(self) -> None:
        checkout = self.checkout
        figures = Table.grid(padding=(0, 2))
        figures.add_column()
        figures.add_column(justify="right")
        figures.add_row(_("Total to pay"), money(checkout.total_cents))
        for tender in checkout.tenders:
            figures.add_row("  " + self._means(tender), money(tender.amount_cents))
        figures.add_row(_("Paid"), money(checkout.paid_cents))
        figures.add_row(Text(_("Due"), style="bold"), Text(money(checkout.due_cents), style="bold"))
        self.query_one("#payment-figures", Static).update(figures)

    @staticmethod
    def _means(tender: Tender) -> str:
        if means(tender.means).reference_shown:
            return _("Credit note {code}", code=tender.reference or "")
        return means(tender.means).text()

    def _check_idle(self) -> None:
        if self.waiting:
            raise Refused(_("Waiting for the card terminal..."))

    def _check_settled(self) -> None:
        """Nothing is taken, by any means, while a card payment's outcome is unknown."""
        self._check_idle()
        if self.checkout.unknown_row is not None:
            raise Refused(_("A card payment's outcome is unknown: F9, a manager settles it first"))

    # -- cash ------------------------------------------------------------------------------
    @guarded
    def action_cash(self) -> None:
        self._check_settled()
        if self.checkout.is_paid:  # paid, but writing the ticket failed: try again
            self._after_tender()
            return
        self.amount_input.focus()
        self.show_info(_("Cash: type the amount received, then Enter"))

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._check_settled()
        if self.checkout.is_paid:  # paid, but writing the ticket failed: try again
            self._after_tender()
            return
        amount = self._typed_amount()
        self.checkout.add_cash(self.checkout.due_cents if amount is None else amount)
        self.amount_input.value = ""
        self._after_tender()

    # -- card ------------------------------------------------------------------------------
    @guarded
    def action_card(self) -> None:
        self._check_settled()
        amount = self._typed_amount()
        self.waiting = True
        self.show_info(_("Waiting for the card terminal..."))
        off_loop(self, lambda: self.checkout.pay_card(amount), self._card_answered, TERMINAL_GROUP, "card payment")

    @guarded
    def _card_answered(self, tender: Tender | None, error: Exception | None) -> None:
        self.waiting = False
        self.amount_input.value = ""
        if tender is None:
            self.redraw()
            message = error_text(error) if error else _("Card payment failed")
            if self.checkout.unknown_row is not None:
                message += "   " + _("F9: manager")
            self.show_error(message)
            return
        self._after_tender(_("Card approved: {amount}", amount=money(tender.amount_cents)))

    # -- an unknown outcome ------------------------------------------------------------------
    @guarded
    def action_settle_card(self) -> None:
        """F9: a manager says what the terminal's own journal shows for the unknown payment."""
        self._check_idle()
        if self.checkout.unknown_row is None:
            raise Refused(_("No card payment waits for a manager"))
        row = card_settlement.entry(self.checkout.unknown_row)
        settle_unknown(self, self.checkout.basket.sealer, row,
                       lambda manager, approved, reference: self.checkout.settle_card(manager, approved, reference),
                       self._settled)

    @guarded
    def _settled(self, tender: Tender | None) -> None:
        if tender is not None:
            self._after_tender(_("Card approved: {amount}", amount=money(tender.amount_cents)))
            return
        self.redraw()
        self.show_info(_("Not approved: take the payment again, by any means"))

    # -- credit note -----------------------------------------------------------------------
    @guarded
    def action_credit_note(self) -> None:
        self._check_settled()
        if self.checkout.is_paid:  # paid, but writing the ticket failed: try again
            self._after_tender()
            return
        amount = self._typed_amount()
        screen = CreditNoteCodeScreen(money(amount) if amount is not None else "")
        self.app.push_screen(screen, lambda code: self._credit_note_code(code, amount))

    @guarded
    def _credit_note_code(self, code: str | None, amount: int | None) -> None:
        if code is None:
            return
        if self.checkout.remote is None:  # this shop's notes only: a short database read
            self._credit_note_answered(self.checkout.add_credit_note(code, amount), None)
            return
        self.waiting = True
        self.show_info(_("Asking head office about the credit note..."))
        off_loop(self, lambda: self.checkout.add_credit_note(code, amount), self._credit_note_answered,
                 TERMINAL_GROUP, "credit note at head office")

    @guarded
    def _credit_note_answered(self, tender: Tender | None, error: Exception | None) -> None:
        self.waiting = False
        if tender is None:
            self.redraw()
            self.show_error(error_text(error) if error else _("Credit note refused"))
            return
        self.amount_input.value = ""
        self._after_tender(_("Credit note: {amount}", amount=money(tender.amount_cents)))

    # -- end -------------------------------------------------------------------------------
    def _after_tender(self, done: str = "") -> None:
        """Redraw; once the total is covered, write the ticket and leave with it."""
        self.redraw()
        if not self.checkout.is_paid:
            due = _("{due} still due: F1/C cash, F2 card or F4 credit note", due=money(self.checkout.due_cents))
            self.show_info(f"{done}. {due}" if done else due)
            return
        # The ticket is written here, on the UI thread: one short transaction. If it fails, the
        # tenders stay and Enter tries again (a card already charged must not be lost).
        try:
            completed = self.checkout.complete()
        except Exception:
            self.redraw()  # a refused credit note tender was dropped: show what is due again
            raise
        self.dismiss(completed)

    @guarded
    def action_cancel(self) -> None:
        self._check_idle()
        if self.checkout.unknown_row is not None:
            raise Refused(_("A card payment's outcome is unknown: F9, a manager settles it first"))
        card = sum(t.amount_cents for t in self.checkout.tenders if means(t.means).uses_terminal)
        if card:
            raise Refused(_("{amount} was approved by card: take the rest, or F3 to refund the card",
                            amount=money(card)))
        if self.checkout.holds_credit:  # head office gives the credit note back, then we leave
            self.waiting = True
            self.show_info(_("Giving the credit note back to head office..."))
            self._refund_cards()
            return
        self.dismiss(None)

    @guarded
    def action_refund_cards(self) -> None:
        self._check_idle()
        if not any(means(t.means).uses_terminal for t in self.checkout.tenders):
            raise Refused(_("No card payment to refund"))
        self.waiting = True
        self.show_info(_("Waiting for the card terminal..."))
        self._refund_cards()

    def _refund_cards(self) -> None:
        """Refunds every approved card payment and gives back every credit note held at head
        office, off the event loop, then leaves the payment."""
        off_loop(self, self.checkout.cancel, self._refund_answered, TERMINAL_GROUP, "card refund")

    @guarded
    def _refund_answered(self, _given_back: int | None, error: Exception | None) -> None:
        self.waiting = False
        self.redraw()
        if error is not None:
            self.show_error(error_text(error))
            return
        self.dismiss(None)
