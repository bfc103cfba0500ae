"""Consent: a customer who did not agree gets nothing, nothing is queued, and the message says
why (in French at the till); consent withdrawn after queueing drops the message."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support.shop import sell
from store.models import OutboxJob
from store.models.outbox import DONE
from till.aftersale import outbox
from till.people.customers import create_customer
from till.aftersale.messages import consent
from till.aftersale.messages import jobs as message_jobs
from till.aftersale.messages.consent import ConsentError


def jobs_now() -> int:
    return OutboxJob.select().where(OutboxJob.kind.in_(sorted(message_jobs.MESSAGE_KINDS))).count()


def test_no_email_consent_queues_nothing_and_says_why(shop):
    customer = create_customer("Paul", "Martin", email="paul@example.fr", consent_email=False)
    ticket = sell(shop, [("BAG", 1)], customer=customer)
    with pytest.raises(ConsentError) as refused:
        message_jobs.queue_receipt_email(ticket, customer, sealer=shop.ctx.sealer, user=shop.cashier)
    assert refused.value.text("en") == "Paul Martin has not agreed to receive e-mails: nothing was sent"
    assert refused.value.text("fr") == "Paul Martin n'a pas accepté de recevoir des e-mails : rien n'a été envoyé"
    assert jobs_now() == 0


def test_consent_but_no_address_and_no_customer(shop):
    ticket = sell(shop, [("BAG", 1)])
    nobody = create_customer("Ana", "Lopez", consent_email=True)
    with pytest.raises(ConsentError, match="has no e-mail address"):
        message_jobs.queue_receipt_email(ticket, nobody)
    with pytest.raises(ConsentError) as refused:
        message_jobs.queue_receipt_email(ticket, None)
    assert "Aucun client" in refused.value.text("fr")
    assert jobs_now() == 0


def test_sms_needs_its_own_consent(shop):
    emails_only = create_customer("Léa", "Roux", email="lea@example.fr", phone="0600000000", consent_email=True)
    with pytest.raises(ConsentError) as refused:
        message_jobs.queue_sms("01", emails_only, "hello")
    assert "n'a pas accepté de recevoir des SMS" in refused.value.text("fr")
    with pytest.raises(ConsentError, match="no phone number"):
        message_jobs.queue_sms("01", create_customer("Max", consent_sms=True), "hello")
    assert jobs_now() == 0


def test_voucher_email_needs_consent(shop):
    customer = create_customer("Paul", "Martin", email="paul@example.fr")
    with pytest.raises(ConsentError):
        message_jobs.queue_voucher_email("01", 1, customer)
    assert jobs_now() == 0


def test_the_ticket_writer_hook_skips_customers_without_consent(shop, smtp_server):
    customer = create_customer("Paul", "Martin", email="paul@example.fr", consent_email=False)
    draft = SimpleNamespace(training=False, customer_id=customer.id)
    assert message_jobs.message_jobs_for_ticket(smtp_server.settings(), draft, 1) == []
    trainee = SimpleNamespace(training=True, customer_id=shop.customer.id)
    assert message_jobs.message_jobs_for_ticket(smtp_server.settings(), trainee, 1) == []


def test_consent_withdrawn_after_queueing_sends_nothing(shop, smtp_server, with_messages):
    ticket = sell(shop, [("BAG", 1)], customer=shop.customer)
    message_jobs.queue_receipt_email(ticket, shop.customer)
    shop.customer.consent_email = False
    shop.customer.save()
    (ran,) = outbox.process("01", message_jobs.handlers(with_messages(shop.config, smtp=smtp_server.settings())))
    assert ran.status == DONE  # dropped, not retried for ever
    assert smtp_server.arrived == []


def test_refusal_reasons():
    assert consent.refusal(None, consent.SMS) is not None
    with pytest.raises(ValueError):
        consent.refusal(None, "fax")
