"""Messages as outbox jobs: queued in the transaction that causes them, sent after the commit.

A sale never waits for a mail server: the ticket's transaction only writes a job row
(``message_jobs_for_ticket``), and ``till.aftersale.outbox.process`` sends it later, retrying with a
growing delay when the server refuses or does not answer. After ``outbox.MAX_ATTEMPTS`` the job
is marked failed and listed for a manager (``failed_messages``), who can send it again once the
server is fixed (``retry``).

Consent is checked when a message is queued (``ConsentError``: nothing queued, and the message
says why) and again when it is sent (withdrawn meanwhile: dropped, not sent). The address or
number is read when sending, so a corrected e-mail address is the one used.

Re-sending a receipt is a copy (fiscal rule R-DUP): the first e-mail of a ticket is the
original; any later one is recorded as DUPLICATA n°X in chain C (``make_duplicate``, channel
"email"), in the same transaction as its job, and the e-mailed receipt says so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Iterable

from devices.receipt import layout
from store.models import CreditNote, Customer, OutboxJob, Ticket
from store.models.base import utcnow
from store.models.outbox import FAILED, PENDING
from till.aftersale import outbox
from till.aftersale.duplicates import make_duplicate
from till.aftersale.messages import consent
from till.aftersale.messages.email import NO_SERVER, Mail, MessageError, SmtpSettings, build_message, send_message
from till.aftersale.messages.sms import send_sms as send_text
from till.aftersale.receipts import build_receipt
from till.credit import notes as credit_notes
from till.errors import TillError
from till.fiscal.chain import current_database
from till.fiscal.events import record_event
from till.i18n import N_, translate
from till.money import format_cents

log = logging.getLogger(__name__)

SEND_EMAIL_RECEIPT = "send_email_receipt"
"""Payload ``{"ticket_id", "customer_id"[, "duplicate"]}``: the receipt (or return confirmation)."""
SEND_EMAIL_VOUCHER = "send_email_voucher"
"""Payload ``{"credit_note_id", "customer_id"}``: a credit note's voucher (a refund or a reward)."""
SEND_SMS = "send_sms"
"""Payload ``{"customer_id", "text"}``."""
MESSAGE_KINDS = frozenset({SEND_EMAIL_RECEIPT, SEND_EMAIL_VOUCHER, SEND_SMS})
MESSAGE_FAILED = "MESSAGE_FAILED"
"""Technical event (chain L) when a message is given up after its last attempt."""

NO_SENDER = N_("No sender address is configured (smtp.sender)")
TRAINING_TICKET = N_("Ticket {code} is a training ticket: it is not sent to customers")
NOT_FAILED = N_("Message {job} has not failed: nothing to retry")


# --- Queueing --------------------------------------------------------------------------------


def _customer(customer: Customer | int | None) -> Customer | None:
    if customer is None or isinstance(customer, Customer):
        return customer
    return Customer.get_or_none(Customer.id == customer)


def was_emailed(ticket_id: int) -> bool:
    """Whether a receipt e-mail of this ticket was ever queued (sent, waiting or failed)."""
    candidates = (OutboxJob.select(OutboxJob.payload)
                  .where((OutboxJob.kind == SEND_EMAIL_RECEIPT)
                         & OutboxJob.payload.contains(f'"ticket_id": {ticket_id}')).tuples())
    return any(json.loads(payload).get("ticket_id") == ticket_id for (payload,) in candidates)


def message_jobs_for_ticket(smtp: SmtpSettings | None, draft: Any, ticket_id: int,
                            issued: Iterable[int] = ()) -> list[tuple[str, dict]]:
    """The e-mails a ticket sends, as ``(kind, payload)`` for the ticket writer's ``_jobs``: its
    receipt (a return's confirmation) and the voucher of each credit note it issued, when the
    ticket's customer agreed to e-mail. Nothing when e-mail is not configured, nor in training."""
    if smtp is None or not smtp.host or draft.training or draft.customer_id is None:
        return []
    customer = _customer(draft.customer_id)
    if not consent.may_receive(customer, consent.EMAIL):
        return []
    jobs = [(SEND_EMAIL_RECEIPT, {"ticket_id": ticket_id, "customer_id": customer.id})]
    jobs.extend((SEND_EMAIL_VOUCHER, {"credit_note_id": note, "customer_id": customer.id}) for note in issued)
    return jobs


def queue_receipt_email(ticket: Ticket | int, customer: Customer | int | None, *, sealer=None, user=None,
                        till_id: str | None = None) -> OutboxJob:
    """Queue the e-mail of ``ticket``'s receipt to ``customer``; refuses with a ``ConsentError``
    saying why when they did not agree (or have no address), queueing nothing.

    A ticket already e-mailed is re-sent as a duplicate: ``sealer`` and ``user`` (who asked)
    are then needed to record it in chain C, in the job's transaction.
    """

    ticket = ticket if isinstance(ticket, Ticket) else Ticket.get_by_id(ticket)
    person = consent.require(_customer(customer), consent.EMAIL)
    if ticket.training:
        raise TillError(TRAINING_TICKET, code=ticket.code)
    runner = till_id or (sealer.till_id if sealer is not None else ticket.till_id)
    payload: dict[str, Any] = {"ticket_id": ticket.id, "customer_id": person.id}
    with current_database().atomic():
        if was_emailed(ticket.id):
            if sealer is None or user is None:
                raise ValueError("re-sending a receipt records a duplicate: pass the sealer and the user")

            payload["duplicate"] = make_duplicate(sealer, ticket, user, channel="email").number
        return outbox.enqueue(runner, SEND_EMAIL_RECEIPT, payload)


def queue_voucher_email(till_id: str, note: CreditNote | int, customer: Customer | int | None) -> OutboxJob:
    """Queue the e-mail of a credit note's voucher; ``ConsentError`` (nothing queued) without consent."""
    note_id = note.id if isinstance(note, CreditNote) else note
    person = consent.require(_customer(customer), consent.EMAIL)
    return outbox.enqueue(till_id, SEND_EMAIL_VOUCHER, {"credit_note_id": note_id, "customer_id": person.id})


def queue_sms(till_id: str, customer: Customer | int | None, text: str) -> OutboxJob:
    """Queue a text message; ``ConsentError`` (nothing queued) without consent or number."""
    person = consent.require(_customer(customer), consent.SMS)
    return outbox.enqueue(till_id, SEND_SMS, {"customer_id": person.id, "text": text[:600]})


def receipt_sms_text(config, ticket: Ticket) -> str:
    """A short text about a ticket, in the shop's language (its code lets the customer return items)."""
    lang = config.shop.locale
    return translate("{shop}: ticket {code}, {total}. Thank you for your visit!", lang, shop=config.shop.name,
                     code=ticket.code, total=format_cents(ticket.total_cents, lang))


# --- Sending (outbox handlers) ---------------------------------------------------------------


def _still_allowed(customer_id: int, channel: str, what: str) -> Customer | None:
    """The customer if they may still receive ``channel``; else None, logged (the job is dropped)."""
    customer = Customer.get_or_none(Customer.id == customer_id)
    refused = consent.refusal(customer, channel)
    if refused is not None:
        log.info("%s not sent: %s", what, refused)
        return None
    return customer


def receipt_mail(config, ticket: Ticket, customer: Customer, duplicate: int | None = None) -> Mail:
    """The receipt e-mail: the receipt as printed, a subject and a line saying what it is."""

    lang = config.shop.locale
    shop = config.shop.name
    if duplicate:
        subject = translate("Copy of your receipt {code} - {shop}", lang, code=ticket.code, shop=shop)
    elif ticket.kind in ("return", "exchange"):
        subject = translate("Return confirmation {code} - {shop}", lang, code=ticket.code, shop=shop)
    else:
        subject = translate("Your receipt {code} - {shop}", lang, code=ticket.code, shop=shop)
    intro = translate("Keep this e-mail: its code lets you bring items back.", lang)
    lines = tuple(layout(build_receipt(config, ticket, duplicate), config.printer.width))
    return Mail(to=customer.email.strip(), to_name=customer.display_name, subject=subject, lines=lines,
                code=ticket.code, intro=intro)


def voucher_mail(config, note: CreditNote, customer: Customer) -> Mail:
    """A credit note's voucher by e-mail: the printed voucher and its code as an image."""

    lang = config.shop.locale
    subject = translate("Your credit note {code} - {shop}", lang, code=note.code, shop=config.shop.name)
    intro = translate("Show this code at the till to spend your credit note.", lang)
    lines = tuple(credit_notes.voucher_lines(config, note.id))
    return Mail(to=customer.email.strip(), to_name=customer.display_name, subject=subject, lines=lines,
                code=note.code, intro=intro)


def handlers(config) -> dict[str, outbox.Handler]:
    """The message jobs' handlers, to merge into ``till.aftersale.jobs.handlers``. Settings come from the
    ``[smtp]`` and ``[sms]`` sections (their defaults when absent: nothing is configured)."""
    smtp = config.smtp
    sms = config.sms

    def deliver(mail: Mail) -> None:
        if not smtp.host:
            raise MessageError(NO_SERVER)
        if not smtp.sender:
            raise MessageError(NO_SENDER)
        send_message(smtp, build_message(mail, smtp.sender))

    def send_email_receipt(payload: dict) -> None:
        customer = _still_allowed(payload["customer_id"], consent.EMAIL, f"receipt of ticket {payload['ticket_id']}")
        if customer is not None:
            deliver(receipt_mail(config, Ticket.get_by_id(payload["ticket_id"]), customer,
                                 payload.get("duplicate")))

    def send_email_voucher(payload: dict) -> None:
        customer = _still_allowed(payload["customer_id"], consent.EMAIL,
                                  f"voucher of credit note {payload['credit_note_id']}")
        if customer is not None:
            deliver(voucher_mail(config, CreditNote.get_by_id(payload["credit_note_id"]), customer))

    def send_sms(payload: dict) -> None:
        customer = _still_allowed(payload["customer_id"], consent.SMS, "text message")
        if customer is not None:
            send_text(sms, customer.phone.strip(), payload["text"])

    return {SEND_EMAIL_RECEIPT: send_email_receipt, SEND_EMAIL_VOUCHER: send_email_voucher, SEND_SMS: send_sms}


# --- What a manager sees ---------------------------------------------------------------------


@dataclass(frozen=True)
class FailedMessage:
    """A message given up after its last attempt, with the server's last answer."""

    job_id: int
    kind: str
    payload: dict
    attempts: int
    last_error: str
    created_at: Any


def failed_messages(till_id: str) -> list[FailedMessage]:
    """``till_id``'s messages that were given up, oldest first: the manager's list."""
    rows = (OutboxJob.select().where((OutboxJob.till_id == till_id) & (OutboxJob.status == FAILED)
                                     & OutboxJob.kind.in_(sorted(MESSAGE_KINDS))).order_by(OutboxJob.id))
    return [FailedMessage(job.id, job.kind, json.loads(job.payload), job.attempts, job.last_error or "",
                          job.created_at) for job in rows]


def retry(job_id: int) -> None:
    """Send a failed message again (after the server or settings were fixed): due now, attempts reset."""
    done = (OutboxJob.update(status=PENDING, attempts=0, not_before=utcnow(), last_error=None)
            .where((OutboxJob.id == job_id) & (OutboxJob.status == FAILED) & OutboxJob.kind.in_(sorted(MESSAGE_KINDS)))
            .execute())
    if done != 1:
        raise TillError(NOT_FAILED, job=job_id)


def report_failures(sealer, ran: Iterable[OutboxJob]) -> int:
    """A technical event (chain L) per message given up in this run; returns how many."""

    count = 0
    for job in ran:
        if job.kind in MESSAGE_KINDS and job.status == FAILED:
            record_event(sealer, MESSAGE_FAILED, "a message was given up",
                         details={"job": job.id, "kind": job.kind, "attempts": job.attempts,
                                  "error": (job.last_error or "")[:120]})
            count += 1
    return count
