"""A Caisse-AP card terminal on a loopback TCP port, for tests and the demo.

It reads the till's real TLV request and answers with real TLV bytes, one connection per
request, so the whole client is exercised. Outcomes are scripted one per request
(``script("decline")``), then ``default`` applies:

``approve``         ``AE`` 10 with an authorisation number in ``AC``
``decline``         ``AE`` 01, ``AF`` 04 (refused); also any request for ``decline_cents``
``timeout``         reads the request and never answers
``garbage``         answers bytes that are not TLV
``bad_length``      a TLV element shorter than its length says
``unknown_status``  ``AE`` 99
``mismatch``        approves another amount than asked
``drop``            reads the request and closes without answering
``split``           approves in two TCP segments with a pause between them
``chatter``         answers with endless TLV elements, never stopping

Run ``python -m devices.simulators.caisse_ap_sim --port 8888`` to keep one running for the demo.
"""

from __future__ import annotations

import argparse
import itertools
import socket
import threading
import time

from devices.payment.caisse_ap import DONE, NOT_DONE, decode_tlv, encode_tlv, is_complete
from devices.simulators.pty_line import BackgroundSimulator
from devices.simulators.scripted import ScriptedOutcomes

OUTCOMES = ("approve", "decline", "timeout", "garbage", "bad_length", "unknown_status", "mismatch", "drop",
            "split", "chatter")


class CaisseApSimulator(ScriptedOutcomes, BackgroundSimulator):
    """A listening socket on 127.0.0.1 and a thread per connection."""

    OUTCOMES = OUTCOMES

    def __init__(self, default: str = "approve", decline_cents: int = -1, answer_delay_s: float = 0.0,
                 port: int = 0) -> None:
        self._script_from(default)
        self.decline_cents = decline_cents
        self.answer_delay_s = answer_delay_s
        self.requests: list[dict[str, str]] = []
        """Every request read, as a tag -> value dict."""
        self._stop = threading.Event()
        self._numbers = itertools.count(100001)
        self._server = socket.create_server(("127.0.0.1", port))
        self._server.settimeout(0.1)
        self.host, self.port = self._server.getsockname()[:2]
        self._thread = threading.Thread(target=self._accept, name="caisse-ap-sim", daemon=True)

    def _release(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _read_request(self, connection: socket.socket) -> dict[str, str] | None:
        connection.settimeout(0.1)
        buffer = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self._stop.is_set():
            try:
                chunk = connection.recv(4096)
            except socket.timeout:
                continue
            if not chunk:
                return None  # a health check: connected, sent nothing
            buffer += chunk
            if is_complete(buffer, "CE"):
                return dict(decode_tlv(buffer.decode("ascii")))
        return None

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            try:
                request = self._read_request(connection)
            except OSError:
                return
            if request is None:
                return
            self.requests.append(request)
            outcome = self._next_outcome()
            if outcome == "drop":
                return
            if outcome == "timeout":
                while not self._stop.wait(0.1):
                    pass
                return
            if self.answer_delay_s:
                time.sleep(self.answer_delay_s)
            try:
                self._answer(connection, outcome, request)
            except OSError:
                return

    def _answer(self, connection: socket.socket, outcome: str, request: dict[str, str]) -> None:
        if outcome == "chatter":
            connection.sendall(b"CZ0040300")
            while not self._stop.is_set():
                connection.sendall(b"CF999" + b"x" * 999)
            return
        if outcome == "garbage":
            connection.sendall(b"\x00\xffHELLO I AM A TERMINAL\r\n")
            return
        if outcome == "bad_length":
            connection.sendall(b"CZ0040300AE0051")
            return
        echo = [(tag, request[tag]) for tag in ("CA", "CB", "CD", "CE") if tag in request]
        amount = int(request.get("CB", "0") or 0)
        if outcome == "decline" or amount == self.decline_cents:
            fields = [("CZ", "0300"), ("AE", NOT_DONE), ("AF", "04"), *echo]
        elif outcome == "unknown_status":
            fields = [("CZ", "0300"), ("AE", "99"), *echo]
        else:
            if outcome == "mismatch":
                echo = [(tag, str(amount + 100) if tag == "CB" else value) for tag, value in echo]
            fields = [("CZ", "0300"), ("AE", DONE), *echo, ("CC", "001"), ("CI", "2"),
                      ("AC", f"{next(self._numbers)}"), ("AA", "497010******0014")]
        data = encode_tlv(fields).encode("ascii")
        if outcome == "split":
            connection.sendall(data[:7])
            time.sleep(0.3)
            connection.sendall(data[7:])
            return
        connection.sendall(data)


def main() -> None:  # pragma: no cover - a tool for the demo

    parser = argparse.ArgumentParser(description="A Caisse-AP card terminal on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--outcome", default="approve", choices=OUTCOMES)
    parser.add_argument("--decline-cents", type=int, default=1313)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds the customer takes to pay")
    args = parser.parse_args()
    with CaisseApSimulator(args.outcome, args.decline_cents, args.delay, args.port) as simulator:
        print(f"Caisse-AP terminal simulator on {simulator.host}:{simulator.port} (Ctrl-C stops it)", flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
