"""How a return is refunded (F2 on the return screen), then written.

Shows the default plan (``ReturnSession.default_refund``: back to the original means, each
capped at what it paid); Enter accepts the plan shown and writes the return. Before that the
cashier may choose all in cash (F1/C), all as a credit note (F3/A), or a mix (type the cash
amount, then Enter or F4/M: the rest as a credit note); F5/O goes back to the original means.
An exchange whose new items cost less than the returned ones is refunded here too (the
difference), and shows both amounts.

Writing runs in a thread worker: a card refund blocks on the terminal (``complete()`` asks it
with no transaction open, after journaling it). A declined card refund writes nothing; the
screen stays, with every choice as it was, and offers cash or a credit note. A refund whose
outcome is unknown offers nothing else: a manager settles it from the terminal's own journal
(F9), and the return is written if the terminal approved it.
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
from till.means import CASH, CREDIT_NOTE, means
from till.returns.refunds import RefundPart
from till.returns.session import ReturnSession
from till.ui.blocking import off_loop
from till.ui.feedback import Refused, error_text, guarded, money, translate_bindings
from till.ui.dialogs.card_settle import settle_unknown
from till.ui.returns.dialogs import ask_manager
from till.ui.widgets.amount_keys import DigitsStartAmount
from till.ui.widgets.status_line import HasStatus, StatusLine
from till.ui.widgets.key_footer import KeyFooter

TERMINAL_GROUP = "terminal"
"""Worker group of the card refunds (tests wait for it)."""


def means_label(code: str) -> str:
    return means(code).text()


class WritesReturn:
    """Mixed into a screen with a ``session`` and an ``_answered(ticket, error)`` handler: writes
    the return or exchange (``ReturnSession.complete``) in a thread worker.

    A thread, because ``complete()`` asks the card terminal (a refund, or an exchange's card
    payment) and waits for the customer; the event loop must keep drawing meanwhile. Shared by
    the refund and the exchange payment screens, with F9 for an unknown card outcome.
    """

    SETTLE_BINDING = Binding("f9", "settle_card", "Manager: card", id="return-settle-card", key_display="F9",
                             show=False)

    def _complete(self) -> None:
        """Writes the return, asking the terminal for card refunds or charges, off the event loop."""
        off_loop(self, self.session.complete, self._answered, TERMINAL_GROUP, "return and refund")

    def _failure_text(self, error: Exception | None, fallback: str, other_means: str) -> str:
        """What went wrong, and what the cashier may do: never another means while the card may
        have moved (unknown: F9 for a manager), nor while an approval waits to be written."""
        text = error_text(error) if error else fallback
        if self.session.unknown_row is not None:
            return text + "   " + _("F9: manager")
        if self.session.approved_not_written:
            return text
        return text + "   " + other_means

    def _check_can_leave(self) -> None:
        """Esc never leaves a card that may have moved behind: a manager settles it (F9), or an
        approved refund is written (Enter) first."""
        if self.session.unknown_row is not None:
            raise Refused(_("A card payment's outcome is unknown: F9, a manager settles it first"))
        if self.session.approved_not_written:
            raise Refused(_("The terminal approved the card: Enter writes the return"))

    @guarded
    def action_settle_card(self) -> None:
        """F9: a manager says what the terminal's own journal shows for the unknown refund."""
        self._check_idle()
        row = self.session.unknown_entry()
        if row is None:
            raise Refused(_("No card payment waits for a manager"))
        settle_unknown(self, self.session.sealer, row, self.session.settle_card, self._settled)

    @guarded
    def _settled(self, ticket: Any) -> None:
        if ticket is not None:
            self.dismiss(ticket)
            return
        self.redraw()
        self.show_info(_("Not approved by the terminal: choose another means, then Enter"))


class ResolutionScreen(WritesReturn, DigitsStartAmount, HasStatus, ModalScreen[Any]):
    """Dismisses with the written return (the ticket ``ReturnSession.complete`` wrote), or ``None``
    (Esc: nothing written)."""

    AUTO_FOCUS = ""
    """No field focused at first: "c", "a", Enter are keys; a digit starts the cash amount."""

    BINDINGS = [
        Binding("enter", "accept", "Refund", id="resolution-accept", key_display="Enter",
                tooltip=N_("Refund as shown and write the return")),
        Binding("f1,c", "all_cash", "Cash", id="resolution-cash", key_display="F1/C"),
        Binding("f3,a", "all_credit", "Credit note", id="resolution-credit-note", key_display="F3/A"),
        Binding("f4,m", "mix", "Mix", id="resolution-mix", key_display="F4/M",
                tooltip=N_("The amount typed in cash, the rest as a credit note")),
        Binding("f5,o", "original", "Original", id="resolution-original", key_display="F5/O", show=False,
                tooltip=N_("Back to the original means of payment")),
        Binding("f6", "manager", "Manager", id="resolution-manager", key_display="F6",
                tooltip=N_("A manager approves a return outside the policy")),
        WritesReturn.SETTLE_BINDING,
        Binding("escape", "cancel", "Back", id="resolution-back", key_display="Esc"),
    ]

    def __init__(self, session: ReturnSession) -> None:
        super().__init__()
        translate_bindings(self)
        self.session = session
        self.parts: list[RefundPart] = session.refund_parts()
        """The plan shown, which Enter carries out."""
        self.waiting = False
        """True while the return is being written (card terminal): other keys are refused."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog resolution-dialog"):
            yield Label(_("Refund"), classes="dialog-title")
            yield Static("", id="resolution-plan")
            # select_on_focus=False: the first digit focuses the field (DigitsStartAmount), and a
            # selected "1" would be replaced by the next digit ("10" read as "0").
            yield Input(id="resolution-amount", placeholder=_("Cash amount of a mix"),
                        restrict=r"[0-9.,]{0,12}", select_on_focus=False)
            yield StatusLine(id="resolution-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.redraw()
        self.say()

    def say(self, done: str = "") -> None:
        """A breach the chosen refund makes (e.g. cash without a receipt) in red, else the hint."""
        pending = self.session.unapproved()
        if pending:
            self.show_error(pending[0].error().text() + "   " + _("F6: manager"))
        else:
            hint = _("Enter: refund as shown. F5/O: original means")
            self.show_info(f"{done}. {hint}" if done else hint)

    @property
    def amount_input(self) -> Input:
        return self.query_one("#resolution-amount", Input)

    def redraw(self) -> None:
        plan = Table.grid(padding=(0, 2))
        plan.add_column()
        plan.add_column(justify="right")
        if self.session.basket is not None:  # an exchange: where the difference comes from
            plan.add_row(_("Returned items"), money(self.session.returned_cents))
            plan.add_row(_("New items"), money(self.session.new_cents))
        plan.add_row(Text(_("To refund"), style="bold"),
                     Text(money(max(0, -self.session.balance_cents)), style="bold"))
        for part in self.parts:
            plan.add_row("  " + means_label(part.means), money(part.amount_cents))
        self.query_one("#resolution-plan", Static).update(plan)

    def _check_idle(self) -> None:
        if self.waiting:
            raise Refused(_("Waiting for the card terminal..."))

    def _choose(self, parts: list[tuple[str, int]] | None) -> None:
        """``None``: the original means; otherwise checked by the session (caps, total)."""
        if parts is None:
            self.parts = self.session.refund_to(self.session.default_refund())
        else:
            self.parts = self.session.refund_to([p for p in parts if p[1] > 0])
        self.redraw()
        self.say()

    @property
    def _amount(self) -> int:
        return max(0, -self.session.balance_cents)

    @guarded
    def action_all_cash(self) -> None:
        self._check_idle()
        self._choose([(CASH, self._amount)])

    @guarded
    def action_all_credit(self) -> None:
        self._check_idle()
        self._choose([(CREDIT_NOTE, self._amount)])

    @guarded
    def action_original(self) -> None:
        self._check_idle()
        self._choose(None)

    @guarded
    def action_mix(self) -> None:
        self._check_idle()
        cash = self._typed_amount()
        if cash is None:
            raise Refused(_("Type the cash amount first, then F4"))
        if cash > self._amount:
            raise Refused(_("At most {amount} can be refunded", amount=money(self._amount)))
        self.amount_input.value = ""
        self.set_focus(None)
        self._choose([(CASH, cash), (CREDIT_NOTE, self._amount - cash)])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.action_mix()
        else:
            self.set_focus(None)

    # -- writing ---------------------------------------------------------------------------
    @guarded
    def action_manager(self) -> None:
        self._check_idle()
        ask_manager(self, self.session, lambda manager: self.say(_("Approved by {name}", name=manager.name)))

    @guarded
    def action_accept(self) -> None:
        self._check_idle()
        pending = self.session.unapproved()
        if pending:
            raise Refused(pending[0].error().text() + "   " + _("F6: manager"))
        self.waiting = True
        card = any(means(part.means).uses_terminal for part in self.parts)
        held = self.session.receipt is not None and self.session.receipt.desk is not None
        self.show_info(_("Waiting for the card terminal...") if card else _("Asking head office...") if held
                       else _("Writing the return..."))
        self._complete()

    @guarded
    def _answered(self, ticket: Any, error: Exception | None) -> None:
        self.waiting = False
        if ticket is None:
            self.redraw()
            self.show_error(self._failure_text(error, _("The refund failed"), _("C: cash, A: credit note, then Enter")))
            return
        self.dismiss(ticket)

    @guarded
    def action_cancel(self) -> None:
        self._check_idle()
        self._check_can_leave()
        self.dismiss(None)
