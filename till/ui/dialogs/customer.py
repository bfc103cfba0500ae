"""Find a customer to name on the ticket (F7): type the start of a name, e-mail, phone or card.

``Customer.search_key`` holds those fields folded to lower-case ASCII, so the typed text is
folded the same way (NFKD, accents dropped) and matched as a prefix of any of its words with
LIKE: "helene" finds "Hélène Dupont", "06 12" finds her phone. At most ``LIMIT`` rows are
read, so a large customer file never slows the till.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from till.people.customers import search_customers
from till.i18n import N_, _
from till.ui.feedback import error_text
from till.ui.dialogs.base import Dialog

LIMIT = 20
"""Most customers listed at once; the cashier types more to narrow."""

NO_CUSTOMER = "none"
"""Option id of "no customer", to take a customer off the ticket."""


def describe(customer: Any) -> str:
    """One line per customer: name, then whatever else tells two namesakes apart."""
    parts = [customer.display_name or "?"]
    parts += [value for value in (customer.email, customer.phone, customer.loyalty_card) if value]
    return " - ".join(parts)


class CustomerScreen(Dialog[Any]):
    """Dismisses with the chosen customer (as ``search_customers`` found them), ``NO_CUSTOMER``
    to remove one, ``None`` on Esc."""

    title_text = N_("Customer")
    BINDINGS = [
        Binding("down", "move(1)", "Next", show=False, id="customer-next"),
        Binding("up", "move(-1)", "Previous", show=False, id="customer-previous"),
    ]

    def __init__(self, attached: Any) -> None:
        super().__init__()
        self.attached = attached
        self.found: dict[str, Any] = {}
        """The customers listed, by option id: the one chosen is handed back as it was read."""

    def compose_body(self) -> ComposeResult:
        yield Label(_("Name, e-mail, phone or card"))
        yield Input(id="customer-search")
        yield OptionList(id="customers", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False
        self._fill([])

    def _fill(self, customers: list[Any]) -> None:
        self.found = {str(customer.id): customer for customer in customers}
        options = self.query_one(OptionList)
        options.clear_options()
        if self.attached is not None:
            options.add_option(Option(_("(no customer)"), id=NO_CUSTOMER))
        options.add_options(Option(describe(customer), id=str(customer.id)) for customer in customers)
        # Enter picks the first customer found; "(no customer)" must be chosen with the arrows,
        # so that Enter on an empty search never takes a customer off the ticket by accident.
        options.highlighted = (1 if self.attached is not None else 0) if customers else None

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        try:
            self._fill(search_customers(event.value, LIMIT))
        except Exception as error:  # noqa: BLE001
            self.show_error(error_text(error))

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = -1 if options.highlighted is None else options.highlighted
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if options.highlighted is None:
            self.show_error(_("No customer found"))
            return
        option_id = options.get_option_at_index(options.highlighted).id
        if option_id == NO_CUSTOMER:
            self.dismiss(NO_CUSTOMER)
        else:
            self.dismiss(self.found[option_id])
