"""What the closures screen's F4 and F8 queue, without a screen: ``till.aftersale.printing``."""

from __future__ import annotations

import json

from store.models import OutboxJob
from store.models.outbox import FAILED, PENDING
from till.aftersale import outbox
from till.aftersale.jobs import PRINT_LINES
from till.aftersale.messages.jobs import SEND_SMS
from till.aftersale.printing import SentAgain, print_lines, send_again


def test_the_report_shown_is_queued_for_the_printer_as_it_is(shop):
    print_lines(shop.ctx.till_id, ["X REPORT", "Total  12,00"])
    (job,) = OutboxJob.select().where(OutboxJob.kind == PRINT_LINES)
    assert (job.till_id, job.status, json.loads(job.payload)) == (
        shop.ctx.till_id, PENDING, {"lines": ["X REPORT", "Total  12,00"]})


def test_what_was_given_up_is_sent_again_and_counted(shop):
    till = shop.ctx.till_id
    printed = outbox.enqueue(till, PRINT_LINES, {"lines": ["Z"]})
    texted = outbox.enqueue(till, SEND_SMS, {"customer_id": shop.customer.id, "text": "hello"})
    elsewhere = outbox.enqueue("99", PRINT_LINES, {"lines": ["other till"]})
    OutboxJob.update(status=FAILED, attempts=8, last_error="paper out").execute()
    assert send_again(till) == SentAgain(documents=1, messages=1)
    status = {job.id: (job.status, job.attempts) for job in OutboxJob.select()}
    assert status[printed.id] == status[texted.id] == (PENDING, 0)
    assert status[elsewhere.id] == (FAILED, 8)  # another till's jobs are its own
    assert send_again(till) == SentAgain(documents=0, messages=0)
