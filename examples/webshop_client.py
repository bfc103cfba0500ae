"""A web shop talking to head office's web-shop API: the reference client, standard library only.

    client = WebShopClient("https://headoffice.example.fr", "wsk_...")
    client.post_order({"number": "WEB-100234", ...})            # scope orders
    client.credit_note("AV-...")                                 # scope credit: balance, expiry
    client.hold("AV-...", "cart-812", 1500); client.commit("AV-...", "cart-812")
    for event in client.events(after=last_seen): ...; client.ack(event["id"])   # scope returns

A webhook receiver checks each delivery with ``verify_signature`` before trusting it (run this
file with a port and the webhook secret to try one: ``python webshop_client.py 8080 SECRET``).
Amounts are integer cents. A refusal raises ``ApiError`` with the API's code (``error``).
"""

import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer


class ApiError(Exception):
    def __init__(self, status, answer):
        super().__init__(f"{status} {answer.get('error')}: {answer.get('message')}")
        self.status, self.code = status, answer.get("error")


class WebShopClient:
    def __init__(self, base_url, key, timeout_s=10):
        self.base, self.key, self.timeout_s = base_url.rstrip("/") + "/webshop/v1", key, timeout_s

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                answer = json.loads(text)
            except ValueError:  # not the API's answer (a proxy's page, a path it does not serve)
                answer = {"error": f"http_{error.code}", "message": text[:200].decode("utf-8", "replace")}
            raise ApiError(error.code, answer) from None

    def post_order(self, order):
        return self.call("POST", "/orders", order)

    def credit_note(self, code):
        return self.call("GET", f"/credit-notes/{urllib.parse.quote(code)}")

    def hold(self, code, hold_id, amount_cents):
        """Take ``amount_cents`` of the note for checkout ``hold_id`` (the same id again: the same hold)."""
        return self.call("POST", f"/credit-notes/{urllib.parse.quote(code)}/holds",
                         {"hold_id": hold_id, "amount_cents": amount_cents})

    def commit(self, code, hold_id):
        return self.call("POST", f"/credit-notes/{urllib.parse.quote(code)}/holds/{urllib.parse.quote(hold_id)}/commit")

    def events(self, after=0, limit=100):
        """Events after id ``after``, oldest first; keep the last id you handled."""
        return self.call("GET", f"/events?after={int(after)}&limit={int(limit)}")["events"]

    def ack(self, event_id):
        """Handled: head office will not send it to the webhook (again)."""
        return self.call("POST", f"/events/{int(event_id)}/ack")


def verify_signature(secret, headers, body, tolerance_s=300, now=None):
    """Whether ``body`` (the raw bytes received) was signed by head office with ``secret``
    less than ``tolerance_s`` ago: ``X-Till-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``.
    ``headers``: any mapping of the request's headers, whatever their case."""
    header = next((value for name, value in headers.items() if name.lower() == "x-till-signature"), "")
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False  # an old delivery replayed
    expected = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def receiver(port, secret, handle):
    """A tiny webhook endpoint: ``handle(event)`` for each verified delivery, 2xx only then."""

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not verify_signature(secret, self.headers, body):
                self.send_response(401)
            else:
                handle(json.loads(body))  # dedupe on event["id"]: a delivery may come twice
                self.send_response(204)
            self.end_headers()

        def log_message(self, *_args):
            pass

    return HTTPServer(("127.0.0.1", port), Hook)


if __name__ == "__main__":
    receiver(int(sys.argv[1]), sys.argv[2], lambda event: print(json.dumps(event, indent=2))).serve_forever()
