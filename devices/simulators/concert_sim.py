"""A card terminal that speaks Concert E+ on a pseudo-terminal, for tests and the demo.

The till opens ``simulator.path`` with pyserial exactly as it opens ``/dev/ttyACM0``, so every
byte of the real driver is exercised: only the terminal is simulated. Outcomes are scripted one
per request (``script("decline", "approve")``), then ``default`` applies:

``approve``         status 0 for the amount asked
``decline``         status 7 (refused); also any request for ``decline_cents``
``silent``          no ACK to any ENQ for ``4 * step_s`` (off, or not in cash-register mode)
``silent_once``     no ACK to the first ENQ only (the till must send ENQ again)
``nak``             NAK every request frame
``nak_once``        NAK the first request frame, then carry on (the till must resend)
``timeout``         takes the request, never answers
``garbage``         answers a well-framed message of the wrong shape
``bad_lrc``         every answer frame has a wrong LRC
``bad_lrc_once``    the first answer frame has a wrong LRC, the resend is right
``unknown_status``  status ``X``
``drop``            takes the request then closes the line (the cable is pulled)
``stall``           starts its answer frame and stops in the middle
``chatter``         takes the request, then sends endless noise, never a frame

``parity_on_the_wire=True`` sets bit 7 of every byte it sends to its even-parity bit, as a 7E1
terminal read through a port opened 8N1 (USB-CDC) delivers them.

Run ``python -m devices.simulators.concert_sim`` to keep one running for the demo: it prints
the device path to put in ``payment.device``.
"""

from __future__ import annotations

import argparse
import os
import select
import threading
import time

from devices.payment.concert import (
    ACCEPTED,
    ACK,
    ENQ,
    EOT,
    ETX,
    NAK,
    REFUSED,
    STX,
    ConcertAnswer,
    decode_request,
    frame,
    lrc,
)
from devices.simulators.pty_line import BackgroundSimulator, raw_pty
from devices.simulators.scripted import ScriptedOutcomes

OUTCOMES = ("approve", "decline", "silent", "silent_once", "nak", "nak_once", "timeout", "garbage", "bad_lrc",
            "bad_lrc_once", "unknown_status", "drop", "stall", "chatter")


class ConcertSimulator(ScriptedOutcomes, BackgroundSimulator):
    """The terminal side of a pty pair, run by a thread."""

    OUTCOMES = OUTCOMES

    def __init__(self, default: str = "approve", decline_cents: int = -1, answer_delay_s: float = 0.0,
                 step_s: float = 3.0, parity_on_the_wire: bool = False) -> None:
        self._script_from(default)
        self.decline_cents = decline_cents
        self.answer_delay_s = answer_delay_s
        self.step_s = step_s
        self.parity_on_the_wire = parity_on_the_wire
        self.requests: list[tuple[str, int]] = []
        """``(operation, amount_cents)`` of every request taken, operation as sent (0, 1, 2)."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._buffer = bytearray()
        self._master, self._slave, self.path = raw_pty(raw_master=False)
        self._thread = threading.Thread(target=self._serve, name="concert-sim", daemon=True)
        self.dropped = False
        self._deaf_until = 0.0

    def _release(self) -> None:
        self._close()

    def _close(self) -> None:
        """Close both ends once: a number closed twice could be another file's by then."""
        with self._lock:
            fds, self._master, self._slave = (self._master, self._slave), -1, -1
        for fd in fds:
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass

    # -- bytes on the master side -------------------------------------------------------------

    def _read(self, timeout_s: float) -> bytes:
        deadline = time.monotonic() + timeout_s
        while not self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or self._stop.is_set():
                return b""
            ready, _, _ = select.select([self._master], [], [], min(left, 0.05))
            if ready:
                try:
                    chunk = os.read(self._master, 1024)
                except OSError:
                    return b""
                self._buffer += chunk
        byte = bytes([self._buffer[0] & 0x7F])
        del self._buffer[:1]
        return byte

    def _write(self, data: bytes) -> None:
        if self.parity_on_the_wire:
            data = bytes(b | 0x80 if bin(b).count("1") % 2 else b for b in data)
        os.write(self._master, data)

    def _chatter(self, until: float) -> None:
        """Noise until the till says something (its EOT when it gives up) or ``until``."""
        while not self._stop.is_set() and time.monotonic() < until:
            readable, writable, _ = select.select([self._master], [self._master], [], 0.1)
            if readable:
                return
            if writable:
                self._write(b"\x11\x13garbage?")
            time.sleep(0.01)

    def _read_frame(self) -> bytes:
        while True:
            byte = self._read(self.step_s)
            if not byte or byte == STX:
                break
        if not byte:
            return b""
        data = bytearray(STX)
        while True:
            byte = self._read(self.step_s)
            if not byte:
                return b""
            data += byte
            if byte == ETX:
                return bytes(data + self._read(self.step_s))

    # -- the terminal's behaviour ---------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stop.is_set() and not self.dropped:
            byte = self._read(0.1)
            if byte != ENQ or time.monotonic() < self._deaf_until:
                continue
            try:
                self._one_request()
            except OSError:
                return

    def _one_request(self) -> None:
        outcome = self._next_outcome()
        if outcome == "silent":
            self._deaf_until = time.monotonic() + 4 * self.step_s
        if outcome in ("silent", "silent_once"):
            return
        self._write(ACK)
        nak_left = 1 if outcome == "nak_once" else (99 if outcome == "nak" else 0)
        while True:
            raw = self._read_frame()
            if not raw:
                return
            if nak_left or lrc(raw[1:-1]) != raw[-1]:
                nak_left = max(0, nak_left - 1)
                self._write(NAK)
                continue
            break
        self._write(ACK)
        self._read(self.step_s)  # the till's EOT
        request = decode_request(raw[1:-2].decode("ascii"))
        self.requests.append((request.operation, request.amount_cents))
        if outcome == "timeout":
            return
        if outcome == "drop":
            self.dropped = True
            self._close()
            return
        if self.answer_delay_s:
            time.sleep(self.answer_delay_s)
        self._answer(outcome, request)

    def _answer(self, outcome: str, request) -> None:
        status = ACCEPTED
        if outcome == "decline" or request.amount_cents == self.decline_cents:
            status = REFUSED
        elif outcome == "unknown_status":
            status = "X"
        text = ConcertAnswer(pos=request.pos, status=status, amount_cents=request.amount_cents,
                             mode=request.payment_mode).encode()
        good = frame("HELLO, I AM A TERMINAL" if outcome == "garbage" else text)
        bad = good[:-1] + bytes([good[-1] ^ 0x01])
        if outcome == "chatter":
            self._chatter(until=time.monotonic() + 20 * self.step_s)
            return
        if outcome == "stall":
            self._write(ENQ)
            if self._read(self.step_s) == ACK:
                self._write(good[:8])
            return
        self._write(ENQ)
        if self._read(self.step_s) != ACK:
            return
        for attempt in range(3):
            wrong = outcome == "bad_lrc" or (outcome == "bad_lrc_once" and attempt == 0)
            self._write(bad if wrong else good)
            if self._read(self.step_s) != NAK:
                break
        self._write(EOT)


def main() -> None:  # pragma: no cover - a tool for the demo

    parser = argparse.ArgumentParser(description="A Concert E+ card terminal on a pseudo-terminal")
    parser.add_argument("--outcome", default="approve", choices=OUTCOMES)
    parser.add_argument("--decline-cents", type=int, default=1313)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds the customer takes to pay")
    args = parser.parse_args()
    with ConcertSimulator(args.outcome, args.decline_cents, args.delay) as simulator:
        print(f"Concert terminal simulator on {simulator.path} (Ctrl-C stops it)", flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
