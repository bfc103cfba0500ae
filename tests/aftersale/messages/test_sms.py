"""SMS through an HTTP gateway: a real ``http.server`` on loopback, and the request read as it
arrived (method, path, token, body)."""

from __future__ import annotations

import time
import urllib.parse

import pytest

from store.models import OutboxJob
from store.models.outbox import DONE, PENDING
from till.aftersale import outbox
from till.people.customers import create_customer
from till.aftersale.messages import jobs as message_jobs
from till.aftersale.messages.email import MessageError
from till.aftersale.messages.sms import SmsSettings, send_sms


def test_post_carries_number_text_and_token(sms_gateway):
    status = send_sms(sms_gateway.settings(), "+33612345678", "Votre avoir AV-1234 : 5,00 €")
    assert status == 200
    (request,) = sms_gateway.requests
    assert (request.method, request.path) == ("POST", "/api/send")
    assert request.headers["Authorization"] == "Bearer tok-123"
    form = urllib.parse.parse_qs(request.body.decode("utf-8"))
    assert form == {"to": ["+33612345678"], "text": ["Votre avoir AV-1234 : 5,00 €"]}


def test_get_fills_the_url_template_url_encoded(sms_gateway):
    settings = sms_gateway.settings(path="/send?to={to}&msg={text}&key={token}", method="GET")
    send_sms(settings, "+33612345678", "Merci & à bientôt")
    (request,) = sms_gateway.requests
    assert request.method == "GET" and request.body == b""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
    assert query == {"to": ["+33612345678"], "msg": ["Merci & à bientôt"], "key": ["tok-123"]}


def test_a_refusing_gateway_raises_with_its_status(sms_gateway):
    sms_gateway.status = 503
    with pytest.raises(MessageError) as refused:
        send_sms(sms_gateway.settings(), "+33612345678", "x")
    assert "503" in str(refused.value)
    assert "passerelle SMS a répondu 503" in refused.value.text("fr")


def test_a_gateway_that_does_not_answer_times_out(sms_gateway):
    sms_gateway.delay_s = 3
    started = time.monotonic()
    with pytest.raises(MessageError) as timed_out:
        send_sms(sms_gateway.settings(timeout_s=1), "+33612345678", "x")
    assert time.monotonic() - started < 2.5
    assert "cannot be reached" in str(timed_out.value)


def test_no_gateway_configured_is_a_clear_error():
    with pytest.raises(MessageError, match="sms.url_template"):
        send_sms(SmsSettings(), "+33612345678", "x")


def test_sms_job_from_the_outbox_reaches_the_gateway(shop, sms_gateway, with_messages):
    config = with_messages(shop.config, sms=sms_gateway.settings())
    customer = create_customer("Jean", "Moulin", phone="+33 6 11 22 33 44", consent_sms=True)
    from tests.support.shop import sell

    ticket = sell(shop, [("BAG", 2)], customer=customer)
    text = message_jobs.receipt_sms_text(shop.config, ticket)
    job = message_jobs.queue_sms("01", customer, text)
    ran = outbox.process("01", message_jobs.handlers(config))
    assert [j.status for j in ran] == [DONE]
    (request,) = sms_gateway.requests
    form = urllib.parse.parse_qs(request.body.decode("utf-8"))
    assert form["to"] == ["+33 6 11 22 33 44"]
    assert ticket.code in form["text"][0] and "2,40" in form["text"][0]
    assert OutboxJob.get_by_id(job.id).status == DONE


def test_failing_gateway_leaves_the_job_to_retry(shop, sms_gateway, with_messages):
    sms_gateway.status = 500
    config = with_messages(shop.config, sms=sms_gateway.settings())
    customer = create_customer("Jean", "Moulin", phone="0611223344", consent_sms=True)
    job = message_jobs.queue_sms("01", customer, "hello")
    (ran,) = outbox.process("01", message_jobs.handlers(config))
    assert ran.status == PENDING and ran.attempts == 1 and "500" in ran.last_error
    assert OutboxJob.get_by_id(job.id).not_before > OutboxJob.get_by_id(job.id).created_at


def test_a_template_with_an_unknown_placeholder_is_a_clear_error():
    with pytest.raises(MessageError) as refused:
        send_sms(SmsSettings(url_template="http://127.0.0.1:9/send?to={number}"), "+33612345678", "x")
    assert str(refused.value) == "sms.url_template may only use {to}, {text} and {token} ('number')"
    assert "ne peut utiliser que {to}" in refused.value.text("fr")
