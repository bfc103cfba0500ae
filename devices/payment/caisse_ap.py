"""Caisse-AP over IP (Concert V3): the till asks a card terminal on the shop's network.

Raw TCP, one request and one answer per connection, the till is the client (devices.md
section 4). Messages are ASCII TLV: a 2-letter tag, a 3-digit decimal length, the value; ``CZ``
(version ``0300``) comes first; no STX/ETX/LRC. Amounts are integer cents in ``CB``.

The answer is read until it is a complete TLV holding ``AE`` and the line has been quiet a
moment (or the terminal closed): TCP may split it, and a single ``recv`` (as some clients do)
would read half an answer. The request's ``CA``, ``CB``, ``CD`` and ``CE`` must come back
unchanged in an approval, as the OCA module checks.

Operations: ``CD`` ``0`` debit (sale), ``1`` credit (refund); ``2`` for a cancellation is not in
the reference: check it against the official spec before deployment.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

from devices.payment import (
    REASON_ABANDONED, REASON_CURRENCY, REASON_FORBIDDEN, REASON_FORMAT, REASON_NO_INPUT, REASON_REFUSED, TerminalError,
    TerminalResult,
)

VERSION = "0300"
EURO = "978"
DEBIT, CREDIT, CANCEL = "0", "1", "2"
OPERATIONS = {"sale": DEBIT, "refund": CREDIT, "cancel": CANCEL}
DONE, NOT_DONE = "10", "01"
MAX_CENTS = 999_999_999_999

FAILURES = {
    "04": REASON_REFUSED, "05": REASON_FORBIDDEN, "06": REASON_ABANDONED, "11": REASON_ABANDONED,
    "08": REASON_NO_INPUT, "09": REASON_FORMAT, "13": REASON_CURRENCY,
}
"""``AF`` failure reasons (devices.md section 4); others show their code."""


class CaisseApFormatError(TerminalError):
    """An answer that is not a well-formed Caisse-AP message, or not the answer to our request."""


def encode_tlv(fields: list[tuple[str, str]]) -> str:
    """``[("CZ", "0300"), ...]`` as ``CZ0040300...``."""
    parts = []
    for tag, value in fields:
        if len(tag) != 2 or not tag.isascii() or not value.isascii() or len(value) > 999:
            raise ValueError(f"cannot encode {tag!r}={value!r}")
        parts.append(f"{tag}{len(value):03d}{value}")
    return "".join(parts)


def decode_tlv(text: str) -> list[tuple[str, str]]:
    """The ``(tag, value)`` pairs of ``text``; anything malformed raises ``CaisseApFormatError``."""
    fields, position = [], 0
    while position < len(text):
        head = text[position:position + 5]
        if len(head) < 5 or not head[:2].isalnum() or not head[2:].isdigit():
            raise CaisseApFormatError("the card terminal sent an unreadable answer")
        length = int(head[2:])
        value = text[position + 5:position + 5 + length]
        if len(value) != length:
            raise CaisseApFormatError("the card terminal sent an unreadable answer")
        fields.append((head[:2], value))
        position += 5 + length
    return fields


def is_complete(data: bytes, needed: str = "AE") -> bool:
    """Whether ``data`` parses as whole TLV elements holding tag ``needed`` (a split answer does not)."""
    try:
        fields = decode_tlv(data.decode("ascii"))
    except (UnicodeDecodeError, CaisseApFormatError):
        return False
    return any(tag == needed for tag, _ in fields)


@dataclass(frozen=True)
class CaisseApRequest:
    """A payment request; ``protocol_id`` is the 12-digit Concert protocol ID (``CJ``)."""

    amount_cents: int
    operation: str = DEBIT
    pos: str = "01"
    protocol_id: str = "012345678901"
    currency: str = EURO
    answer_mode: str | None = None
    """``BA``: ``0`` answer at the end; left out by default, as in the reference example."""

    def fields(self) -> list[tuple[str, str]]:
        amount = self.amount_cents
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_CENTS:
            raise ValueError(f"amount must be whole cents between 1 and {MAX_CENTS}, not {amount!r}")
        if len(self.protocol_id) != 12 or not self.protocol_id.isdigit():
            raise ValueError(f"the Concert protocol ID must be 12 digits, not {self.protocol_id!r}")
        fields = [("CZ", VERSION), ("CJ", self.protocol_id), ("CA", self.pos), ("CB", str(amount)),
                  ("CD", self.operation), ("CE", self.currency)]
        if self.answer_mode is not None:
            fields.append(("BA", self.answer_mode))
        return fields

    def encode(self) -> bytes:
        return encode_tlv(self.fields()).encode("ascii")


def result_of(request: CaisseApRequest, answer: dict[str, str]) -> TerminalResult:
    """What the answer means for ``request``; a mismatched or unknown answer raises."""
    status = answer.get("AE")
    if status == NOT_DONE:
        reason = answer.get("AF", "")
        return TerminalResult(False, request.amount_cents, message=FAILURES.get(reason, REASON_REFUSED))
    if status != DONE:
        raise CaisseApFormatError("the card terminal answered an unknown status {status!r}", status=status or "")
    asked = dict(request.fields())
    for tag in ("CA", "CD", "CE", "CB"):
        if tag in answer and answer[tag].lstrip("0") != asked[tag].lstrip("0"):
            raise CaisseApFormatError("the card terminal's answer is not for this request ({tag} differs)",
                                      tag=tag)
    return TerminalResult(True, request.amount_cents, reference=answer.get("AC", ""))


@dataclass(frozen=True)
class CaisseApTimeouts:
    """Connecting and sending take ``step_s`` each; the customer's payment up to ``answer_s``;
    ``quiet_s`` of silence after a complete answer ends it."""

    step_s: float = 3.0
    answer_s: float = 120.0
    quiet_s: float = 0.2


class CaisseApTerminal:
    """A ``PaymentTerminal`` reached over TCP at ``host:port`` (default port 8888)."""

    name = "caisse_ap"
    simulator = None
    """The in-process simulator it talks to, when ``make_terminal`` started one for the demo."""

    def __init__(self, host: str, port: int = 8888, protocol_id: str = "012345678901", pos: str = "01",
                 timeouts: CaisseApTimeouts = CaisseApTimeouts()) -> None:
        self.host = host
        self.port = port
        self.protocol_id = protocol_id
        self.pos = pos
        self.timeouts = timeouts
        self._aborted = threading.Event()

    def _connect(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.timeouts.step_s)
        except OSError as error:
            raise TerminalError("cannot reach the card terminal at {address} ({reason})", maybe_charged=False,
                                address=f"{self.host}:{self.port}",
                                reason=str(error) or type(error).__name__) from None

    def _run(self, operation: str, amount_cents: int) -> TerminalResult:
        request = CaisseApRequest(amount_cents=amount_cents, operation=OPERATIONS[operation], pos=self.pos,
                                  protocol_id=self.protocol_id)
        data = request.encode()  # a bad amount fails here, before the network is touched
        self._aborted.clear()
        with self._connect() as sock:
            try:
                sock.settimeout(self.timeouts.step_s)
                sock.sendall(data)
            except OSError as error:
                raise TerminalError("the card terminal was disconnected ({reason})",
                                    reason=str(error) or type(error).__name__) from None
            raw = self._receive(sock)
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise CaisseApFormatError("the card terminal sent an unreadable answer") from None
        return result_of(request, dict(decode_tlv(text)))

    def _receive(self, sock: socket.socket) -> bytes:
        timeouts = self.timeouts
        deadline = time.monotonic() + timeouts.answer_s
        sock.settimeout(0.05)
        buffer = b""
        quiet_since = None
        while True:
            if self._aborted.is_set():
                raise TerminalError("the card payment was cancelled at the till")
            now = time.monotonic()
            if quiet_since is not None and now - quiet_since >= timeouts.quiet_s:
                return buffer
            if now >= deadline:
                if buffer:
                    raise CaisseApFormatError("the card terminal sent an unreadable answer")
                raise TerminalError("no answer from the card terminal within {seconds} s",
                                    seconds=int(timeouts.answer_s))
            try:
                chunk = sock.recv(4096)
            except socket.timeout:
                continue
            except OSError as error:
                raise TerminalError("the card terminal was disconnected ({reason})",
                                    reason=str(error) or type(error).__name__) from None
            if not chunk:
                if not buffer:
                    raise TerminalError("the card terminal closed the connection without answering")
                return buffer
            buffer += chunk
            if len(buffer) > 65536:  # a device that talks and talks: no answer is this long
                raise CaisseApFormatError("the card terminal sent an unreadable answer")
            quiet_since = time.monotonic() if is_complete(buffer) else None

    def sale(self, amount_cents: int, reference: str) -> TerminalResult:
        return self._run("sale", amount_cents)

    def refund(self, amount_cents: int, reference: str) -> TerminalResult:
        return self._run("refund", amount_cents)

    def cancel(self, amount_cents: int, reference: str) -> TerminalResult:
        """Cancel a transaction of ``amount_cents`` (``CD`` 2, to be checked against the spec)."""
        return self._run("cancel", amount_cents)

    def abort(self) -> None:
        """Stop waiting for the running request (safe from any thread)."""
        self._aborted.set()

    def health(self) -> str:
        """Whether the terminal accepts a connection (nothing is sent: one request per connection)."""
        try:
            self._connect().close()
        except TerminalError as error:
            return f"offline: {error}"
        return "ready"
