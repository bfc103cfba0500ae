"""Webhook delivery of web-shop events: signed, retried until acknowledged, never in the way.

Each event (``headoffice.webshop_events``) is POSTed to its web shop's webhook URL with
``X-Till-Event-Id`` and ``X-Till-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>">`` keyed with the web shop's webhook secret: the receiver checks that head office
sent it, that the body is the one signed, and (by ``t``) that it is no old copy replayed. A 2xx
answer acknowledges it; anything else, a redirect, or no answer within ``TIMEOUT_S`` is tried
again after 1 minute, then 2, 4... at most ``BACKOFF_MAX_S`` apart, until acknowledged (the
receiver dedupes on the event id: a delivery may come twice).

Delivery holds no transaction while it waits on the network, and no API request waits on it:
``till-headoffice serve`` runs ``start_delivery`` (a thread), ``till-headoffice webshop
deliver`` does one pass for cron, and the tests call ``deliver_due`` with the ``now`` they want.
An event is claimed before it is sent (its next try moved forward, if still where it was read),
so two deliverers at once do not both send it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Callable

from headoffice.store import WebShop, WebShopEvent, proxy, utcnow
from headoffice.webshop_events import envelope_bytes

__all__ = ["TIMEOUT_S", "BACKOFF_FIRST_S", "BACKOFF_MAX_S", "signature_header", "backoff_s", "post_event",
           "deliver_due", "start_delivery"]

log = logging.getLogger("headoffice.webshop")

TIMEOUT_S = 10.0
BACKOFF_FIRST_S = 60
BACKOFF_MAX_S = 6 * 3600
PASS_SIZE = 100
"""The most events one pass sends: the next pass takes the rest."""


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def backoff_s(attempts: int) -> int:
    """How long after failed try number ``attempts`` (from 1) the next one is due."""
    return min(BACKOFF_FIRST_S * 2 ** min(max(attempts - 1, 0), 20), BACKOFF_MAX_S)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is no acknowledgement: it fails the try (and a signed body is not re-sent elsewhere)."""

    def redirect_request(self, *_args, **_kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_event(url: str, secret: str, event_id: int, body: bytes, timeout_s: float = TIMEOUT_S) -> str | None:
    """POST one event; None when the webhook acknowledged it (2xx), else why not."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "till-headoffice", "X-Till-Event-Id": str(event_id),
        "X-Till-Signature": signature_header(secret, body, int(time.time()))})
    try:
        with _OPENER.open(request, timeout=timeout_s) as answer:
            return None if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, ValueError) as error:  # refused, unreachable, timed out, a bad URL
        return f"{type(error).__name__}: {error}"[:200]


Post = Callable[[str, str, int, bytes], "str | None"]


def deliver_due(now: dt.datetime | None = None, post: Post = post_event) -> dict[str, int]:
    """One pass: send every event due at ``now`` (naive UTC) to its web shop's webhook.

    Runs on the caller's connection; each database step is its own short statement, none held
    open across a POST. Returns ``{"delivered", "failed"}``."""
    now = (now or utcnow()).replace(microsecond=0)
    due = list(WebShopEvent.select(WebShopEvent, WebShop.webhook_url, WebShop.webhook_secret)
               .join(WebShop, on=(WebShopEvent.webshop == WebShop.name), attr="webshop_row")
               .where(WebShopEvent.delivered_at.is_null() & (WebShopEvent.next_attempt_at <= now)
                      & WebShop.webhook_url.is_null(False) & (WebShop.revoked == False))  # noqa: E712
               .order_by(WebShopEvent.id).limit(PASS_SIZE))
    done = {"delivered": 0, "failed": 0}
    for event in due:
        attempt = event.attempts + 1
        claimed = (WebShopEvent.update(next_attempt_at=now + dt.timedelta(seconds=backoff_s(attempt)))
                   .where((WebShopEvent.id == event.id) & (WebShopEvent.next_attempt_at == event.next_attempt_at)
                          & WebShopEvent.delivered_at.is_null()).execute())
        if claimed != 1:
            continue  # another deliverer took it, or the web shop acked it meanwhile
        error = post(event.webshop_row.webhook_url, event.webshop_row.webhook_secret, event.id, envelope_bytes(event))
        if error is None:
            WebShopEvent.update(delivered_at=utcnow(), attempts=attempt, last_error="").where(
                WebShopEvent.id == event.id).execute()
            done["delivered"] += 1
        else:
            WebShopEvent.update(attempts=attempt, last_error=error[:200]).where(WebShopEvent.id == event.id).execute()
            done["failed"] += 1
            log.warning("web shop %s: event %s not delivered (try %d, next in %d s): %s", event.webshop, event.id,
                        attempt, backoff_s(attempt), error)
    return done


def start_delivery(interval_s: float = 15.0) -> threading.Event:
    """Deliver what is due every ``interval_s`` in a daemon thread; set the event returned to stop."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                with proxy.obj.connection_context():
                    deliver_due()
            except Exception:  # noqa: BLE001 - a database hiccup must not end delivery for good
                log.exception("webhook delivery pass failed")
            stop.wait(interval_s)

    threading.Thread(target=run, name="webshop-delivery", daemon=True).start()
    return stop
