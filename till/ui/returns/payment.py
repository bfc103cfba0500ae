"""The customer pays the difference of an exchange (F2 on the return screen), then it is written.

Shown when the new items cost at least as much as the returned ones (``balance_cents >= 0``;
a difference in the customer's favour goes to the refund screen instead). Same keys as the
sale's payment screen: digits then Enter is cash received (an empty amount, or Enter alone,
means exactly what is due), F2 is the card (the amount typed, or all that is due). Each
tender is handed to ``ReturnSession.pay``; once the difference is covered the exchange is
written by ``ReturnSession.complete``, in a thread worker, since that is when the card
terminal is asked. At a difference of zero, Enter just writes the exchange.

Nothing is charged before ``complete()``: Esc, or a declined card, forgets the tenders
(``clear_payments``) and nothing was written, so the cashier simply starts the payment again.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from till.i18n import N_, _
from till.means import CARD, CASH, means as means_of
from till.returns.session import ReturnSession
from till.ui.feedback import Refused, guarded, money, translate_bindings
from till.ui.returns.resolution import WritesReturn, means_label
from till.ui.widgets.amount_keys import DigitsStartAmount
from till.ui.widgets.status_line import HasStatus, StatusLine
from till.ui.widgets.key_footer import KeyFooter


class ExchangePaymentScreen(WritesReturn, DigitsStartAmount, HasStatus, ModalScreen[Any]):
    """Dismisses with the written exchange (the ticket ``ReturnSession.complete`` wrote), or ``None``
    (Esc: nothing written)."""

    AUTO_FOCUS = ""
    """No field focused at first: "c" and Enter are keys; a digit starts the cash amount."""

    BINDINGS = [
        Binding("enter", "accept", "Confirm", id="exchange-pay-accept", key_display="Enter",
                tooltip=N_("Cash, exactly what is due; with nothing due, write the exchange")),
        Binding("f1,c", "cash", "Cash", id="exchange-pay-cash", key_display="F1/C", show=False),
        Binding("f2", "card", "Card", id="exchange-pay-card", key_display="F2"),
        WritesReturn.SETTLE_BINDING,
        Binding("escape", "cancel", "Back", id="exchange-pay-back", key_display="Esc"),
    ]

    def __init__(self, session: ReturnSession) -> None:
        super().__init__()
        translate_bindings(self)
        self.session = session
        self.tenders: list[tuple[str, int]] = []
        """What was handed to ``session.pay``, to show it (the session keeps its own private)."""
        self.waiting = False
        """True while the exchange is being written (card terminal): other keys are refused."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog resolution-dialog"):
            yield Label(_("Exchange"), classes="dialog-title")
            yield Static("", id="exchange-figures")
            # select_on_focus=False: the first digit focuses the field (DigitsStartAmount), and a
            # selected "1" would be replaced by the next digit ("10" read as "0").
            yield Input(id="exchange-amount", placeholder=_("Amount received"), restrict=r"[0-9.,]{0,12}",
                        select_on_focus=False)
            yield StatusLine(id="exchange-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.session.clear_payments()  # a payment left half-way earlier was never charged
        self.redraw()
        self.say()

    @property
    def amount_input(self) -> Input:
        return self.query_one("#exchange-amount", Input)

    @property
    def due_cents(self) -> int:
        return self.session.balance_cents - sum(amount for _means, amount in self.tenders)

    def redraw(self) -> None:
        session = self.session
        figures = Table.grid(padding=(0, 2))
        figures.add_column()
        figures.add_column(justify="right")
        figures.add_row(_("Returned items"), money(session.returned_cents))
        figures.add_row(_("New items"), money(session.new_cents))
        figures.add_row(Text(_("Customer pays"), style="bold"), Text(money(session.balance_cents), style="bold"))
        for means, amount in self.tenders:
            figures.add_row("  " + means_label(means), money(amount))
        figures.add_row(Text(_("Due"), style="bold"), Text(money(max(0, self.due_cents)), style="bold"))
        self.query_one("#exchange-figures", Static).update(figures)

    def say(self, done: str = "") -> None:
        if self.due_cents > 0:
            hint = _("{due} due: amount then Enter (cash), Enter alone: exactly, F2: card",
                     due=money(self.due_cents))
        else:
            hint = _("Nothing to pay: Enter writes the exchange")
        self.show_info(f"{done}. {hint}" if done else hint)

    def _check_idle(self) -> None:
        if self.waiting:
            raise Refused(_("Waiting for the card terminal..."))

    # -- tenders ---------------------------------------------------------------------------
    def _tender(self, means: str, amount: int | None) -> None:
        """Hand one tender to the session (it refuses what makes no sense), then write once covered."""
        amount = self.due_cents if amount is None else amount
        self.session.pay(means, amount)
        self.tenders.append((means, amount))
        self.amount_input.value = ""
        self.set_focus(None)
        self.redraw()
        if self.due_cents > 0:
            self.say(_("{means}: {amount}", means=means_label(means), amount=money(amount)))
            return
        self._write()

    @guarded
    def action_cash(self) -> None:
        self._check_idle()
        self.amount_input.focus()
        self.show_info(_("Cash: type the amount received, then Enter"))

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._check_idle()
        if self.due_cents <= 0:
            self._write()
            return
        self._tender(CASH, self._typed_amount())

    @guarded
    def action_accept(self) -> None:
        self._check_idle()
        if self.due_cents <= 0:
            self._write()
            return
        self._tender(CASH, None)

    @guarded
    def action_card(self) -> None:
        self._check_idle()
        if self.due_cents <= 0:
            raise Refused(_("Nothing to pay: Enter writes the exchange"))
        self._tender(CARD, self._typed_amount())  # more than is due: the session refuses

    # -- writing ---------------------------------------------------------------------------
    def _write(self) -> None:
        card = any(means_of(means).uses_terminal for means, _amount in self.tenders)
        self.waiting = True
        self.show_info(_("Waiting for the card terminal...") if card else _("Writing the exchange..."))
        self._complete()

    @guarded
    def _answered(self, ticket: Any, error: Exception | None) -> None:
        self.waiting = False
        if ticket is None:
            if not self.session.approved_not_written:  # nothing charged is kept: pay again
                self.session.clear_payments()
                self.tenders.clear()
            self.redraw()
            self.show_error(self._failure_text(error, _("The payment failed"), _("C: cash, F2: card")))
            return
        self.dismiss(ticket)

    @guarded
    def action_cancel(self) -> None:
        self._check_idle()
        self._check_can_leave()
        self.session.clear_payments()
        self.dismiss(None)
