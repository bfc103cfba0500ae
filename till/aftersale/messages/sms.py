"""Text messages through the shop's SMS gateway, over HTTP.

Gateways differ, so the request is a template: ``url_template`` may hold ``{to}``, ``{text}``
and ``{token}`` (each URL-encoded). With ``method = "POST"`` the form body also carries ``to``
and ``text``; the token always travels in an ``Authorization: Bearer`` header as well, so a
gateway that reads either works and the token need not appear in a URL (and in its logs) at all.

Any answer but 2xx, a refused connection or a timeout raises: the outbox job is retried with
backoff, and nothing at the till waits for it.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from till.aftersale.messages.email import MessageError
from till.config.messages import SmsSettings
from till.i18n import N_

NO_GATEWAY = N_("No SMS gateway is configured (sms.url_template)")
GATEWAY_REFUSED = N_("The SMS gateway answered {status}: {reason}")
GATEWAY_UNREACHABLE = N_("The SMS gateway cannot be reached: {reason}")
BAD_METHOD = N_("sms.method must be GET or POST, not {method}")
BAD_TEMPLATE = N_("sms.url_template may only use {{to}}, {{text}} and {{token}} ({reason})")


def build_request(settings: SmsSettings, to: str, text: str) -> urllib.request.Request:
    """The HTTP request the gateway gets (built apart from sending, so it can be checked)."""
    if not settings.url_template:
        raise MessageError(NO_GATEWAY)
    method = settings.method.upper()
    if method not in ("GET", "POST"):
        raise MessageError(BAD_METHOD, method=settings.method)
    quote = lambda value: urllib.parse.quote(value, safe="")  # noqa: E731
    try:
        url = settings.url_template.format(to=quote(to), text=quote(text), token=quote(settings.token))
    except (KeyError, IndexError, ValueError) as error:
        raise MessageError(BAD_TEMPLATE, reason=str(error)) from None
    headers = {"User-Agent": "till", "Accept": "*/*"}
    if settings.token:
        headers["Authorization"] = f"Bearer {settings.token}"
    data = None
    if method == "POST":
        data = urllib.parse.urlencode({"to": to, "text": text}).encode("utf-8")
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    return urllib.request.Request(url, data=data, headers=headers, method=method)


def send_sms(settings: SmsSettings, to: str, text: str) -> int:
    """Send ``text`` to ``to`` (international format, +33...); returns the HTTP status."""
    request = build_request(settings, to, text)
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout_s) as answer:  # noqa: S310 - configured URL
            answer.read(4096)
            return answer.status
    except urllib.error.HTTPError as error:
        raise MessageError(GATEWAY_REFUSED, status=error.code, reason=str(error.reason)[:200]) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise MessageError(GATEWAY_UNREACHABLE, reason=str(reason)[:200]) from None
