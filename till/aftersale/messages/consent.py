"""Who may receive what: e-mail only to customers who agreed to e-mail, SMS only to those who
agreed to SMS (``Customer.consent_email`` / ``consent_sms``), and only where there is an
address or a number to send to.

Checked twice: when a message is queued (so the cashier is told at once why nothing will be
sent, and nothing is queued) and again when the job runs (consent withdrawn meanwhile: the
message is dropped, not sent).
"""

from __future__ import annotations

from store.models import Customer
from till.errors import TillError
from till.i18n import N_

EMAIL = "email"
SMS = "sms"

NO_CUSTOMER = N_("No customer is attached: there is no one to send it to")
NO_EMAIL_CONSENT = N_("{name} has not agreed to receive e-mails: nothing was sent")
NO_EMAIL_ADDRESS = N_("{name} has no e-mail address: nothing was sent")
NO_SMS_CONSENT = N_("{name} has not agreed to receive text messages: nothing was sent")
NO_PHONE = N_("{name} has no phone number: nothing was sent")


class ConsentError(TillError):
    """A message was refused because the customer may not (or cannot) receive it."""


def _name(customer: Customer) -> str:
    return customer.display_name or customer.email or customer.phone or f"#{customer.id}"


def refusal(customer: Customer | None, channel: str) -> ConsentError | None:
    """Why ``customer`` may not get a message on ``channel`` ("email" or "sms"); None if they may."""
    if channel not in (EMAIL, SMS):
        raise ValueError(f"unknown channel {channel!r}")
    if customer is None:
        return ConsentError(NO_CUSTOMER)
    if channel == EMAIL:
        if not customer.consent_email:
            return ConsentError(NO_EMAIL_CONSENT, name=_name(customer))
        if not (customer.email or "").strip():
            return ConsentError(NO_EMAIL_ADDRESS, name=_name(customer))
        return None
    if not customer.consent_sms:
        return ConsentError(NO_SMS_CONSENT, name=_name(customer))
    if not (customer.phone or "").strip():
        return ConsentError(NO_PHONE, name=_name(customer))
    return None


def may_receive(customer: Customer | None, channel: str) -> bool:
    return refusal(customer, channel) is None


def require(customer: Customer | None, channel: str) -> Customer:
    """``customer``, or the ``ConsentError`` that says why nothing can be sent."""
    error = refusal(customer, channel)
    if error is not None:
        raise error
    return customer
