"""A paid ticket's receipt sent to its customer on request: the receipt preview's F3 and F4.

The cashier asks after the sale, holding only the ticket's id; what the ticket, its customer and
the shop's settings allow is decided here, so the screen only shows the answer and the tests
need no terminal. Both queue an outbox job (sent after the commit, retried, listed for a
manager if given up): the till never waits for a mail server or an SMS gateway.
"""

from __future__ import annotations

from store.models import Ticket
from till.aftersale.messages.jobs import queue_receipt_email, queue_sms, receipt_sms_text
from till.errors import TillError
from till.fiscal.chain import current_database
from till.i18n import N_

class NoCustomerOnTicket(TillError):
    """The ticket was paid with no customer named: there is nobody to send it to. A class of
    its own so that the screen can say how to name one next time (a key of its own)."""

    def __init__(self) -> None:
        super().__init__(N_("No customer is attached: there is no one to send it to"))


def _ticket_with_customer(ticket_id: int) -> Ticket:
    ticket = Ticket.get_by_id(ticket_id)
    if ticket.customer_id is None:
        raise NoCustomerOnTicket()
    return ticket


def email_receipt(sealer, ticket_id: int, user) -> None:
    """Queue the e-mail of ticket ``ticket_id``'s receipt to its customer, if they agreed
    (``ConsentError`` otherwise). A second e-mail of the same ticket is a duplicate, sealed in
    chain C for ``user`` (``queue_receipt_email``)."""
    ticket = _ticket_with_customer(ticket_id)
    queue_receipt_email(ticket, ticket.customer_id, sealer=sealer, user=user)


def text_receipt(config, till_id: str, ticket_id: int) -> None:
    """Queue a text message with ticket ``ticket_id``'s code to its customer, if they agreed and
    the till has an SMS gateway; refused with the reason otherwise, nothing queued."""
    ticket = _ticket_with_customer(ticket_id)
    if not config.sms.url_template:
        raise TillError("Text messages are not configured on this till (sms.url_template)")
    with current_database().atomic():
        queue_sms(till_id, ticket.customer_id, receipt_sms_text(config, ticket))
