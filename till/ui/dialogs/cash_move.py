"""Cash in or out of the drawer, or a means correction, from the manager's screen (F11).

``ask_cash_move(screen, done)``: which document (a numbered list: a digit chooses), then its
figures (the ticket's code for a correction, the amount, the reason), then a manager's PIN
(counted like every PIN), then ``till.selling.cash_moves`` writes it, and ``done(document)``. What
can be refused without the database (an amount, a missing reason) is said in the form, before
the PIN is asked; what the database refuses (more than the drawer holds, more than the ticket
paid) is said on ``screen``'s status line, and nothing is written.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.app import ComposeResult
from textual.widgets import Label

from till.fiscal.cash_moves import KIND_LABELS, MEANS_CORRECTION, MOVE_KINDS
from till.i18n import N_, _
from till.means import CARD, CASH
from till.money import MoneyError, parse_amount
from till.selling.cash_moves import MAX_REASON, check_correction, check_move, correct_means, record_cash_move
from till.ui.dialogs.base import Dialog
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.feedback import error_text
from till.ui.widgets.scan_input import FieldInput

CHOICES: tuple[tuple[str, str | None, str | None], ...] = (
    *((kind, None, None) for kind in MOVE_KINDS),
    (MEANS_CORRECTION, CASH, CARD),
    (MEANS_CORRECTION, CARD, CASH),
)
"""What F11 offers, in this order: (kind, from means, to means)."""

CORRECTION_TITLES = {(CASH, CARD): N_("Correction: cash recorded, paid by card"),
                     (CARD, CASH): N_("Correction: card recorded, paid in cash")}


def choice_label(kind: str, source: str | None, target: str | None) -> str:
    if kind == MEANS_CORRECTION:
        return _(CORRECTION_TITLES[(source, target)])
    return _(KIND_LABELS[kind])


class CashMoveScreen(Dialog["dict | None"]):
    """The figures of one document; dismisses with them once they pass the checks that need no
    database (``None`` on Esc)."""

    def __init__(self, kind: str, source: str | None = None, target: str | None = None, *,
                 training: bool = False) -> None:
        super().__init__(choice_label(kind, source, target))
        self.kind, self.source, self.target, self.training = kind, source, target, training

    def compose_body(self) -> ComposeResult:
        if self.kind == MEANS_CORRECTION:
            yield Label(_("The ticket's code, the amount to move, then why"), markup=False)
            yield FieldInput(id="cash-move-ticket", placeholder=_("Ticket code"), restrict=r"[A-Za-z0-9-]{0,40}")
        else:
            yield Label(_("The amount, then why"), markup=False)
        yield FieldInput(id="cash-move-amount", placeholder=_("Amount"), restrict=r"[0-9.,  ]{0,12}")
        yield FieldInput(id="cash-move-reason", placeholder=_("Reason"), max_length=MAX_REASON)

    def on_mount(self) -> None:
        fields = list(self.query(FieldInput))
        for field, following in zip(fields, fields[1:]):
            field.next_field = following
        fields[0].focus()

    def on_field_input_ended(self, event: FieldInput.Ended) -> None:
        event.stop()
        if event.field.next_field is not None:  # on to the next field; the reason's Enter writes
            event.field.next_field.focus()
            return
        values = {field.id: field.value for field in self.query(FieldInput)}
        try:
            amount = parse_amount(values["cash-move-amount"])
        except MoneyError:
            self.query_one("#cash-move-amount", FieldInput).focus()
            self.show_error(_("Type an amount, such as 150,00"))
            return
        reason = values["cash-move-reason"]
        try:
            if self.kind == MEANS_CORRECTION:
                if not values["cash-move-ticket"].strip():
                    self.query_one("#cash-move-ticket", FieldInput).focus()
                    self.show_error(_("Type or scan the ticket's code"))
                    return
                reason = check_correction(self.source, self.target, amount, reason, training=self.training)
            else:
                reason = check_move(self.kind, amount, reason, training=self.training)
        except Exception as error:  # noqa: BLE001 - a refusal is shown in the form
            self.show_error(error_text(error))
            self.query_one("#cash-move-amount" if amount <= 0 else "#cash-move-reason", FieldInput).focus()
            return
        self.dismiss({"amount_cents": amount, "reason": reason, "ticket": values.get("cash-move-ticket", "")})


def ask_cash_move(screen: Any, ctx: Any, user: Any, training: bool, done: Callable[[Any], None]) -> None:
    """The whole exchange, from the choice of document to ``done(document written)``."""
    from till.ui.returns.dialogs import ChoiceScreen  # deferred: a screen loads when opened

    choices = [(str(index), choice_label(*choice)) for index, choice in enumerate(CHOICES)]

    def chosen(answer: str | None) -> None:
        if answer is None:
            return
        kind, source, target = CHOICES[int(answer)]
        form = CashMoveScreen(kind, source, target, training=training)
        screen.app.push_screen(form, lambda figures: figures and approve(kind, source, target, figures))

    def approve(kind: str, source: str | None, target: str | None, figures: dict) -> None:
        prompt = _("{what}: a manager's PIN", what=choice_label(kind, source, target))
        pin = ManagerPinScreen(ctx.sealer, f"cash move: {kind}", prompt,
                               details={"amount_cents": figures["amount_cents"]})
        screen.app.push_screen(pin, lambda manager: manager and write(kind, source, target, figures, manager))

    def write(kind: str, source: str | None, target: str | None, figures: dict, manager: Any) -> None:
        operator = user or manager
        try:
            if kind == MEANS_CORRECTION:
                document = correct_means(ctx.sealer, ctx.config.accounts, figures["ticket"], source, target,
                                         figures["amount_cents"], figures["reason"], operator, manager,
                                         training=training)
            else:
                document = record_cash_move(ctx.sealer, ctx.config.accounts, kind, figures["amount_cents"],
                                            figures["reason"], operator, manager, training=training)
        except Exception as error:  # noqa: BLE001 - shown, never raised out of a callback
            screen.show_error(error_text(error))
            return
        done(document)

    screen.app.push_screen(ChoiceScreen(_("Cash in or out, or a correction"), choices, numbered=True), chosen)
