"""An SMTP server that refuses or never answers: the sale is written anyway, the message job is
retried with a growing delay, then given up, listed for a manager and recorded in chain L; the
manager can send it again once the server works."""

from __future__ import annotations

import datetime as dt
import time

from tests.support.shop import sell
from store.models import FiscalRecord, OutboxJob, Ticket
from store.models.base import utcnow
from store.models.outbox import DONE, FAILED, PENDING
from till.aftersale import outbox
from till.aftersale.messages import jobs as message_jobs


def make_due(job_id: int) -> None:
    """Jump past the job's backoff (the test does not wait minutes)."""
    OutboxJob.update(not_before=utcnow() - dt.timedelta(seconds=1)).where(OutboxJob.id == job_id).execute()


def test_refusing_server_retries_with_backoff_then_a_manager_sees_it(shop, smtp_server, with_messages):
    smtp_server.refuse = "554 5.7.1 Message rejected"
    config = with_messages(shop.config, smtp=smtp_server.settings())
    ticket = sell(shop, [("COF", 1)], customer=shop.customer)
    job = message_jobs.queue_receipt_email(ticket, shop.customer)

    delays = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        before = utcnow()
        (ran,) = outbox.process("01", message_jobs.handlers(config))
        after = utcnow()
        assert ran.id == job.id and ran.attempts == attempt
        assert "554" in ran.last_error
        row = OutboxJob.get_by_id(job.id)
        if attempt < outbox.MAX_ATTEMPTS:
            assert row.status == PENDING
            # due again the backoff after the failure, which happened during process(): however
            # slow the machine, never a guess at how long the attempt took
            delay = outbox.backoff(attempt)
            assert before <= row.not_before - delay <= after
            delays.append(int(delay.total_seconds()))
            assert outbox.process("01", message_jobs.handlers(config)) == []  # not due yet: left alone
            make_due(job.id)
        else:
            assert row.status == FAILED
    assert delays == [2, 4, 8, 16, 32, 64, 128]  # outbox.backoff: doubling
    assert smtp_server.arrived == []
    assert Ticket.get_by_id(ticket.id).code == ticket.code  # the sale stands

    (failed,) = message_jobs.failed_messages("01")
    assert failed.job_id == job.id and failed.kind == message_jobs.SEND_EMAIL_RECEIPT
    assert failed.payload["ticket_id"] == ticket.id and "554" in failed.last_error
    assert message_jobs.report_failures(shop.ctx.sealer, [OutboxJob.get_by_id(job.id)]) == 1
    event = FiscalRecord.select().where((FiscalRecord.chain == "L")
                                        & (FiscalRecord.kind == message_jobs.MESSAGE_FAILED)).get()
    assert '"attempts":8' in event.payload.replace(" ", "")

    # The manager fixes the server and sends it again.
    smtp_server.refuse = None
    message_jobs.retry(job.id)
    (ran,) = outbox.process("01", message_jobs.handlers(config))
    assert ran.status == DONE
    assert [a.recipients for a in smtp_server.arrived] == [["helene@example.fr"]]
    assert message_jobs.failed_messages("01") == []


def test_silent_server_times_out_and_the_till_keeps_selling(shop, silent_server, with_messages):
    from till.aftersale.messages.email import SmtpSettings

    config = with_messages(shop.config, smtp=SmtpSettings(host="127.0.0.1", port=silent_server, sender="a@b.c",
                                                          timeout_s=1))
    first = sell(shop, [("BAG", 1)], customer=shop.customer)
    job = message_jobs.queue_receipt_email(first, shop.customer)
    started = time.monotonic()
    (ran,) = outbox.process("01", message_jobs.handlers(config))
    assert time.monotonic() - started < 3  # bounded by smtp.timeout_s, never hangs the worker
    assert ran.status == PENDING and ran.attempts == 1
    assert "timed out" in ran.last_error
    # Meanwhile the till sells on; its own print job is not held up by the e-mail.
    second = sell(shop, [("WIN", 1)])
    assert second.number == first.number + 1
    assert OutboxJob.get_by_id(job.id).status == PENDING


def test_unconfigured_smtp_fails_the_job_with_a_clear_message(shop, with_messages):
    from till.aftersale.messages.email import SmtpSettings

    ticket = sell(shop, [("BAG", 1)], customer=shop.customer)
    message_jobs.queue_receipt_email(ticket, shop.customer)
    (ran,) = outbox.process("01", message_jobs.handlers(with_messages(shop.config, smtp=SmtpSettings())))
    assert ran.status == PENDING and "smtp.host" in ran.last_error


def test_retry_refuses_a_job_that_did_not_fail(shop):
    import pytest
    from till.errors import TillError

    ticket = sell(shop, [("BAG", 1)], customer=shop.customer)
    job = message_jobs.queue_receipt_email(ticket, shop.customer)
    with pytest.raises(TillError, match="has not failed"):
        message_jobs.retry(job.id)
