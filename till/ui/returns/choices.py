"""The return screen's keys that ask something in a dialog: F3 reason, F4 disposition, F5 no
receipt, F7 customer (then one of her purchases), F6 manager.

A mixin of ``ReturnScreen``, kept apart to keep each module small; it relies on the screen's
``session`` (``ReturnSession``), ``_pick_for``/``_selected`` (the selected line's pick),
``_opened`` (show a ticket just opened) and ``after_change`` (redraw, say what happened).
"""

from __future__ import annotations

from functools import partial

from till.i18n import _
from till.returns.picks import DISPOSITIONS
from till.returns.session import purchases
from till.ui.feedback import Refused, guarded, money
from till.ui.dialogs.customer import NO_CUSTOMER, CustomerScreen
from till.config.reasons import disposition_label, reason_label
from till.ui.returns.dialogs import ChoiceScreen, NoteScreen, ask_manager


class ReturnChoiceKeys:
    """F3, F4, F5, F6, F7 of the return screen."""

    # -- reason, disposition ---------------------------------------------------------------
    def _targets(self) -> list:
        """The selected line's pick, else every pick still without a reason."""
        pick = self._pick_for(self._selected())
        if pick is not None:
            return [pick]
        targets = [p for p in self.session.picks if p.reason is None]
        if not targets:
            raise Refused(_("Choose what comes back first: Enter or +"))
        return targets

    @guarded
    def action_reason(self) -> None:
        targets = self._targets()
        choices = [(reason, reason_label(reason)) for reason in self.session.policy.reasons]
        self.app.push_screen(ChoiceScreen(_("Reason"), choices, numbered=True), partial(self._reason_chosen, targets))

    @guarded
    def _reason_chosen(self, targets: list, reason: str | None, note: str | None = None) -> None:
        if reason is None:
            return
        if reason == "other" and note is None:
            screen = NoteScreen(_("Reason"), _("Why does it come back?"))
            self.app.push_screen(screen, lambda text: text and self._reason_chosen(targets, reason, text))
            return
        for pick in targets:
            self.session.set_reason(pick.key, reason, note)
        self.after_change(_("Reason: {reason}. F2: refund", reason=reason_label(reason)))

    @guarded
    def action_disposition(self) -> None:
        targets = self._targets()
        choices = [(name, disposition_label(name)) for name in DISPOSITIONS]
        self.app.push_screen(ChoiceScreen(_("Disposition"), choices, numbered=True),
                             partial(self._disposition_chosen, targets))

    @guarded
    def _disposition_chosen(self, targets: list, disposition: str | None) -> None:
        if disposition is None:
            return
        for pick in targets:
            self.session.set_disposition(pick.key, disposition)
        self.after_change(_("Goes to: {place}", place=disposition_label(disposition)))

    # -- no receipt, customer ---------------------------------------------------------------
    @guarded
    def action_no_receipt(self) -> None:
        self.session.without_receipt()
        self.after_change(_("No receipt: scan each item; the refund is at its lowest recent price"))

    @guarded
    def action_customer(self) -> None:
        self.app.push_screen(CustomerScreen(self.session.customer), self._customer_chosen)

    @guarded
    def _customer_chosen(self, choice) -> None:
        if choice is None:
            return
        customer = None if choice == NO_CUSTOMER else choice
        self.session.attach_customer(customer)
        self.after_change("")
        if customer is None or self.session.no_receipt:
            return
        tickets = {str(t.id): t for t in purchases(customer)}
        if not tickets:
            raise Refused(_("No purchase found for {name}", name=customer.display_name))
        choices = [(key, f"{t.code}  {t.created_at:%d/%m/%Y}  {money(t.total_cents)}") for key, t in tickets.items()]
        self.app.push_screen(ChoiceScreen(_("Purchases"), choices),
                             lambda chosen: chosen and self._purchase_chosen(tickets[chosen]))

    @guarded
    def _purchase_chosen(self, ticket) -> None:
        """Open the purchase chosen in the list: a ticket ``purchases`` found, read once."""
        self.session.open(ticket)
        self._opened()

    # -- manager ---------------------------------------------------------------------------
    @guarded
    def action_manager(self) -> None:
        ask_manager(self, self.session,
                    lambda manager: self.after_change(_("Approved by {name}", name=manager.name)))
