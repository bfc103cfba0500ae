"""The receipt preview's F3 and F4 without a screen: ``till.aftersale.messages.resend``."""

from __future__ import annotations

import dataclasses
import json

import pytest

from store.models import Customer, FiscalRecord, OutboxJob
from till.aftersale.messages.consent import ConsentError
from till.aftersale.messages.jobs import SEND_EMAIL_RECEIPT, SEND_SMS
from till.aftersale.messages.resend import NoCustomerOnTicket, email_receipt, text_receipt
from till.config.messages import SmsSettings
from till.errors import TillError
from tests.support.shop import sell


def jobs(kind: str) -> list[dict]:
    return [json.loads(job.payload) for job in OutboxJob.select().where(OutboxJob.kind == kind).order_by(OutboxJob.id)]


def with_sms(config):
    return dataclasses.replace(config, sms=SmsSettings(url_template="http://127.0.0.1:9/send?to={to}&text={text}"))


def test_a_receipt_is_emailed_to_the_customer_then_again_as_a_sealed_copy(shop):
    sale = sell(shop, [("SOA", 1)], customer=shop.customer)
    OutboxJob.delete().execute()  # the sale queued its own e-mail: start from none
    email_receipt(shop.ctx.sealer, sale.id, shop.cashier)
    assert jobs(SEND_EMAIL_RECEIPT) == [{"ticket_id": sale.id, "customer_id": shop.customer.id}]
    email_receipt(shop.ctx.sealer, sale.id, shop.cashier)
    assert jobs(SEND_EMAIL_RECEIPT)[-1]["duplicate"] == 1
    assert FiscalRecord.select().where((FiscalRecord.chain == "C") & (FiscalRecord.ticket_id == sale.id)).count() == 1


def test_nothing_is_sent_for_a_ticket_without_customer(shop):
    sale = sell(shop, [("SOA", 1)])
    with pytest.raises(NoCustomerOnTicket):
        email_receipt(shop.ctx.sealer, sale.id, shop.cashier)
    with pytest.raises(NoCustomerOnTicket):
        text_receipt(with_sms(shop.config), shop.ctx.till_id, sale.id)
    assert not jobs(SEND_EMAIL_RECEIPT) and not jobs(SEND_SMS)


def test_a_customer_who_withdrew_consent_gets_no_email(shop):
    sale = sell(shop, [("SOA", 1)], customer=shop.customer)
    before = len(jobs(SEND_EMAIL_RECEIPT))
    Customer.update(consent_email=False).where(Customer.id == shop.customer.id).execute()
    with pytest.raises(ConsentError):
        email_receipt(shop.ctx.sealer, sale.id, shop.cashier)
    assert len(jobs(SEND_EMAIL_RECEIPT)) == before


def test_a_text_needs_a_gateway_then_goes_to_a_customer_who_agreed(shop):
    sale = sell(shop, [("SOA", 1)], customer=shop.customer)
    with pytest.raises(TillError, match="sms.url_template"):
        text_receipt(shop.config, shop.ctx.till_id, sale.id)  # the example till.toml has no gateway
    with pytest.raises(ConsentError):
        text_receipt(with_sms(shop.config), shop.ctx.till_id, sale.id)  # no phone, no consent
    Customer.update(phone="+33612345678", consent_sms=True).where(Customer.id == shop.customer.id).execute()
    text_receipt(with_sms(shop.config), shop.ctx.till_id, sale.id)
    (job,) = jobs(SEND_SMS)
    assert job["customer_id"] == shop.customer.id and sale.code in job["text"]
