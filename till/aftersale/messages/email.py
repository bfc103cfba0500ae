"""E-mails to customers: a receipt, a return confirmation or a credit-note voucher.

A message has a plain-text part (the receipt exactly as printed, so the customer reads what the
paper says) and an HTML part: the same lines in a monospaced block, and the ticket's or note's
code as a QR image carried in the message itself (``multipart/related``, referenced by its
Content-ID), so it shows without fetching anything and can be scanned at the counter from the
phone's screen to start a return or spend the note.

Sending goes through ``smtplib`` with a timeout, STARTTLS (certificate checked: the system's
authorities, or ``cafile``) and login. A password is never sent over a connection that was not
encrypted first. Any failure raises: the outbox job that called it is retried with backoff,
and the sale that queued it was committed long before.
"""

from __future__ import annotations

import html
import importlib.util
import io
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from till.config.messages import SmtpSettings
from till.errors import TillError
from till.i18n import N_


class MessageError(TillError):
    """A message cannot be built or sent as configured."""


PLAIN_PASSWORD = N_("The SMTP password would travel unencrypted: set smtp.starttls = true")
NO_SERVER = N_("No SMTP server is configured (smtp.host)")


@dataclass(frozen=True)
class Mail:
    """What a message says, already in the customer's language."""

    to: str
    subject: str
    lines: tuple[str, ...]
    """The document as printed (receipt or voucher lines)."""
    code: str = ""
    """The ticket's or note's code, shown as a QR image; empty: no image."""
    intro: str = ""
    to_name: str = ""


def qr_png(text: str) -> bytes:
    """``text`` as a QR code PNG. Pillow (pulled in by python-escpos) when present, else
    qrcode's pure-Python PNG writer (needs ``pypng``)."""

    import qrcode  # deferred: qrcode only when a QR code is drawn

    factory = None
    if importlib.util.find_spec("PIL") is None:  # pragma: no cover - Pillow comes with python-escpos
        from qrcode.image.pure import PyPNGImage as factory  # deferred: qrcode only when a QR code is drawn
    image = qrcode.make(text, image_factory=factory, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message: text, and HTML with the code as an inline image (cid: reference)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((mail.to_name, mail.to)) if mail.to_name else mail.to
    message["Subject"] = mail.subject
    domain = sender.rsplit("@", 1)[-1].strip(" >") if "@" in sender else None
    message["Message-ID"] = make_msgid(domain=domain)
    text = "\n".join(([mail.intro, ""] if mail.intro else []) + list(mail.lines)) + "\n"
    message.set_content(text)
    cid = make_msgid(domain=domain)
    image = (f'<p><img src="cid:{cid[1:-1]}" alt="{html.escape(mail.code)}" width="180" height="180"></p>'
             f"<p><code>{html.escape(mail.code)}</code></p>") if mail.code else ""
    body = (
        "<!DOCTYPE html><html><body>"
        + (f"<p>{html.escape(mail.intro)}</p>" if mail.intro else "")
        + '<pre style="font-family: monospace; font-size: 14px">'
        + html.escape("\n".join(mail.lines))
        + "</pre>" + image + "</body></html>"
    )
    message.add_alternative(body, subtype="html")
    if mail.code:
        html_part = message.get_payload()[1]
        html_part.add_related(qr_png(mail.code), maintype="image", subtype="png", cid=cid,
                              filename="code.png", disposition="inline")
    return message


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.cafile or None)


def send_message(settings: SmtpSettings, message: EmailMessage) -> None:
    """Deliver ``message`` to the configured server; raises on any refusal or timeout."""
    if not settings.host:
        raise MessageError(NO_SERVER)
    if settings.username and not settings.starttls:
        raise MessageError(PLAIN_PASSWORD)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
        smtp.ehlo()
        if settings.starttls:
            smtp.starttls(context=_tls_context(settings))
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)
