"""E-mail over a real SMTP server on loopback (aiosmtpd): STARTTLS with a certificate checked
against the test's own authority, AUTH LOGIN, and the message read as it arrived: text part,
HTML part, and the code's QR image referenced by the HTML through its Content-ID."""

from __future__ import annotations

import io
import smtplib

import pytest
from PIL import Image

from tests.support.shop import sell
from store.models import FiscalRecord, OutboxJob
from store.models.outbox import DONE
from till.aftersale import outbox
from till.aftersale.messages import jobs as message_jobs
from till.aftersale.messages.email import Mail, MessageError, SmtpSettings, build_message, qr_png, send_message
from tests.support.messages import SENDER, USER


def parts(message):
    """(text, html, [image parts]) of a received message."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    return text, html, images


def test_message_arrives_over_starttls_with_login_text_html_and_inline_code(smtp_server):
    mail = Mail(to="helene@example.fr", to_name="Hélène Dupré", subject="Votre ticket T01-0000019",
                lines=("Librairie du Port", "TOTAL        12,50 €", "T01-0000019"), code="T01-0000019",
                intro="Bonjour")
    send_message(smtp_server.settings(), build_message(mail, SENDER))

    (arrival,) = smtp_server.arrived
    assert arrival.tls, "the message travelled before STARTTLS"
    assert arrival.login == USER and smtp_server.mechanisms == ["LOGIN"]
    assert arrival.recipients == ["helene@example.fr"]
    message = arrival.message
    assert message["Subject"] == "Votre ticket T01-0000019"
    assert "Hélène Dupré" in str(message["To"])
    text, html, (image,) = parts(message)
    assert "TOTAL        12,50 €" in text and "Bonjour" in text
    assert "<pre" in html and "12,50 €" in html
    content_id = image["Content-ID"].strip("<>")
    assert f'src="cid:{content_id}"' in html
    assert image.get_content_disposition() == "inline"
    png = image.get_content()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as qr:
        assert qr.size[0] == qr.size[1] > 100  # a square code, large enough to scan from a phone
    # The HTML and its image are one related group, the alternative to the text.
    assert message.get_content_type() == "multipart/alternative"
    assert any(part.get_content_type() == "multipart/related" for part in message.iter_parts())


def test_wrong_password_is_refused_by_the_server(smtp_server):
    mail = Mail(to="a@example.fr", subject="x", lines=("x",))
    with pytest.raises(smtplib.SMTPAuthenticationError):
        send_message(smtp_server.settings(password="wrong"), build_message(mail, SENDER))
    assert smtp_server.arrived == []


def test_a_certificate_the_till_does_not_trust_is_refused(smtp_server):
    import ssl

    mail = Mail(to="a@example.fr", subject="x", lines=("x",))
    with pytest.raises(ssl.SSLError):
        send_message(smtp_server.settings(cafile=""), build_message(mail, SENDER))
    assert smtp_server.arrived == []


def test_password_never_sent_without_starttls():
    mail = Mail(to="a@example.fr", subject="x", lines=("x",))
    with pytest.raises(MessageError) as refused:
        # port 9 (discard) is never reached: the refusal comes before any connection
        send_message(SmtpSettings(host="127.0.0.1", port=9, starttls=False, username="u", password="p"),
                     build_message(mail, SENDER))
    assert "starttls" in str(refused.value)
    assert "en clair" in refused.value.text("fr")


def test_qr_png_is_a_png():
    assert qr_png("AV-7K3M-Q9XP-2D4F-H8RT-W").startswith(b"\x89PNG")


def _run(config, till_id="01"):
    return outbox.process(till_id, message_jobs.handlers(config))


def test_receipt_email_from_the_outbox_then_a_resend_is_a_duplicate(shop, smtp_server, with_messages):
    config = with_messages(shop.config, smtp=smtp_server.settings())
    ticket = sell(shop, [("COF", 2), ("BAG", 1)], customer=shop.customer)
    job = message_jobs.queue_receipt_email(ticket, shop.customer, sealer=shop.ctx.sealer, user=shop.cashier)
    assert _run(config)[0].status == DONE

    (first,) = smtp_server.arrived
    assert first.recipients == ["helene@example.fr"]
    text, html, (image,) = parts(first.message)
    assert ticket.code in first.message["Subject"]
    assert ticket.code in text and "Café moulu" in text and "DUPLICATA" not in text
    assert f'cid:{image["Content-ID"].strip("<>")}' in html
    assert FiscalRecord.select().where(FiscalRecord.chain == "C").count() == 0  # the original is no copy
    assert OutboxJob.get_by_id(job.id).status == DONE

    # Sent again: a copy, numbered and signed in chain C (R-DUP), and the e-mail says so.
    again = message_jobs.queue_receipt_email(ticket, shop.customer, sealer=shop.ctx.sealer, user=shop.cashier)
    assert '"duplicate": 1' in again.payload
    (record,) = FiscalRecord.select().where(FiscalRecord.chain == "C")
    assert record.ticket_id == ticket.id and record.kind == "email"
    _run(config)
    second = smtp_server.arrived[1]
    text, _html, _images = parts(second.message)
    assert "DUPLICATA" in text and "Copie" in second.message["Subject"]


def test_a_resend_needs_the_sealer_and_the_user(shop, smtp_server, with_messages):
    ticket = sell(shop, [("BAG", 1)], customer=shop.customer)
    message_jobs.queue_receipt_email(ticket, shop.customer)  # first: no copy, nothing to seal
    with pytest.raises(ValueError):
        message_jobs.queue_receipt_email(ticket, shop.customer)


def test_sale_with_a_consenting_customer_queues_its_receipt_and_vouchers(shop, smtp_server, with_messages):
    """What the ticket writer's ``_jobs`` adds (message_jobs_for_ticket), then sent."""
    from types import SimpleNamespace

    config = with_messages(shop.config, smtp=smtp_server.settings())
    ticket = sell(shop, [("WIN", 1)], customer=shop.customer)
    draft = SimpleNamespace(training=False, customer_id=shop.customer.id)
    assert message_jobs.message_jobs_for_ticket(None, draft, ticket.id) == []  # e-mail not configured
    queued = message_jobs.message_jobs_for_ticket(config.smtp, draft, ticket.id)
    assert queued == [(message_jobs.SEND_EMAIL_RECEIPT, {"ticket_id": ticket.id, "customer_id": shop.customer.id})]
    for kind, payload in queued:
        outbox.enqueue("01", kind, payload)
    _run(config)
    assert [a.recipients for a in smtp_server.arrived] == [["helene@example.fr"]]
    # a later e-mail of that ticket is a re-send, hence a duplicate
    assert message_jobs.was_emailed(ticket.id)


def test_credit_note_voucher_by_email(shop, smtp_server, with_messages):
    from store.models import CreditNote
    from till.returns.session import ReturnSession

    config = with_messages(shop.config, smtp=smtp_server.settings())
    sale = sell(shop, [("SOA", 1)], customer=shop.customer)
    session = ReturnSession.at(shop.ctx, shop.cashier)
    session.open(sale)
    (line,) = session.lines
    session.pick(line.line_id, 1, reason="changed_mind")
    session.refund_to([("credit_note", 350)])
    ret = session.complete()
    note = CreditNote.get(CreditNote.issued_ticket == ret.id)
    message_jobs.queue_voucher_email("01", note, shop.customer)
    message_jobs.queue_receipt_email(ret, shop.customer)
    _run(config)
    voucher, confirmation = smtp_server.arrived
    text, html, (image,) = parts(voucher.message)
    assert note.code in text and note.code in voucher.message["Subject"] and "AVOIR" in text
    assert image.get_content().startswith(b"\x89PNG")
    assert "Confirmation de retour" in confirmation.message["Subject"]
