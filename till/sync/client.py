"""The till's HTTP client for head office: signed requests, keep-alive, TLS, clock offset.

Standard library only (``http.client``): a till needs no extra package to sync, and one
connection is kept open for the whole run (a hundred batches are a hundred requests, not a
hundred TLS handshakes). Each request is signed with the till's fiscal key
(``till.sync.protocol``). When head office says the timestamp is stale it also says its own
time; the client signs again with that offset, once, so a till whose clock is off still syncs
(its records carry the times it sealed them with; only the request needs a fresh stamp).
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import time
from typing import Any
from urllib.parse import urlparse

from till.errors import TillError
from till.fiscal.keys import Signer
from till.i18n import N_
from till.sync.protocol import H_KEY, H_SERVER_TIME, H_SIGNATURE, H_TILL, H_TIME, request_message

__all__ = ["HeadOfficeClient", "HeadOfficeUnreachable", "HeadOfficeAnswer"]

log = logging.getLogger("till.sync.push")


class SyncError(TillError):
    """A sync run, or a request to head office, that could not finish."""


class HeadOfficeUnreachable(TillError):
    """No answer from head office (network, TLS, server down): try again later."""


class HeadOfficeAnswer(Exception):
    """Head office answered with an error status: ``status`` and its JSON ``body``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('error')}: {body.get('message')}")
        self.status, self.body = status, body


class HeadOfficeClient:
    def __init__(self, url: str, till_id: str, signer: Signer, timeout_s: float = 30.0,
                 ca_file: str | None = None, fallback_signers: tuple[Signer, ...] = ()) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"head office URL {url!r} must be http(s)://host[:port]")
        self.scheme, self.host, self.port = parsed.scheme, parsed.hostname, parsed.port
        self.prefix = parsed.path.rstrip("/")
        self.till_id, self.signer, self.timeout_s = till_id, signer, timeout_s
        self.fallback_signers = fallback_signers
        """Retired keys of this till, newest first, tried when head office does not know ``signer``."""
        self.context = ssl.create_default_context(cafile=ca_file) if parsed.scheme == "https" else None
        self.offset_s = 0.0
        """Head office's clock minus ours, learnt from a stale-timestamp answer."""
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.context is not None:
                self._conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout_s,
                                                         context=self.context)
            else:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        return self._conn

    @staticmethod
    def encode(data: Any) -> bytes:
        """The JSON body of ``data`` (the push encodes the next batch while one is in flight).

        ASCII, letters beyond it written as ``\\u`` escapes: the same JSON once read, and about a
        third cheaper to write for a batch of French tickets (``ensure_ascii=False`` leaves the
        encoder a text of mixed widths to build and then convert to UTF-8)."""
        return json.dumps(data, separators=(",", ":")).encode("ascii")

    def request(self, method: str, path: str, data: Any = None, body: bytes | None = None) -> dict[str, Any]:
        """Send a signed request; the JSON answer, ``HeadOfficeAnswer`` on an error status, or
        ``HeadOfficeUnreachable`` when no complete answer came back (the caller re-reads heads)."""
        if body is None:
            body = b"" if data is None else self.encode(data)
        fallbacks = list(self.fallback_signers)
        skew_retried = False
        while True:
            status, answer, server_time = self._send(method, self.prefix + path, body)
            if status == 401 and answer.get("error") == "stale" and server_time is not None and not skew_retried:
                skew_retried = True
                self.offset_s = server_time - time.time()
                log.warning("head office's clock is %+d s from this till's: requests use its time", self.offset_s)
                continue
            if status == 401 and answer.get("error") == "unknown_key" and fallbacks:
                # Right after a key rotation head office knows only the previous key; it learns
                # the new one from the KEY_ROTATED record this very sync pushes.
                self.signer = fallbacks.pop(0)
                log.warning("head office does not know the current key yet: signing with retired key %s",
                            self.signer.key_id)
                continue
            break
        if status >= 400:
            raise HeadOfficeAnswer(status, answer)
        return answer

    def _send(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any], int | None]:
        stamp = int(time.time() + self.offset_s)
        headers = {
            "Content-Type": "application/json", H_TILL: self.till_id, H_KEY: self.signer.key_id, H_TIME: str(stamp),
            H_SIGNATURE: self.signer.sign(request_message(method, path, body, stamp, self.till_id,
                                                          self.signer.key_id)),
        }
        try:
            conn = self._connection()
            try:
                conn.request(method, path, body=body or None, headers=headers)
            except (BrokenPipeError, ConnectionResetError):
                # Head office may answer before reading the whole body (a body over its limit:
                # 413 and the connection closed) while this side still writes; its answer is
                # then waiting to be read, and says more than "unreachable".
                pass
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise HeadOfficeUnreachable(N_("Head office {host} cannot be reached: {reason}"), host=self.host,
                                        reason=str(error) or type(error).__name__) from None
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {"error": "not_json", "message": raw[:200].decode("utf-8", "replace")}
        server = response.getheader(H_SERVER_TIME)
        return response.status, answer if isinstance(answer, dict) else {}, int(server) if server else None
